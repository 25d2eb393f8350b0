// Reference cross-entropy from logits (log-sum-exp in float64) and the AdamW update.
import type { AdamWArgs } from '../types.js';

function logSumExp(logits: Float32Array, o: number, vocab: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) if (logits[o + j]! > max) max = logits[o + j]!;
  let s = 0;
  for (let j = 0; j < vocab; j++) s += Math.exp(logits[o + j]! - max);
  return max + Math.log(s);
}

export function crossEntropy(
  logits: Float32Array,
  targets: Int32Array,
  rows: number,
  vocab: number,
  ignoreIndex: number,
): number {
  let total = 0,
    count = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    total += logSumExp(logits, r * vocab, vocab) - logits[r * vocab + t]!;
    count++;
  }
  return count === 0 ? NaN : total / count;
}

export function crossEntropyBackward(
  logits: Float32Array,
  targets: Int32Array,
  rows: number,
  vocab: number,
  ignoreIndex: number,
  g: number,
  dLogits: Float32Array,
): void {
  let count = 0;
  for (let r = 0; r < rows; r++) if (targets[r] !== ignoreIndex) count++;
  if (count === 0) return;
  const w = g / count;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const o = r * vocab;
    const lse = logSumExp(logits, o, vocab);
    for (let j = 0; j < vocab; j++) dLogits[o + j]! += w * (Math.exp(logits[o + j]! - lse) - (j === t ? 1 : 0));
  }
}

export function adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, a: AdamWArgs): void {
  const decay = 1 - a.lr * a.weightDecay;
  const bc1 = 1 - a.beta1 ** a.step;
  const bc2Sqrt = Math.sqrt(1 - a.beta2 ** a.step);
  const stepSize = a.lr / bc1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    // Rounded to float32 at the same points as torch's in-place tensor ops.
    m[i] = a.beta1 * m[i]! + (1 - a.beta1) * g;
    v[i] = a.beta2 * v[i]! + (1 - a.beta2) * g * g;
    const mi = m[i]!;
    const vi = v[i]!;
    const p = Math.fround(param[i]! * decay);
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + a.eps);
  }
}
