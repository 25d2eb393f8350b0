// sum and mean, over every element or along one axis.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result, sizeOf } from '../tensor.js';

function reduce(op: 'sum' | 'mean', x: Tensor, axis: number | undefined): Tensor {
  expectTensors(op, { x });
  if (x.size === 0 && op === 'mean')
    throw new OpError('mean', `mean of an empty tensor ${formatShape(x.shape)} is undefined`);
  let outer = 1,
    len = x.size,
    inner = 1,
    shape: number[] = [];
  if (axis !== undefined) {
    const ax = axis < 0 ? axis + x.rank : axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= x.rank)
      throw new OpError(op, `axis ${axis} is out of range for shape ${formatShape(x.shape)}`);
    outer = sizeOf(x.shape.slice(0, ax));
    len = x.shape[ax]!;
    inner = sizeOf(x.shape.slice(ax + 1));
    shape = x.shape.filter((_, i) => i !== ax);
    if (len === 0 && op === 'mean') throw new OpError('mean', `axis ${ax} of ${formatShape(x.shape)} is empty`);
  }
  const s = op === 'mean' ? 1 / len : 1;
  const be = backend();
  const out = takeBuffer(outer * inner);
  be.sumAxis(x.data, outer, len, inner, out, false);
  if (s !== 1) be.scale(out, s, out, false);
  return result(out, shape, [x], (g) => be.broadcastAxis(g, outer, len, inner, s, x.gradBuffer()));
}

export const sum = (x: Tensor, axis?: number): Tensor => reduce('sum', x, axis);
export const mean = (x: Tensor, axis?: number): Tensor => reduce('mean', x, axis);
