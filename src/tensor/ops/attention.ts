// Causal multi-head attention with grouped K/V heads (MHA, GQA, MQA), exposed in two halves so a
// layer can reuse the attention probabilities of another (attention-weight sharing).
// Shapes: q [B, H, Tq, D]; k [B, G, C, D]; v [B, G, C, Dv]; probs [B, H, Tq, Tk]; H % G = 0.
// C ≥ Tk: a KV cache allocates C rows per head and fills the first Tk (`keyLength`).
// With causal masking the queries are the last Tq of the Tk positions.
import { backend, type AttentionDims } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

export interface AttentionOptions {
  causal?: boolean;
  /** Multiplies QKᵀ; defaults to 1/√D. */
  scale?: number;
  /** Filled key positions when k/v are KV-cache buffers with spare rows; defaults to all rows. */
  keyLength?: number;
  /** Sliding window: each query sees only the newest `window` keys up to itself (0 or absent: all). */
  window?: number;
  /** Soft-capping (Gemma 2): scores become softcap·tanh(score / softcap) before the softmax (0 or absent: none). */
  softcap?: number;
  /** ALiBi (BLOOM, MPT): one slope per query head; scores gain slope·(key position − query position). */
  alibi?: Float32Array;
}

/**
 * ALiBi's slopes for `heads` heads (Press et al. 2022, as BLOOM's build_alibi_tensor and MPT's
 * gen_slopes at alibi_bias_max 8): 2^(−8k/n) for k = 1..n over the largest power of two n ≤ heads,
 * then the odd k of the next power of two's sequence for the remaining heads.
 */
export function alibiSlopes(heads: number): Float32Array {
  const n = 2 ** Math.floor(Math.log2(heads));
  const geometric = (m: number) => Array.from({ length: m }, (_, k) => 2 ** ((-8 * (k + 1)) / m));
  const extra = geometric(2 * n).filter((_, k) => k % 2 === 0);
  return Float32Array.from([...geometric(n), ...extra.slice(0, heads - n)]);
}

/** ALiBi slopes as the kernels take them: one finite slope per query head, or none. */
export function alibiOf(op: string, alibi: Float32Array | undefined, heads: number): Float32Array | undefined {
  if (alibi && (alibi.length !== heads || !alibi.every(Number.isFinite)))
    throw new OpError(op, `alibi needs one finite slope per query head (${heads}), got ${alibi.length} slopes`);
  return alibi;
}

/** A soft-cap as the kernels take it: a finite number ≥ 0, 0 for none. */
export function softcapOf(op: string, softcap: number | undefined): number {
  const c = softcap ?? 0;
  if (!Number.isFinite(c) || c < 0) throw new OpError(op, `softcap ${softcap} must be a finite number ≥ 0 (0: none)`);
  return c;
}

/** A sliding window as the kernels take it: a whole number of keys, 0 for none. */
export function windowOf(op: string, window: number | undefined): number {
  const w = window ?? 0;
  if (!Number.isSafeInteger(w) || w < 0)
    throw new OpError(op, `window ${window} must be a whole number of keys (0: none)`);
  return w;
}

function keyLengthOf(op: string, rows: number, keyLength: number | undefined, shapes: () => string): number {
  const tk = keyLength ?? rows;
  if (!Number.isInteger(tk) || tk <= 0 || tk > rows)
    throw new OpError(op, `keyLength ${keyLength} must be between 1 and the ${rows} rows of k/v: ${shapes()}`);
  return tk;
}

function dimsOf(op: string, q: Tensor, k: Tensor, options: AttentionOptions): AttentionDims {
  expectTensors(op, { q, k });
  const shapes = () => `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}`;
  if (q.rank !== 4 || k.rank !== 4) throw new OpError(op, `q and k must be [batch, heads, time, headDim]: ${shapes()}`);
  const [batch, heads, tq, headDim] = q.shape as [number, number, number, number];
  const [kb, kvHeads, rows, kd] = k.shape as [number, number, number, number];
  if (kb !== batch || kd !== headDim) throw new OpError(op, `batch and head size of q and k differ: ${shapes()}`);
  if (kvHeads === 0 || heads % kvHeads !== 0)
    throw new OpError(op, `${heads} query heads cannot be grouped over ${kvHeads} key/value heads: ${shapes()}`);
  if (tq === 0 || rows === 0 || headDim === 0) throw new OpError(op, `empty attention: ${shapes()}`);
  const tk = keyLengthOf(op, rows, options.keyLength, shapes);
  const causal = options.causal ?? true;
  if (causal && tq > tk) throw new OpError(op, `causal attention needs at least as many keys as queries: ${shapes()}`);
  return {
    batch,
    heads,
    kvHeads,
    tq,
    tk,
    kvStride: rows,
    headDim,
    scale: options.scale ?? 1 / Math.sqrt(headDim),
    causal,
    window: windowOf(op, options.window),
    softcap: softcapOf(op, options.softcap),
    alibi: alibiOf(op, options.alibi, heads),
  };
}

/** softmax(scale · QKᵀ + causal mask) → [B, H, Tq, Tk]; masked entries are exactly 0. */
export function attentionProbs(q: Tensor, k: Tensor, options: AttentionOptions = {}): Tensor {
  const dims = dimsOf('attentionProbs', q, k, options);
  const be = backend();
  const probs = takeBuffer(dims.batch * dims.heads * dims.tq * dims.tk);
  be.attentionProbs(q.data, k.data, dims, probs);
  return result(probs, [dims.batch, dims.heads, dims.tq, dims.tk], [q, k], (g) => {
    be.attentionProbsBackward(
      q.data,
      k.data,
      probs,
      g,
      dims,
      q.requiresGrad ? q.gradBuffer() : null,
      k.requiresGrad ? k.gradBuffer() : null,
    );
  });
}

/**
 * probs [B, H, Tq, Tk] · v [B, G, C ≥ Tk, Dv] → [B, H, Tq, Dv], head h reading K/V head ⌊h / (H/G)⌋.
 * When causal (the default), entries above the causal diagonal are the mask, not data: they are
 * read as zero and receive no gradient.
 */
export function attendValues(probs: Tensor, v: Tensor, options: { causal?: boolean } = {}): Tensor {
  expectTensors('attendValues', { probs, v });
  const shapes = () => `probs ${formatShape(probs.shape)}, v ${formatShape(v.shape)}`;
  if (probs.rank !== 4 || v.rank !== 4)
    throw new OpError('attendValues', `probs must be [B, H, Tq, Tk] and v [B, G, Tk, Dv]: ${shapes()}`);
  const [batch, heads, tq, tk] = probs.shape as [number, number, number, number];
  const [vb, kvHeads, rows, dv] = v.shape as [number, number, number, number];
  if (vb !== batch || rows < tk)
    throw new OpError('attendValues', `batch differs or v has fewer positions than probs: ${shapes()}`);
  if (kvHeads === 0 || heads % kvHeads !== 0)
    throw new OpError('attendValues', `${heads} heads cannot be grouped over ${kvHeads} value heads: ${shapes()}`);
  const causal = options.causal ?? true;
  if (causal && tq > tk)
    throw new OpError('attendValues', `causal attention needs at least as many keys as queries: ${shapes()}`);
  const dims: AttentionDims = { batch, heads, kvHeads, tq, tk, kvStride: rows, headDim: dv, scale: 1, causal };
  const be = backend();
  const out = takeBuffer(batch * heads * tq * dv);
  be.attendValues(probs.data, v.data, dims, out);
  return result(out, [batch, heads, tq, dv], [probs, v], (g) => {
    be.attendValuesBackward(
      probs.data,
      v.data,
      g,
      dims,
      probs.requiresGrad ? probs.gradBuffer() : null,
      v.requiresGrad ? v.gradBuffer() : null,
    );
  });
}

/** Scaled dot-product attention: attendValues(attentionProbs(q, k), v). */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  expectTensors('attention', { q, k, v });
  if (v.rank !== 4 || v.shape[1] !== k.shape[1] || v.shape[2] !== k.shape[2]) {
    throw new OpError(
      'attention',
      `v must have k's heads and length: k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  return attendValues(attentionProbs(q, k, options), v, { causal: options.causal ?? true });
}
