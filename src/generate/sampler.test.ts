// Sampling: greedy is argmax; top-k / top-p restrict the candidates; temperature sampling draws
// tokens with softmax(logits / T) frequencies; the same seed gives the same choices.
import { describe, expect, it } from 'vitest';
import { Rng } from '../tensor/random.js';
import { sampleToken, validateSampling } from './sampler.js';

const logits = Float32Array.from([1.0, 3.0, 2.0, -1.0, 2.5]);
const draw = (o: Parameters<typeof validateSampling>[0], n: number, seed = 1, exclude?: number) => {
  const rng = new Rng(seed),
    opts = validateSampling(o),
    counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, opts, rng, exclude)]++;
  return counts;
};

describe('sampleToken', () => {
  it('temperature 0 is argmax', () => expect(draw({ temperature: 0 }, 20)).toEqual([0, 20, 0, 0, 0]));
  it('top-k 1 is argmax at any temperature', () =>
    expect(draw({ temperature: 5, topK: 1 }, 20)).toEqual([0, 20, 0, 0, 0]));
  it('top-k 2 keeps only the two best', () =>
    expect(draw({ topK: 2 }, 500).filter((c, i) => c > 0 && i !== 1 && i !== 4)).toEqual([]));
  it('top-p keeps the smallest set reaching p', () => {
    // Probabilities at T=1: 0.41, 0.25, 0.15, ... → p = 0.5 keeps tokens 1 and 4.
    expect(draw({ topP: 0.5 }, 500).map((c) => c > 0)).toEqual([false, true, false, false, true]);
  });

  it('draws with softmax(logits / T) frequencies', () => {
    const n = 40_000,
      T = 1.5;
    const counts = draw({ temperature: T }, n);
    const e = Array.from(logits, (l) => Math.exp(l / T)),
      z = e.reduce((a, b) => a + b, 0);
    counts.forEach((c, i) => {
      const p = e[i]! / z;
      expect(Math.abs(c / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    });
  });

  it('never picks the excluded token (the unknown token), greedy or sampled', () => {
    expect(draw({ temperature: 0 }, 5, 1, 1)).toEqual([0, 0, 0, 0, 5]);
    expect(draw({ temperature: 0 }, 5, 1, 0)).toEqual([0, 5, 0, 0, 0]);
    expect(draw({ temperature: 0.5, topK: 1 }, 5, 1, 1)).toEqual([0, 0, 0, 0, 5]);
    const sampled = draw({ temperature: 3 }, 2000, 1, 1);
    expect(sampled[1]).toBe(0);
    expect(sampled.filter((c) => c > 0)).toHaveLength(4);
    // top-k counts among the tokens that may be drawn: the two best after the excluded one.
    expect(draw({ topK: 2 }, 500, 1, 1).map((c) => c > 0)).toEqual([false, false, true, false, true]);
  });

  it('is reproducible from the seed', () => expect(draw({}, 50, 9)).toEqual(draw({}, 50, 9)));

  it('rejects bad options', () => {
    expect(() => validateSampling({ temperature: -1 })).toThrow(/temperature must be ≥ 0/);
    expect(() => validateSampling({ topP: 0 })).toThrow(/top-p must be in \(0, 1\]/);
    expect(() => validateSampling({ topK: 1.5 })).toThrow(/top-k must be a non-negative integer/);
  });
});
