import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.js';
import { CACHE_CHUNK } from '../model/kvcache.js';
import { kvBytesPerToken, kvCacheBytesPerLayer } from '../model/parameters.js';
import { TransformerLM } from '../model/transformer.js';
import { Rng } from '../tensor/random.js';
import { noGrad } from '../tensor/tensor.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../verify/catalog.js';
import { relativeDiff } from '../verify/fixture.js';
import { loadFixture } from '../verify/load.js';
import { modelFromFixture } from '../verify/models.js';
import { generate } from './generate.js';

const plans = [
  ...Object.keys(REFERENCE_MODELS).map((n) => [n, `${n}.safetensors`]),
  ...Object.keys(SHARING_MODES).map((n) => [n, `sharing/${n}.safetensors`]),
] as const;

/** A model with the fixture's plan and weights large enough that greedy choices are clear. */
function model(file: string, overrides: Partial<ModelConfig> = {}): { lm: TransformerLM; tok: CharTokenizer } {
  const { config } = modelFromFixture(loadFixture(file));
  const lm = new TransformerLM({ ...config, ...overrides }, 2);
  const rng = new Rng(9);
  for (const [name, t] of lm.params) {
    const noise = new Float32Array(t.size);
    rng.fillNormal(noise, 0, t.rank === 1 ? 0.1 : 0.3);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.rank === 1 && name.endsWith('weight') ? 1 : 0) + noise[i]!;
  }
  const chars = Array.from({ length: lm.config.vocabSize }, (_, i) => String.fromCodePoint(0x61 + i));
  return { lm, tok: new CharTokenizer(chars) };
}

describe('a KV cache that grows', () => {
  it('a 4,096-context model answering a 20-token prompt holds one chunk, not 4,096 positions', () => {
    const { lm, tok } = model('gpt.safetensors', { context: 4096 });
    const r = generate(lm, tok, 'abcdefghijklmnopqrst', { maxTokens: 30, temperature: 0 });
    expect(r.stats.promptTokens).toBe(20);
    expect(r.stats.cachePositions).toBe(CACHE_CHUNK);
    expect(r.stats.cacheBytes).toBe(kvBytesPerToken(lm.config) * CACHE_CHUNK);
  });

  it('grows in chunks as the text does and decodes what a whole cache decodes', () => {
    const { lm, tok } = model('sharing/cla.safetensors', { context: 400 });
    const grown = generate(lm, tok, 'abc', { maxTokens: 200, temperature: 0 });
    expect(grown.stats.cachePositions).toBeGreaterThanOrEqual(203);
    expect(grown.stats.cachePositions % CACHE_CHUNK).toBe(0);
    expect(grown.stats.cachePositions).toBeLessThan(203 * 1.3);
    // The same decoding against a cache allocated whole up front.
    const cache = lm.createCache(1);
    const ids: number[] = [];
    noGrad(() => {
      let logits = lm.forward(tok.encode('abc'), 1, { cache });
      for (let i = 0; i < 200; i++) {
        const last = logits.data.subarray(logits.size - lm.config.vocabSize);
        const id = last.indexOf(Math.max(...last));
        ids.push(id);
        if (i < 199) logits = lm.forward(Int32Array.of(id), 1, { cache });
      }
    });
    expect(grown.ids).toEqual(ids);
  });
});

describe.each(plans)('generation past the context: %s', (_mode, file) => {
  const { lm, tok } = model(file);
  const context = lm.config.context;
  const stride = Math.max(1, Math.floor(context / 8));
  const rope = lm.config.positions === 'rope';

  it(
    rope
      ? 'continues past the context by dropping the oldest eighth of the cache; exact until the first drop'
      : 'continues past the context by re-encoding the last seven eighths; every step equals an uncached pass over the window',
    () => {
      const prompt = 'abcde';
      const steps: Float32Array[] = [];
      const r = generate(lm, tok, prompt, {
        maxTokens: 3 * context,
        temperature: 0,
        onLogits: (l) => steps.push(l.slice()),
      });
      expect(r.ids).toHaveLength(3 * context);
      expect(r.stats.windowMoves).toBeGreaterThan(0);
      expect(r.stats.windowMode).toBe(rope ? 'drop-oldest' : 're-encode');
      expect(r.stats.cachePositions).toBeLessThanOrEqual(context);
      const tokens = Array.from(tok.encode(prompt));
      let window = tokens.length,
        moved = false;
      for (const [k, logits] of steps.entries()) {
        expect(logits.every(Number.isFinite), `step ${k}`).toBe(true);
        // After a drop, a RoPE model's kept keys and values are those computed when their tokens
        // were first seen (they attended to text now gone), so only steps before it are exact.
        if (!(rope && moved)) {
          const ref = lm.forward(Int32Array.from(tokens.slice(tokens.length - window)), 1);
          const last = ref.data.subarray(ref.size - lm.config.vocabSize);
          expect(relativeDiff(logits, last), `step ${k}, window ${window}`).toBeLessThan(1e-4);
        }
        tokens.push(r.ids[k]!);
        moved ||= window === context;
        window = window < context ? window + 1 : rope ? context - stride + 1 : context - stride;
      }
    },
  );
});

it('drops the oldest positions exactly: a one-layer RoPE model (GQA) matches an uncached pass over the window at every step', () => {
  const { lm, tok } = model('llama.safetensors', { layers: 1 });
  const context = lm.config.context;
  const stride = Math.max(1, Math.floor(context / 8));
  const steps: Float32Array[] = [];
  const r = generate(lm, tok, 'abc', {
    maxTokens: 3 * context,
    temperature: 0,
    onLogits: (l) => steps.push(l.slice()),
  });
  const tokens = Array.from(tok.encode('abc'));
  let window = tokens.length;
  for (const [k, logits] of steps.entries()) {
    const ref = lm.forward(Int32Array.from(tokens.slice(tokens.length - window)), 1);
    expect(relativeDiff(logits, ref.data.subarray(ref.size - lm.config.vocabSize)), `step ${k}`).toBeLessThan(1e-4);
    tokens.push(r.ids[k]!);
    window = window < context ? window + 1 : context - stride + 1;
  }
  expect(r.stats.windowMoves).toBeGreaterThan(3);
});

/** Each generated step's logits equal an uncached forward pass over the prompt and the tokens so far. */
function expectEveryStepUncached(
  lm: TransformerLM,
  tok: CharTokenizer,
  prompt: string,
  steps: Float32Array[],
  ids: number[],
  count: number,
): void {
  const tokens = Array.from(tok.encode(prompt));
  for (const [k, logits] of steps.entries()) {
    const ref = noGrad(() => lm.forward(Int32Array.from(tokens), 1));
    expect(relativeDiff(logits, ref.data.subarray(ref.size - lm.config.vocabSize)), `step ${k}`).toBeLessThan(1e-4);
    tokens.push(ids[k]!);
  }
  expect(steps).toHaveLength(count);
}

it("a sliding-window model's cache holds its window and a stride, and decodes what an uncached pass decodes", () => {
  // Window 8, stride 1: the cache never holds more than 9 positions of the 64 the text reaches.
  const { lm, tok } = model('llama.safetensors', { context: 64, slidingWindow: 8 });
  const steps: Float32Array[] = [];
  const prompt = 'abcdefghijklmnopqrst'.slice(0, 20);
  let most = 0;
  const r = generate(lm, tok, prompt, {
    maxTokens: 40,
    temperature: 0,
    onLogits: (l) => steps.push(l.slice()),
    onCache: (c) => (most = Math.max(most, c.allocated)),
  });
  expect(most).toBe(9);
  expect(r.stats.cacheBytes).toBe(kvBytesPerToken(lm.config) * 9);
  expect(r.stats.windowMoves).toBe(0); // the context was never reached: nothing was approximated
  expectEveryStepUncached(lm, tok, prompt, steps, r.ids, 40);
});

it('Gemma 3-style windowed layers among full ones each hold their window and a stride, and decode what an uncached pass decodes', () => {
  // Window 8 on layers 0 and 2, full attention on 1 and 3 (and on the fixture's other layers):
  // the windowed layers never hold more than 9 positions, the full ones grow with the text.
  const { lm, tok } = model('llama.safetensors', {
    context: 64,
    slidingWindow: 8,
    fullAttentionEvery: 2,
    ropeLocalBase: 100,
    ffn: 'geglu',
    postNorms: true,
    embedScale: true,
  });
  const windowed = lm.plan.kv.map((_, i) => i % 2 === 0);
  const steps: Float32Array[] = [];
  const prompt = 'abcdefghijklmnopqrst';
  let local = 0,
    global = 0;
  const r = generate(lm, tok, prompt, {
    maxTokens: 40,
    temperature: 0,
    onLogits: (l) => steps.push(l.slice()),
    onCache: (c) => {
      windowed.forEach((w, i) => {
        if (w) local = Math.max(local, c.layerAllocated(i), c.held(i));
        else global = Math.max(global, c.held(i));
      });
    },
  });
  expect(local).toBe(9);
  expect(global).toBe(59); // 20 prompt tokens and 39 fed back
  const perLayer = kvCacheBytesPerLayer(lm.config, 'fp32', lm.plan);
  expect(r.stats.cacheBytes).toBe(perLayer.reduce((n, b, i) => n + b * r.stats.cacheLayerPositions[i]!, 0));
  expect(r.stats.cacheLayerPositions.filter((_, i) => windowed[i])).toEqual(windowed.filter(Boolean).map(() => 9));
  expectEveryStepUncached(lm, tok, prompt, steps, r.ids, 40);
});

it('a prompt longer than the context keeps its last tokens and says how many it cut', () => {
  const { lm, tok } = model('llama.safetensors');
  const long = 'abcdefghijklmnopqrstuvwxyzabcdefghij'.slice(0, lm.config.context + 7);
  const r = generate(lm, tok, long, { maxTokens: 5, temperature: 0 });
  expect(r.stats.croppedPromptTokens).toBe(7);
  expect(r.stats.promptTokens).toBe(lm.config.context);
  expect(r.ids).toEqual(generate(lm, tok, long.slice(7), { maxTokens: 5, temperature: 0 }).ids);
});

it("never generates a char tokenizer's unknown token, even where the model ranks it first", () => {
  const { lm } = model('gpt.safetensors');
  const V = lm.config.vocabSize;
  const chars = Array.from({ length: V - 1 }, (_, i) => String.fromCodePoint(0x61 + i));
  const tok = new CharTokenizer(chars, true);
  expect(tok.unknownId).toBe(V - 1);
  const first = generate(lm, tok, 'abc', { maxTokens: 1, temperature: 0 }).ids[0]!;
  // The unknown token's output row becomes three times the row of the token greedy chose first.
  const head = lm.params.get('head.weight') ?? lm.params.get('embed.weight')!;
  const d = lm.config.dModel;
  for (let j = 0; j < d; j++) head.data[(V - 1) * d + j] = 3 * head.data[first * d + j]!;
  const raw: number[] = [];
  for (const temperature of [0, 1]) {
    const r = generate(lm, tok, 'abc', {
      maxTokens: 60,
      temperature,
      onLogits: (l) => raw.push(l.indexOf(Math.max(...l))),
    });
    expect(r.ids).not.toContain(V - 1);
    expect(r.text).not.toContain('\uFFFD');
    if (temperature === 0) expect(r.ids[0]).toBe(first);
  }
  expect(raw[0]).toBe(V - 1);
});
