// The parameter layout of a config: every unique tensor's name, shape, component and parameter set.
// Derived from the config alone, so the model, checkpoints, parameter counts and the analyzer
// all agree, and it works for configurations far too large to instantiate.
import type { ModelConfig } from './config.js';
import { gatedFfn, headSize, planOf } from './config.js';
import type { SharingPlan } from './plan.js';
import type { StorageDtype } from '../tensor/precision.js';

export type Component =
  | 'embedding'
  | 'positions'
  | 'embedProjection'
  | 'q'
  | 'k'
  | 'v'
  | 'o'
  | 'ffn'
  | 'norm'
  | 'head'
  | 'pooler'
  | 'relaxation';

export interface ParameterSpec {
  name: string;
  shape: number[];
  component: Component;
  /** The attention or FFN parameter set this tensor belongs to (absent for embeddings, final norm, head). */
  set?: { kind: 'attention' | 'ffn'; index: number };
}

/** Names and shapes in a fixed order. Linear weights are [out, in] as in PyTorch. */
export function parameterLayout(c: ModelConfig, plan: SharingPlan = planOf(c)): ParameterSpec[] {
  const d = c.dModel,
    hd = headSize(c),
    qw = c.heads * hd,
    kv = c.kvHeads * hd,
    f = c.ffnHidden;
  const e = c.embedDim > 0 ? c.embedDim : d;
  const out: ParameterSpec[] = [{ name: 'embed.weight', shape: [c.vocabSize, e], component: 'embedding' }];
  if (c.embedDim > 0) out.push({ name: 'embed.proj.weight', shape: [d, e], component: 'embedProjection' });
  if (c.positions === 'learned') out.push({ name: 'pos.weight', shape: [c.context, d], component: 'positions' });
  const norm = (name: string, set?: ParameterSpec['set']) => {
    out.push({ name: `${name}.weight`, shape: [d], component: 'norm', ...(set && { set }) });
    if (c.norm === 'layernorm' && c.normBias)
      out.push({ name: `${name}.bias`, shape: [d], component: 'norm', ...(set && { set }) });
  };
  if (c.embedNorm) norm('embed.norm');
  const linear = (name: string, o: number, i: number, component: Component, set: ParameterSpec['set']) => {
    out.push({ name: `${name}.weight`, shape: [o, i], component, ...(set && { set }) });
    const qkv = component === 'q' || component === 'k' || component === 'v';
    const attention = qkv || component === 'o';
    const outBias = component === 'o' && c.attentionOutBias;
    if ((c.bias && (c.attentionBias || !attention || outBias)) || (c.qkvBias && qkv))
      out.push({ name: `${name}.bias`, shape: [o], component, ...(set && { set }) });
  };
  // A set owns a projection when at least one layer using it computes that projection. One pass
  // over the layers, so the layout of a very deep model costs time linear in its depth.
  const ownsQ = new Array<boolean>(c.layers).fill(false),
    ownsK = [...ownsQ],
    ownsV = [...ownsQ];
  plan.attnSet.forEach((set, i) => {
    ownsQ[set] ||= plan.computesQ[i]!;
    ownsK[set] ||= plan.computesK[i]!;
    ownsV[set] ||= plan.computesV[i]!;
  });
  const uses = (s: number, owns: boolean[]) => owns[s]!;
  const attnSets = new Set(plan.attnSet),
    ffnSets = new Set(plan.ffnSet);
  for (let s = 0; s < c.layers; s++) {
    const p = `layers.${s}`;
    if (attnSets.has(s)) {
      const set = { kind: 'attention' as const, index: s };
      if (c.preNorms) norm(`${p}.norm1`, set);
      if (uses(s, ownsQ)) linear(`${p}.attn.q`, qw, d, 'q', set);
      if (uses(s, ownsK)) linear(`${p}.attn.k`, kv, d, 'k', set);
      if (uses(s, ownsV)) linear(`${p}.attn.v`, kv, d, 'v', set);
      linear(`${p}.attn.o`, d, qw, 'o', set);
      if (c.postNorms) norm(`${p}.postnorm1`, set);
      // Qwen3's gains span one head; OLMo 2's the whole projection; Command R+'s one per head and dimension.
      const [qn, kn] = c.qkNormFull || c.qkLayerNorm ? [qw, kv] : [hd, hd];
      if (c.qkNorm && uses(s, ownsQ)) out.push({ name: `${p}.attn.qnorm.weight`, shape: [qn], component: 'norm', set });
      if (c.qkNorm && uses(s, ownsK)) out.push({ name: `${p}.attn.knorm.weight`, shape: [kn], component: 'norm', set });
    }
    if (ffnSets.has(s)) {
      const set = { kind: 'ffn' as const, index: s };
      if (c.preNorms) norm(`${p}.norm2`, set);
      if (gatedFfn(c)) linear(`${p}.ffn.gate`, f, d, 'ffn', set);
      linear(`${p}.ffn.up`, f, d, 'ffn', set);
      linear(`${p}.ffn.down`, d, f, 'ffn', set);
      if (c.postNorms) norm(`${p}.postnorm2`, set);
    }
  }
  norm('norm');
  if (!c.tieEmbeddings) out.push({ name: 'head.weight', shape: [c.vocabSize, d], component: 'head' });
  if (c.headBias) out.push({ name: 'head.bias', shape: [c.vocabSize], component: 'head' });
  out.push(...relaxationLayout(c, plan));
  return out;
}

/**
 * Relaxed sharing's per-layer deltas, after every other tensor (so a relaxed model's shared
 * weights start as the strict model's): `relax.L.<matrix>.A` [r, in] and `.B` [out, r] for each
 * matrix layer L uses from a set it shares with another layer.
 */
export function relaxationLayout(c: ModelConfig, plan: SharingPlan): ParameterSpec[] {
  const r = c.relaxRank;
  if (r === 0) return [];
  const d = c.dModel,
    qw = c.heads * headSize(c),
    kv = c.kvHeads * headSize(c),
    f = c.ffnHidden;
  const members = (sets: number[]) => {
    const n = new Map<number, number>();
    for (const s of sets) n.set(s, (n.get(s) ?? 0) + 1);
    return (l: number) => n.get(sets[l]!)! > 1;
  };
  const attnShared = members(plan.attnSet),
    ffnShared = members(plan.ffnSet);
  const out: ParameterSpec[] = [];
  const delta = (l: number, matrix: string, o: number, i: number) =>
    out.push(
      { name: `relax.${l}.${matrix}.A`, shape: [r, i], component: 'relaxation' },
      { name: `relax.${l}.${matrix}.B`, shape: [o, r], component: 'relaxation' },
    );
  for (let l = 0; l < c.layers; l++) {
    if (attnShared(l)) {
      if (plan.computesQ[l]) delta(l, 'attn.q', qw, d);
      if (plan.computesK[l]) delta(l, 'attn.k', kv, d);
      if (plan.computesV[l]) delta(l, 'attn.v', kv, d);
      delta(l, 'attn.o', d, qw);
    }
    if (ffnShared(l)) {
      if (gatedFfn(c)) delta(l, 'ffn.gate', f, d);
      delta(l, 'ffn.up', f, d);
      delta(l, 'ffn.down', d, f);
    }
  }
  return out;
}

/**
 * A relaxed layer's own matrix: the shared weight w [out, in] plus its rank-r delta B·A
 * (A [r, in], B [out, r]), as a new array (what conversion starts from and exports write).
 */
export function withLowRankDelta(w: Float32Array, a: Float32Array, b: Float32Array, r: number): Float32Array {
  const cols = a.length / r,
    merged = w.slice();
  for (let o = 0; o < w.length / cols; o++)
    for (let k = 0; k < r; k++) {
      const bo = b[o * r + k]!;
      for (let j = 0; j < cols; j++) merged[o * cols + j]! += bo * a[k * cols + j]!;
    }
  return merged;
}

export interface ParameterCount {
  total: number;
  byComponent: Record<Component, number>;
  /** Parameters of each unique attention / FFN set, keyed "attention.0", "ffn.3", ... */
  bySet: Record<string, number>;
}

export function countParameters(layout: readonly ParameterSpec[]): ParameterCount {
  const byComponent: Record<Component, number> = {
    embedding: 0,
    positions: 0,
    embedProjection: 0,
    q: 0,
    k: 0,
    v: 0,
    o: 0,
    ffn: 0,
    norm: 0,
    head: 0,
    pooler: 0,
    relaxation: 0,
  };
  const bySet: Record<string, number> = {};
  let total = 0;
  for (const p of layout) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    total += n;
    byComponent[p.component] += n;
    if (p.set) bySet[`${p.set.kind}.${p.set.index}`] = (bySet[`${p.set.kind}.${p.set.index}`] ?? 0) + n;
  }
  return { total, byComponent, bySet };
}

/** KV-cache bytes per token: K and V rows of every layer that computes them, kvHeads wide. */
export function kvBytesPerToken(c: ModelConfig, bytesPerElement = 4, plan: SharingPlan = planOf(c)): number {
  return perProducerRow(c, plan, c.kvHeads * headSize(c) * bytesPerElement);
}

/** `rowBytes` for every key and every value entry the plan computes, per token. */
function perProducerRow(c: ModelConfig, plan: SharingPlan, rowBytes: number): number {
  let bytes = 0;
  for (let i = 0; i < c.layers; i++) bytes += (plan.computesK[i] ? rowBytes : 0) + (plan.computesV[i] ? rowBytes : 0);
  return bytes;
}

/** Bytes per stored element of each precision (the analyzer's weight and KV figures use it too). */
export const DTYPE_BYTES: Record<StorageDtype, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

/** Per layer, the bytes per position of the K and V entries it owns (0 where it borrows), stored in `dtype`. */
export function kvCacheBytesPerLayer(
  c: ModelConfig,
  dtype: StorageDtype = 'fp32',
  plan: SharingPlan = planOf(c),
): number[] {
  const row = c.kvHeads * headSize(c) * DTYPE_BYTES[dtype] + (dtype === 'int8' ? c.kvHeads * 4 : 0);
  return plan.kv.map((_, i) => (plan.computesK[i] ? row : 0) + (plan.computesV[i] ? row : 0));
}

/** KV-cache bytes per token as the runtime stores them in `dtype` (int8: values plus row scales). */
export function kvCacheBytesPerToken(
  c: ModelConfig,
  dtype: StorageDtype = 'fp32',
  plan: SharingPlan = planOf(c),
): number {
  // int8 rows also store one float32 scale per head.
  const scales = dtype === 'int8' ? c.kvHeads * 4 : 0;
  return perProducerRow(c, plan, c.kvHeads * headSize(c) * DTYPE_BYTES[dtype] + scales);
}
