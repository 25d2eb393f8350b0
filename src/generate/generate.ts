// Autoregressive generation with the KV cache: prefill the prompt once, then one token per step,
// streaming each new piece of text as it is decoded; reports measured cache bytes and speed. The
// cache grows in chunks as the text does; a sliding-window RoPE model's holds only its window and a
// stride (exact: older keys are never read). Past the context, a sliding window: RoPE models drop the
// cache's oldest eighth (keys keep their absolute rotation, so attention stays relative); models
// with learned positions re-encode the last seven eighths from position 0, as nanoGPT crops.
import { backend } from '../backend/backend.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import { CACHE_CHUNK, cachePositions, layerLimits, type KVCache } from '../model/kvcache.js';
import type { StorageDtype } from '../tensor/precision.js';
import type { TransformerLM } from '../model/transformer.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { sampleToken, validateSampling, type SamplingOptions } from './sampler.js';

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;
  seed?: number;
  /** Called with each new piece of text as soon as it is decoded. */
  onText?: (text: string) => void;
  /** KV-cache storage precision (default fp32). */
  kvDtype?: StorageDtype;
  /** Called with the next-token logits before each token is sampled (a view: copy to keep it). */
  onLogits?: (logits: Float32Array, step: number) => void;
  /** Called after each forward pass with the cache as it stands (a KV-cache gauge reads it). */
  onCache?: (cache: KVCache) => void;
}

export interface GenerationStats {
  promptTokens: number;
  /** Tokens cut from the front of a prompt longer than the context (0 when it fit). */
  croppedPromptTokens: number;
  /** Times the window moved past the context, and how: dropping cache entries or re-encoding. */
  windowMoves: number;
  windowMode: 'drop-oldest' | 're-encode';
  newTokens: number;
  /** Bytes the KV cache allocated (it grows in chunks of positions, up to the context). */
  cacheBytes: number;
  cacheBytesPerToken: number;
  /** Positions the cache allocated (a whole number of chunks, at most the context). */
  cachePositions: number;
  /** Per layer, the positions allocated for its entries (bounded layers hold fewer). */
  cacheLayerPositions: number[];
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
  const full = bos !== undefined && bos !== null && encoded.length > 0 ? Int32Array.of(bos, ...encoded) : encoded;
  if (full.length === 0) throw new Error('the prompt is empty: give at least one character');
  const promptIds = full.length > context ? full.subarray(full.length - context) : full;
  const maxTokens = options.maxTokens ?? 200;
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new Error(`max tokens must be a non-negative integer, got ${options.maxTokens}`);
  const rng = new Rng(options.seed ?? 0);
  const windowMode = lm.config.positions === 'rope' ? 'drop-oldest' : 're-encode';
  // A sliding-window RoPE model never reads keys older than its window: its cache holds the window
  // and a stride, dropping the oldest stride when full — exact, and memory bounded by the window.
  const slide = lm.config.slidingWindow;
  const { positions: capacity, stride } = cachePositions(lm.config, context);
  const bounded = capacity < context;
  const initial = Math.min(capacity, Math.ceil((promptIds.length + 1) / CACHE_CHUNK) * CACHE_CHUNK);
  // Gemma 3's windowed layers among full ones: each of those holds its own window and a stride.
  const limits = bounded ? [] : layerLimits(lm.config, context, lm.plan);
  const layerStride = Math.min(...limits.map((l) => l?.stride ?? Infinity));
  const cache = lm.createCache(1, capacity, { initial, dtype: options.kvDtype ?? 'fp32', layerLimits: limits });
  let windowMoves = 0;
  const decode = tokenizer.streamDecoder();
  const ids: number[] = [];
  let text = '';
  const vocab = lm.config.vocabSize;
  const t0 = performance.now();
  let t1 = t0;
  // The weights do not change while generating: a backend that can keep them resident does.
  const release = backend().pin?.([
    ...[...lm.params.values()].map((t) => t.data),
    ...[...lm.quantized.values()].flatMap((w) => [w.q, w.scales]),
  ]);
  try {
    noGrad(() => generateTokens());
  } finally {
    release?.();
  }
  /** Feeds ids through the cache, dropping the oldest positions a bounded cache no longer needs. */
  function feed(ids: Int32Array): Tensor {
    // Bounded layers take a long prompt a stride at a time, so they never hold more than their limit.
    if (Number.isFinite(layerStride) && ids.length > layerStride) {
      let logits: Tensor | null = null;
      for (let at = 0; at < ids.length; at += layerStride)
        logits = lm.forward(ids.subarray(at, at + layerStride), 1, { cache });
      return logits!;
    }
    if (!bounded || cache.length + ids.length <= capacity) return lm.forward(ids, 1, { cache });
    // In strides: each keeps the window of keys its first query reads.
    let logits: Tensor | null = null;
    for (let at = 0; at < ids.length; at += stride) {
      const part = ids.subarray(at, at + stride);
      // A stride at a time when it can (one shift of the buffers per stride of tokens), never
      // fewer than the window's keys left.
      const over = cache.length + part.length - capacity;
      if (over > 0) cache.dropOldest(Math.max(over, Math.min(stride, cache.length - slide)));
      logits = lm.forward(part, 1, { cache });
    }
    return logits!;
  }
  function generateTokens(): void {
    let logits = feed(promptIds);
    options.onCache?.(cache);
    t1 = performance.now();
    for (let i = 0; i < maxTokens; i++) {
      const last = logits.data.subarray(logits.size - vocab);
      options.onLogits?.(last, i);
      const id = sampleToken(last, sampling, rng, tokenizer.unknownId);
      if (id === tokenizer.eosId) break; // the model ended its text
      ids.push(id);
      const piece = decode(id);
      text += piece;
      if (piece) options.onText?.(piece);
      if (i + 1 >= maxTokens) break;
      if (cache.length < capacity) {
        logits = lm.forward(Int32Array.of(id), 1, { cache });
        options.onCache?.(cache);
        continue;
      }
      if (bounded) {
        logits = feed(Int32Array.of(id));
        options.onCache?.(cache);
        continue;
      }
      windowMoves++;
      if (windowMode === 'drop-oldest') {
        cache.dropOldest(stride);
        logits = lm.forward(Int32Array.of(id), 1, { cache });
      } else {
        const tokens = [...promptIds, ...ids];
        cache.reset();
        logits = lm.forward(Int32Array.from(tokens.slice(tokens.length - (context - stride))), 1, { cache });
      }
      options.onCache?.(cache);
    }
  }
  const t2 = performance.now();
  const decodeSeconds = (t2 - t1) / 1000;
  return {
    text,
    ids,
    stats: {
      promptTokens: promptIds.length,
      croppedPromptTokens: full.length - promptIds.length,
      windowMoves,
      windowMode,
      newTokens: ids.length,
      cacheBytes: cache.bytes(),
      cacheBytesPerToken: cache.bytes() / cache.allocated,
      cachePositions: cache.allocated,
      cacheLayerPositions: lm.plan.kv.map((_, i) => cache.layerAllocated(i)),
      prefillSeconds: (t1 - t0) / 1000,
      decodeSeconds,
      tokensPerS: decodeSeconds > 0 ? ids.length / decodeSeconds : 0,
    },
  };
}
