// Choosing the next token from logits: greedy, or sampling with temperature, top-k and top-p
// (nucleus), from a seeded Rng so the same seed gives the same text.
import type { Rng } from '../tensor/random.js';

export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = all). */
  topP?: number;
}

export function validateSampling(o: SamplingOptions): Required<SamplingOptions> {
  const temperature = o.temperature ?? 1,
    topK = o.topK ?? 0,
    topP = o.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new Error(`temperature must be ≥ 0, got ${o.temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`top-k must be a non-negative integer, got ${o.topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`top-p must be in (0, 1], got ${o.topP}`);
  return { temperature, topK, topP };
}

/**
 * Picks a token id from one row of logits, never `exclude` (a tokenizer's unknown token: it stands
 * for "some character not seen in training", which no text can show).
 */
export function sampleToken(logits: Float32Array, options: Required<SamplingOptions>, rng: Rng, exclude = -1): number {
  const n = logits.length;
  if (options.temperature === 0) {
    let best = exclude === 0 && n > 1 ? 1 : 0;
    for (let i = best + 1; i < n; i++) if (i !== exclude && logits[i]! > logits[best]!) best = i;
    return best;
  }
  // Candidates sorted by logit, cut by top-k, then softmax at the temperature, then cut by top-p.
  let order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i !== exclude || n === 1)
    .sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (options.topK > 0) order = order.slice(0, options.topK);
  const max = logits[order[0]!]!;
  let probs = order.map((i) => Math.exp((logits[i]! - max) / options.temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (options.topP < 1) {
    let acc = 0,
      keep = 0;
    while (keep < probs.length && acc < options.topP * total) acc += probs[keep++]!;
    order = order.slice(0, Math.max(1, keep));
    probs = probs.slice(0, order.length);
    total = probs.reduce((a, b) => a + b, 0);
  }
  let u = rng.uniform() * total;
  for (let i = 0; i < order.length; i++) {
    u -= probs[i]!;
    if (u < 0) return order[i]!;
  }
  return order[order.length - 1]!;
}
