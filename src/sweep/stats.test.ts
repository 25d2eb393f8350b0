// A sweep's verdicts: plans are compared with the baseline seed by seed, and a difference counts
// only beyond Student's 95% value for the seeds available.
import { describe, expect, it } from 'vitest';
import { pairedDifference, spread, tCritical95 } from './stats.js';

const seeds = (...v: number[]) => new Map(v.map((x, i) => [i + 1, x]));

describe('pairedDifference', () => {
  it('cancels what every plan of a seed shares: a small, steady gain is beyond the spread', () => {
    // The held-out text moves each seed's losses by ±0.05; the plan is 0.01 better on every seed.
    const base = seeds(1.5, 1.45, 1.55);
    const plan = seeds(1.49, 1.441, 1.539);
    const d = pairedDifference(plan, base);
    expect(d.mean).toBeCloseTo(-0.01, 6);
    expect(d.n).toBe(3);
    expect(d.beyond).toBe(true);
    // Unpaired, the same numbers are far inside the seed spread.
    const a = spread([...plan.values()]),
      b = spread([...base.values()]);
    expect(Math.abs(a.mean - b.mean) / Math.sqrt(a.std ** 2 / 3 + b.std ** 2 / 3)).toBeLessThan(1);
  });

  it('a difference whose sign changes between seeds is within the spread', () => {
    const d = pairedDifference(seeds(1.49, 1.47, 1.52), seeds(1.5, 1.46, 1.5));
    expect(d.beyond).toBe(false);
    expect(Math.abs(d.t!)).toBeLessThan(tCritical95(2));
  });

  it('uses only seeds present on both sides, and has no verdict below two', () => {
    const d = pairedDifference(seeds(1.4, 1.41, 1.42), new Map([[2, 1.5]]));
    expect(d).toMatchObject({ n: 1, t: null, beyond: null });
    expect(d.mean).toBeCloseTo(-0.09, 6);
  });

  it("Student's critical values: 12.71 for one degree of freedom, 4.30 for two, 1.96 past thirty", () => {
    expect(tCritical95(1)).toBe(12.706);
    expect(tCritical95(2)).toBe(4.303);
    expect(tCritical95(100)).toBe(1.96);
  });
});
