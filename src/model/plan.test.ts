// The sharing plan: each named strategy's exact map, and the rules that reject plans that make no sense.
import { describe, expect, it } from 'vitest';
import { attentionMap, buildPlan, kvMap, NO_SHARING, weightMap } from './plan.js';
import { everyLayerWindowed, layerWindow, resolveConfig } from './config.js';
import { parameterLayout } from './parameters.js';

describe('weight strategies (layer → parameter set)', () => {
  it.each([
    ['none', 6, [0, 1, 2, 3, 4, 5]],
    ['all', 6, [0, 0, 0, 0, 0, 0]],
    ['sequence:3', 6, [0, 0, 1, 1, 2, 2]],
    ['sequence:2', 5, [0, 0, 0, 1, 1]], // ⌊i / (N/M)⌋ with N/M = 2.5, as ALBERT's groups
    ['cycle:3', 6, [0, 1, 2, 0, 1, 2]],
    ['cycle-rev:3', 6, [0, 1, 2, 2, 1, 0]],
    ['cycle-rev:2', 6, [0, 1, 0, 1, 1, 0]],
    ['repeat:2', 6, [0, 0, 1, 1, 2, 2]],
    ['repeat:4', 6, [0, 0, 0, 0, 1, 1]],
  ] as const)('%s over %i layers', (s, n, expected) => {
    expect(weightMap(s, n)).toEqual(expected);
  });

  it('accepts an explicit array', () => {
    expect(weightMap([0, 0, 3, 3], 4)).toEqual([0, 0, 3, 3]);
  });
});

describe('activation-sharing strategies (layer → producer layer)', () => {
  it.each([
    ['cla:2', 6, [0, 0, 2, 2, 4, 4]],
    ['cla:3', 6, [0, 0, 0, 3, 3, 3]],
    ['yoco:2', 6, [0, 1, 2, 3, 3, 3]], // the last K layers reuse layer N−K−1
    ['yoco:5', 6, [0, 0, 0, 0, 0, 0]],
  ] as const)('kv %s over %i layers', (s, n, expected) => {
    expect(kvMap(s, n)).toEqual(expected);
  });

  it('attention group:K', () => {
    expect(attentionMap('group:2', 5)).toEqual([0, 0, 2, 2, 4]);
  });
});

describe('roles derived from the maps', () => {
  it('CLA consumers compute queries but no keys or values', () => {
    const plan = buildPlan({ ...NO_SHARING, kv: 'cla:2' }, 4);
    expect(plan.computesQ).toEqual([true, true, true, true]);
    expect(plan.computesK).toEqual([true, false, true, false]);
    expect(plan.computesV).toEqual([true, false, true, false]);
  });

  it('attention-weight consumers compute only their values', () => {
    const plan = buildPlan({ ...NO_SHARING, attention: 'group:2' }, 4);
    expect(plan.computesQ).toEqual([true, false, true, false]);
    expect(plan.computesK).toEqual([true, false, true, false]);
    expect(plan.computesV).toEqual([true, true, true, true]);
  });

  it('scope decides which sub-layer follows the weight map', () => {
    const attn = buildPlan({ ...NO_SHARING, weights: 'all', scope: 'attention' }, 3);
    expect([attn.attnSet, attn.ffnSet]).toEqual([
      [0, 0, 0],
      [0, 1, 2],
    ]);
    const ffn = buildPlan({ ...NO_SHARING, weights: 'all', scope: 'ffn' }, 3);
    expect([ffn.attnSet, ffn.ffnSet]).toEqual([
      [0, 1, 2],
      [0, 0, 0],
    ]);
  });
});

describe('which layers attend within the sliding window', () => {
  const windows = (over: object) => {
    const c = resolveConfig({ layers: 6, slidingWindow: 4, ...over });
    return { windows: Array.from({ length: 6 }, (_, i) => layerWindow(c, i)), bounded: everyLayerWindowed(c) };
  };
  it('every Nth layer is full, the last of each N (Gemma 2 and 3)', () => {
    expect(windows({ fullAttentionEvery: 2 })).toEqual({ windows: [4, 0, 4, 0, 4, 0], bounded: false });
    expect(windows({ fullAttentionEvery: 8 })).toEqual({ windows: [4, 4, 4, 4, 4, 4], bounded: true });
  });
  it("or the first of each N (GPT-Neo's global, local, …), so layer 0 is full however large N is", () => {
    const first = { fullAttentionFirst: true };
    expect(windows({ fullAttentionEvery: 2, ...first })).toEqual({ windows: [0, 4, 0, 4, 0, 4], bounded: false });
    expect(windows({ fullAttentionEvery: 8, ...first })).toEqual({ windows: [0, 4, 4, 4, 4, 4], bounded: false });
  });
});

describe('plans that make no sense are rejected, naming the layer and the rule', () => {
  const config = (over: object) => () => resolveConfig({ layers: 4, ...over });
  it.each([
    [
      'unknown strategy',
      { shareWeights: 'cycel:2' },
      /config\.shareWeights: unknown strategy "cycel:2" \(expected none, all, sequence:M/,
    ],
    [
      'count out of range',
      { shareWeights: 'cycle:9' },
      /config\.shareWeights: "cycle:9": cycle needs an integer from 1 to 4 for 4 layers/,
    ],
    ['non-integer count', { shareKv: 'cla:x' }, /config\.shareKv: "cla:x": cla needs an integer/],
    ['yoco leaves no producer', { shareKv: 'yoco:4' }, /config\.shareKv: "yoco:4": yoco needs an integer from 1 to 3/],
    [
      'forward pointer',
      { shareKv: [0, 2, 2, 3] },
      /config\.shareKv: layer 1 points to layer 2, but a layer can only reuse an earlier layer \(map\[i\] ≤ i\)/,
    ],
    [
      'chain through a consumer',
      { shareAttention: [0, 0, 1, 3] },
      /config\.shareAttention: layer 2 points to layer 1, which itself reuses layer 0; point to the producer/,
    ],
    [
      'wrong length',
      { shareWeights: [0, 0, 1] },
      /config\.shareWeights: an explicit map needs one entry per layer \(4\), got 3/,
    ],
    [
      'entry out of range',
      { shareWeights: [0, 0, 1, 7] },
      /config\.shareWeights: layer 3: entry 7 must be an integer from 0 to 3/,
    ],
    [
      'keys from a layer that computes none',
      { shareAttention: 'group:2', shareKv: [0, 1, 1, 3] },
      /config\.shareKv: layer 2 reads the keys\/values of layer 1, but layer 1 reuses the attention weights of layer 0 \(shareAttention\) and computes no keys/,
    ],
    [
      'bad scope',
      { shareScope: 'mlp' },
      /config\.shareScope: Invalid option: expected one of "block"\|"attention"\|"ffn", got "mlp"/,
    ],
    [
      'heads not divisible by kvHeads',
      { heads: 4, kvHeads: 3 },
      /config\.kvHeads: heads 4 is not divisible by kvHeads 3/,
    ],
    [
      'embedDim not below dModel',
      { embedDim: 128 },
      /config\.embedDim: must be 0 \(not factorized\) or an integer below dModel 128/,
    ],
    ['unknown field', { sharWeights: 'all' }, /config\.sharWeights: unknown field/],
    [
      'partial rotary without RoPE',
      { ropeDims: 8 },
      /config\.ropeDims: rotates the first dimensions of each head: it needs positions rope and an even number up to the head size 32, got 8/,
    ],
    ['partial rotary of an odd width', { positions: 'rope', ropeDims: 7 }, /config\.ropeDims: .* got 7/],
    ['exact GELU in a SiLU-gated FFN', { ffn: 'swiglu', geluExact: true }, /config\.geluExact: .* but ffn is swiglu/],
    [
      'no attention biases in a model without biases',
      { bias: false, attentionBias: false },
      /config\.attentionBias: false leaves the attention without the biases of bias, but bias is false too/,
    ],
    ['partial rotary wider than the head', { positions: 'rope', ropeDims: 34 }, /up to the head size 32, got 34/],
    [
      'an output bias without dropping the attention biases',
      { attentionOutBias: true },
      /config\.attentionOutBias: keeps the output projection's bias when attentionBias is false; it needs bias true and attentionBias false/,
    ],
    [
      'blocks without any norms',
      { preNorms: false },
      /config\.preNorms: false leaves the blocks without norms unless postNorms is true/,
    ],
    [
      'NoPE layers without rotary embeddings',
      { noRopeEvery: 4 },
      /config\.noRopeEvery: leaves some layers without rotary embeddings, but positions is learned/,
    ],
    [
      'full layers first without full layers',
      { fullAttentionFirst: true },
      /config\.fullAttentionFirst: places the full layers of fullAttentionEvery, but it is 0/,
    ],
  ])('%s', (_name, over, message) => {
    expect(config(over)).toThrow(message);
  });

  it.each([
    ['a number given as a string', { normEps: '0.1' }, /config\.normEps: expected number, got "0\.1"/],
    ['a fractional size', { dModel: 12.5 }, /config\.dModel: expected int, got 12\.5/],
    ['a boolean given as a string', { bias: 'false' }, /config\.bias: expected boolean, got "false"/],
    ['a million layers', { layers: 1e6 }, /config\.layers: Too big: expected number to be <=131072, got 1000000/],
    ['a vocabulary of 10^8', { vocabSize: 1e8 }, /config\.vocabSize: Too big: expected number to be <=16777216/],
    ['a negative epsilon', { normEps: -1 }, /config\.normEps: Too small: expected number to be >0, got -1/],
    ['null instead of an object', null, /config: must be an object of model fields, got null/],
  ])('field types and sizes are checked before anything is built: %s', (_name, over, message) => {
    expect(() => resolveConfig(over as object)).toThrow(message);
  });

  it('builds the layout of a very deep model in time linear in its depth', () => {
    const started = performance.now();
    const c = resolveConfig({ layers: 100_000, dModel: 8, heads: 2, shareKv: 'cla:2', shareWeights: 'cycle:3' });
    expect(parameterLayout(c).length).toBeGreaterThan(10);
    expect(performance.now() - started).toBeLessThan(5_000); // quadratic: minutes
  });

  it('allows an attention consumer to read values from a KV producer it shares weights with', () => {
    expect(() =>
      resolveConfig({ layers: 4, shareAttention: 'group:2', shareKv: 'cla:2', shareWeights: 'all' }),
    ).not.toThrow();
  });
});
