// The model configuration: a plain typed object with defaults, validated once at the edge.
// Errors name the field and the rule that failed. Field names match the CLI flags and config.json.
import { z } from 'zod';
import { formatIssues, SchemaError } from '../schema/validate.js';
import type { RopeScaling } from '../tensor/ops/rope.js';
import { buildPlan, PlanError, type SharingPlan, type ShareScope, type Strategy } from './plan.js';

export interface ModelConfig {
  vocabSize: number;
  layers: number;
  dModel: number;
  heads: number;
  /**
   * Width of each attention head; 0 = dModel / heads. Qwen3 and Gemma set it apart from the model
   * width (Qwen3-0.6B: 16 heads of 128 on d 1024), so the query projection is heads · headDim wide.
   */
  headDim: number;
  /**
   * Attention scores are q·k / √attentionScalar; 0 = the head width (Gemma 3 27B: 168 on heads of
   * 128, its `query_pre_attn_scalar`).
   */
  attentionScalar: number;
  /**
   * Soft-capping of attention scores (Gemma 2: 50): each becomes cap·tanh(score / cap) before the
   * softmax; 0 = none.
   */
  attentionSoftcap: number;
  /** Soft-capping of the output logits (Gemma 2: 30): cap·tanh(logit / cap); 0 = none. */
  logitSoftcap: number;
  /** The output logits multiplied by this (Cohere's logit_scale: 0.0625), before any soft-cap; 1 = none. */
  logitScale: number;
  /** Key/value heads; heads for MHA, 1 for MQA, anything dividing heads for GQA. */
  kvHeads: number;
  /** Maximum sequence length (the learned position table's size). */
  context: number;
  /**
   * Sliding-window attention (Mistral 7B v0.1, Phi-3): each position attends to the newest
   * `slidingWindow` positions up to itself; 0 = to every earlier position.
   */
  slidingWindow: number;
  /**
   * With a sliding window, every Nth layer (N − 1, 2N − 1, …) attends to the whole context instead
   * (Gemma 3: 6, five local layers to one global; Gemma 2: 2); 0 = every layer is windowed.
   */
  fullAttentionEvery: number;
  /**
   * With fullAttentionEvery N, the full layers are the first of each N (0, N, 2N, …: GPT-Neo's
   * global, local, global, …) instead of the last.
   */
  fullAttentionFirst: boolean;
  /** FFN: GELU MLP (GPT-2), ReLU MLP (OPT), SiLU-gated (SwiGLU, Llama) or GELU-gated (GeGLU, Gemma). */
  /** relu2: ReLU squared, ungated (Nemotron, Primer). */
  ffn: 'gelu' | 'relu' | 'relu2' | 'swiglu' | 'geglu';
  /** GELU in its exact form, x·Φ(x) (GPT-NeoX/Pythia, BERT), in the gelu and geglu FFNs; false: the tanh approximation (GPT-2, Gemma). */
  geluExact: boolean;
  /**
   * Attention and FFN both read the block's input, x + attn(norm1(x)) + ffn(norm2(x)) (GPT-NeoX's
   * use_parallel_residual, GPT-J, Phi-2), instead of the FFN reading x + attn(norm1(x)).
   */
  parallelBlocks: boolean;
  /** A bias on the output head, one per vocabulary entry (Phi-1.5, Phi-2). */
  headBias: boolean;
  /** Hidden width of the feed-forward block. */
  ffnHidden: number;
  norm: 'layernorm' | 'rmsnorm';
  normEps: number;
  /**
   * How tokens know their place: learned absolute embeddings (GPT-2), rotary (RoPE), or ALiBi's
   * per-head linear biases on the attention scores (BLOOM, MPT: no parameters, no cache rotation).
   */
  positions: 'learned' | 'rope' | 'alibi';
  /** ALiBi's slopes multiplied by this (Falcon-RW adds them before the 1/√(head size) scaling: 1/√hd); 1 = BLOOM's. */
  alibiScale: number;
  ropeBase: number;
  /** RoPE base of the windowed layers when they differ from the full ones (Gemma 3: 10,000 against 1,000,000); 0 = ropeBase. */
  ropeLocalBase: number;
  /**
   * Dimensions at the start of each head that RoPE rotates, the rest passing through unrotated
   * (GPT-NeoX/Pythia: a quarter of the head, Phi-2: 0.4); 0 = the whole head.
   */
  ropeDims: number;
  /**
   * Every Nth layer (N − 1, 2N − 1, …) has no rotary embedding: its keys and the queries that meet
   * them carry no position (SmolLM3's NoPE layers: 4); 0 = every layer rotates.
   */
  noRopeEvery: number;
  /** Long-context rescaling of RoPE (Llama 3.1's "llama3", or "linear"); null = plain base^(−2i/D). */
  ropeScaling: RopeScaling | null;
  /** Biases on every linear layer (and LayerNorm). */
  bias: boolean;
  /**
   * LayerNorm with a bias; unless given, as `bias` says. Falcon: biases on its norms and none on
   * its linear layers (bias false, normBias true).
   */
  normBias: boolean;
  /**
   * With `bias`, biases on the attention's query, key, value and output projections too; false
   * keeps them on the FFN and the norms only (GPT-J's layout).
   */
  attentionBias: boolean;
  /**
   * With attentionBias false, the output projection keeps its bias while the query, key and value
   * projections have none (GPT-Neo's layout).
   */
  attentionOutBias: boolean;
  /** Biases on the query, key and value projections even when `bias` is off (Qwen2's layout). */
  qkvBias: boolean;
  /** RMSNorm of every query and key head before RoPE, one gain per head dimension (Qwen3's layout). */
  qkNorm: boolean;
  /**
   * With qkNorm, the RMSNorm spans the whole query (and key) projection, one gain per channel,
   * before the split into heads (OLMo 2's layout), instead of each head.
   */
  qkNormFull: boolean;
  /**
   * With qkNorm, each query and key head goes through a LayerNorm (mean-centred, without bias) with
   * its own gain per head and dimension (Command R+, StableLM 2 12B), instead of a shared RMSNorm.
   */
  qkLayerNorm: boolean;
  /** A norm before attention and before the FFN; false leaves only the post-norms (OLMo 2). */
  preNorms: boolean;
  /** Token embeddings multiplied by √dModel before the first layer (Gemma). */
  embedScale: boolean;
  /** A norm (of the norm kind) on the input embeddings before the first layer (BLOOM's word_embeddings_layernorm). */
  embedNorm: boolean;
  /** Token embeddings multiplied by this before the first layer (Granite's embedding_multiplier: 12); 1 = none. */
  embedMultiplier: number;
  /**
   * Each attention and FFN output multiplied by this before its residual add (Granite's
   * residual_multiplier: 0.22); 1 = none.
   */
  residualMultiplier: number;
  /** A norm on the attention and FFN outputs before each residual add, besides the one before (Gemma 2 / 3). */
  postNorms: boolean;
  /** Reuse the input embedding as the output projection. */
  tieEmbeddings: boolean;
  /** Factorized embedding width E (< dModel) with an E→dModel projection, as ALBERT; 0 = not factorized. */
  embedDim: number;
  dropout: number;
  /** Cross-layer weight sharing: none | all | sequence:M | cycle:M | cycle-rev:M | repeat:K | array. */
  shareWeights: Strategy;
  shareScope: ShareScope;
  /** Cross-layer K/V sharing: none | cla:K | yoco:K | array. */
  shareKv: Strategy;
  /** Attention-weight sharing: none | group:K | array. */
  shareAttention: Strategy;
  /**
   * Relaxed sharing (Bae et al. 2024): every layer that uses a shared parameter set adds its own
   * rank-r delta B·A to each of that set's matrices it uses; 0 = strict sharing.
   */
  relaxRank: number;
}

export const DEFAULT_CONFIG: ModelConfig = {
  vocabSize: 65,
  layers: 4,
  dModel: 128,
  heads: 4,
  headDim: 0,
  attentionScalar: 0,
  attentionSoftcap: 0,
  logitSoftcap: 0,
  logitScale: 1,
  kvHeads: 4,
  context: 128,
  slidingWindow: 0,
  fullAttentionEvery: 0,
  fullAttentionFirst: false,
  ffn: 'gelu',
  geluExact: false,
  parallelBlocks: false,
  headBias: false,
  ffnHidden: 512,
  norm: 'layernorm',
  normEps: 1e-5,
  positions: 'learned',
  alibiScale: 1,
  ropeBase: 10000,
  ropeLocalBase: 0,
  ropeDims: 0,
  noRopeEvery: 0,
  ropeScaling: null,
  bias: true,
  normBias: true,
  attentionBias: true,
  attentionOutBias: false,
  qkvBias: false,
  qkNorm: false,
  qkNormFull: false,
  qkLayerNorm: false,
  preNorms: true,
  embedScale: false,
  embedNorm: false,
  embedMultiplier: 1,
  residualMultiplier: 1,
  postNorms: false,
  tieEmbeddings: false,
  embedDim: 0,
  dropout: 0,
  shareWeights: 'none',
  shareScope: 'block',
  shareKv: 'none',
  shareAttention: 'none',
  relaxRank: 0,
};

/** Whether the FFN has a gate projection beside its up projection (SwiGLU, GeGLU): three matrices, not two. */
export const gatedFfn = (c: Pick<ModelConfig, 'ffn'>): boolean => c.ffn === 'swiglu' || c.ffn === 'geglu';

export class ConfigError extends Error {
  constructor(field: string, message: string) {
    super(`config${field ? `.${field}` : ''}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Bounds that no real model reaches (Llama-2-70B: 80 layers, d 8192, vocabulary 32,000) but that
 * stop a corrupt or mistyped file from hanging the process or allocating terabytes.
 */
export const CONFIG_LIMITS = {
  vocabSize: 1 << 24,
  layers: 1 << 17,
  dModel: 1 << 17,
  heads: 1 << 14,
  context: 1 << 24,
  ffnHidden: 1 << 20,
} as const;

const size = (max: number) => z.number().int().min(1).max(max);
const strategy = z.union([z.string(), z.array(z.number())]);

/** Every field's type and range; relations between fields are checked in resolveConfig. */
export const modelConfigSchema = z.strictObject({
  vocabSize: size(CONFIG_LIMITS.vocabSize),
  layers: size(CONFIG_LIMITS.layers),
  dModel: size(CONFIG_LIMITS.dModel),
  heads: size(CONFIG_LIMITS.heads),
  headDim: z.number().int().min(0).max(CONFIG_LIMITS.dModel),
  attentionScalar: z.number().min(0).max(1e9),
  attentionSoftcap: z.number().min(0).max(1e9),
  logitSoftcap: z.number().min(0).max(1e9),
  logitScale: z.number().gt(0).max(1e9),
  kvHeads: size(CONFIG_LIMITS.heads),
  context: size(CONFIG_LIMITS.context),
  slidingWindow: z.number().int().min(0).max(CONFIG_LIMITS.context),
  fullAttentionEvery: z.number().int().min(0).max(CONFIG_LIMITS.layers),
  fullAttentionFirst: z.boolean(),
  ffn: z.enum(['gelu', 'relu', 'relu2', 'swiglu', 'geglu']),
  geluExact: z.boolean(),
  parallelBlocks: z.boolean(),
  headBias: z.boolean(),
  ffnHidden: size(CONFIG_LIMITS.ffnHidden),
  norm: z.enum(['layernorm', 'rmsnorm']),
  normEps: z.number().gt(0).lt(1),
  positions: z.enum(['learned', 'rope', 'alibi']),
  alibiScale: z.number().gt(0).lt(1e6),
  ropeBase: z.number().gt(1).max(1e12),
  ropeLocalBase: z.union([z.literal(0), z.number().gt(1).max(1e12)]),
  ropeDims: z.number().int().min(0).max(CONFIG_LIMITS.dModel),
  noRopeEvery: z.number().int().min(0).max(CONFIG_LIMITS.layers),
  ropeScaling: z
    .discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('llama3'),
        factor: z.number().gt(0).max(1e6),
        lowFreqFactor: z.number().gt(0).max(1e6),
        highFreqFactor: z.number().gt(0).max(1e6),
        originalContext: z.number().int().min(1).max(CONFIG_LIMITS.context),
      }),
      z.strictObject({ type: z.literal('linear'), factor: z.number().gt(0).max(1e6) }),
      z.strictObject({
        type: z.literal('longrope'),
        factors: z.array(z.number().gt(0).max(1e6)).min(1).max(CONFIG_LIMITS.dModel),
      }),
    ])
    .nullable(),
  bias: z.boolean(),
  normBias: z.boolean(),
  attentionBias: z.boolean(),
  attentionOutBias: z.boolean(),
  qkvBias: z.boolean(),
  qkNorm: z.boolean(),
  qkNormFull: z.boolean(),
  qkLayerNorm: z.boolean(),
  preNorms: z.boolean(),
  embedScale: z.boolean(),
  embedNorm: z.boolean(),
  embedMultiplier: z.number().gt(0).max(1e9),
  residualMultiplier: z.number().gt(0).max(1e9),
  postNorms: z.boolean(),
  tieEmbeddings: z.boolean(),
  embedDim: z.number().int().min(0).max(CONFIG_LIMITS.dModel),
  dropout: z.number().min(0).lt(1),
  shareWeights: strategy,
  shareScope: z.enum(['block', 'attention', 'ffn']),
  shareKv: strategy,
  shareAttention: strategy,
  relaxRank: z.number().int().min(0).max(CONFIG_LIMITS.dModel),
});

/** Fills defaults (kvHeads follows heads, normBias follows bias, ffnHidden is 4·dModel unless given) and validates. */
export function resolveConfig(partial: Partial<ModelConfig> = {}): ModelConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new ConfigError('', `must be an object of model fields, got ${JSON.stringify(partial)}`);
  }
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_CONFIG))
      throw new ConfigError(key, `unknown field (known: ${Object.keys(DEFAULT_CONFIG).join(', ')})`);
  }
  const merged = {
    ...DEFAULT_CONFIG,
    kvHeads: partial.heads ?? DEFAULT_CONFIG.heads,
    normBias: partial.bias ?? DEFAULT_CONFIG.bias,
    ffnHidden: 4 * (typeof partial.dModel === 'number' ? partial.dModel : DEFAULT_CONFIG.dModel),
    ...partial,
  };
  const parsed = modelConfigSchema.safeParse(merged);
  if (!parsed.success)
    throw new SchemaError(formatIssues('config', merged, parsed.error).replace(/^config: /gm, 'config.'));
  const c = parsed.data as ModelConfig;
  if (c.headDim === 0 && c.dModel % c.heads !== 0)
    throw new ConfigError('heads', `dModel ${c.dModel} is not divisible by heads ${c.heads} (or set headDim)`);
  if (c.heads % c.kvHeads !== 0)
    throw new ConfigError('kvHeads', `heads ${c.heads} is not divisible by kvHeads ${c.kvHeads}`);
  if (c.positions === 'rope' && headSize(c) % 2 !== 0)
    throw new ConfigError('positions', `rope needs an even head size, got ${headSize(c)}`);
  if (c.ropeDims > 0 && (c.positions !== 'rope' || c.ropeDims % 2 !== 0 || c.ropeDims > headSize(c)))
    throw new ConfigError(
      'ropeDims',
      `rotates the first dimensions of each head: it needs positions rope and an even number up to the head size ${headSize(c)}, got ${c.ropeDims}`,
    );
  if (!c.attentionBias && !c.bias)
    throw new ConfigError(
      'attentionBias',
      'false leaves the attention without the biases of bias, but bias is false too',
    );
  if (c.geluExact && c.ffn !== 'gelu' && c.ffn !== 'geglu')
    throw new ConfigError('geluExact', `chooses the GELU of the gelu and geglu FFNs, but ffn is ${c.ffn}`);
  if (c.qkNormFull && !c.qkNorm)
    throw new ConfigError('qkNormFull', 'widens the query/key norms of qkNorm, but qkNorm is false');
  if (c.qkLayerNorm && (!c.qkNorm || c.qkNormFull))
    throw new ConfigError(
      'qkLayerNorm',
      'makes the per-head query/key norms of qkNorm LayerNorms: it needs qkNorm true and qkNormFull false',
    );
  if (!c.preNorms && !c.postNorms)
    throw new ConfigError('preNorms', 'false leaves the blocks without norms unless postNorms is true');
  if (c.noRopeEvery > 0 && c.positions !== 'rope')
    throw new ConfigError(
      'noRopeEvery',
      `leaves some layers without rotary embeddings, but positions is ${c.positions}`,
    );
  if (c.alibiScale !== 1 && c.positions !== 'alibi')
    throw new ConfigError('alibiScale', `scales ALiBi's slopes, but positions is ${c.positions}`);
  if (c.ropeScaling && c.positions !== 'rope')
    throw new ConfigError('ropeScaling', `rescales rotary embeddings, but positions is ${c.positions}`);
  if (c.ropeScaling?.type === 'longrope' && c.ropeScaling.factors.length * 2 !== rotaryDims(c))
    throw new ConfigError(
      'ropeScaling',
      `has ${c.ropeScaling.factors.length} LongRoPE factors; the ${rotaryDims(c)} rotated dimensions of a head need ${rotaryDims(c) / 2}`,
    );
  if (c.ropeScaling?.type === 'llama3' && c.ropeScaling.highFreqFactor <= c.ropeScaling.lowFreqFactor)
    throw new ConfigError('ropeScaling', 'highFreqFactor must exceed lowFreqFactor');
  if (c.attentionOutBias && (c.attentionBias || !c.bias))
    throw new ConfigError(
      'attentionOutBias',
      "keeps the output projection's bias when attentionBias is false; it needs bias true and attentionBias false",
    );
  if (c.fullAttentionFirst && c.fullAttentionEvery === 0)
    throw new ConfigError('fullAttentionFirst', 'places the full layers of fullAttentionEvery, but it is 0');
  if (c.fullAttentionEvery > 0 && c.slidingWindow === 0)
    throw new ConfigError('fullAttentionEvery', 'chooses the layers without a window, but slidingWindow is 0');
  if (c.ropeLocalBase > 0 && (c.positions !== 'rope' || c.slidingWindow === 0))
    throw new ConfigError(
      'ropeLocalBase',
      'is the RoPE base of windowed layers: it needs positions rope and a slidingWindow',
    );
  if (c.embedDim >= c.dModel) {
    throw new ConfigError(
      'embedDim',
      `must be 0 (not factorized) or an integer below dModel ${c.dModel}, got ${JSON.stringify(c.embedDim)}`,
    );
  }
  if (c.relaxRank >= c.dModel)
    throw new ConfigError(
      'relaxRank',
      `must be below dModel ${c.dModel} (a delta of full rank is an unshared layer), got ${c.relaxRank}`,
    );
  planOf(c); // validates the sharing maps
  return c;
}

/** Width of one attention head: headDim, or dModel / heads when it is 0. */
export const headSize = (c: Pick<ModelConfig, 'dModel' | 'heads' | 'headDim'>): number =>
  c.headDim > 0 ? c.headDim : c.dModel / c.heads;

/** Dimensions of each head RoPE rotates: ropeDims, or the whole head when it is 0. */
export const rotaryDims = (c: Pick<ModelConfig, 'dModel' | 'heads' | 'headDim' | 'ropeDims'>): number =>
  c.ropeDims > 0 ? c.ropeDims : headSize(c);

/** The same model with every layer computing its own keys, values and scores for every head (the KV cache's baseline). */
export const withoutKvSharing = (c: ModelConfig): ModelConfig =>
  resolveConfig({ ...c, kvHeads: c.heads, shareKv: 'none', shareAttention: 'none' });

/** The factor attention scores are multiplied by: 1/√attentionScalar, or 1/√(head width). */
export const scoreScale = (c: ModelConfig): number => 1 / Math.sqrt(c.attentionScalar || headSize(c));

/** The sliding window layer `i` attends within, 0 for the whole context (see fullAttentionEvery). */
export function layerWindow(c: ModelConfig, i: number): number {
  const every = c.fullAttentionEvery;
  const full = every > 0 && (c.fullAttentionFirst ? i % every === 0 : (i + 1) % every === 0);
  return full ? 0 : c.slidingWindow;
}

/** Whether layer `i`'s keys (and the queries that meet them) carry rotary positions (see noRopeEvery). */
export const layerRotates = (c: ModelConfig, i: number): boolean =>
  c.positions === 'rope' && !(c.noRopeEvery > 0 && (i + 1) % c.noRopeEvery === 0);

/** True when every layer attends within the sliding window (what bounds a generation cache). */
export const everyLayerWindowed = (c: ModelConfig): boolean =>
  c.slidingWindow > 0 && (c.fullAttentionEvery === 0 || (!c.fullAttentionFirst && c.fullAttentionEvery > c.layers));

/** The validated sharing plan of a resolved config. */
export function planOf(c: ModelConfig): SharingPlan {
  try {
    return buildPlan(
      { weights: c.shareWeights, scope: c.shareScope, kv: c.shareKv, attention: c.shareAttention },
      c.layers,
    );
  } catch (e) {
    if (e instanceof PlanError) throw new ConfigError(e.field, e.detail);
    throw e;
  }
}
