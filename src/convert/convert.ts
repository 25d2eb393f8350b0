// Turns a trained model into one with another sharing plan, without training: a shared parameter
// set starts as the mean of its member layers' weights (or its first member's), K/V heads are
// mean-pooled into groups (GQA, Ainslie et al. 2023), layers that now read another layer's K/V or
// attention simply drop those projections, and a factorized embedding is the truncated SVD of the
// full one. Each layer's weights are taken from where that layer actually got them in the source
// (its own set, or the layer whose keys, values or attention it read), so any source plan converts.
import { headSize, planOf, resolveConfig, type ModelConfig } from '../model/config.js';
import { parameterLayout, withLowRankDelta, type ParameterSpec } from '../model/parameters.js';
import type { SharingPlan } from '../model/plan.js';
import { TransformerLM } from '../model/transformer.js';
import { truncatedSvd } from './svd.js';

export type InitMode = 'mean' | 'first';

/** The fields a conversion may change; everything else must match the source. */
export const CONVERTIBLE = [
  'relaxRank',
  'shareWeights',
  'shareScope',
  'kvHeads',
  'shareKv',
  'shareAttention',
  'embedDim',
  'tieEmbeddings',
] as const satisfies ReadonlyArray<keyof ModelConfig>;

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

export interface Conversion {
  lm: TransformerLM;
  /** What was done to get each target tensor, in words (printed by the CLI). */
  notes: string[];
}

export function convertModel(
  source: TransformerLM,
  changes: Partial<ModelConfig>,
  options: { init?: InitMode } = {},
): Conversion {
  const init = options.init ?? 'mean';
  if (source.quantized.size > 0)
    throw new ConvertError('the source holds int8 weights; convert the float32 run, then quantize');
  for (const key of Object.keys(changes))
    if (!(CONVERTIBLE as readonly string[]).includes(key))
      throw new ConvertError(
        `${key}: a conversion changes the sharing plan only (${CONVERTIBLE.join(', ')}); ${key} stays ${JSON.stringify(source.config[key as keyof ModelConfig])}`,
      );
  let target: ModelConfig;
  try {
    target = resolveConfig({ ...source.config, ...changes });
  } catch (e) {
    throw new ConvertError((e as Error).message);
  }
  const src = source.config;
  if (src.kvHeads % target.kvHeads !== 0)
    throw new ConvertError(
      `kvHeads: ${target.kvHeads} does not divide the source's ${src.kvHeads} K/V heads (each new head is the mean of a group of source heads)`,
    );
  const ctx = new Context(source, planOf(src), target, planOf(target), init);
  ctx.describeMaps();
  const weights = new Map<string, Float32Array>();
  for (const spec of parameterLayout(target)) weights.set(spec.name, ctx.build(spec));
  const lm = new TransformerLM(target, 0);
  lm.loadWeights(weights, 'convert');
  return { lm, notes: ctx.notes };
}

class Context {
  readonly notes: string[] = [];
  private embedding: { embed: Float32Array; proj?: Float32Array } | null = null;

  constructor(
    private readonly source: TransformerLM,
    private readonly sp: SharingPlan,
    private readonly target: ModelConfig,
    private readonly tp: SharingPlan,
    private readonly init: InitMode,
  ) {}

  /** Says which layers now read another layer's K/V or attention (and so drop those projections). */
  describeMaps(): void {
    for (const [map, before, what] of [
      [this.tp.kv, this.sp.kv, 'K/V'],
      [this.tp.attention, this.sp.attention, 'attention weights'],
    ] as const) {
      const readers = map.flatMap((from, l) => (from !== l && before[l] !== from ? [`${l} ← ${from}`] : []));
      if (readers.length)
        this.notes.push(
          `${what}: layers now reading another layer's (${readers.join(', ')}) drop their own projections`,
        );
    }
  }

  private param(name: string): Float32Array {
    const t = this.source.params.get(name);
    if (!t) throw new ConvertError(`the source has no parameter "${name}"`);
    return t.data;
  }

  build(spec: ParameterSpec): Float32Array {
    const relax = /^relax\.(\d+)\.(.+)\.(A|B)$/.exec(spec.name);
    if (relax) return this.relaxation(Number(relax[1]), relax[2]!, relax[3] as 'A' | 'B');
    const m = /^layers\.(\d+)\.(.+)$/.exec(spec.name);
    if (m) return this.layerTensor(spec, Number(m[1]), m[2]!);
    if (spec.name === 'embed.weight' || spec.name === 'embed.proj.weight') return this.embed(spec.name);
    if (spec.name === 'head.weight') return this.head();
    return this.param(spec.name).slice(); // positions, final norm
  }

  /** The source layer whose weights layer L used for this tensor (itself, or whose Q / K / V it read). */
  private sourceLayer(l: number, suffix: string): number {
    const { attention, kv } = this.sp;
    if (suffix.startsWith('attn.q.')) return attention[l]!;
    if (suffix.startsWith('attn.k.')) return kv[attention[l]!]!;
    if (suffix.startsWith('attn.v.')) return kv[l]!;
    return l;
  }

  private layerTensor(spec: ParameterSpec, set: number, suffix: string): Float32Array {
    const kind = spec.set!.kind;
    const targetSets = kind === 'attention' ? this.tp.attnSet : this.tp.ffnSet;
    const members = targetSets.flatMap((s, l) => (s === set ? [l] : []));
    const used = this.init === 'first' ? members.slice(0, 1) : members;
    const sourceSets = kind === 'attention' ? this.sp.attnSet : this.sp.ffnSet;
    const tensors = used.map((l) => this.pooled(this.sourceTensor(l, suffix, sourceSets), spec));
    if (members.length > 1 && suffix.endsWith('weight') && !suffix.startsWith('norm'))
      this.noteOnce(
        `${kind} set ${set}: ${this.init === 'first' ? `layer ${members[0]}'s weights` : `mean of layers ${members.join(', ')}`} (shared by layers ${members.join(', ')})`,
      );
    return mean(tensors);
  }

  /** What source layer l computed this tensor with: its set's, plus its own relaxation delta if it had one. */
  private sourceTensor(l: number, suffix: string, sourceSets: number[]): Float32Array {
    const from = this.sourceLayer(l, suffix);
    const w = this.param(`layers.${sourceSets[from]}.${suffix}`);
    const matrix = suffix.replace(/\.weight$/, '');
    const a = this.source.params.get(`relax.${from}.${matrix}.A`);
    if (!suffix.endsWith('.weight') || !a) return w;
    return withLowRankDelta(w, a.data, this.param(`relax.${from}.${matrix}.B`), a.shape[0]!);
  }

  private readonly deltas = new Map<string, { A: Float32Array; B: Float32Array }>();

  /**
   * Relaxed sharing's deltas (Bae et al. 2024): the truncated SVD of the layer's residual to the
   * shared weight, B = U·Σ and A = Vᵀ, so W_set + B·A is the layer's own matrix as closely as rank r allows.
   */
  private relaxation(l: number, matrix: string, part: 'A' | 'B'): Float32Array {
    const key = `${l}.${matrix}`;
    if (!this.deltas.has(key)) {
      const attn = matrix.startsWith('attn');
      const set = (attn ? this.tp.attnSet : this.tp.ffnSet)[l]!;
      const spec = parameterLayout(this.target, this.tp).find((p) => p.name === `layers.${set}.${matrix}.weight`)!;
      const shared = this.layerTensor(spec, set, `${matrix}.weight`);
      const own = this.pooled(this.sourceTensor(l, `${matrix}.weight`, attn ? this.sp.attnSet : this.sp.ffnSet), spec);
      const [rows, cols] = spec.shape as [number, number];
      const residual = new Float64Array(rows * cols);
      for (let i = 0; i < residual.length; i++) residual[i] = own[i]! - shared[i]!;
      const r = this.target.relaxRank;
      const svd = truncatedSvd(residual, rows, cols, r);
      const B = new Float32Array(rows * r),
        A = new Float32Array(r * cols);
      for (let i = 0; i < rows; i++) for (let k = 0; k < r; k++) B[i * r + k] = svd.u[i * r + k]! * svd.s[k]!;
      for (let k = 0; k < r; k++) for (let j = 0; j < cols; j++) A[k * cols + j] = svd.v[j * r + k]!;
      this.deltas.set(key, { A, B });
      this.noteOnce(
        `relaxation: each layer's delta is the rank-${r} truncated SVD of its residual to the shared weight`,
      );
    }
    return this.deltas.get(key)![part];
  }

  /** K/V projection rows of a group of source heads averaged into one target head. */
  private pooled(data: Float32Array, spec: ParameterSpec): Float32Array {
    const r = this.source.config.kvHeads / this.target.kvHeads;
    if (r === 1 || (spec.component !== 'k' && spec.component !== 'v')) return data;
    const hd = headSize(this.target);
    const width = spec.shape.length === 2 ? spec.shape[1]! : 1;
    const out = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    for (let g = 0; g < this.target.kvHeads; g++)
      for (let j = 0; j < r; j++) {
        const from = (g * r + j) * hd * width,
          to = g * hd * width;
        for (let i = 0; i < hd * width; i++) out[to + i]! += data[from + i]! / r;
      }
    this.noteOnce(
      `K/V heads: ${this.source.config.kvHeads} → ${this.target.kvHeads}, each the mean of ${r} source heads`,
    );
    return out;
  }

  /** The source's full embedding (V × d) and output head, whatever their factorization and tying. */
  private fullEmbedding(): { embed: Float32Array; head: Float32Array } {
    const c = this.source.config;
    const d = c.dModel,
      v = c.vocabSize;
    let embed = this.param('embed.weight');
    if (c.embedDim > 0) {
      const small = embed,
        proj = this.param('embed.proj.weight'),
        e = c.embedDim;
      embed = new Float32Array(v * d);
      for (let t = 0; t < v; t++)
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let k = 0; k < e; k++) s += small[t * e + k]! * proj[i * e + k]!;
          embed[t * d + i] = s;
        }
    }
    return { embed, head: c.tieEmbeddings ? embed : this.param('head.weight') };
  }

  private embed(name: string): Float32Array {
    if (!this.embedding) {
      const { embed } = this.fullEmbedding();
      const e = this.target.embedDim,
        v = this.target.vocabSize,
        d = this.target.dModel;
      if (e === 0) this.embedding = { embed: embed.slice() };
      else if (e === this.source.config.embedDim)
        this.embedding = { embed: this.param('embed.weight').slice(), proj: this.param('embed.proj.weight').slice() };
      else {
        const svd = truncatedSvd(embed, v, d, e);
        const small = new Float32Array(v * e),
          proj = new Float32Array(d * e);
        for (let t = 0; t < v; t++) for (let k = 0; k < e; k++) small[t * e + k] = svd.u[t * e + k]! * svd.s[k]!;
        for (let i = 0; i < d * e; i++) proj[i] = svd.v[i]!;
        this.embedding = { embed: small, proj };
        this.notes.push(`embedding: truncated SVD to rank ${e} (${v}×${e} and ${d}×${e})`);
      }
      if (this.target.tieEmbeddings && !this.source.config.tieEmbeddings)
        this.notes.push("output head: now the input embedding (the source's separate head is dropped)");
    }
    return name === 'embed.weight' ? this.embedding.embed : this.embedding.proj!;
  }

  private head(): Float32Array {
    return this.fullEmbedding().head.slice();
  }

  private noteOnce(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note);
  }
}

function mean(tensors: Float32Array[]): Float32Array {
  if (tensors.length === 1) return tensors[0]!.slice();
  const out = new Float32Array(tensors[0]!.length);
  for (const t of tensors) for (let i = 0; i < out.length; i++) out[i]! += t[i]! / tensors.length;
  return out;
}
