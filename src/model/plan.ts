// The sharing plan: every kind of sharing as a map from layer index to a source index, generated
// from a named strategy or given as an array, and validated once. The model, the KV cache and the
// analyzer read only these maps; no sharing method has code of its own.

export type ShareScope = 'block' | 'attention' | 'ffn';
/** A named strategy ("none", "cycle:3", ...) or an explicit layer → source array. */
export type Strategy = string | readonly number[];

export interface SharingSpec {
  /** Which parameter set each layer uses: none | all | sequence:M | cycle:M | cycle-rev:M | repeat:K | array. */
  weights: Strategy;
  /** What the weight map shares: the whole block, only the attention sub-layer, or only the FFN. */
  scope: ShareScope;
  /** Cross-layer K/V sharing: none | cla:K | yoco:K | array (layer i attends with layer map[i]'s K/V). */
  kv: Strategy;
  /** Attention-weight sharing: none | group:K | array (layer i reuses layer map[i]'s attention probabilities). */
  attention: Strategy;
}

export const NO_SHARING: SharingSpec = { weights: 'none', scope: 'block', kv: 'none', attention: 'none' };

/** What each layer computes and which parameter set and activations it uses. */
export interface SharingPlan {
  layers: number;
  spec: SharingSpec;
  /** Parameter set of each layer's attention sub-layer (norm1, q, k, v, o). */
  attnSet: number[];
  /** Parameter set of each layer's feed-forward sub-layer (norm2, ffn). */
  ffnSet: number[];
  /** Layer whose K/V each layer attends with. */
  kv: number[];
  /** Layer whose attention probabilities each layer uses. */
  attention: number[];
  /** Per layer: computes queries (owns a use of Wq). */
  computesQ: boolean[];
  /** Per layer: computes keys. */
  computesK: boolean[];
  /** Per layer: computes values. */
  computesV: boolean[];
}

export class PlanError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'PlanError';
  }
}

function parseCount(field: string, s: string, name: string, n: number, min: number, max: number): number {
  const arg = s.slice(name.length + 1);
  const k = Number(arg);
  if (!/^\d+$/.test(arg) || k < min || k > max) {
    throw new PlanError(
      field,
      `"${s}": ${name} needs an integer from ${min} to ${max} for ${n} layers, e.g. ${name}:${Math.max(min, Math.min(max, 2))}`,
    );
  }
  return k;
}

const STRATEGIES = {
  weights: 'none, all, sequence:M, cycle:M, cycle-rev:M, repeat:K, or an array of set indices',
  kv: 'none, cla:K, yoco:K, or an array of source layers',
  attention: 'none, group:K, or an array of source layers',
} as const;

/** The layer → parameter-set map of a weight strategy (Takase & Kiyono 2021; MobileLLM's repeat). */
export function weightMap(strategy: Strategy, n: number, field = 'shareWeights'): number[] {
  if (typeof strategy !== 'string') return checkArray(field, strategy, n);
  const idx = Array.from({ length: n }, (_, i) => i);
  const s = strategy.trim();
  if (s === 'none') return idx;
  if (s === 'all') return idx.map(() => 0);
  if (s.startsWith('sequence:')) {
    const m = parseCount(field, s, 'sequence', n, 1, n);
    return idx.map((i) => Math.floor(i / (n / m)));
  }
  if (s.startsWith('cycle-rev:')) {
    const m = parseCount(field, s, 'cycle-rev', n, 1, n);
    return idx.map((i) => (i < n - m ? i % m : m - 1 - (i - (n - m))));
  }
  if (s.startsWith('cycle:')) {
    const m = parseCount(field, s, 'cycle', n, 1, n);
    return idx.map((i) => i % m);
  }
  if (s.startsWith('repeat:')) {
    const k = parseCount(field, s, 'repeat', n, 1, n);
    return idx.map((i) => Math.floor(i / k));
  }
  throw new PlanError(field, `unknown strategy "${s}" (expected ${STRATEGIES.weights})`);
}

/** A named activation-sharing strategy: the largest K it accepts for N layers and its map. */
interface SourceStrategy {
  max(n: number): number;
  source(i: number, k: number, n: number): number;
}

/** Groups of K consecutive layers read the first layer of their group (CLA, attention groups). */
const firstOfGroup: SourceStrategy = { max: (n) => n, source: (i, k) => i - (i % k) };

const KV_STRATEGIES: Record<string, SourceStrategy> = {
  cla: firstOfGroup,
  // The last K layers all reuse layer N−K−1 (YOCO, Gemma 3n's shared-KV layers).
  yoco: { max: (n) => n - 1, source: (i, k, n) => (i >= n - k ? n - k - 1 : i) },
};
const ATTENTION_STRATEGIES: Record<string, SourceStrategy> = { group: firstOfGroup };

function sourceMap(
  field: string,
  strategy: Strategy,
  n: number,
  table: Record<string, SourceStrategy>,
  expected: string,
): number[] {
  if (typeof strategy !== 'string') return checkSourceMap(field, checkArray(field, strategy, n));
  const s = strategy.trim();
  if (s === 'none') return Array.from({ length: n }, (_, i) => i);
  const name = s.split(':')[0]!;
  const gen = table[name];
  if (!gen || !s.includes(':')) throw new PlanError(field, `unknown strategy "${s}" (expected ${expected})`);
  const k = parseCount(field, s, name, n, 1, gen.max(n));
  return Array.from({ length: n }, (_, i) => gen.source(i, k, n));
}

/** The layer → source-layer map of cross-layer K/V sharing (CLA, YOCO). */
export function kvMap(strategy: Strategy, n: number, field = 'shareKv'): number[] {
  return sourceMap(field, strategy, n, KV_STRATEGIES, STRATEGIES.kv);
}

/** The layer → source-layer map of attention-weight sharing (Xiao et al. 2019). */
export function attentionMap(strategy: Strategy, n: number, field = 'shareAttention'): number[] {
  return sourceMap(field, strategy, n, ATTENTION_STRATEGIES, STRATEGIES.attention);
}

function checkArray(field: string, map: readonly number[], n: number): number[] {
  if (!Array.isArray(map) || map.length !== n) {
    throw new PlanError(
      field,
      `an explicit map needs one entry per layer (${n}), got ${Array.isArray(map) ? map.length : typeof map}`,
    );
  }
  map.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= n)
      throw new PlanError(field, `layer ${i}: entry ${JSON.stringify(v)} must be an integer from 0 to ${n - 1}`);
  });
  return [...map];
}

/** Activation sharing reads an earlier producer: map[i] ≤ i and map[map[i]] = map[i]. */
function checkSourceMap(field: string, map: number[]): number[] {
  map.forEach((src, i) => {
    if (src > i)
      throw new PlanError(
        field,
        `layer ${i} points to layer ${src}, but a layer can only reuse an earlier layer (map[i] ≤ i)`,
      );
    if (map[src] !== src) {
      throw new PlanError(
        field,
        `layer ${i} points to layer ${src}, which itself reuses layer ${map[src]}; point to the producer (map[map[i]] = map[i])`,
      );
    }
  });
  return map;
}

/** Builds and validates the plan for an N-layer model. */
export function buildPlan(spec: SharingSpec, layers: number): SharingPlan {
  if (!['block', 'attention', 'ffn'].includes(spec.scope)) {
    throw new PlanError('shareScope', `must be block, attention or ffn, got ${JSON.stringify(spec.scope)}`);
  }
  const weights = weightMap(spec.weights, layers);
  const identity = weights.map((_, i) => i);
  const attnSet = spec.scope === 'ffn' ? identity : weights;
  const ffnSet = spec.scope === 'attention' ? identity : weights;
  const kv = kvMap(spec.kv, layers);
  const attention = attentionMap(spec.attention, layers);
  // A layer that reuses attention probabilities computes no keys, so a layer that needs keys cannot read them from it.
  kv.forEach((src, i) => {
    if (src !== i && attention[i] === i && attention[src] !== src) {
      throw new PlanError(
        'shareKv',
        `layer ${i} reads the keys/values of layer ${src}, but layer ${src} reuses the attention weights of layer ${attention[src]} (shareAttention) and computes no keys`,
      );
    }
  });
  const computesQ = attention.map((a, i) => a === i);
  const computesK = kv.map((k, i) => k === i && attention[i] === i);
  const computesV = kv.map((k, i) => k === i);
  return { layers, spec: { ...spec }, attnSet, ffnSet, kv, attention, computesQ, computesK, computesV };
}

/** Unique parameter sets in first-use order. */
export function uniqueSets(map: readonly number[]): number[] {
  return [...new Set(map)];
}
