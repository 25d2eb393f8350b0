// Autograd semantics that shared weights and shared activations depend on, and the errors that
// bad input produces.
import { describe, expect, it } from 'vitest';
import { Tensor, OpError, noGrad } from './tensor.js';
import {
  add,
  attention,
  concat,
  crossEntropy,
  embedding,
  layerNorm,
  matmul,
  mul,
  permute,
  reshape,
  scale,
  split,
  sum,
  transpose,
} from './ops/index.js';
import '../index.js';

const t = (data: number[], shape: number[], requiresGrad = true) => new Tensor(data, shape, { requiresGrad });

describe('gradient accumulation', () => {
  it('sums the gradients of every use of one tensor: d(x·x + 3x)/dx = 2x + 3', () => {
    const x = t([1, -2, 0.5], [3]);
    sum(add(mul(x, x), scale(x, 3))).backward();
    expect([...x.grad!]).toEqual([5, -1, 4]);
  });

  it("gives a weight shared by two layers the sum of both layers' gradients", () => {
    const w = t([0.5, -1, 2, 0.25], [2, 2]);
    const x = t([1, 2, 3, 4], [2, 2], false);
    // Shared: y = (x·Wᵀ)·Wᵀ. Separately: the same computation with two independent copies.
    sum(matmul(matmul(x, w, { transB: true }), w, { transB: true })).backward();
    const w1 = t([...w.data], [2, 2]),
      w2 = t([...w.data], [2, 2]);
    sum(matmul(matmul(x, w1, { transB: true }), w2, { transB: true })).backward();
    const expected = w1.grad!.map((g, i) => g + w2.grad![i]!);
    expect([...w.grad!]).toEqual([...expected]);
  });

  it('routes the gradient of a shared activation (one result read by two consumers) to its producer', () => {
    const x = t([1, 2], [2]);
    const h = mul(x, x); // produced once
    sum(add(scale(h, 2), scale(h, 5))).backward(); // consumed twice: d/dx = 7 · 2x
    expect([...x.grad!]).toEqual([14, 28]);
  });

  it('accumulates an embedding row looked up several times', () => {
    const w = t([1, 2, 3, 4, 5, 6], [3, 2]);
    sum(embedding(w, Int32Array.from([2, 0, 2, 2]))).backward();
    expect([...w.grad!]).toEqual([1, 1, 0, 0, 3, 3]);
  });

  it('keeps accumulating across backward calls until zeroGrad, like PyTorch', () => {
    const x = t([2], [1]);
    sum(scale(x, 3)).backward();
    sum(scale(x, 3)).backward();
    expect(x.grad![0]).toBe(6);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('frees the tape after backward, and says so when it is used again', () => {
    const x = t([1, 2], [2]);
    const y = sum(mul(x, x));
    y.backward();
    expect(() => y.backward()).toThrow(/graph behind this tensor was freed/);
    const z = sum(mul(x, x));
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect([...x.grad!]).toEqual([2 + 2 + 2, 4 + 4 + 4]); // three backward passes of d(x²)/dx
  });

  it('records nothing under noGrad', () => {
    const x = t([1, 2], [2]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it('leaves inputs that do not require grad without a gradient', () => {
    const x = t([1, 2], [2]);
    const c = t([3, 4], [2], false);
    sum(mul(x, c)).backward();
    expect(c.grad).toBeNull();
    expect([...x.grad!]).toEqual([3, 4]);
  });

  it('handles a 2,000-op chain without recursion limits', () => {
    const x = t([1], [1]);
    let y = x;
    for (let i = 0; i < 2000; i++) y = scale(y, 1);
    sum(y).backward();
    expect(x.grad![0]).toBe(1);
  });
});

describe('reshape is a view, split and concat are inverse', () => {
  it('reshape shares data with its input', () => {
    const x = t([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(reshape(x, [3, 2]).data).toBe(x.data);
  });

  it('a permute that only moves length-1 axes is a view with the same values and gradient as a copy', () => {
    // [batch 2, time 1, heads 3, dim 2] → [batch, heads, time, dim]: a decoding step's head split.
    const x = t(
      [...Array(12).keys()].map((i) => i * 0.5 - 2),
      [2, 1, 3, 2],
    );
    const y = permute(x, [0, 2, 1, 3]);
    expect(y.shape).toEqual([2, 3, 1, 2]);
    expect(y.data).toBe(x.data);
    const w = t(
      [...Array(12).keys()].map((i) => Math.sin(i)),
      [2, 3, 1, 2],
      false,
    );
    sum(mul(y, w)).backward();
    expect([...x.grad!]).toEqual([...w.data]);
    // Moving a longer axis still copies, in the permuted order.
    const z = t([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    expect([...permute(z, [0, 2, 1]).data]).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('concat(split(x)) == x', () => {
    const x = t([...Array(24).keys()], [2, 3, 4]);
    expect([...concat(split(x, [1, 2], 1), 1).data]).toEqual([...x.data]);
    expect([...transpose(transpose(x, 0, 2), 0, 2).data]).toEqual([...x.data]);
  });
});

describe('bad input is rejected with the op name and the shapes', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'matmul inner dims',
      () => matmul(t([1, 2, 3, 4, 5, 6], [2, 3]), t([1, 2, 3, 4, 5, 6, 7, 8], [4, 2])),
      /^matmul: inner dimensions differ \(3 vs 4\): a \[2, 3\] · b \[4, 2\]/,
    ],
    [
      'matmul batch dims',
      () => matmul(Tensor.zeros([2, 2, 3]), Tensor.zeros([3, 3, 2])),
      /^matmul: batch dimensions differ: a \[2, 2, 3\] · b \[3, 3, 2\]/,
    ],
    [
      'add broadcast',
      () => add(Tensor.zeros([2, 3]), Tensor.zeros([2])),
      /^add: shapes \[2, 3\] and \[2\] do not broadcast/,
    ],
    [
      'reshape size',
      () => reshape(Tensor.zeros([2, 3]), [4, 2]),
      /^reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/,
    ],
    [
      'split sizes',
      () => split(Tensor.zeros([2, 3]), [1, 1], 1),
      /^split: sizes \[1, 1\] do not add up to 3, axis 1 of \[2, 3\]/,
    ],
    [
      'layerNorm gamma',
      () => layerNorm(Tensor.zeros([2, 4]), Tensor.zeros([3]), null),
      /^layerNorm: gamma must be \[4\] to match the last axis of x \[2, 4\], got \[3\]/,
    ],
    [
      'layerNorm empty',
      () => layerNorm(Tensor.zeros([0, 4]), Tensor.zeros([4]), null),
      /^layerNorm: x must be a non-empty tensor, got \[0, 4\]/,
    ],
    [
      'attention heads',
      () => attention(Tensor.zeros([1, 4, 2, 8]), Tensor.zeros([1, 3, 2, 8]), Tensor.zeros([1, 3, 2, 8])),
      /4 query heads cannot be grouped over 3 key\/value heads: q \[1, 4, 2, 8\], k \[1, 3, 2, 8\]/,
    ],
    [
      'embedding id range',
      () => embedding(Tensor.zeros([5, 2]), Int32Array.from([1, 5])),
      /^embedding: id 5 at position 1 is outside the vocabulary \[0, 5\) of weight \[5, 2\]/,
    ],
    [
      'embedding id dtype',
      () => embedding(Tensor.zeros([5, 2]), Float32Array.from([1, 2]) as unknown as Int32Array),
      /^embedding: ids must be an Int32Array, got Float32Array/,
    ],
    [
      'crossEntropy rows',
      () => crossEntropy(Tensor.zeros([3, 4]), Int32Array.from([1, 2])),
      /^crossEntropy: 2 targets for 3 rows of logits \[3, 4\]/,
    ],
    [
      'tensor dtype',
      () => new Tensor(new Float64Array(4) as unknown as Float32Array, [4]),
      /^tensor: data must be a Float32Array or an array of numbers, got Float64Array/,
    ],
    ['tensor size', () => new Tensor([1, 2, 3], [2, 2]), /^tensor: data has 3 elements but shape \[2, 2\] needs 4/],
    [
      'not a tensor',
      () => matmul([1, 2] as unknown as Tensor, Tensor.zeros([2, 2])),
      /^matmul: a must be a Tensor, got Array/,
    ],
    [
      'non-scalar backward',
      () => mul(t([1, 2], [2]), t([1, 2], [2])).backward(),
      /^backward: needs a seed gradient for non-scalar shape \[2\]/,
    ],
  ];
  it.each(cases)('%s', (_name, f, message) => {
    expect(f).toThrow(OpError);
    expect(f).toThrow(message);
  });
});
