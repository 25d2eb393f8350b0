// The training-free sharing search: it meets the budget, accepts within the tolerance unless the
// budget forces it, keeps the better of its two orders, and skips maps that are not valid plans.
import { describe, expect, it } from 'vitest';
import { TransformerLM } from '../model/transformer.js';
import { ConvertError } from './convert.js';
import { searchSharing } from './search.js';

const lm = new TransformerLM({ vocabSize: 12, layers: 6, dModel: 16, heads: 4, context: 8 }, 1);
/** A loss that charges each layer that stops producing its own K/V a fixed price (layer 5 is free). */
const price = [0, 0.1, 0.02, 0.3, 0.01, 0];
const loss = (m: TransformerLM) => 1 + m.plan.kv.reduce((s, p, l) => s + (p === l ? 0 : price[l]!), 0);
const similarity = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => 1 - Math.abs(i - j) / 6));

describe('searchSharing', () => {
  it('keeps the asked-for fraction of producers and picks the cheapest layers to share', () => {
    const r = searchSharing(lm, 'kv', { keep: 0.5, similarity, loss, tolerance: 0.05 });
    expect(r.map.filter((p, l) => p === l)).toHaveLength(3);
    expect(r.baseLoss).toBe(1);
    expect(new Set(r.map.flatMap((p, l) => (p === l ? [] : [l])))).toEqual(new Set([2, 4, 5]));
    expect(r.steps.every((s) => !s.forced && s.loss <= 1.05)).toBe(true);
    expect(r.loss).toBeCloseTo(1.03, 10);
    expect(r.loss).toBeLessThanOrEqual(r.other.loss);
  });

  it('goes past the tolerance only when the budget needs it, and says so', () => {
    const r = searchSharing(lm, 'kv', { keep: 1 / 6, similarity, loss, tolerance: 0.05 });
    expect(r.map).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.steps.some((s) => s.forced)).toBe(true);
  });

  it('searches attention maps too, and refuses a budget outside (0, 1]', () => {
    const r = searchSharing(lm, 'attention', {
      keep: 0.5,
      similarity,
      loss: (m) => 1 + m.plan.attention.filter((p, l) => p !== l).length * 0.001,
    });
    expect(r.map.filter((p, l) => p === l)).toHaveLength(3);
    expect(() => searchSharing(lm, 'kv', { keep: 0, similarity, loss })).toThrow(ConvertError);
  });
});
