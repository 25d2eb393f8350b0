// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_.
import { backend } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const be = backend();
  const unique = [...new Set(params)].filter((p) => p.grad);
  let sq = 0;
  for (const p of unique) sq += be.sumSquares(p.grad!);
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const p of unique) be.scale(p.grad!, coef, p.grad!, false);
  return norm;
}
