// Data: the synthetic corpora are what they claim, the split is seeded and disjoint, batches are
// next-token pairs, and evaluation windows are fixed.
import { describe, expect, it } from 'vitest';
import { Rng } from '../tensor/random.js';
import { evalBatches, sampleBatch, splitTokens } from './data.js';
import { syntheticText } from '../text/synthetic.js';

describe('synthetic corpora', () => {
  it('addition lines are correct sums', () => {
    const lines = syntheticText('addition', 5000).trim().split('\n');
    for (const l of lines) {
      const [, a, b, c] = /^(\d+)\+(\d+)=(\d+)$/.exec(l)!;
      expect(Number(a) + Number(b)).toBe(Number(c));
    }
  });

  it('bracket lines are balanced and properly nested', () => {
    const close: Record<string, string> = { ')': '(', ']': '[', '}': '{', '>': '<' };
    for (const l of syntheticText('brackets', 5000).trim().split('\n')) {
      const stack: string[] = [];
      for (const ch of l) {
        if ('([{<'.includes(ch)) stack.push(ch);
        else expect(stack.pop()).toBe(close[ch]);
      }
      expect(stack).toEqual([]);
    }
  });

  it('copy lines repeat their string, and every corpus is reproducible from its seed', () => {
    for (const l of syntheticText('copy', 2000).trim().split('\n')) {
      const [a, b] = l.split('>');
      expect(b).toBe(a);
    }
    expect(syntheticText('addition', 3000, 7)).toBe(syntheticText('addition', 3000, 7));
    expect(syntheticText('addition', 3000, 7)).not.toBe(syntheticText('addition', 3000, 8));
    expect(() => syntheticText('poetry')).toThrow(
      /unknown synthetic corpus "poetry" \(known: addition, brackets, copy\)/,
    );
  });
});

describe('train/validation split', () => {
  const tokens = Int32Array.from({ length: 10_000 }, (_, i) => i);

  it('is disjoint, covers the data (but a tail shorter than one window), and depends only on the seed', () => {
    const a = splitTokens(tokens, 31, { seed: 3 });
    const all = [...a.train, ...a.val].flatMap((b) => [...b]).sort((x, y) => x - y);
    expect(all).toEqual([...tokens.subarray(0, all.length)]);
    expect(tokens.length - all.length).toBeLessThan(32);
    expect(a.val.length).toBe(Math.round((a.train.length + a.val.length) * 0.1));
    expect(splitTokens(tokens, 31, { seed: 3 }).val.map((b) => b[0])).toEqual(a.val.map((b) => b[0]));
    expect(splitTokens(tokens, 31, { seed: 4 }).val.map((b) => b[0])).not.toEqual(a.val.map((b) => b[0]));
  });

  it('refuses text shorter than two windows, naming the source', () => {
    expect(() => splitTokens(tokens.subarray(0, 100), 64, { source: 'poem.txt' })).toThrow(
      /poem\.txt: 100 tokens is too short for context 64; a training and a validation window need at least 130/,
    );
  });
});

describe('batches', () => {
  const tokens = Int32Array.from({ length: 5000 }, (_, i) => i);
  const { train, val } = splitTokens(tokens, 15, { seed: 1 });

  it('pair each window with the next tokens, inside one block', () => {
    const b = sampleBatch(train, 15, 8, new Rng(2));
    for (let r = 0; r < 8; r++) for (let t = 0; t < 15; t++) expect(b.targets[r * 15 + t]).toBe(b.ids[r * 15 + t]! + 1);
  });

  it('evaluate the same fixed windows every time', () => {
    const a = evalBatches(val, 15, 4, 10),
      b = evalBatches(val, 15, 4, 10);
    expect(a.reduce((s, x) => s + x.batch, 0)).toBe(10);
    expect(a.map((x) => [...x.ids])).toEqual(b.map((x) => [...x.ids]));
  });
});
