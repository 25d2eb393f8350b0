// Layout ops: reshape (a view), permute/transpose (a copy), split and concat along an axis.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result, sizeOf, type Shape } from '../tensor.js';

function normAxis(op: string, axis: number, rank: number, shape: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new OpError(op, `axis ${axis} is out of range for shape ${formatShape(shape)}`);
  return a;
}

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  expectTensors('reshape', { x });
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new OpError('reshape', `at most one -1 allowed in ${formatShape(shape)}`);
  let target = [...shape];
  if (free === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0)
      throw new OpError('reshape', `cannot infer -1 reshaping ${formatShape(x.shape)} to ${formatShape(shape)}`);
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(target) !== x.size) {
    throw new OpError(
      'reshape',
      `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
    );
  }
  return result(x.data, target, [x], (g) => {
    // Same layout, so the first gradient to arrive can be handed over instead of copied.
    if (x.grad === null) x.grad = g;
    else backend().scale(g, 1, x.grad, true);
  });
}

/** Output axis i is input axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  expectTensors('permute', { x });
  const rank = x.rank;
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new OpError('permute', `[${perm.join(', ')}] is not a permutation of the axes of ${formatShape(x.shape)}`);
  }
  const outShape = perm.map((p) => x.shape[p]!);
  // Moving only axes of length 1 (splitting heads of a single decoding position) keeps the memory
  // order: a view, as reshape, instead of a copy.
  const moved = perm.filter((p) => x.shape[p]! !== 1);
  if (moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return reshape(x, outShape);
  const be = backend();
  const out = takeBuffer(x.size);
  be.permute(x.data, x.shape, perm, out, false);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return result(out, outShape, [x], (g) => be.permute(g, outShape, inverse, x.gradBuffer(), true));
}

export function transpose(x: Tensor, axis0: number, axis1: number): Tensor {
  expectTensors('transpose', { x });
  const a = normAxis('transpose', axis0, x.rank, x.shape),
    b = normAxis('transpose', axis1, x.rank, x.shape);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Splits along `axis` into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  expectTensors('split', { x });
  const ax = normAxis('split', axis, x.rank, x.shape);
  const len = x.shape[ax]!;
  const total = sizes.reduce((s, d) => s + d, 0);
  if (sizes.some((d) => !Number.isInteger(d) || d < 0) || total !== len) {
    throw new OpError(
      'split',
      `sizes [${sizes.join(', ')}] do not add up to ${len}, axis ${ax} of ${formatShape(x.shape)}`,
    );
  }
  const outer = sizeOf(x.shape.slice(0, ax)),
    inner = sizeOf(x.shape.slice(ax + 1));
  const be = backend();
  let start = 0;
  return sizes.map((size) => {
    const from = start;
    start += size;
    const out = takeBuffer(outer * size * inner);
    be.copyAxis(x.data, len, from, out, size, 0, outer, size, inner, false);
    const shape = x.shape.map((d, i) => (i === ax ? size : d));
    return result(out, shape, [x], (g) => be.copyAxis(g, size, 0, x.gradBuffer(), len, from, outer, size, inner, true));
  });
}

/** Joins tensors that agree on every axis but `axis`. */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new OpError('concat', 'needs at least one tensor');
  xs.forEach((x, i) => {
    expectTensors('concat', { [`xs[${i}]`]: x });
  });
  const first = xs[0]!;
  const ax = normAxis('concat', axis, first.rank, first.shape);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new OpError('concat', `shapes ${xs.map((t) => formatShape(t.shape)).join(', ')} differ outside axis ${ax}`);
    }
  }
  const total = xs.reduce((s, x) => s + x.shape[ax]!, 0);
  const outer = sizeOf(first.shape.slice(0, ax)),
    inner = sizeOf(first.shape.slice(ax + 1));
  const be = backend();
  const out = takeBuffer(outer * total * inner);
  const starts: number[] = [];
  let start = 0;
  for (const x of xs) {
    starts.push(start);
    be.copyAxis(x.data, x.shape[ax]!, 0, out, total, start, outer, x.shape[ax]!, inner, false);
    start += x.shape[ax]!;
  }
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  return result(out, shape, xs, (g) => {
    xs.forEach((x, i) => {
      if (x.requiresGrad)
        be.copyAxis(g, total, starts[i]!, x.gradBuffer(), x.shape[ax]!, 0, outer, x.shape[ax]!, inner, true);
    });
  });
}
