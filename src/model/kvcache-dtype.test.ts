// The KV cache in fp16, bf16 and int8: for every sharing mode, cached decoding stays within a
// stated tolerance of the uncached model, and the measured bytes equal the analytical figure.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import type { StorageDtype } from '../tensor/precision.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../verify/catalog.js';
import { relativeDiff } from '../verify/fixture.js';
import { loadFixture } from '../verify/load.js';
import { modelFromFixture } from '../verify/models.js';
import { analyze } from '../analyze/analyze.js';
import { kvCacheBytesPerToken } from './parameters.js';
import { TransformerLM } from './transformer.js';

/**
 * Largest |cached − uncached| / max |uncached| over a prompt and the decoding steps, on random
 * weights large enough to make attention peaky (worst measured over the 15 plans: fp16 2.5e-3,
 * bf16 2.0e-2, int8 5.3e-2); about twice that is allowed. What a trained model loses is measured
 * as validation loss (`eval --kv-dtype`).
 */
const KV_TOLERANCE: Record<StorageDtype, number> = { fp32: 1e-5, fp16: 5e-3, bf16: 4e-2, int8: 1e-1 };

const plans = [
  ...Object.keys(REFERENCE_MODELS).map((n) => `${n}.safetensors`),
  ...Object.keys(SHARING_MODES).map((n) => `sharing/${n}.safetensors`),
];

describe.each(['fp32', 'fp16', 'bf16', 'int8'] as const)('a %s KV cache', (dtype) => {
  it.each(plans)('%s: cached logits within tolerance, bytes as analyzed', (file) => {
    const { config } = modelFromFixture(loadFixture(file));
    const lm = new TransformerLM(config, 4);
    const rng = new Rng(2);
    for (const [name, t] of lm.params) {
      const noise = new Float32Array(t.size);
      rng.fillNormal(noise, 0, t.rank === 1 ? 0.1 : 0.3);
      for (let i = 0; i < t.size; i++) t.data[i] = (t.rank === 1 && name.endsWith('weight') ? 1 : 0) + noise[i]!;
    }
    const tokens = Array.from({ length: config.context }, () => rng.int(config.vocabSize));
    const cache = lm.createCache(2, config.context, { dtype });
    let worst = 0;
    noGrad(() => {
      const batch2 = (ids: number[]) => Int32Array.from([...ids, ...ids.map((x) => (x + 1) % config.vocabSize)]);
      let cached = lm.forward(batch2(tokens.slice(0, 4)), 2, { cache });
      worst = relativeDiff(cached.data, lm.forward(batch2(tokens.slice(0, 4)), 2).data);
      for (let t = 4; t < config.context; t++) {
        cached = lm.forward(batch2([tokens[t]!]), 2, { cache });
        const full = lm.forward(batch2(tokens.slice(0, t + 1)), 2);
        const V = config.vocabSize;
        const last = new Float32Array(2 * V);
        last.set(full.data.subarray(t * V, (t + 1) * V), 0);
        last.set(full.data.subarray((2 * (t + 1) - 1) * V, 2 * (t + 1) * V), V);
        worst = Math.max(worst, relativeDiff(cached.data, last));
      }
    });
    expect(worst).toBeLessThan(KV_TOLERANCE[dtype]);
    if (dtype !== 'fp32') expect(worst).toBeGreaterThan(0); // the precision really is lower
    expect(cache.bytes()).toBe(kvCacheBytesPerToken(lm.config, dtype) * cache.allocated * 2);
    expect(analyze(lm.config, { kvDtype: dtype, context: cache.allocated, batch: 2 }).kvCache.bytes).toBe(
      cache.bytes(),
    );
  });
});

it('int8 and 16-bit caches are a quarter and a half of fp32 (plus int8 scales)', () => {
  const lm = new TransformerLM({ layers: 2, dModel: 64, heads: 4, context: 32 });
  const bytes = (dtype: StorageDtype) => lm.createCache(1, 32, { dtype }).bytes();
  expect(bytes('fp16')).toBe(bytes('fp32') / 2);
  expect(bytes('bf16')).toBe(bytes('fp32') / 2);
  expect(bytes('int8')).toBe(bytes('fp32') / 4 + 2 * 2 * 4 * 32 * 4); // layers · K,V · heads · positions · 4 bytes
});
