// Autoregressive generation with the KV cache: prefill the prompt once, then one token per step,
// streaming each new piece of text as it is decoded; reports measured cache bytes and speed.
import { noGrad } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import type { TransformerLM } from '../model/transformer.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { sampleToken, validateSampling, type SamplingOptions } from './sampler.js';

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;
  seed?: number;
  /** Called with each new piece of text as soon as it is decoded. */
  onText?: (text: string) => void;
}

export interface GenerationStats {
  promptTokens: number;
  newTokens: number;
  /** Bytes the KV cache allocated (its capacity is prompt + new tokens). */
  cacheBytes: number;
  cacheBytesPerToken: number;
  prefillSeconds: number;
  decodeSeconds: number;
  /** New tokens per second of decoding (after the prompt). */
  tokensPerS: number;
}

export interface GenerationResult {
  text: string;
  ids: number[];
  stats: GenerationStats;
}

export function generate(
  lm: TransformerLM,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateOptions = {},
): GenerationResult {
  const sampling = validateSampling(options);
  const context = lm.config.context;
  const encoded = tokenizer.encode(prompt);
  // Models trained with a start token (Llama's <s>) expect it first, as their tokenizer adds it.
  const bos = tokenizer.bosId;
  const promptIds = bos !== undefined && bos !== null && encoded.length > 0 ? Int32Array.of(bos, ...encoded) : encoded;
  if (promptIds.length === 0) throw new Error('the prompt is empty: give at least one character');
  if (promptIds.length >= context)
    throw new Error(
      `the prompt is ${promptIds.length} tokens; this model's context is ${context}, so it must be shorter`,
    );
  const maxTokens = Math.min(options.maxTokens ?? 200, context - promptIds.length);
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new Error(`max tokens must be a non-negative integer, got ${options.maxTokens}`);
  const rng = new Rng(options.seed ?? 0);
  const cache = lm.createCache(1, promptIds.length + Math.max(maxTokens, 1));
  const decode = tokenizer.streamDecoder();
  const ids: number[] = [];
  let text = '';
  const vocab = lm.config.vocabSize;
  const t0 = performance.now();
  let t1 = t0;
  noGrad(() => {
    let logits = lm.forward(promptIds, 1, { cache });
    t1 = performance.now();
    for (let i = 0; i < maxTokens; i++) {
      const last = logits.data.subarray(logits.size - vocab);
      const id = sampleToken(last, sampling, rng);
      if (id === tokenizer.eosId) break; // the model ended its text
      ids.push(id);
      const piece = decode(id);
      text += piece;
      if (piece) options.onText?.(piece);
      if (i + 1 < maxTokens) logits = lm.forward(Int32Array.of(id), 1, { cache });
    }
  });
  const t2 = performance.now();
  const decodeSeconds = (t2 - t1) / 1000;
  return {
    text,
    ids,
    stats: {
      promptTokens: promptIds.length,
      newTokens: ids.length,
      cacheBytes: cache.bytes(),
      cacheBytesPerToken: cache.bytes() / cache.capacity,
      prefillSeconds: (t1 - t0) / 1000,
      decodeSeconds,
      tokensPerS: decodeSeconds > 0 ? ids.length / decodeSeconds : 0,
    },
  };
}
