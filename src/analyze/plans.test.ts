// Plans on one line (--compare, sweep --plans): pairs, explicit layer maps, and what is refused.
import { describe, expect, it } from 'vitest';
import { parsePlan, parsePlanList, planConfig } from './plans.js';

describe('a plan on one line', () => {
  it('reads KEY=VALUE pairs into config overrides, numbers as numbers', () => {
    expect(parsePlan('share-weights=cycle:3,share-scope=ffn,kv-heads=2,relax-rank=8').overrides).toEqual({
      shareWeights: 'cycle:3',
      shareScope: 'ffn',
      kvHeads: 2,
      relaxRank: 8,
    });
  });

  it('reads an explicit layer map whose commas are not pair separators', () => {
    const p = parsePlan('share-kv=[0,0,2,3,0,0],share-attention=[0, 1, 2, 0, 1, 2],kv-heads=2');
    expect(p.overrides).toEqual({ shareKv: [0, 0, 2, 3, 0, 0], shareAttention: [0, 1, 2, 0, 1, 2], kvHeads: 2 });
    expect(p.label).toBe('share-kv=[0,0,2,3,0,0],share-attention=[0, 1, 2, 0, 1, 2],kv-heads=2');
  });

  it('refuses a map that is not a list of layer indices, naming the pair', () => {
    expect(() => parsePlan('share-kv=[0,a]', '--plans')).toThrow(
      /--plans: "share-kv=\[0,a\]": an explicit map is a list of layer indices/,
    );
    expect(() => parsePlan('share-kv=[0,-1]')).toThrow(/list of layer indices/);
  });

  it('splits a list on semicolons and refuses a plan listed twice', () => {
    expect(parsePlanList('none; share-kv=[0,0]; kv-heads=1').map((p) => p.label)).toEqual([
      'none',
      'share-kv=[0,0]',
      'kv-heads=1',
    ]);
    expect(() => parsePlanList('kv-heads=1; kv-heads=1')).toThrow(/listed twice/);
  });

  it('names the plan when its config is refused', () => {
    const base = { vocabSize: 65, layers: 2, dModel: 32, heads: 2, context: 16 };
    expect(planConfig(base, parsePlan('share-kv=[0,0]'), '--plans').shareKv).toEqual([0, 0]);
    expect(() => planConfig(base, parsePlan('share-kv=[0,0,0]'), '--plans')).toThrow(
      /^--plans "share-kv=\[0,0,0\]": config\.shareKv: an explicit map needs one entry per layer \(2\), got 3$/,
    );
  });
});
