// The model configuration: a plain typed object with defaults, validated once at the edge.
// Errors name the field and the rule that failed. Field names match the CLI flags and config.json.
import { buildPlan, PlanError, type SharingPlan, type ShareScope, type Strategy } from './plan.js';

export interface ModelConfig {
  vocabSize: number;
  layers: number;
  dModel: number;
  heads: number;
  /** Key/value heads; heads for MHA, 1 for MQA, anything dividing heads for GQA. */
  kvHeads: number;
  /** Maximum sequence length (the learned position table's size). */
  context: number;
  ffn: 'gelu' | 'swiglu';
  /** Hidden width of the feed-forward block. */
  ffnHidden: number;
  norm: 'layernorm' | 'rmsnorm';
  normEps: number;
  positions: 'learned' | 'rope';
  ropeBase: number;
  /** Biases on every linear layer (and LayerNorm). */
  bias: boolean;
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
}

export const DEFAULT_CONFIG: ModelConfig = {
  vocabSize: 65,
  layers: 4,
  dModel: 128,
  heads: 4,
  kvHeads: 4,
  context: 128,
  ffn: 'gelu',
  ffnHidden: 512,
  norm: 'layernorm',
  normEps: 1e-5,
  positions: 'learned',
  ropeBase: 10000,
  bias: true,
  tieEmbeddings: false,
  embedDim: 0,
  dropout: 0,
  shareWeights: 'none',
  shareScope: 'block',
  shareKv: 'none',
  shareAttention: 'none',
};

export class ConfigError extends Error {
  constructor(field: string, message: string) {
    super(`config.${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Fills defaults (kvHeads follows heads, ffnHidden is 4·dModel unless given) and validates. */
export function resolveConfig(partial: Partial<ModelConfig> = {}): ModelConfig {
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_CONFIG)) throw new ConfigError(key, `unknown field (known: ${Object.keys(DEFAULT_CONFIG).join(', ')})`);
  }
  const c: ModelConfig = {
    ...DEFAULT_CONFIG,
    kvHeads: partial.heads ?? DEFAULT_CONFIG.heads,
    ffnHidden: 4 * (partial.dModel ?? DEFAULT_CONFIG.dModel),
    ...partial,
  };
  const positiveInt = (field: keyof ModelConfig) => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new ConfigError(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  (['vocabSize', 'layers', 'dModel', 'heads', 'kvHeads', 'context', 'ffnHidden'] as const).forEach(positiveInt);
  if (c.dModel % c.heads !== 0) throw new ConfigError('heads', `dModel ${c.dModel} is not divisible by heads ${c.heads}`);
  if (c.heads % c.kvHeads !== 0) throw new ConfigError('kvHeads', `heads ${c.heads} is not divisible by kvHeads ${c.kvHeads}`);
  if (c.ffn !== 'gelu' && c.ffn !== 'swiglu') throw new ConfigError('ffn', `must be "gelu" or "swiglu", got ${JSON.stringify(c.ffn)}`);
  if (c.norm !== 'layernorm' && c.norm !== 'rmsnorm') throw new ConfigError('norm', `must be "layernorm" or "rmsnorm", got ${JSON.stringify(c.norm)}`);
  if (c.positions !== 'learned' && c.positions !== 'rope') throw new ConfigError('positions', `must be "learned" or "rope", got ${JSON.stringify(c.positions)}`);
  if (c.positions === 'rope' && (c.dModel / c.heads) % 2 !== 0) throw new ConfigError('positions', `rope needs an even head size, got ${c.dModel / c.heads}`);
  if (!(c.normEps > 0)) throw new ConfigError('normEps', `must be positive, got ${c.normEps}`);
  if (!(c.ropeBase > 1)) throw new ConfigError('ropeBase', `must be greater than 1, got ${c.ropeBase}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new ConfigError('dropout', `must be in [0, 1), got ${c.dropout}`);
  if (typeof c.bias !== 'boolean') throw new ConfigError('bias', `must be true or false, got ${JSON.stringify(c.bias)}`);
  if (typeof c.tieEmbeddings !== 'boolean') throw new ConfigError('tieEmbeddings', `must be true or false, got ${JSON.stringify(c.tieEmbeddings)}`);
  if (!Number.isSafeInteger(c.embedDim) || c.embedDim < 0 || c.embedDim >= c.dModel) {
    throw new ConfigError('embedDim', `must be 0 (not factorized) or an integer below dModel ${c.dModel}, got ${JSON.stringify(c.embedDim)}`);
  }
  planOf(c); // validates the sharing maps
  return c;
}

/** The validated sharing plan of a resolved config. */
export function planOf(c: ModelConfig): SharingPlan {
  try {
    return buildPlan({ weights: c.shareWeights, scope: c.shareScope, kv: c.shareKv, attention: c.shareAttention }, c.layers);
  } catch (e) {
    if (e instanceof PlanError) throw new ConfigError(e.field, e.detail);
    throw e;
  }
}
