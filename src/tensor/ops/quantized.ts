// Products and lookups with int8 weights (symmetric, one float32 scale per output row): the
// weights stay int8 in memory and every kernel widens them as it reads. Inference only: these
// ops record no gradient.
import { backend, type AttentionDims } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { quantizeRows } from '../precision.js';
import { OpError, Tensor, expectInt32, formatShape, type Shape } from '../tensor.js';
import { alibiOf, softcapOf, windowOf } from './attention.js';

/** A weight [out, in] as int8 rows with one scale each: W[o, j] ≈ q[o, j] · scales[o]. */
export interface QuantizedWeight {
  readonly q: Int8Array;
  readonly scales: Float32Array;
  readonly shape: readonly [number, number];
}

export function quantizeWeight(data: Float32Array, shape: readonly number[]): QuantizedWeight {
  const [rows, cols] = shape as [number, number];
  if (shape.length !== 2 || rows * cols !== data.length)
    throw new OpError('quantizeWeight', `needs a matrix; got ${data.length} values for ${formatShape(shape)}`);
  const q = new Int8Array(data.length),
    scales = new Float32Array(rows);
  quantizeRows(data, 0, rows, cols, q, 0, scales, 0);
  return { q, scales, shape: [rows, cols] };
}

/** The float32 matrix an int8 weight stands for (tests and exports; the runtime never builds it). */
export function dequantizeWeight(w: QuantizedWeight): Float32Array {
  const [rows, cols] = w.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = w.q[r * cols + j]! * w.scales[r]!;
  return out;
}

/** x·Wᵀ + b with W int8: x [..., in] → [..., out]. */
export function linearInt8(x: Tensor, w: QuantizedWeight, bias: Tensor | null = null): Tensor {
  const [n, k] = w.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== k)
    throw new OpError('linearInt8', `x ${formatShape(x.shape)} must end in the weight's in-features ${k}`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n))
    throw new OpError('linearInt8', `bias must be [${n}], got ${formatShape(bias.shape)}`);
  const rows = x.size / k;
  const out = takeBuffer(rows * n);
  if (bias) for (let r = 0; r < rows; r++) out.set(bias.data, r * n);
  backend().gemmInt8(x.data, w.q, w.scales, out, rows, n, k, bias !== null);
  return new Tensor(out, [...x.shape.slice(0, -1), n]);
}

/** Rows of an int8 [vocab, dim] table by id, widened: ids (shape idsShape) → [...idsShape, dim]. */
export function embeddingInt8(w: QuantizedWeight, ids: Int32Array, idsShape: Shape = [ids.length]): Tensor {
  expectInt32('embeddingInt8', 'ids', ids);
  const [vocab, dim] = w.shape;
  const out = takeBuffer(ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= vocab)
      throw new OpError('embeddingInt8', `id ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
    const s = w.scales[id]!;
    for (let j = 0; j < dim; j++) out[i * dim + j] = w.q[id * dim + j]! * s;
  }
  return new Tensor(out, [...idsShape, dim]);
}

/** Keys or values as int8 rows [B, G, C, D] with one scale per (b, g, position) row. */
export interface Int8Rows {
  q: Int8Array;
  scales: Float32Array;
  shape: readonly [number, number, number, number];
}

function int8Dims(op: string, q: Tensor, k: Int8Rows, keyLength: number, scale?: number): AttentionDims {
  const [batch, heads, tq, headDim] = q.shape as [number, number, number, number];
  const [kb, kvHeads, rows, kd] = k.shape;
  if (q.rank !== 4 || kb !== batch || kd !== headDim || heads % kvHeads !== 0 || keyLength > rows || tq > keyLength)
    throw new OpError(
      op,
      `q ${formatShape(q.shape)} does not fit int8 rows [${k.shape.join(', ')}] with ${keyLength} keys`,
    );
  return {
    batch,
    heads,
    kvHeads,
    tq,
    tk: keyLength,
    kvStride: rows,
    headDim,
    scale: scale ?? 1 / Math.sqrt(headDim),
    causal: true,
  };
}

/**
 * Causal softmax(scale · QKᵀ) over keys read from int8 rows (inference: no gradient); scale
 * defaults to 1/√D; `window`, `softcap` and `alibi`: see AttentionOptions.
 */
export function attentionProbsInt8(
  q: Tensor,
  k: Int8Rows,
  keyLength: number,
  options: { window?: number; scale?: number; softcap?: number; alibi?: Float32Array } = {},
): Tensor {
  const dims = int8Dims('attentionProbsInt8', q, k, keyLength, options.scale);
  const d = {
    ...dims,
    window: windowOf('attentionProbsInt8', options.window),
    softcap: softcapOf('attentionProbsInt8', options.softcap),
    alibi: alibiOf('attentionProbsInt8', options.alibi, dims.heads),
  };
  const probs = takeBuffer(d.batch * d.heads * d.tq * d.tk);
  backend().attentionProbsInt8(q.data, k.q, k.scales, d, probs);
  return new Tensor(probs, [d.batch, d.heads, d.tq, d.tk]);
}

/** probs · V with values read from int8 rows (inference: no gradient). */
export function attendValuesInt8(probs: Tensor, v: Int8Rows): Tensor {
  const [batch, heads, tq, tk] = probs.shape as [number, number, number, number];
  const [, kvHeads, rows, headDim] = v.shape;
  const d: AttentionDims = { batch, heads, kvHeads, tq, tk, kvStride: rows, headDim, scale: 1, causal: true };
  const out = takeBuffer(batch * heads * tq * headDim);
  backend().attendValuesInt8(probs.data, v.q, v.scales, d, out);
  return new Tensor(out, [batch, heads, tq, headDim]);
}
