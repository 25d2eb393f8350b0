// embedding: gathers rows of a [vocab, dim] table by integer id; its gradient is a scatter-add.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectInt32, expectTensors, formatShape, result, type Shape } from '../tensor.js';

/** ids (with shape idsShape) → [...idsShape, dim]. */
export function embedding(weight: Tensor, ids: Int32Array, idsShape: Shape = [ids.length]): Tensor {
  expectTensors('embedding', { weight });
  expectInt32('embedding', 'ids', ids);
  if (weight.rank !== 2)
    throw new OpError('embedding', `weight must be [vocab, dim], got ${formatShape(weight.shape)}`);
  const [vocab, dim] = weight.shape as [number, number];
  let n = 1;
  for (const d of idsShape) n *= d;
  if (n !== ids.length)
    throw new OpError('embedding', `ids has ${ids.length} entries but shape ${formatShape(idsShape)}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= vocab)
      throw new OpError(
        'embedding',
        `id ${id} at position ${i} is outside the vocabulary [0, ${vocab}) of weight ${formatShape(weight.shape)}`,
      );
  }
  const be = backend();
  const out = takeBuffer(ids.length * dim);
  be.embedding(weight.data, dim, ids, out);
  return result(out, [...idsShape, dim], [weight], (g) => be.embeddingBackward(g, dim, ids, weight.gradBuffer()));
}
