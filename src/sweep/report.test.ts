// The sweep report's judgement of whether plans were compared after their loss flattened.
import { describe, expect, it } from 'vitest';
import { labelPositions, lateImprovement, stillImproving, type RunResult } from './report.js';

const run = (plan: string, seed: number, curve: Array<[number, number]>): RunResult => ({
  plan,
  seed,
  dir: '',
  config: {},
  valLoss: curve.at(-1)![1],
  valBpc: 0,
  parameters: 1,
  kvBytesPerToken: 1,
  trainTokensPerS: 1,
  decodeTokensPerS: 1,
  steps: curve.at(-1)![0],
  seconds: 1,
  curve: curve.map(([step, valLoss]) => ({ step, valLoss })),
});

describe('flatness', () => {
  it('measures the last quarter from the last evaluation at or before three quarters of the steps', () => {
    const r = run('none', 1, [
      [250, 2.3],
      [1500, 1.5],
      [1750, 1.49],
      [2000, 1.47],
    ]);
    expect(lateImprovement('none', [r])).toEqual({ from: 1500, to: 2000, delta: expect.closeTo(-0.03, 6) });
  });

  it('names the plans still falling by more than 1% over that quarter', () => {
    const runs = [
      run('none', 1, [
        [3000, 1.4],
        [4000, 1.398],
      ]),
      run('share-weights=all', 1, [
        [3000, 1.6],
        [4000, 1.55],
      ]),
    ];
    expect(stillImproving(['none', 'share-weights=all'], runs)).toMatch(
      /Still improving by more than 1% .*: share-weights=all \(-0\.0500\)\.$/,
    );
    expect(stillImproving(['none'], runs)).toMatch(/^Every plan moved less than 1%/);
  });
});

describe('Pareto chart labels', () => {
  // 15 points over a y range of 0.1 on a 320-pixel plot: 0.0034 in y is one 11-pixel line.
  const points = [
    { x: 1_384_896, y: 1.3719, text: 'share-weights=cycle:3' },
    { x: 1_384_896, y: 1.37, text: 'share-weights=cycle-rev:3' },
    { x: 495_168, y: 1.4312, text: 'share-weights=all' },
    { x: 2_719_488, y: 1.3558, text: 'none' },
  ];
  it('sit beside their points when nothing is in the way', () => {
    const y = labelPositions(points);
    expect(y[2]).toBe(1.4312);
    expect(y[3]).toBe(1.3558);
  });
  it('move apart by a line when two points nearly coincide (cycle:3 and cycle-rev:3)', () => {
    const [a, b] = labelPositions(points);
    const line = (11 * (1.4312 - 1.3558)) / 320;
    expect(Math.abs(a! - b!)).toBeGreaterThanOrEqual(line - 1e-12);
  });
});
