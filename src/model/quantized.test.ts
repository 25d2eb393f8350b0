// int8 weights: for every sharing plan, the int8 model computes exactly what float32 computes on
// the dequantized weights, stays close to the original model, keeps shared sets shared, and holds
// no float32 copy of the quantized matrices.
import { describe, expect, it } from 'vitest';
import { dequantizeWeight } from '../tensor/ops/quantized.js';
import { Rng } from '../tensor/random.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../verify/catalog.js';
import { relativeDiff } from '../verify/fixture.js';
import { loadFixture } from '../verify/load.js';
import { modelFromFixture } from '../verify/models.js';
import { TransformerLM } from './transformer.js';

const plans = [
  ...Object.keys(REFERENCE_MODELS).map((n) => `${n}.safetensors`),
  ...Object.keys(SHARING_MODES).map((n) => `sharing/${n}.safetensors`),
];

describe.each(plans)('int8 weights: %s', (file) => {
  const { config } = modelFromFixture(loadFixture(file));
  const fp32 = new TransformerLM(config, 6);
  const ids = Int32Array.from({ length: 2 * config.context }, (_, i) => (i * 7 + 3) % config.vocabSize);
  const reference = fp32.forward(ids, 2);
  const int8 = new TransformerLM(config, 6);
  int8.quantizeWeights();

  it('quantizes every matrix but the embedding projection and relaxation deltas, once per shared set', () => {
    const matrices = [...fp32.params]
      .filter(([n, t]) => t.rank === 2 && n !== 'embed.proj.weight' && !n.startsWith('relax.'))
      .map(([n]) => n);
    expect([...int8.quantized.keys()].sort()).toEqual(matrices.sort());
    for (const name of int8.quantized.keys()) expect(int8.params.has(name)).toBe(false);
    expect(int8.parameterCount().total).toBe(fp32.parameterCount().total);
  });

  it('computes what float32 computes on the dequantized weights', () => {
    const dequantized = new TransformerLM(config, 6);
    for (const [name, w] of int8.quantized) dequantized.params.get(name)!.data.set(dequantizeWeight(w));
    expect(relativeDiff(int8.forward(ids, 2).data, dequantized.forward(ids, 2).data)).toBeLessThan(1e-5);
  });

  it('stays within 2% of the float32 model (largest logit)', () => {
    expect(relativeDiff(int8.forward(ids, 2).data, reference.data)).toBeLessThan(0.02);
  });

  it('decodes with a KV cache as it computes without one', () => {
    const cache = int8.createCache(1);
    const one = ids.subarray(0, config.context);
    int8.forward(one.subarray(0, 3), 1, { cache });
    const step = int8.forward(one.subarray(3, 4), 1, { cache });
    const full = int8.forward(one.subarray(0, 4), 1);
    expect(relativeDiff(step.data, full.data.subarray(3 * config.vocabSize))).toBeLessThan(1e-5);
  });
});

it('symmetric per-row int8: the largest magnitude of a row maps to ±127', () => {
  const lm = new TransformerLM({ layers: 1, dModel: 16, heads: 2, context: 8, vocabSize: 11 }, 1);
  const rng = new Rng(1);
  rng.fillNormal(lm.params.get('layers.0.attn.q.weight')!.data, 0, 1);
  lm.quantizeWeights();
  const w = lm.quantized.get('layers.0.attn.q.weight')!;
  for (let r = 0; r < 16; r++) {
    const row = w.q.subarray(r * 16, (r + 1) * 16);
    expect(Math.max(...Array.from(row, Math.abs))).toBe(127);
  }
});
