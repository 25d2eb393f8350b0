// Pointwise activations (GELU tanh/exact, SiLU, ReLU) and softmax over the last axis.
import { backend, type GeluApproximation } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

/** GELU; 'tanh' is the GPT-2 approximation, 'none' the exact erf form (PyTorch's names). */
export function gelu(x: Tensor, approximate: GeluApproximation = 'tanh'): Tensor {
  expectTensors('gelu', { x });
  if (approximate !== 'tanh' && approximate !== 'none')
    throw new OpError('gelu', `approximate must be 'tanh' or 'none', got ${JSON.stringify(approximate)}`);
  const be = backend();
  const out = takeBuffer(x.size);
  be.gelu(x.data, approximate, out);
  return result(out, x.shape, [x], (g) => be.geluBackward(x.data, approximate, g, x.gradBuffer()));
}

export function silu(x: Tensor): Tensor {
  expectTensors('silu', { x });
  const be = backend();
  const out = takeBuffer(x.size);
  be.silu(x.data, out);
  return result(out, x.shape, [x], (g) => be.siluBackward(x.data, g, x.gradBuffer()));
}

/**
 * ReLU (OPT's FFN): max(x, 0), gradient 1 where x > 0 and 0 elsewhere (at 0 too, as PyTorch).
 * One comparison per element: a plain loop, memory-bound on every backend.
 */
export function relu(x: Tensor): Tensor {
  expectTensors('relu', { x });
  const out = takeBuffer(x.size),
    xs = x.data;
  for (let i = 0; i < out.length; i++) out[i] = xs[i]! > 0 ? xs[i]! : 0;
  return result(out, x.shape, [x], (g) => {
    const dx = x.gradBuffer();
    for (let i = 0; i < out.length; i++) if (xs[i]! > 0) dx[i]! += g[i]!;
  });
}

/**
 * Soft-capping (Gemma 2's final logits): cap·tanh(x / cap), which bounds x to ±cap and leaves small
 * values nearly unchanged; its gradient is 1 − (y / cap)². A few tanh per element: plain loops.
 */
export function softcap(x: Tensor, cap: number): Tensor {
  expectTensors('softcap', { x });
  if (!(Number.isFinite(cap) && cap > 0)) throw new OpError('softcap', `cap must be a finite number > 0, got ${cap}`);
  const out = takeBuffer(x.size),
    xs = x.data;
  for (let i = 0; i < out.length; i++) out[i] = cap * Math.tanh(xs[i]! / cap);
  return result(out, x.shape, [x], (g) => {
    const dx = x.gradBuffer();
    for (let i = 0; i < out.length; i++) {
      const t = out[i]! / cap;
      dx[i]! += g[i]! * (1 - t * t);
    }
  });
}

export function softmax(x: Tensor): Tensor {
  expectTensors('softmax', { x });
  if (x.rank < 1 || x.shape[x.rank - 1] === 0)
    throw new OpError('softmax', `needs a non-empty last axis, got ${formatShape(x.shape)}`);
  const dim = x.shape[x.rank - 1]!,
    rows = x.size / dim;
  const be = backend();
  const out = takeBuffer(x.size);
  be.softmax(x.data, rows, dim, out);
  return result(out, x.shape, [x], (g) => be.softmaxBackward(out, g, rows, dim, x.gradBuffer()));
}
