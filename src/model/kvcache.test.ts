// The KV cache: generation with a cache computes the same model as a full forward pass in every
// sharing mode, its measured bytes equal the analytical figure, and activation sharing really
// routes gradients from consumer layers into their producers.
import { describe, expect, it } from 'vitest';
import { setBackend } from '../backend/backend.js';
import { BACKENDS } from '../testing/backends.js';
import { noGrad } from '../tensor/tensor.js';
import { concat } from '../tensor/ops/index.js';
import { Rng } from '../tensor/random.js';
import { relativeDiff } from '../verify/fixture.js';
import type { ModelConfig } from './config.js';
import { kvBytesPerToken } from './parameters.js';
import { layerLimits } from './kvcache.js';
import { TransformerLM } from './transformer.js';

const tiny: Partial<ModelConfig> = { vocabSize: 23, layers: 4, dModel: 16, heads: 4, context: 16, ffnHidden: 32 };
const llama: Partial<ModelConfig> = { ...tiny, ffn: 'swiglu', norm: 'rmsnorm', positions: 'rope', bias: false };
const MODES: Array<[string, Partial<ModelConfig>]> = [
  ['no sharing', tiny],
  ['weights all', { ...tiny, shareWeights: 'all' }],
  ['cycle-rev:2, attention scope', { ...tiny, shareWeights: 'cycle-rev:2', shareScope: 'attention' }],
  ['factorized, untied', { ...llama, embedDim: 8, tieEmbeddings: false }],
  ['GQA', { ...llama, kvHeads: 2 }],
  [
    'OLMo 2-style: norms after attention and FFN only, query/key norms over whole projections, GQA',
    { ...llama, kvHeads: 2, preNorms: false, postNorms: true, qkNorm: true, qkNormFull: true },
  ],
  ['SmolLM3-style: every 2nd layer without RoPE, GQA', { ...llama, kvHeads: 2, noRopeEvery: 2 }],
  [
    'NoPE layers under CLA: a consumer meets its producer’s unrotated keys',
    { ...llama, noRopeEvery: 2, shareKv: [0, 1, 1, 3] },
  ],
  [
    'Granite-style: embeddings ×12, block outputs ×0.22, scores ×1/16, logits ÷8, GQA',
    { ...llama, kvHeads: 2, embedMultiplier: 12, residualMultiplier: 0.22, attentionScalar: 256, logitScale: 0.125 },
  ],
  [
    'GPT-Neo-style: global, local, global, local on learned positions, unscaled scores, no Q/K/V biases',
    {
      ...tiny,
      slidingWindow: 3,
      fullAttentionEvery: 2,
      fullAttentionFirst: true,
      attentionScalar: 1,
      attentionBias: false,
      attentionOutBias: true,
    },
  ],
  ['MQA', { ...llama, kvHeads: 1 }],
  // Slopes 1/2 … 1/256 over 3 heads (BLOOM's rule past a power of two) bend initial scores of ~0.01 hard.
  [
    'BLOOM-style: ALiBi over 3 heads, a LayerNorm on the embeddings, cla:2',
    { ...tiny, heads: 3, dModel: 18, positions: 'alibi', embedNorm: true, shareKv: 'cla:2' },
  ],
  [
    'MPT-style ALiBi with a window of 4 and attention group:2',
    { ...llama, positions: 'alibi', slidingWindow: 4, shareAttention: 'group:2' },
  ],
  ['cla:2', { ...tiny, shareKv: 'cla:2' }],
  ['yoco:2 with rope', { ...llama, shareKv: 'yoco:2' }],
  ['attention group:2', { ...tiny, shareAttention: 'group:2' }],
  ['attention group:2 with rope', { ...llama, shareAttention: 'group:2' }],
  ['Qwen3-style: head norms, heads of 8 on d 16, GQA', { ...llama, headDim: 8, qkNorm: true, kvHeads: 2 }],
  [
    'Command R+-style: a LayerNorm per query and key head, parallel blocks on one LayerNorm, GQA',
    { ...llama, qkNorm: true, qkLayerNorm: true, kvHeads: 2, norm: 'layernorm', normBias: false, parallelBlocks: true },
  ],
  [
    'Mistral 7B v0.1-style: a sliding window of 4 (the 11 positions outrun it), GQA',
    { ...llama, slidingWindow: 4, kvHeads: 2 },
  ],
  [
    'Gemma 3-style: windows of 4 on layers 0–2 at base 10,000, layer 3 full at 1,000,000, GeGLU, post-norms',
    {
      ...llama,
      kvHeads: 1,
      headDim: 8,
      qkNorm: true,
      ffn: 'geglu',
      embedScale: true,
      postNorms: true,
      slidingWindow: 4,
      fullAttentionEvery: 4,
      ropeBase: 1e6,
      ropeLocalBase: 1e4,
      tieEmbeddings: true,
    },
  ],
  [
    // Initial scores are ~0.01 and logits ~0.2: caps of 0.005 and 0.1 bend most of them.
    'Gemma 2-style: soft-capped scores and logits, every other layer windowed to 4, GQA',
    {
      ...llama,
      kvHeads: 2,
      ffn: 'geglu',
      embedScale: true,
      postNorms: true,
      slidingWindow: 4,
      fullAttentionEvery: 2,
      attentionSoftcap: 0.005,
      logitSoftcap: 0.1,
    },
  ],
  // GPT-NeoX: the first 2 of each head's 8 dimensions rotate, at the absolute position a cache keeps counting.
  ["GPT-NeoX's partial rotary", { ...llama, heads: 2, kvHeads: 1, ropeDims: 2 }],
  [
    'GPT-NeoX-style: parallel attention and FFN, exact GELU, partial rotary',
    { ...tiny, positions: 'rope', ropeDims: 2, parallelBlocks: true, geluExact: true },
  ],
  [
    'Phi-2-style: parallel blocks, partial rotary, a biased head',
    { ...tiny, positions: 'rope', ropeDims: 2, parallelBlocks: true, headBias: true },
  ],
  [
    'mixed',
    { ...llama, shareWeights: 'repeat:2', kvHeads: 2, shareKv: 'cla:2', shareAttention: [0, 1, 2, 2], embedDim: 8 },
  ],
];

const randomIds = (n: number, vocab: number, seed: number) => {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
};

describe.each(BACKENDS)(
  'cached generation computes the same logits as the full sequence (%s backend)',
  (backendName) => {
    it.each(MODES)('%s', (_name, config) => {
      setBackend(backendName);
      const lm = new TransformerLM(config, 3);
      const batch = 2,
        T = 11;
      const ids = randomIds(batch * T, lm.config.vocabSize, 4);
      const row = (b: number, from: number, to: number) => ids.subarray(b * T + from, b * T + to);
      const take = (from: number, to: number) => Int32Array.from([...row(0, from, to), ...row(1, from, to)]);
      noGrad(() => {
        const full = lm.forward(ids, batch);
        const cache = lm.createCache(batch);
        // A 5-token prefill, then one token at a time.
        const parts = [lm.forward(take(0, 5), batch, { cache })];
        for (let t = 5; t < T; t++) parts.push(lm.forward(take(t, t + 1), batch, { cache }));
        const cached = concat(parts, 1);
        expect(cache.length).toBe(T);
        expect(relativeDiff(cached.data, full.data)).toBeLessThan(1e-5);
      });
    });

    it('refuses to run past the cache capacity', () => {
      const lm = new TransformerLM(tiny);
      const cache = lm.createCache(1, 4);
      noGrad(() => lm.forward(Int32Array.from([1, 2, 3]), 1, { cache }));
      expect(() => noGrad(() => lm.forward(Int32Array.from([1, 2]), 1, { cache }))).toThrow(
        /3 cached \+ 2 new positions exceed the capacity of 4/,
      );
    });
  },
);

describe.each(BACKENDS)('windowed layers bounded among full ones (%s backend)', (backendName) => {
  // Gemma 3-style: window 4 on layers 0–2 (limit 5), layer 3 full. 30 positions fed one at a time
  // after a 5-token prefill must give what a cache holding everything gives, in every dtype
  // (with soft-capped scores, so the int8 kernels' cap is exercised too).
  const gemma: Partial<ModelConfig> = {
    ...llama,
    context: 32,
    kvHeads: 1,
    ffn: 'geglu',
    postNorms: true,
    embedScale: true,
    slidingWindow: 4,
    fullAttentionEvery: 4,
    ropeBase: 1e6,
    ropeLocalBase: 1e4,
    attentionSoftcap: 0.005,
  };
  it.each(['fp32', 'fp16', 'int8'] as const)('%s', (dtype) => {
    setBackend(backendName);
    const lm = new TransformerLM(gemma, 3);
    const limits = layerLimits(lm.config, 32, lm.plan);
    expect(limits.map((l) => l?.limit ?? null)).toEqual([5, 5, 5, null]);
    const ids = randomIds(30, lm.config.vocabSize, 4);
    const bounded = lm.createCache(1, 32, { dtype, layerLimits: limits });
    const whole = lm.createCache(1, 32, { dtype });
    noGrad(() => {
      for (const [from, to] of [[0, 5], ...Array.from({ length: 25 }, (_, k) => [5 + k, 6 + k])] as const) {
        const a = lm.forward(ids.subarray(from, to), 1, { cache: bounded });
        const b = lm.forward(ids.subarray(from, to), 1, { cache: whole });
        expect(relativeDiff(a.data, b.data), `positions ${from}–${to}`).toBeLessThan(1e-5);
        for (let layer = 0; layer < 3; layer++) expect(bounded.held(layer)).toBeLessThanOrEqual(5);
      }
    });
    expect(bounded.held(3)).toBe(30);
    expect([0, 1, 2, 3].map((l) => bounded.layerAllocated(l))).toEqual([5, 5, 5, 32]);
    expect(bounded.bytes()).toBeLessThan(whole.bytes() / 2);
  });
});

describe('cache memory', () => {
  const perToken = (config: Partial<ModelConfig>) => {
    const lm = new TransformerLM(config);
    const cache = lm.createCache(3, 10);
    // Measured: bytes actually allocated. Analytical: the formula shared with the analyzer.
    expect(cache.bytes()).toBe(kvBytesPerToken(lm.config) * 3 * 10);
    return cache.bytes() / 30;
  };
  const baseline = 4 * 2 * 16 * 4; // layers · (K + V) · d · float32 bytes

  it('holds K and V for every layer without sharing', () => expect(perToken(tiny)).toBe(baseline));
  it('is halved by cla:2', () => expect(perToken({ ...tiny, shareKv: 'cla:2' })).toBe(baseline / 2));
  it('is quartered by kvHeads = heads / 4', () => expect(perToken({ ...tiny, kvHeads: 1 })).toBe(baseline / 4));
  it('keeps only V for attention-weight consumers', () =>
    expect(perToken({ ...tiny, shareAttention: 'group:2' })).toBe((baseline * 3) / 4));
  it('keeps two of four layers under yoco:2', () =>
    expect(perToken({ ...tiny, shareKv: 'yoco:2' })).toBe(baseline / 2));
  it('follows the head width, not d / heads (heads of 8 on d 16: twice the rows)', () =>
    expect(perToken({ ...tiny, headDim: 8 })).toBe(baseline * 2));
  it('is not changed by weight sharing, which shares parameters, not activations', () =>
    expect(perToken({ ...tiny, shareWeights: 'all' })).toBe(baseline));
  it('allocates entries only for producer layers', () => {
    const cache = new TransformerLM({ ...tiny, shareKv: 'cla:2' }).createCache();
    expect(cache.keys.map(Boolean)).toEqual([true, false, true, false]);
    expect(cache.entryCount()).toEqual({ keys: 2, values: 2 });
  });
});

describe("a consumer's loss reaches its producer", () => {
  // Silence layer 0's own attention output (Wo = 0, bias 0): whatever gradient then reaches
  // layer 0's key/query projections can only come through layer 1, the consumer.
  const silenceLayer0 = (lm: TransformerLM) => {
    lm.params.get('layers.0.attn.o.weight')!.data.fill(0);
    lm.params.get('layers.0.attn.o.bias')?.data.fill(0);
  };
  const gradNorm = (lm: TransformerLM, name: string) => Math.hypot(...lm.params.get(name)!.grad!);
  const run = (config: Partial<ModelConfig>) => {
    const lm = new TransformerLM({ ...tiny, layers: 2, ...config }, 5);
    silenceLayer0(lm);
    const ids = randomIds(16, 23, 1),
      targets = randomIds(16, 23, 2);
    lm.loss(ids, targets, 2).loss.backward();
    return lm;
  };

  it("under CLA, layer 1 trains layer 0's Wk and Wv", () => {
    const lm = run({ shareKv: 'cla:2' });
    expect(gradNorm(lm, 'layers.0.attn.k.weight')).toBeGreaterThan(1e-6);
    expect(gradNorm(lm, 'layers.0.attn.v.weight')).toBeGreaterThan(1e-6);
    // Control: without sharing, a silenced layer 0 gets no gradient in Wk.
    expect(gradNorm(run({}), 'layers.0.attn.k.weight')).toBe(0);
  });

  it("under attention-weight sharing, layer 1 trains layer 0's Wq and Wk", () => {
    const lm = run({ shareAttention: 'group:2' });
    expect(gradNorm(lm, 'layers.0.attn.q.weight')).toBeGreaterThan(1e-6);
    expect(gradNorm(lm, 'layers.0.attn.k.weight')).toBeGreaterThan(1e-6);
    expect(lm.params.has('layers.1.attn.q.weight')).toBe(false);
  });

  it('and the producer gradient matches finite differences', () => {
    const lm = new TransformerLM({ ...tiny, layers: 2, shareKv: 'cla:2' }, 5);
    silenceLayer0(lm);
    const ids = randomIds(16, 23, 1),
      targets = randomIds(16, 23, 2);
    const loss = () => noGrad(() => lm.loss(ids, targets, 2).loss.item());
    lm.loss(ids, targets, 2).loss.backward();
    // Directional derivative along the gradient: (L(w + εu) − L(w − εu)) / 2ε = |g| for u = g/|g|.
    const w = lm.params.get('layers.0.attn.k.weight')!;
    const g = Float32Array.from(w.grad!),
      norm = Math.hypot(...g),
      orig = Float32Array.from(w.data),
      eps = 0.05;
    w.data.set(orig.map((x, i) => x + (eps * g[i]!) / norm));
    const up = loss();
    w.data.set(orig.map((x, i) => x - (eps * g[i]!) / norm));
    const down = loss();
    w.data.set(orig);
    expect(Math.abs((up - down) / (2 * eps) - norm) / norm).toBeLessThan(0.02);
  });
});
