// Node-only: shareformer's own measurements for `shareformer bench`: sgemm GFLOP/s, training and
// KV-cache decoding tokens/s, on the active backend.
import { backend } from '../backend/backend.js';
import { generate } from '../generate/generate.js';
import type { ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { Rng } from '../tensor/random.js';
import type { StorageDtype } from '../tensor/precision.js';
import { CharTokenizer, type Tokenizer } from '../text/tokenizer.js';
import { DEFAULT_TRAIN, Trainer } from '../train/trainer.js';

/** Repeats fn for about `seconds` (after one warm-up call); returns calls per second. */
export function rate(fn: () => void, seconds: number): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    fn();
    reps++;
  }
  return reps / ((performance.now() - t0) / 1000);
}

export function matmulGflops(n: number, seconds = 1): number {
  const rng = new Rng(n);
  const a = rng.fillNormal(new Float32Array(n * n)),
    b = rng.fillNormal(new Float32Array(n * n)),
    c = new Float32Array(n * n);
  const be = backend();
  const args = {
    batch: 1,
    m: n,
    n,
    k: n,
    transA: false,
    transB: false,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: false,
  };
  return (2 * n ** 3 * rate(() => be.gemm(a, b, c, args), seconds)) / 1e9;
}

export interface BenchModel {
  layers: number;
  dModel: number;
  heads: number;
  vocab: number;
  context: number;
  batch?: number;
  steps?: number;
  newTokens?: number;
  shareWeights?: string;
  shareKv?: string;
  shareAttention?: string;
}

/** nanoGPT's architecture, the one the PyTorch side builds: pre-LN, GELU MLP, learned positions, untied head. */
export function lmConfig(m: BenchModel): Partial<ModelConfig> {
  return {
    vocabSize: m.vocab,
    layers: m.layers,
    dModel: m.dModel,
    heads: m.heads,
    context: m.context,
    ffn: 'gelu',
    norm: 'layernorm',
    positions: 'learned',
    bias: true,
    tieEmbeddings: false,
    dropout: 0,
    shareWeights: m.shareWeights ?? 'none',
    shareKv: m.shareKv ?? 'none',
    shareAttention: m.shareAttention ?? 'none',
  };
}

/** Optimizer steps on random tokens (AdamW, clipping) after two warm-up steps; tokens per second. */
export function trainTokensPerS(m: BenchModel): { tokensPerS: number; modelFlopsPerS: number } {
  const lm = new TransformerLM(lmConfig(m), 0);
  const rng = new Rng(1);
  const tokens = Int32Array.from({ length: 200_000 }, () => rng.int(m.vocab));
  const block = tokens.subarray(0, 100_000),
    val = tokens.subarray(100_000);
  const steps = m.steps ?? 5;
  const trainer = new Trainer(
    lm,
    { train: [block], val: [val] },
    { ...DEFAULT_TRAIN, steps: steps + 2, batch: m.batch ?? 8, warmup: 0, evalWindows: 1 },
  );
  trainer.trainStep();
  trainer.trainStep();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainer.trainStep();
  const seconds = (performance.now() - t0) / 1000;
  const tokensPerS = (steps * (m.batch ?? 8) * m.context) / seconds;
  // Model FLOPs per token (6N + attention), as nanoGPT's estimate_mfu.
  const n = lm.parameterCount().total - m.context * m.dModel;
  const flopsPerToken = 6 * n + 12 * m.layers * m.dModel * m.context;
  return { tokensPerS, modelFlopsPerS: tokensPerS * flopsPerToken };
}

/**
 * Decoding tokens/s of a model, batch 1 with the KV cache: one untimed run first (the JIT compiles
 * the per-token path), then the median of `repeats` timed runs, so one cold or interrupted run
 * does not decide the figure.
 */
export function timedDecoding(
  lm: TransformerLM,
  tokenizer: Tokenizer,
  prompt: string,
  tokens: number,
  options: { repeats?: number; kvDtype?: StorageDtype } = {},
): { tokensPerS: number; cacheBytes: number } {
  const run = () => generate(lm, tokenizer, prompt, { maxTokens: tokens, temperature: 0, kvDtype: options.kvDtype });
  run();
  const runs = Array.from({ length: options.repeats ?? 3 }, run).sort(
    (a, b) => a.stats.tokensPerS - b.stats.tokensPerS,
  );
  const median = runs[runs.length >> 1]!;
  return { tokensPerS: median.stats.tokensPerS, cacheBytes: median.stats.cacheBytes };
}

/** Storage of a decoding run: float32, int8 weights, or int8 weights with an int8 KV cache. */
export type DecodePrecision = 'fp32' | 'int8' | 'int8+kv8';

/** Greedy decoding of `newTokens` after a one-token prompt, batch 1, with the KV cache; the second of two runs. */
export function decodeTokensPerS(
  m: BenchModel,
  precision: DecodePrecision = 'fp32',
): { tokensPerS: number; cacheBytes: number } {
  const lm = new TransformerLM(lmConfig(m), 0);
  if (precision !== 'fp32') lm.quantizeWeights();
  const kvDtype = precision === 'int8+kv8' ? 'int8' : 'fp32';
  const tok = new CharTokenizer(Array.from({ length: m.vocab }, (_, i) => String.fromCodePoint(0x4e00 + i)));
  // PyTorch's side warms up the same way.
  return timedDecoding(lm, tok, tok.chars[1]!, m.newTokens ?? 256, { kvDtype });
}
