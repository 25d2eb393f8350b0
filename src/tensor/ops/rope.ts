// Rotary position embedding (rotate-half convention, as GPT-NeoX and Llama) on [B, H, T, D].
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

export interface RopeOptions {
  /** Absolute position of the first of the T rows (the KV-cache length during generation). */
  offset?: number;
  base?: number;
}

export function rope(x: Tensor, options: RopeOptions = {}): Tensor {
  expectTensors('rope', { x });
  const offset = options.offset ?? 0,
    base = options.base ?? 10000;
  if (x.rank < 2) throw new OpError('rope', `x must be [..., T, D], got ${formatShape(x.shape)}`);
  const dim = x.shape[x.rank - 1]!,
    t = x.shape[x.rank - 2]!;
  if (dim % 2 !== 0) throw new OpError('rope', `head size must be even, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new OpError('rope', `offset must be a non-negative integer, got ${offset}`);
  const rows = t * dim === 0 ? 0 : x.size / (t * dim);
  const be = backend();
  const out = takeBuffer(x.size);
  be.rope(x.data, rows, t, dim, offset, base, out);
  return result(out, x.shape, [x], (g) => be.ropeBackward(g, rows, t, dim, offset, base, x.gradBuffer()));
}
