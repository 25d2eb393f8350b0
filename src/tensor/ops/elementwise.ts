// add, sub, mul with broadcasting over leading dimensions (one shape a suffix of the other), and scale.
import { backend, type BinaryOp } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

function isSuffix(short: readonly number[], long: readonly number[]): boolean {
  const off = long.length - short.length;
  return off >= 0 && short.every((d, i) => d === long[off + i]);
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  expectTensors(op, { a, b });
  let shape: readonly number[];
  if (isSuffix(b.shape, a.shape)) shape = a.shape;
  else if (isSuffix(a.shape, b.shape)) shape = b.shape;
  else {
    throw new OpError(
      op,
      `shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast (one must end with the other)`,
    );
  }
  const be = backend();
  const out = takeBuffer(Math.max(a.size, b.size));
  if (out.length > 0 && (a.size === 0 || b.size === 0)) {
    throw new OpError(op, `cannot broadcast an empty tensor: ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  be.binary(op, a.data, b.data, out);
  return result(out, shape, [a, b], (g) => {
    if (b.requiresGrad) be.binaryBackward(op, 'b', a.data, b.data, g, b.gradBuffer());
    if (!a.requiresGrad) return;
    // ∂(a ± b)/∂a = 1: a full-size operand without a gradient yet takes g itself instead of a copy
    // (the residual stream's gradient passes through every layer this way).
    if (op !== 'mul' && a.grad === null && a.size === g.length) a.grad = g;
    else be.binaryBackward(op, 'a', a.data, b.data, g, a.gradBuffer());
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);

export function scale(x: Tensor, s: number): Tensor {
  expectTensors('scale', { x });
  if (!Number.isFinite(s)) throw new OpError('scale', `factor must be finite, got ${s}`);
  const be = backend();
  const out = takeBuffer(x.size);
  be.scale(x.data, s, out, false);
  return result(out, x.shape, [x], (g) => be.scale(g, s, x.gradBuffer(), true));
}
