// Reference int8 kernels: the weight product out[r, o] (+)= scales[o] · Σ_j x[r, j] · q[o, j], the
// widening of int8 rows, and attention over an int8 KV cache. They define the numbers the faster
// kernels must reproduce (sums in float64, then one rounding).
import type { AttentionDims } from '../types.js';
import { alibiBias, capped, firstKey, lastKey } from './attention.js';

export function gemmInt8(
  x: Float32Array,
  q: Int8Array,
  scales: Float32Array,
  out: Float32Array,
  rows: number,
  n: number,
  k: number,
  accumulate: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    for (let o = 0; o < n; o++) {
      const qo = o * k;
      let acc = 0;
      for (let j = 0; j < k; j++) acc += x[xo + j]! * q[qo + j]!;
      const v = acc * scales[o]!;
      out[r * n + o] = accumulate ? out[r * n + o]! + v : v;
    }
  }
}

/** out rows (blk·stride + p, p < count, for each of `outer` blocks) = q row · its scale. */
export function dequantRows(
  q: Int8Array,
  scales: Float32Array,
  out: Float32Array,
  outer: number,
  stride: number,
  count: number,
  width: number,
): void {
  for (let blk = 0; blk < outer; blk++) {
    for (let p = 0; p < count; p++) {
      const row = blk * stride + p,
        s = scales[row]!,
        o = row * width;
      for (let j = 0; j < width; j++) out[o + j] = q[o + j]! * s;
    }
  }
}

/** attentionProbs with keys stored as int8 rows (one scale per head and position). */
export function attentionProbsInt8(
  q: Float32Array,
  kq: Int8Array,
  kScales: Float32Array,
  d: AttentionDims,
  probs: Float32Array,
): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D, scale } = d;
  const group = heads / kvHeads;
  const row = new Float64Array(tk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kRow = (b * kvHeads + Math.floor(h / group)) * kvStride;
      for (let t = 0; t < tq; t++) {
        const qo = ((b * heads + h) * tq + t) * D;
        const po = ((b * heads + h) * tq + t) * tk;
        const last = lastKey(d, t),
          first = firstKey(d, t);
        let max = -Infinity;
        for (let s = first; s <= last; s++) {
          const ko = (kRow + s) * D;
          let dot = 0;
          for (let j = 0; j < D; j++) dot += q[qo + j]! * kq[ko + j]!;
          row[s] = capped(dot * kScales[kRow + s]! * scale, d.softcap) + alibiBias(d, h, t, s);
          if (row[s]! > max) max = row[s]!;
        }
        let sum = 0;
        for (let s = first; s <= last; s++) {
          row[s] = Math.exp(row[s]! - max);
          sum += row[s]!;
        }
        for (let s = 0; s < first; s++) probs[po + s] = 0;
        for (let s = first; s <= last; s++) probs[po + s] = row[s]! / sum;
        for (let s = last + 1; s < tk; s++) probs[po + s] = 0;
      }
    }
  }
}

/** attendValues with values stored as int8 rows (one scale per head and position). */
export function attendValuesInt8(
  probs: Float32Array,
  vq: Int8Array,
  vScales: Float32Array,
  d: AttentionDims,
  out: Float32Array,
): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D } = d;
  const group = heads / kvHeads;
  const acc = new Float64Array(D);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const vRow = (b * kvHeads + Math.floor(h / group)) * kvStride;
      for (let t = 0; t < tq; t++) {
        const po = ((b * heads + h) * tq + t) * tk;
        acc.fill(0);
        const last = lastKey(d, t);
        for (let s = 0; s <= last; s++) {
          const p = probs[po + s]! * vScales[vRow + s]!;
          if (p === 0) continue;
          const vo = (vRow + s) * D;
          for (let j = 0; j < D; j++) acc[j]! += p * vq[vo + j]!;
        }
        const oo = ((b * heads + h) * tq + t) * D;
        for (let j = 0; j < D; j++) out[oo + j] = acc[j]!;
      }
    }
  }
}
