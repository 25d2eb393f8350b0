// AdamW, gradient clipping and the learning-rate schedule. Agreement with torch.optim.AdamW over
// ten steps of a real model is in model/transformer.test.ts; these pin the rules one by one.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { warmupCosine } from './schedule.js';
import '../index.js';

const param = (values: number[], grad: number[]) => {
  const p = new Tensor(values, [values.length], { requiresGrad: true });
  p.grad = Float32Array.from(grad);
  return p;
};

describe('AdamW', () => {
  it('applies decoupled decay, then the bias-corrected Adam step (torch formula, computed by hand)', () => {
    const p = param([1.5, -0.5], [0.2, -3]);
    const opt = new AdamW([p], { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
    opt.step();
    p.grad = Float32Array.from([0.1, 1]);
    opt.step();
    // Hand computation in float64 of torch's rule for the two steps.
    const ref = [
      [1.5, 0.2, 0.1],
      [-0.5, -3, 1],
    ].map(([x0, g1, g2]) => {
      let x = x0!,
        m = 0,
        v = 0;
      for (const [t, g] of [
        [1, g1!],
        [2, g2!],
      ] as const) {
        x *= 1 - 0.1 * 0.5;
        m = 0.9 * m + 0.1 * g;
        v = 0.99 * v + 0.01 * g * g;
        x -= ((0.1 / (1 - 0.9 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.99 ** t) + 1e-8);
      }
      return x;
    });
    expect(p.data[0]).toBeCloseTo(ref[0]!, 6);
    expect(p.data[1]).toBeCloseTo(ref[1]!, 6);
  });

  it('updates a parameter listed twice (a shared weight) once per step', () => {
    const shared = param([1], [1]);
    const once = param([1], [1]);
    const a = new AdamW([shared, shared, shared], { lr: 0.1, weightDecay: 0 });
    const b = new AdamW([once], { lr: 0.1, weightDecay: 0 });
    expect(a.params).toHaveLength(1);
    a.step();
    b.step();
    expect(shared.data[0]).toBe(once.data[0]);
  });

  it('refuses one parameter in two groups, since its weight decay would be ambiguous', () => {
    const p = param([1], [1]);
    expect(
      () =>
        new AdamW([
          { params: [p], weightDecay: 0.1 },
          { params: [p], weightDecay: 0 },
        ]),
    ).toThrow(/appears in parameter groups 0 and 1/);
  });

  it('leaves parameters without a gradient untouched, including their step count', () => {
    const p = param([1], [1]),
      q = param([2], [1]);
    q.grad = null;
    const opt = new AdamW([p, q], { lr: 0.1 });
    opt.step();
    expect(q.data[0]).toBe(2);
    expect(opt.getState().steps).toEqual([1, 0]);
  });

  it('restores its state so a resumed run continues identically', () => {
    const run = (resumeAt: number | null) => {
      const p = param([0.3, -0.7], [0, 0]);
      let opt = new AdamW([p], { lr: 0.05 });
      for (let s = 0; s < 6; s++) {
        if (s === resumeAt) {
          const state = opt.getState();
          opt = new AdamW([p], { lr: 0.05 });
          opt.setState(state);
        }
        p.grad = Float32Array.from([Math.sin(s), Math.cos(s)]);
        opt.step();
      }
      return [...p.data];
    };
    expect(run(3)).toEqual(run(null));
    expect(() => new AdamW([param([1, 2], [0, 0])]).setState(new AdamW([param([1], [0])]).getState())).toThrow(
      /has 2 elements, state has 1/,
    );
  });
});

describe('clipGradNorm', () => {
  it('scales gradients to the max norm and returns the norm before clipping', () => {
    const a = param([0, 0], [3, 0]),
      b = param([0], [4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 10);
    expect(Math.hypot(...a.grad!, ...b.grad!)).toBeCloseTo(1, 5);
    expect(a.grad![0]).toBeCloseTo(0.6, 5);
  });

  it('leaves small gradients alone and counts a shared parameter once', () => {
    const a = param([0], [0.3]);
    expect(clipGradNorm([a, a], 1)).toBeCloseTo(0.3, 6);
    expect(a.grad![0]).toBeCloseTo(0.3, 7);
  });
});

describe('warmupCosine', () => {
  const lr = warmupCosine({ maxLr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 14 });

  it('warms up linearly, peaks at the last warmup step, decays by cosine to minLr', () => {
    expect([0, 1, 2, 3].map(lr)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lr(4)).toBe(1);
    expect(lr(9)).toBeCloseTo(0.1 + 0.5 * 0.9, 12); // halfway through the decay
    expect(lr(14)).toBe(0.1);
    expect(lr(100)).toBe(0.1);
    for (let s = 4; s < 14; s++) expect(lr(s + 1)).toBeLessThan(lr(s));
  });

  it('rejects impossible schedules', () => {
    expect(() => warmupCosine({ maxLr: 1, minLr: 2, warmupSteps: 0, totalSteps: 5 })).toThrow(/minLr/);
    expect(() => warmupCosine({ maxLr: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(
      /totalSteps \(5\) must be an integer ≥ warmupSteps \(10\)/,
    );
  });
});
