// The buffer pool: a training step reuses the previous step's buffers, and recycling never touches
// memory someone still owns (parameters, kept results, detached values, the loss).
import { describe, expect, it } from 'vitest';
import { Tensor } from './tensor.js';
import { gelu, matmul, reshape, sum } from './ops/index.js';
import { giveBack, pin, poolStats, takeBuffer, takeZeroed } from './pool.js';
import '../index.js';

const big = 64 * 128; // above the pool's minimum size
const leaf = (n: number, seed = 1) =>
  new Tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * seed) * 0.1),
    [n / 64, 64],
    { requiresGrad: true },
  );

function step(w: Tensor, x: Tensor) {
  const h = gelu(matmul(x, w));
  const loss = sum(reshape(h, [-1]));
  return { h, loss };
}

describe('buffer pool', () => {
  it('hands a given-back buffer out again, zeroed when asked', () => {
    const a = takeBuffer(big);
    a.fill(7);
    expect(giveBack(a)).toBe(true);
    expect(giveBack(a)).toBe(false); // already back: never listed twice
    const b = takeZeroed(big);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
  });

  it('never recycles a buffer it did not hand out, or one that was pinned', () => {
    const mine = new Float32Array(big);
    expect(giveBack(mine)).toBe(false);
    const pinned = takeBuffer(big);
    pin(pinned);
    expect(giveBack(pinned)).toBe(false);
  });

  it('releases intermediate results after backward and reuses their memory in the next step', () => {
    const w = leaf(64 * 64),
      x = new Tensor(new Float32Array(big).fill(0.5), [128, 64]);
    const first = step(w, x);
    const hBuffer = first.h.buffer;
    first.loss.backward();
    expect(() => first.h.data).toThrow(/released by backward\(\).*keep\(\)/);
    expect(poolStats().freeBuffers).toBeGreaterThan(0);
    const second = step(w, x);
    // The product and gelu's output (same size) come from the first step's buffers.
    expect(second.h.buffer === hBuffer || second.h.parents[0]!.buffer === hBuffer).toBe(true);
  });

  it('keeps the loss, parameters, kept results and detached values readable, with correct values', () => {
    const w = leaf(64 * 64),
      x = new Tensor(new Float32Array(big).fill(0.5), [128, 64]);
    const { h, loss } = step(w, x);
    h.keep();
    const hBefore = Float32Array.from(h.data);
    const product = h.parents[0]!;
    const detached = product.detach();
    const productBefore = Float32Array.from(detached.data);
    const wBefore = Float32Array.from(w.data);
    loss.backward();
    // Churn the pool so a wrongly recycled buffer would be overwritten.
    for (let i = 0; i < 8; i++) takeBuffer(big).fill(NaN);
    expect(loss.item()).toBeCloseTo(
      hBefore.reduce((s, v) => s + v, 0),
      2,
    );
    expect(h.data).toEqual(hBefore);
    expect(detached.data).toEqual(productBefore);
    expect(w.data).toEqual(wBefore);
    expect(w.grad!.some((v) => v !== 0)).toBe(true);
  });

  it('gives the same gradients in a second step as in the first (nothing stale leaks through)', () => {
    const w = leaf(64 * 64, 3),
      x = new Tensor(
        Float32Array.from({ length: big }, (_, i) => Math.cos(i)),
        [128, 64],
      );
    step(w, x).loss.backward();
    const g1 = Float32Array.from(w.grad!);
    w.zeroGrad();
    step(w, x).loss.backward();
    expect(w.grad).toEqual(g1);
  });
});
