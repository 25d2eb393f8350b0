// Reference grouped-query causal attention, split in two so that a layer can reuse another layer's
// attention probabilities: probs = softmax(scale·QKᵀ + mask), out = probs·V.
import type { AttentionDims } from '../types.js';

/** Last key position query t may see (inclusive). Queries are the last tq of tk positions. */
export function lastKey(d: AttentionDims, t: number): number {
  return d.causal ? d.tk - d.tq + t : d.tk - 1;
}

/** A score after soft-capping (Gemma 2): cap·tanh(x / cap), or x itself without a cap. */
export function capped(x: number, cap: number | undefined): number {
  return cap ? cap * Math.tanh(x / cap) : x;
}

/** ALiBi's bias on head h's score of query t for key s: slope·(s − query position), or 0. */
export function alibiBias(d: AttentionDims, h: number, t: number, s: number): number {
  return d.alibi ? d.alibi[h]! * (s - (d.tk - d.tq + t)) : 0;
}

/** First key position query t may see: the start of its sliding window, or 0. */
export function firstKey(d: AttentionDims, t: number): number {
  return d.window ? Math.max(0, lastKey(d, t) - d.window + 1) : 0;
}

export function attentionProbs(q: Float32Array, k: Float32Array, d: AttentionDims, probs: Float32Array): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D, scale } = d;
  const group = heads / kvHeads;
  const row = new Float64Array(tk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kBase = (b * kvHeads + Math.floor(h / group)) * kvStride * D;
      for (let t = 0; t < tq; t++) {
        const qo = ((b * heads + h) * tq + t) * D;
        const po = ((b * heads + h) * tq + t) * tk;
        const last = lastKey(d, t),
          first = firstKey(d, t);
        let max = -Infinity;
        for (let s = first; s <= last; s++) {
          const ko = kBase + s * D;
          let dot = 0;
          for (let j = 0; j < D; j++) dot += q[qo + j]! * k[ko + j]!;
          row[s] = capped(dot * scale, d.softcap) + alibiBias(d, h, t, s);
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

export function attentionProbsBackward(
  q: Float32Array,
  k: Float32Array,
  probs: Float32Array,
  g: Float32Array,
  d: AttentionDims,
  dq: Float32Array | null,
  dk: Float32Array | null,
): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D, scale } = d;
  const group = heads / kvHeads;
  const ds = new Float64Array(tk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kBase = (b * kvHeads + Math.floor(h / group)) * kvStride * D;
      for (let t = 0; t < tq; t++) {
        const qo = ((b * heads + h) * tq + t) * D;
        const po = ((b * heads + h) * tq + t) * tk;
        const last = lastKey(d, t);
        let dot = 0;
        for (let s = 0; s <= last; s++) dot += probs[po + s]! * g[po + s]!;
        for (let s = 0; s <= last; s++) ds[s] = probs[po + s]! * (g[po + s]! - dot) * scale;
        for (let s = 0; s <= last; s++) {
          let w = ds[s]!;
          if (w === 0) continue;
          const ko = kBase + s * D;
          if (d.softcap) {
            let x = 0;
            for (let j = 0; j < D; j++) x += q[qo + j]! * k[ko + j]!;
            w *= 1 - Math.tanh((x * scale) / d.softcap) ** 2;
          }
          if (dq) for (let j = 0; j < D; j++) dq[qo + j]! += w * k[ko + j]!;
          if (dk) for (let j = 0; j < D; j++) dk[ko + j]! += w * q[qo + j]!;
        }
      }
    }
  }
}

export function attendValues(probs: Float32Array, v: Float32Array, d: AttentionDims, out: Float32Array): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D } = d;
  const group = heads / kvHeads;
  const acc = new Float64Array(D);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const vBase = (b * kvHeads + Math.floor(h / group)) * kvStride * D;
      for (let t = 0; t < tq; t++) {
        const po = ((b * heads + h) * tq + t) * tk;
        acc.fill(0);
        const last = lastKey(d, t);
        for (let s = 0; s <= last; s++) {
          const p = probs[po + s]!;
          if (p === 0) continue;
          const vo = vBase + s * D;
          for (let j = 0; j < D; j++) acc[j]! += p * v[vo + j]!;
        }
        const oo = ((b * heads + h) * tq + t) * D;
        for (let j = 0; j < D; j++) out[oo + j] = acc[j]!;
      }
    }
  }
}

export function attendValuesBackward(
  probs: Float32Array,
  v: Float32Array,
  g: Float32Array,
  d: AttentionDims,
  dProbs: Float32Array | null,
  dv: Float32Array | null,
): void {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim: D } = d;
  const group = heads / kvHeads;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const vBase = (b * kvHeads + Math.floor(h / group)) * kvStride * D;
      for (let t = 0; t < tq; t++) {
        const po = ((b * heads + h) * tq + t) * tk;
        const go = ((b * heads + h) * tq + t) * D;
        const last = lastKey(d, t);
        for (let s = 0; s <= last; s++) {
          const vo = vBase + s * D;
          if (dProbs) {
            let dot = 0;
            for (let j = 0; j < D; j++) dot += g[go + j]! * v[vo + j]!;
            dProbs[po + s]! += dot;
          }
          if (dv) {
            const p = probs[po + s]!;
            for (let j = 0; j < D; j++) dv[vo + j]! += p * g[go + j]!;
          }
        }
      }
    }
  }
}
