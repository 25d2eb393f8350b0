// The inspector's measures mean what they say: CKA is 1 under rotation and scaling and small for
// unrelated features, shared layers compare as identical, layers that borrow are left out.
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { Rng } from '../tensor/random.js';
import { syntheticText } from '../text/synthetic.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { evalBatches } from '../train/data.js';
import { inspectModel, linearCka } from './inspect.js';

const text = syntheticText('copy', 20_000);
const tok = CharTokenizer.fromText(text);
const batches = evalBatches([tok.encode(text)], 16, 4, 8);
const model = (over: Partial<ModelConfig>, seed = 1) =>
  new TransformerLM({ vocabSize: tok.vocabSize, layers: 4, dModel: 16, heads: 4, context: 16, ...over }, seed);

describe('linear CKA', () => {
  it('is 1 for a rotated, scaled copy and near 0 for independent features', () => {
    const rng = new Rng(1);
    const n = 400,
      d = 3;
    const x = Float64Array.from({ length: n * d }, () => rng.normal());
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    const y = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      y[i * d] = 3 * (c * x[i * d]! - s * x[i * d + 1]!);
      y[i * d + 1] = 3 * (s * x[i * d]! + c * x[i * d + 1]!);
      y[i * d + 2] = 3 * x[i * d + 2]!;
    }
    const z = Float64Array.from({ length: n * d }, () => rng.normal());
    expect(linearCka({ data: x, n, d }, { data: y, n, d })).toBeCloseTo(1, 10);
    expect(linearCka({ data: x, n, d }, { data: z, n, d })).toBeLessThan(0.05);
  });
});

describe('inspectModel', () => {
  it('compares every pair of layers: symmetric, 1 on the diagonal, JS divergence within [0, ln 2]', () => {
    const r = inspectModel(model({}), batches);
    expect(r.tokens).toBe(8 * 16);
    for (const m of [r.keys.cka, r.values.cka, r.weights.mean!, r.attentionJs])
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(m[i]![j]).toBeCloseTo(m[j]![i]!, 12);
    expect(r.keys.cka.map((row, i) => row[i])).toEqual([1, 1, 1, 1]);
    expect(r.attentionJs.map((row, i) => row[i])).toEqual([0, 0, 0, 0]);
    for (const v of r.attentionJs.flat()) {
      expect(v!).toBeGreaterThanOrEqual(0);
      expect(v!).toBeLessThanOrEqual(Math.LN2);
    }
    expect(r.weights['attn.q']![0]![1]!).toBeLessThan(0.5); // independently initialised
  });

  it('layers that share a set have identical weights; layers that borrow K/V or attention are left out', () => {
    const shared = inspectModel(model({ shareWeights: 'all' }), batches);
    expect(shared.weights.mean!.flat().every((v) => Math.abs(v! - 1) < 1e-12)).toBe(true);
    const cla = inspectModel(model({ shareKv: 'cla:2', shareAttention: [0, 1, 2, 2] }), batches);
    expect(cla.keys.cka[1]).toEqual([null, null, null, null]);
    expect(cla.attentionJs[3]).toEqual([null, null, null, null]);
    expect(cla.keys.cka[0]![2]).not.toBeNull();
  });

  it('finds K/V heads that compute the same thing (a GQA group in waiting)', () => {
    const lm = model({ kvHeads: 2, heads: 4 });
    const w = lm.params.get('layers.0.attn.k.weight')!;
    w.data.copyWithin(4 * 16, 0, 4 * 16); // head 1's rows = head 0's
    const bias = lm.params.get('layers.0.attn.k.bias')!;
    bias.data.copyWithin(4, 0, 4);
    const r = inspectModel(lm, batches);
    expect(r.heads[0]!.keys[0]![1]).toBeCloseTo(1, 9);
    expect(r.heads[1]!.keys[0]![1]).toBeLessThan(0.9);
  });
});
