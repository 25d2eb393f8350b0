// The analyzer: parameters, memory, KV cache and FLOPs of any configuration and sharing plan,
// computed from the config alone (nothing is allocated), so it works for 70B-parameter presets.
// Parameter and KV figures come from the same functions the runtime uses (model/parameters.ts).
import {
  gatedFfn,
  headSize,
  layerWindow,
  planOf,
  resolveConfig,
  withoutKvSharing,
  type ModelConfig,
} from '../model/config.js';
import {
  countParameters,
  DTYPE_BYTES,
  kvCacheBytesPerToken,
  parameterLayout,
  relaxationLayout,
  type ParameterCount,
  type ParameterSpec,
} from '../model/parameters.js';
import { cachePositions, kvCacheBytesHeld } from '../model/kvcache.js';
import type { SharingPlan } from '../model/plan.js';
import type { StorageDtype } from '../tensor/precision.js';
import type { AnalyzerPreset } from './presets.js';

export type Dtype = StorageDtype;
export { DTYPE_BYTES };

export interface AnalyzeOptions {
  /** Sequence length for KV-cache and FLOP figures (default: the config's context). */
  context?: number;
  batch?: number;
  dtype?: Dtype;
  /** KV-cache storage for the KV figures (default: dtype), as the runtime stores it (int8 with row scales). */
  kvDtype?: Dtype;
}

export interface LayerView {
  layer: number;
  attentionSet: number;
  ffnSet: number;
  kvFrom: number;
  attentionFrom: number;
  computes: string;
}

export interface FlopBreakdown {
  /** Q, K, V and output projections. */
  projections: number;
  /** QKᵀ scores (grows with context). */
  scores: number;
  /** Probabilities × V (grows with context). */
  values: number;
  ffn: number;
  /** Embedding projection and output head. */
  embedAndHead: number;
  /** Relaxed sharing's low-rank deltas (x·Aᵀ·Bᵀ per relaxed matrix). */
  relaxation: number;
  total: number;
}

export interface Analysis {
  config: ModelConfig;
  plan: Pick<SharingPlan, 'attnSet' | 'ffnSet' | 'kv' | 'attention'>;
  encoder: boolean;
  context: number;
  batch: number;
  dtype: Dtype;
  parameters: ParameterCount & {
    /** Parameters each token passes through: shared sets count once per layer that uses them. */
    effective: number;
    layers: LayerView[];
  };
  weightBytes: Record<Dtype, number>;
  kvCache: {
    bytesPerToken: number;
    /** bytesPerToken × the positions generation holds (the context, or a sliding window and a stride) × batch. */
    bytes: number;
    /** The same model without GQA/MQA, CLA/YOCO or attention sharing. */
    baselineBytesPerToken: number;
    keyEntries: number;
    valueEntries: number;
  };
  flops: {
    /** Forward FLOPs for one token attending to `context` keys (the last decoding step). */
    forwardPerTokenAtContext: FlopBreakdown;
    /** Forward FLOPs per token averaged over a whole sequence of `context` tokens. */
    forwardPerToken: FlopBreakdown;
    /** Training ≈ 3 × forward (backward costs twice the forward). */
    trainingPerToken: number;
    /** Forward FLOPs per token the plan avoids compared with every layer computing its own Q, K, V and scores. */
    skippedBySharing: { kv: number; attention: number };
  };
  trainingMemory: { weights: number; gradients: number; optimizer: number; activations: number; total: number };
}

/** The config of a preset with sharing overrides applied and validated. */
export function presetWith(preset: AnalyzerPreset, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return resolveConfig({ ...preset.config, ...overrides });
}

/** Parameter tensors; encoders add BERT's token-type embeddings, embedding LayerNorm and pooler. */
export function analyzerLayout(c: ModelConfig, encoder?: { typeVocab: number }, plan = planOf(c)): ParameterSpec[] {
  const layout = parameterLayout(c, plan);
  if (!encoder) return layout;
  const e = c.embedDim > 0 ? c.embedDim : c.dModel;
  // Post-norm encoders have no final norm; they normalise the embeddings instead.
  // ALBERT adds positions in the embedding space E, before the projection.
  const out = layout
    .filter((p) => !p.name.startsWith('norm.'))
    .map((p) => (p.name === 'pos.weight' ? { ...p, shape: [c.context, e] } : p));
  out.push({ name: 'embed.type.weight', shape: [encoder.typeVocab, e], component: 'embedding' });
  out.push(
    { name: 'embed.norm.weight', shape: [e], component: 'norm' },
    { name: 'embed.norm.bias', shape: [e], component: 'norm' },
  );
  if (c.embedDim > 0) out.push({ name: 'embed.proj.bias', shape: [c.dModel], component: 'embedProjection' });
  out.push(
    { name: 'pooler.weight', shape: [c.dModel, c.dModel], component: 'pooler' },
    { name: 'pooler.bias', shape: [c.dModel], component: 'pooler' },
  );
  return out;
}

/**
 * Forward FLOPs (2 per multiply-add) of one token attending to `keys` positions, or to keys(i) in
 * layer i (layers with and without a sliding window).
 */
export function forwardFlops(
  c: ModelConfig,
  plan: SharingPlan,
  keys: number | ((layer: number) => number),
): FlopBreakdown {
  const keysAt = typeof keys === 'number' ? () => keys : keys;
  const d = c.dModel,
    qw = c.heads * headSize(c),
    kvw = c.kvHeads * headSize(c),
    f = c.ffnHidden;
  let projections = 0,
    scores = 0,
    values = 0;
  for (let i = 0; i < c.layers; i++) {
    projections +=
      2 * d * qw * ((plan.computesQ[i] ? 1 : 0) + 1) +
      2 * d * kvw * ((plan.computesK[i] ? 1 : 0) + (plan.computesV[i] ? 1 : 0));
    if (plan.computesQ[i]) scores += 2 * keysAt(i) * qw;
    values += 2 * keysAt(i) * qw;
  }
  const ffn = c.layers * 2 * d * f * (gatedFfn(c) ? 3 : 2);
  const e = c.embedDim;
  const embedAndHead =
    (e > 0 ? 2 * e * d : 0) + (c.tieEmbeddings && e > 0 ? 2 * d * e + 2 * e * c.vocabSize : 2 * d * c.vocabSize);
  // Each relaxed matrix costs 2·r·(in + out): twice its A and B parameters.
  const relaxation = 2 * relaxationLayout(c, plan).reduce((n, p) => n + p.shape[0]! * p.shape[1]!, 0);
  return {
    projections,
    scores,
    values,
    ffn,
    embedAndHead,
    relaxation,
    total: projections + scores + values + ffn + embedAndHead + relaxation,
  };
}

export function analyze(config: ModelConfig, options: AnalyzeOptions = {}, encoder?: { typeVocab: number }): Analysis {
  const c = config,
    plan = planOf(c);
  const context = options.context ?? c.context,
    batch = options.batch ?? 1,
    dtype = options.dtype ?? 'fp32';
  for (const [name, v] of [
    ['context', context],
    ['batch', batch],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  }
  if (!(dtype in DTYPE_BYTES))
    throw new Error(`--dtype must be one of ${Object.keys(DTYPE_BYTES).join(', ')}, got ${dtype}`);
  const layout = analyzerLayout(c, encoder, plan);
  const count = countParameters(layout);
  const setSize = (kind: 'attention' | 'ffn', s: number) => count.bySet[`${kind}.${s}`] ?? 0;
  const layerParams = plan.attnSet.map((s, i) => setSize('attention', s) + setSize('ffn', plan.ffnSet[i]!));
  const sharedOnce = new Set([...plan.attnSet.map((s) => `attention.${s}`), ...plan.ffnSet.map((s) => `ffn.${s}`)]);
  const uniqueLayerParams = [...sharedOnce].reduce((sum, k) => sum + (count.bySet[k] ?? 0), 0);
  const effective = count.total - uniqueLayerParams + layerParams.reduce((a, b) => a + b, 0);
  const layers: LayerView[] = plan.attnSet.map((s, i) => ({
    layer: i,
    attentionSet: s,
    ffnSet: plan.ffnSet[i]!,
    kvFrom: plan.kv[i]!,
    attentionFrom: plan.attention[i]!,
    computes:
      [plan.computesQ[i] ? 'Q' : '', plan.computesK[i] ? 'K' : '', plan.computesV[i] ? 'V' : ''].join('') || '-',
  }));
  const weightBytes = Object.fromEntries(Object.entries(DTYPE_BYTES).map(([k, b]) => [k, count.total * b])) as Record<
    Dtype,
    number
  >;
  const kvDtype = options.kvDtype ?? dtype;
  if (!(kvDtype in DTYPE_BYTES))
    throw new Error(`--kv-dtype must be one of ${Object.keys(DTYPE_BYTES).join(', ')}, got ${kvDtype}`);
  const perToken = kvCacheBytesPerToken(c, kvDtype, plan);
  const held = cachePositions(c, context).positions;
  const baseline = withoutKvSharing(c);
  // Decoders attend to t keys at position t (on average (T+1)/2; a sliding window caps t); encoders to all T.
  const atContext = forwardFlops(c, plan, encoder ? context : (i) => visibleKeys(c, i, context));
  // FLOPs are linear in the number of keys, so the sequence average is the cost at the mean key count.
  const avgKeys = encoder ? () => context : (i: number) => keysSeen(c, i, context) / context;
  const average = encoder ? atContext : forwardFlops(c, plan, avgKeys);
  const unshared = planOf(resolveConfig({ ...c, shareKv: 'none', shareAttention: 'none' }));
  const noKvShare = planOf(resolveConfig({ ...c, shareKv: 'none' }));
  const total = (p: SharingPlan) => forwardFlops(c, p, avgKeys).total;
  const skipped = { kv: total(noKvShare) - total(plan), attention: total(unshared) - total(noKvShare) };
  // Training memory of this runtime (float32): weights, gradients, AdamW's two moments, and the
  // activations the autograd tape keeps per layer for a batch of `context` tokens.
  const d = c.dModel,
    qw = c.heads * headSize(c),
    kvw = c.kvHeads * headSize(c),
    tokens = batch * context;
  let activations = tokens * c.vocabSize * 2 + tokens * d * 4;
  for (let i = 0; i < c.layers; i++) {
    activations +=
      tokens *
      (8 * d +
        2 * (plan.computesQ[i] ? qw : 0) +
        2 * kvw * ((plan.computesK[i] ? 1 : 0) + (plan.computesV[i] ? 1 : 0)) +
        c.ffnHidden * (gatedFfn(c) ? 4 : 2));
    if (plan.computesQ[i]) activations += batch * c.heads * context * context;
  }
  const P = count.total;
  const trainingMemory = {
    weights: 4 * P,
    gradients: 4 * P,
    optimizer: 8 * P,
    activations: 4 * activations,
    total: 16 * P + 4 * activations,
  };
  return {
    config: c,
    plan: { attnSet: plan.attnSet, ffnSet: plan.ffnSet, kv: plan.kv, attention: plan.attention },
    encoder: Boolean(encoder),
    context,
    batch,
    dtype,
    parameters: { ...count, effective, layers },
    weightBytes,
    kvCache: {
      bytesPerToken: perToken,
      // What generation allocates: a sliding-window RoPE model holds only its window and a stride
      // (Gemma 3: its windowed layers do, its global ones the whole context).
      bytes: kvCacheBytesHeld(c, kvDtype, held, plan, batch),
      baselineBytesPerToken: kvCacheBytesPerToken(baseline, kvDtype),
      keyEntries: plan.computesK.filter(Boolean).length,
      valueEntries: plan.computesV.filter(Boolean).length,
    },
    flops: {
      forwardPerTokenAtContext: atContext,
      forwardPerToken: average,
      trainingPerToken: 3 * average.total,
      skippedBySharing: skipped,
    },
    trainingMemory,
  };
}

export interface ScalingRow {
  tokens: number;
  /** Forward FLOPs for the whole sequence. */
  attention: number;
  linear: number;
  attentionShare: number;
  /** Attention cost relative to the first row. */
  attentionGrowth: number;
  tokensGrowth: number;
}

/** Keys position t (1-based) attends to in layer i: t, or its sliding window when narrower. */
const visibleKeys = (c: ModelConfig, i: number, t: number): number =>
  layerWindow(c, i) > 0 ? Math.min(t, layerWindow(c, i)) : t;

/** Keys layer i attends to over a sequence of T positions: T(T+1)/2, linear in T past a sliding window W. */
function keysSeen(c: ModelConfig, i: number, T: number): number {
  const W = layerWindow(c, i);
  if (W === 0 || T <= W) return (T * (T + 1)) / 2;
  return (W * (W + 1)) / 2 + (T - W) * W;
}

/** Forward cost of a whole sequence versus its length: linear layers grow like T, attention like T² (like T past a sliding window). */
export function scalingTable(c: ModelConfig, lengths: readonly number[], encoder = false): ScalingRow[] {
  const plan = planOf(c);
  const zero = forwardFlops(c, plan, 0);
  const rows = lengths.map((T) => {
    // Linear in the keys: the cost at each layer's summed key count is the whole sequence's attention.
    const whole = forwardFlops(c, plan, (i) => (encoder ? T * T : keysSeen(c, i, T)));
    const attention = whole.scores + whole.values,
      linear = zero.total * T;
    return {
      tokens: T,
      attention,
      linear,
      attentionShare: attention / (attention + linear),
      attentionGrowth: 1,
      tokensGrowth: 1,
    };
  });
  for (const r of rows) {
    r.attentionGrowth = r.attention / rows[0]!.attention;
    r.tokensGrowth = r.tokens / rows[0]!.tokens;
  }
  return rows;
}
