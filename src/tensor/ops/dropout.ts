// dropout: zeroes each element with probability p and scales survivors by 1/(1-p) (inverted
// dropout, as PyTorch); the mask comes from the caller's seeded Rng so runs are reproducible.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, result } from '../tensor.js';
import type { Rng } from '../random.js';

export function dropout(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  expectTensors('dropout', { x });
  if (!(p >= 0 && p < 1)) throw new OpError('dropout', `probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const keep = 1 / (1 - p);
  const mask = takeBuffer(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  const be = backend();
  const out = takeBuffer(x.size);
  be.binary('mul', x.data, mask, out);
  return result(out, x.shape, [x], (g) => be.binaryBackward('mul', 'a', x.data, mask, g, x.gradBuffer()));
}
