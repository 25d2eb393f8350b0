// Published model configurations for the analyzer, and the project's own small presets. Encoders
// (BERT, ALBERT) are counted like their published parameter counts: with token-type embeddings,
// the embedding LayerNorm and the pooler, without the pre-training heads.
import type { ModelConfig } from '../model/config.js';
import { PRESETS } from '../model/presets.js';

export interface AnalyzerPreset {
  description: string;
  config: Partial<ModelConfig>;
  /** Encoders attend in both directions and carry BERT's extra embedding tensors and pooler. */
  encoder?: { typeVocab: number };
}

const gpt2 = (layers: number, dModel: number, heads: number): Partial<ModelConfig> => ({
  vocabSize: 50257,
  layers,
  dModel,
  heads,
  context: 1024,
  ffn: 'gelu',
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  positions: 'learned',
  bias: true,
  tieEmbeddings: true,
});
/**
 * GPT-Neo: GPT-2's block without Q/K/V biases, scores unscaled, global and local (256-token window)
 * layers alternating from a global one, a tied head.
 */
const gptNeo = (layers: number, dModel: number, heads: number): Partial<ModelConfig> => ({
  ...gpt2(layers, dModel, heads),
  context: 2048,
  attentionScalar: 1,
  attentionBias: false,
  attentionOutBias: true,
  slidingWindow: 256,
  fullAttentionEvery: 2,
  fullAttentionFirst: true,
});
/**
 * OPT: GPT-2's block with a ReLU MLP, learned positions for 2,048 tokens (the files' table has 2
 * rows more: fairseq's padding offset, which no unpadded position reads), a tied head.
 */
const opt = (layers: number, dModel: number, heads: number): Partial<ModelConfig> => ({
  ...gpt2(layers, dModel, heads),
  vocabSize: 50272,
  context: 2048,
  ffn: 'relu',
});
/**
 * BLOOM: ALiBi instead of positions, a LayerNorm on the embeddings, LayerNorms and linear layers
 * with biases, a 4·d tanh-GELU MLP, MHA, the 250,880-row vocabulary tied to the head; trained on
 * 2,048 positions (ALiBi sets no limit: the analyzer's --context goes further).
 */
const bloom = (layers: number, dModel: number, heads: number): Partial<ModelConfig> => ({
  vocabSize: 250880,
  layers,
  dModel,
  heads,
  context: 2048,
  ffn: 'gelu',
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  positions: 'alibi',
  embedNorm: true,
  bias: true,
  tieEmbeddings: true,
});
/** GPTBigCode (StarCoder 1, SantaCoder): GPT-2's block with one K/V head (MQA), learned positions, tied. */
const bigcode = (
  layers: number,
  dModel: number,
  heads: number,
  context: number,
  vocabSize: number,
): Partial<ModelConfig> => ({
  ...gpt2(layers, dModel, heads),
  vocabSize,
  context,
  kvHeads: 1,
});
/** MPT: ALiBi, LayerNorms without biases, no biases, a 4·d exact-GELU MLP, MHA, GPT-NeoX's vocabulary padded to 50,432, tied. */
const mpt = (layers: number, dModel: number, heads: number, context: number): Partial<ModelConfig> => ({
  vocabSize: 50432,
  layers,
  dModel,
  heads,
  context,
  ffn: 'gelu',
  geluExact: true,
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  normBias: false,
  positions: 'alibi',
  bias: false,
  tieEmbeddings: true,
});
/**
 * Pythia (GPT-NeoX): LayerNorm with biases, attention and FFN in parallel, exact GELU, rotary
 * embeddings on a quarter of each head, an untied head, the vocabulary padded per size.
 */
const pythia = (layers: number, dModel: number, heads: number, vocabSize = 50304): Partial<ModelConfig> => ({
  vocabSize,
  layers,
  dModel,
  heads,
  context: 2048,
  ffn: 'gelu',
  geluExact: true,
  parallelBlocks: true,
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  positions: 'rope',
  ropeDims: dModel / heads / 4,
  bias: true,
  tieEmbeddings: false,
});
/** Phi-1.5 / Phi-2: Pythia's parallel block on one LayerNorm, RoPE on 0.4 of each head, GELU's tanh form, a biased head. */
const phi = (layers: number, dModel: number): Partial<ModelConfig> => ({
  vocabSize: 51200,
  layers,
  dModel,
  heads: 32,
  context: 2048,
  ffn: 'gelu',
  parallelBlocks: true,
  headBias: true,
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  positions: 'rope',
  ropeDims: 32,
  bias: true,
  tieEmbeddings: false,
});
/** Falcon: parallel blocks, LayerNorm biases and no linear ones, rope over whole heads, exact GELU. */
const falcon = (layers: number, dModel: number, heads: number, kvHeads: number): Partial<ModelConfig> => ({
  vocabSize: 65024,
  layers,
  dModel,
  heads,
  kvHeads,
  context: 2048,
  ffn: 'gelu',
  geluExact: true,
  parallelBlocks: true,
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  positions: 'rope',
  bias: false,
  normBias: true,
});
/** StableLM: Llama's SwiGLU on LayerNorms with biases, RoPE on a quarter of each head, an untied head. */
const stablelm = (layers: number, dModel: number, ffnHidden: number, vocabSize: number, qkvBias: boolean) => ({
  vocabSize,
  layers,
  dModel,
  heads: 32,
  context: 4096,
  ffn: 'swiglu' as const,
  ffnHidden,
  norm: 'layernorm' as const,
  positions: 'rope' as const,
  ropeDims: dModel / 32 / 4,
  bias: false,
  normBias: true,
  qkvBias,
  tieEmbeddings: false,
});
/** Cohere (Command R, Aya 23): parallel SwiGLU on one bias-free LayerNorm (held as two), tied head, scaled logits. */
const cohere = (
  layers: number,
  dModel: number,
  heads: number,
  kvHeads: number,
  ffnHidden: number,
  context: number,
  ropeBase: number,
): Partial<ModelConfig> => ({
  vocabSize: 256000,
  layers,
  dModel,
  heads,
  kvHeads,
  context,
  ffn: 'swiglu',
  ffnHidden,
  parallelBlocks: true,
  norm: 'layernorm',
  positions: 'rope',
  ropeBase,
  bias: false,
  normBias: false,
  logitScale: 0.0625,
  tieEmbeddings: true,
});
/** Gemma 3 4B and larger: a 128k context and windows of 1,024. */
const LONG_GEMMA: Partial<ModelConfig> = { context: 131072, slidingWindow: 1024 };

const llama = (over: Partial<ModelConfig>): Partial<ModelConfig> => ({
  vocabSize: 32000,
  layers: 32,
  dModel: 4096,
  heads: 32,
  kvHeads: 32,
  context: 4096,
  ffn: 'swiglu',
  ffnHidden: 11008,
  norm: 'rmsnorm',
  normEps: 1e-5,
  positions: 'rope',
  bias: false,
  tieEmbeddings: false,
  ...over,
});
/** Llama 3.2's rope_scaling (config.json), so a preset is the model as published. */
const LLAMA_32_ROPE = {
  type: 'llama3',
  factor: 32,
  lowFreqFactor: 1,
  highFreqFactor: 4,
  originalContext: 8192,
} as const;
const bert = (
  layers: number,
  dModel: number,
  heads: number,
  over: Partial<ModelConfig> = {},
): Partial<ModelConfig> => ({
  vocabSize: 30522,
  layers,
  dModel,
  heads,
  context: 512,
  ffn: 'gelu',
  ffnHidden: 4 * dModel,
  norm: 'layernorm',
  normEps: 1e-12,
  positions: 'learned',
  bias: true,
  tieEmbeddings: true,
  ...over,
});
const albert = (layers: number, dModel: number, heads: number): Partial<ModelConfig> =>
  bert(layers, dModel, heads, { vocabSize: 30000, embedDim: 128, shareWeights: 'all' });

export const ANALYZER_PRESETS: Record<string, AnalyzerPreset> = {
  gpt2: { description: 'GPT-2 small (124M)', config: gpt2(12, 768, 12) },
  'gpt2-medium': { description: 'GPT-2 medium (355M)', config: gpt2(24, 1024, 16) },
  'gpt2-large': { description: 'GPT-2 large (774M)', config: gpt2(36, 1280, 20) },
  'gpt2-xl': { description: 'GPT-2 XL (1.5B)', config: gpt2(48, 1600, 25) },
  'gpt-neo-125m': {
    description: 'GPT-Neo 125M (unscaled scores; global and 256-token local layers alternating)',
    config: gptNeo(12, 768, 12),
  },
  'gpt-neo-1.3b': { description: 'GPT-Neo 1.3B (16 heads of 128)', config: gptNeo(24, 2048, 16) },
  'gpt-neo-2.7b': { description: 'GPT-Neo 2.7B (20 heads of 128)', config: gptNeo(32, 2560, 20) },
  'tinystories-33m': {
    description: 'TinyStories-33M (GPT-Neo: 4 layers of 16 heads of 48; the 33M excludes the embeddings)',
    config: gptNeo(4, 768, 16),
  },
  'bloom-560m': { description: 'BLOOM 560M (ALiBi, an embedding LayerNorm, MHA)', config: bloom(24, 1024, 16) },
  'bloom-1b7': { description: 'BLOOM 1.7B', config: bloom(24, 2048, 16) },
  'bloom-7b1': { description: 'BLOOM 7.1B (32 heads of 128)', config: bloom(30, 4096, 32) },
  bloom: {
    description: 'BLOOM 176B (112 heads of 128: ALiBi slopes past a power of two)',
    config: bloom(70, 14336, 112),
  },
  starcoder: {
    description: 'StarCoder 15.5B (GPTBigCode: MQA, 48 heads of 128 over one K/V head, 8k)',
    config: bigcode(40, 6144, 48, 8192, 49152),
  },
  santacoder: {
    description: 'SantaCoder 1.1B (GPTBigCode: MQA, 16 heads of 128)',
    config: bigcode(24, 2048, 16, 2048, 49280),
  },
  'mpt-7b': { description: 'MPT-7B (ALiBi, no biases, MHA)', config: mpt(32, 4096, 32, 2048) },
  'mpt-30b': { description: 'MPT-30B (64 heads of 112, trained at 8k)', config: mpt(48, 7168, 64, 8192) },
  'opt-125m': { description: 'OPT 125M (ReLU MLP, learned positions)', config: opt(12, 768, 12) },
  'opt-1.3b': { description: 'OPT 1.3B', config: opt(24, 2048, 32) },
  'opt-2.7b': { description: 'OPT 2.7B (32 heads of 80)', config: opt(32, 2560, 32) },
  'opt-6.7b': { description: 'OPT 6.7B', config: opt(32, 4096, 32) },
  'opt-13b': { description: 'OPT 13B (40 heads of 128)', config: opt(40, 5120, 40) },
  'opt-30b': { description: 'OPT 30B (56 heads of 128)', config: opt(48, 7168, 56) },
  'opt-66b': { description: 'OPT 66B (72 heads of 128)', config: opt(64, 9216, 72) },
  'olmo-2-7b': {
    description: 'OLMo 2 7B (1124): norms after attention and MLP only, query/key norms over whole projections; MHA',
    config: {
      vocabSize: 100352,
      layers: 32,
      dModel: 4096,
      heads: 32,
      context: 4096,
      ffn: 'swiglu',
      ffnHidden: 11008,
      norm: 'rmsnorm',
      normEps: 1e-6,
      positions: 'rope',
      ropeBase: 500000,
      preNorms: false,
      postNorms: true,
      qkNorm: true,
      qkNormFull: true,
      bias: false,
      tieEmbeddings: false,
    },
  },
  'smollm3-3b': {
    description: 'SmolLM3 3B (every 4th layer without RoPE; GQA, 4 KV heads; tied head)',
    config: {
      vocabSize: 128256,
      layers: 36,
      dModel: 2048,
      heads: 16,
      kvHeads: 4,
      context: 65536,
      ffn: 'swiglu',
      ffnHidden: 11008,
      norm: 'rmsnorm',
      normEps: 1e-6,
      positions: 'rope',
      ropeBase: 5000000,
      noRopeEvery: 4,
      bias: false,
      tieEmbeddings: true,
    },
  },
  'pythia-70m': {
    description: 'Pythia 70M (GPT-NeoX: parallel blocks, RoPE on 16 of 64 head dimensions)',
    config: pythia(6, 512, 8),
  },
  'pythia-160m': { description: 'Pythia 160M', config: pythia(12, 768, 12) },
  'pythia-410m': { description: 'Pythia 410M', config: pythia(24, 1024, 16) },
  'pythia-1b': { description: 'Pythia 1B (8 heads of 256)', config: pythia(16, 2048, 8) },
  'pythia-1.4b': { description: 'Pythia 1.4B', config: pythia(24, 2048, 16) },
  'pythia-2.8b': { description: 'Pythia 2.8B (32 heads of 80, RoPE on 20)', config: pythia(32, 2560, 32) },
  'pythia-6.9b': { description: 'Pythia 6.9B', config: pythia(32, 4096, 32, 50432) },
  'pythia-12b': { description: 'Pythia 12B (40 heads of 128)', config: pythia(36, 5120, 40, 50688) },
  'phi-1.5': {
    description: 'Phi-1.5 (parallel blocks on one LayerNorm, held here as two equal ones; RoPE on 32 of 64)',
    config: phi(24, 2048),
  },
  'phi-2': { description: 'Phi-2 (32 heads of 80, RoPE on 32 of them)', config: phi(32, 2560) },
  'falcon-7b': {
    description:
      'Falcon 7B (multi-query: 71 heads of 64, one K/V head; parallel blocks on one LayerNorm, held here as two equal ones)',
    config: { ...falcon(32, 4544, 71, 1), tieEmbeddings: true },
  },
  'falcon-40b': {
    description: 'Falcon 40B (128 heads of 64 in 8 key/value groups; ln_attn and ln_mlp)',
    config: { ...falcon(60, 8192, 128, 8), tieEmbeddings: true },
  },
  'falcon-rw-1b': {
    description:
      "Falcon-RW-1B (ALiBi scaled with its scores, biases everywhere, sequential layers; RefinedWeb's ablation model)",
    config: {
      vocabSize: 50304,
      layers: 24,
      dModel: 2048,
      heads: 32,
      context: 2048,
      ffn: 'gelu',
      geluExact: true,
      ffnHidden: 8192,
      norm: 'layernorm',
      positions: 'alibi',
      alibiScale: 1 / 8,
      bias: true,
      tieEmbeddings: true,
    },
  },
  'stablelm-3b-4e1t': {
    description: 'StableLM-3B-4E1T (SwiGLU on LayerNorms with biases, RoPE on 20 of 80)',
    config: stablelm(32, 2560, 6912, 50304, false),
  },
  'stablelm-2-12b': {
    description:
      'StableLM 2 12B (parallel blocks on one LayerNorm, held as two; GQA 32/8; a LayerNorm per query and key head)',
    config: {
      ...stablelm(40, 5120, 13824, 100352, false),
      kvHeads: 8,
      parallelBlocks: true,
      qkNorm: true,
      qkLayerNorm: true,
    },
  },
  'stablelm-2-1.6b': {
    description: 'StableLM 2 1.6B (Q/K/V biases, RoPE on 16 of 64)',
    config: stablelm(24, 2048, 5632, 100352, true),
  },
  'aya-23-8b': {
    description: 'Aya 23 8B (Cohere: parallel SwiGLU on one LayerNorm without bias, GQA 32/8, logits × 0.0625)',
    config: cohere(32, 4096, 32, 8, 14336, 8192, 10000),
  },
  'command-r': {
    description: 'Command R v01 (Cohere, 35B: 64 heads and as many K/V heads, a 128k context)',
    config: cohere(40, 8192, 64, 64, 22528, 131072, 8000000),
  },
  'command-r-plus': {
    description: 'Command R+ (Cohere, 104B: 96 heads over 8 K/V heads, each query and key head LayerNorm-ed, 128k)',
    config: {
      ...cohere(64, 12288, 96, 8, 33792, 131072, 75000000),
      qkNorm: true,
      qkLayerNorm: true,
      logitScale: 0.8333333,
    },
  },
  'gpt-j-6b': {
    description:
      'GPT-J 6B (parallel blocks on one LayerNorm, held here as two equal ones; no attention biases; RoPE on 64 of 256)',
    config: { ...phi(28, 4096), vocabSize: 50400, heads: 16, ropeDims: 64, attentionBias: false },
  },
  'llama-2-7b': { description: 'Llama 2 7B', config: llama({}) },
  'llama-2-13b': {
    description: 'Llama 2 13B',
    config: llama({ layers: 40, dModel: 5120, heads: 40, kvHeads: 40, ffnHidden: 13824 }),
  },
  'llama-2-70b': {
    description: 'Llama 2 70B (GQA, 8 KV heads)',
    config: llama({ layers: 80, dModel: 8192, heads: 64, kvHeads: 8, ffnHidden: 28672 }),
  },
  'llama-3-8b': {
    description: 'Llama 3 8B (GQA, 8 KV heads)',
    config: llama({ vocabSize: 128256, kvHeads: 8, ffnHidden: 14336, context: 8192, ropeBase: 500000 }),
  },
  'mistral-7b': {
    description: 'Mistral 7B v0.2 (GQA, 8 KV heads; v0.1 has the same weights and a 4,096-token window)',
    config: llama({ kvHeads: 8, ffnHidden: 14336, context: 32768 }),
  },
  'mistral-nemo-12b': {
    description: 'Mistral NeMo 12B (32 heads of 128 on d 5,120: queries narrower than the model; GQA 8 KV heads)',
    config: llama({
      vocabSize: 131072,
      layers: 40,
      dModel: 5120,
      heads: 32,
      headDim: 128,
      kvHeads: 8,
      ffnHidden: 14336,
      context: 131072,
      ropeBase: 1000000,
      normEps: 1e-5,
    }),
  },
  'llama-3.2-1b': {
    description: 'Llama 3.2 1B (GQA, 8 KV heads, tied embeddings)',
    config: llama({
      vocabSize: 128256,
      layers: 16,
      dModel: 2048,
      heads: 32,
      kvHeads: 8,
      ffnHidden: 8192,
      context: 131072,
      ropeBase: 500000,
      ropeScaling: LLAMA_32_ROPE,
      tieEmbeddings: true,
    }),
  },
  'llama-3.2-3b': {
    description: 'Llama 3.2 3B (GQA, 8 KV heads, tied embeddings)',
    config: llama({
      vocabSize: 128256,
      layers: 28,
      dModel: 3072,
      heads: 24,
      kvHeads: 8,
      ffnHidden: 8192,
      context: 131072,
      ropeBase: 500000,
      ropeScaling: LLAMA_32_ROPE,
      tieEmbeddings: true,
    }),
  },
  'tinyllama-1.1b': {
    description: 'TinyLlama 1.1B (GQA, 4 KV heads)',
    config: llama({ layers: 22, dModel: 2048, heads: 32, kvHeads: 4, ffnHidden: 5632, context: 2048 }),
  },
  'smollm2-135m': {
    description: 'SmolLM2 135M (deep and thin: 30 layers, GQA 3 KV heads, tied)',
    config: llama({
      vocabSize: 49152,
      layers: 30,
      dModel: 576,
      heads: 9,
      kvHeads: 3,
      ffnHidden: 1536,
      context: 8192,
      ropeBase: 100000,
      tieEmbeddings: true,
    }),
  },
  'smollm2-360m': {
    description: 'SmolLM2 360M (GQA, 5 KV heads, tied)',
    config: llama({
      vocabSize: 49152,
      layers: 32,
      dModel: 960,
      heads: 15,
      kvHeads: 5,
      ffnHidden: 2560,
      context: 8192,
      ropeBase: 100000,
      tieEmbeddings: true,
    }),
  },
  'qwen2.5-0.5b': {
    description: 'Qwen2.5 0.5B (Q/K/V biases, GQA 2 KV heads, tied; vocabulary 151,936)',
    config: llama({
      vocabSize: 151936,
      layers: 24,
      dModel: 896,
      heads: 14,
      kvHeads: 2,
      ffnHidden: 4864,
      context: 32768,
      normEps: 1e-6,
      ropeBase: 1000000,
      qkvBias: true,
      tieEmbeddings: true,
    }),
  },
  'qwen2.5-1.5b': {
    description: 'Qwen2.5 1.5B (Q/K/V biases, GQA 2 KV heads, tied)',
    config: llama({
      vocabSize: 151936,
      layers: 28,
      dModel: 1536,
      heads: 12,
      kvHeads: 2,
      ffnHidden: 8960,
      context: 32768,
      normEps: 1e-6,
      ropeBase: 1000000,
      qkvBias: true,
      tieEmbeddings: true,
    }),
  },
  'exaone-3.5-2.4b': {
    description: 'EXAONE 3.5 2.4B (32 heads of 80, GQA 8 KV heads, tied; ExaoneForCausalLM)',
    config: llama({
      vocabSize: 102400,
      layers: 30,
      dModel: 2560,
      heads: 32,
      kvHeads: 8,
      ffnHidden: 7168,
      context: 32768,
      ropeBase: 1000000,
      tieEmbeddings: true,
    }),
  },
  'exaone-3.5-7.8b': {
    description: 'EXAONE 3.5 7.8B (GQA 8 KV heads, untied; ExaoneForCausalLM)',
    config: llama({
      vocabSize: 102400,
      layers: 32,
      dModel: 4096,
      heads: 32,
      kvHeads: 8,
      ffnHidden: 14336,
      context: 32768,
      ropeBase: 1000000,
    }),
  },
  'minitron-4b': {
    description:
      'Minitron 4B (squared-ReLU MLP, LayerNorm1P with biases, half of each head rotated; NemotronForCausalLM)',
    config: llama({
      vocabSize: 256000,
      layers: 32,
      dModel: 3072,
      heads: 24,
      kvHeads: 8,
      headDim: 128,
      ffn: 'relu2',
      ffnHidden: 9216,
      norm: 'layernorm',
      normBias: true,
      ropeDims: 64,
    }),
  },
  'phi-4-mini': {
    description: 'Phi-4-mini 3.8B (24 heads, GQA 8 KV heads, 96 of 128 dimensions rotated, tied; Phi3ForCausalLM)',
    config: llama({
      vocabSize: 200064,
      layers: 32,
      dModel: 3072,
      heads: 24,
      kvHeads: 8,
      ffnHidden: 8192,
      context: 131072,
      ropeDims: 96,
      tieEmbeddings: true,
    }),
  },
  'glm-4-9b': {
    description: 'GLM-4 9B (Q/K/V biases, half of each head rotated, GQA 2 KV heads, 128k; GlmForCausalLM)',
    config: llama({
      vocabSize: 151552,
      layers: 40,
      dModel: 4096,
      heads: 32,
      kvHeads: 2,
      ffnHidden: 13696,
      context: 131072,
      normEps: 1.5625e-7,
      ropeDims: 64,
      qkvBias: true,
    }),
  },
  'baichuan2-7b': {
    description: 'Baichuan 2 7B (MHA, RoPE, untied NormHead; BaichuanForCausalLM)',
    config: llama({
      vocabSize: 125696,
      layers: 32,
      dModel: 4096,
      heads: 32,
      kvHeads: 32,
      ffnHidden: 11008,
      normEps: 1e-6,
    }),
  },
  'baichuan2-13b': {
    description: 'Baichuan 2 13B (MHA, ALiBi, untied NormHead; BaichuanForCausalLM)',
    config: llama({
      vocabSize: 125696,
      layers: 40,
      dModel: 5120,
      heads: 40,
      kvHeads: 40,
      ffnHidden: 13696,
      normEps: 1e-6,
      positions: 'alibi',
    }),
  },
  'internlm2-1.8b': {
    description: 'InternLM2 1.8B (GQA 8 KV heads, untied; InternLM2ForCausalLM)',
    config: llama({
      vocabSize: 92544,
      layers: 24,
      dModel: 2048,
      heads: 16,
      kvHeads: 8,
      ffnHidden: 8192,
      context: 32768,
      ropeBase: 1000000,
    }),
  },
  'internlm2-7b': {
    description: 'InternLM2 / 2.5 7B (GQA 8 KV heads, untied; InternLM2ForCausalLM)',
    config: llama({
      vocabSize: 92544,
      layers: 32,
      dModel: 4096,
      heads: 32,
      kvHeads: 8,
      ffnHidden: 14336,
      context: 32768,
      ropeBase: 1000000,
    }),
  },
  'internlm2-20b': {
    description: 'InternLM2 / 2.5 20B (48 heads, GQA 8 KV heads, untied; InternLM2ForCausalLM)',
    config: llama({
      vocabSize: 92544,
      layers: 48,
      dModel: 6144,
      heads: 48,
      kvHeads: 8,
      ffnHidden: 16384,
      context: 32768,
      ropeBase: 1000000,
    }),
  },
  'qwen3-0.6b': {
    description: 'Qwen3 0.6B (16 heads of 128 on d 1,024, query/key head norms, GQA 8 KV heads, tied)',
    config: llama({
      vocabSize: 151936,
      layers: 28,
      dModel: 1024,
      heads: 16,
      headDim: 128,
      kvHeads: 8,
      ffnHidden: 3072,
      context: 40960,
      normEps: 1e-6,
      ropeBase: 1000000,
      qkNorm: true,
      tieEmbeddings: true,
    }),
  },
  'qwen3-1.7b': {
    description: 'Qwen3 1.7B (16 heads of 128, query/key head norms, GQA 8 KV heads, tied)',
    config: llama({
      vocabSize: 151936,
      layers: 28,
      dModel: 2048,
      heads: 16,
      headDim: 128,
      kvHeads: 8,
      ffnHidden: 6144,
      context: 40960,
      normEps: 1e-6,
      ropeBase: 1000000,
      qkNorm: true,
      tieEmbeddings: true,
    }),
  },
  'gemma-2b': {
    description: 'Gemma 2B (8 heads of 256 on d 2,048, MQA, GeGLU, scaled and tied embeddings)',
    config: gemma1({ layers: 18, dModel: 2048, heads: 8, kvHeads: 1, ffnHidden: 16384 }),
  },
  'gemma-7b': {
    description: 'Gemma 7B (16 heads of 256 on d 3,072, GeGLU, scaled and tied embeddings)',
    config: gemma1({ layers: 28, dModel: 3072, heads: 16, kvHeads: 16, ffnHidden: 24576 }),
  },
  'gemma2-2b': {
    description:
      'Gemma 2 2B (8 heads of 256 on d 2,304, GQA 4 KV heads, GeGLU, post-norms; windows of 4,096 every other layer; scores capped at 50, logits at 30)',
    config: gemma2({ layers: 26, dModel: 2304, heads: 8, kvHeads: 4, ffnHidden: 9216 }),
  },
  'gemma2-9b': {
    description: 'Gemma 2 9B (16 heads of 256 on d 3,584, GQA 8 KV heads; windows of 4,096 every other layer)',
    config: gemma2({ layers: 42, dModel: 3584, heads: 16, kvHeads: 8, ffnHidden: 14336 }),
  },
  'gemma2-27b': {
    description:
      'Gemma 2 27B (32 heads of 128 on d 4,608, GQA 16 KV heads, scores scaled by 1/√144; windows every other layer)',
    config: gemma2({
      layers: 46,
      dModel: 4608,
      heads: 32,
      kvHeads: 16,
      headDim: 128,
      attentionScalar: 144,
      ffnHidden: 36864,
    }),
  },
  'gemma3-270m': {
    description:
      'Gemma 3 270M (4 heads of 256 on d 640, 1 KV head, GeGLU, post-norms; 5 local layers (window 512) per global one)',
    config: gemma3({ layers: 18, dModel: 640, heads: 4, kvHeads: 1, ffnHidden: 2048 }),
  },
  'gemma3-1b': {
    description: 'Gemma 3 1B (4 heads of 256 on d 1,152, 1 KV head, GeGLU, post-norms; 5 local layers per global one)',
    config: gemma3({ layers: 26, dModel: 1152, heads: 4, kvHeads: 1, ffnHidden: 6912 }),
  },
  'gemma3-4b': {
    description:
      'Gemma 3 4B text model (8 heads of 256 on d 2,560, GQA 4 KV heads; windows of 1,024, every 6th layer global)',
    config: gemma3({ layers: 34, dModel: 2560, heads: 8, kvHeads: 4, ffnHidden: 10240, ...LONG_GEMMA }),
  },
  'gemma3-12b': {
    description: 'Gemma 3 12B text model (16 heads of 256 on d 3,840, GQA 8 KV heads; windows of 1,024)',
    config: gemma3({ layers: 48, dModel: 3840, heads: 16, kvHeads: 8, ffnHidden: 15360, ...LONG_GEMMA }),
  },
  'gemma3-27b': {
    description: 'Gemma 3 27B text model (32 heads of 128 on d 5,376, GQA 16 KV heads; windows of 1,024)',
    config: gemma3({
      layers: 62,
      dModel: 5376,
      heads: 32,
      headDim: 128,
      attentionScalar: 168,
      kvHeads: 16,
      ffnHidden: 21504,
      ...LONG_GEMMA,
    }),
  },
  'bert-base': { description: 'BERT base (encoder)', config: bert(12, 768, 12), encoder: { typeVocab: 2 } },
  'bert-large': { description: 'BERT large (encoder)', config: bert(24, 1024, 16), encoder: { typeVocab: 2 } },
  'albert-base': {
    description: 'ALBERT base: one shared layer, factorized embedding E=128',
    config: albert(12, 768, 12),
    encoder: { typeVocab: 2 },
  },
  'albert-large': { description: 'ALBERT large', config: albert(24, 1024, 16), encoder: { typeVocab: 2 } },
  'albert-xlarge': { description: 'ALBERT xlarge', config: albert(24, 2048, 16), encoder: { typeVocab: 2 } },
  'albert-xxlarge': { description: 'ALBERT xxlarge', config: albert(12, 4096, 64), encoder: { typeVocab: 2 } },
  ...Object.fromEntries(
    Object.entries(PRESETS).map(([n, p]) => [
      n,
      { description: `shareformer ${p.description}`, config: { vocabSize: 65, ...p.config } },
    ]),
  ),
};

/** Gemma (1): Llama's layout with GeGLU, heads of 256 and scaled, tied embeddings. */
function gemma1(over: Partial<ModelConfig>): Partial<ModelConfig> {
  return llama({
    vocabSize: 256000,
    headDim: 256,
    context: 8192,
    ffn: 'geglu',
    normEps: 1e-6,
    embedScale: true,
    tieEmbeddings: true,
    ...over,
  });
}

/** Gemma 2: Gemma's, with post-norms, every other layer local (windows of 4,096), caps on scores and logits. */
function gemma2(over: Partial<ModelConfig>): Partial<ModelConfig> {
  return gemma1({
    slidingWindow: 4096,
    fullAttentionEvery: 2,
    attentionSoftcap: 50,
    logitSoftcap: 30,
    postNorms: true,
    ...over,
  });
}

/** Gemma 3 (text): 262,144 tokens, head norms, windows of 512 at RoPE base 10,000 with every sixth layer global at 1,000,000. */
function gemma3(over: Partial<ModelConfig>): Partial<ModelConfig> {
  return gemma1({
    vocabSize: 262144,
    context: 32768,
    ropeBase: 1000000,
    ropeLocalBase: 10000,
    slidingWindow: 512,
    fullAttentionEvery: 6,
    qkNorm: true,
    postNorms: true,
    ...over,
  });
}

export function analyzerPreset(name: string): AnalyzerPreset {
  const p = ANALYZER_PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}" (known: ${Object.keys(ANALYZER_PRESETS).join(', ')})`);
  return { ...p, config: { ...p.config } };
}
