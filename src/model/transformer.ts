// The decoder-only Transformer LM. Layers loop over the sharing plan: each asks the plan which
// parameter set it uses and whose keys/values and attention probabilities it reads. The same
// code runs training (no cache) and generation (KV cache), so both compute the same model.
import { Tensor, formatShape } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import {
  add,
  attendValues,
  attentionProbs,
  crossEntropy,
  dropout,
  embedding,
  gelu,
  layerNorm,
  linear,
  matmul,
  mul,
  permute,
  reshape,
  rmsNorm,
  rope,
  scale,
  relu,
  silu,
  softcap as softcapOp,
} from '../tensor/ops/index.js';
import {
  attendValuesInt8,
  attentionProbsInt8,
  embeddingInt8,
  linearInt8,
  quantizeWeight,
  type QuantizedWeight,
} from '../tensor/ops/quantized.js';
import { ropeInverseFrequencies } from '../tensor/ops/rope.js';
import { alibiSlopes } from '../tensor/ops/attention.js';
import type { ParamGroup } from '../train/adamw.js';
import {
  headSize,
  layerRotates,
  layerWindow,
  planOf,
  resolveConfig,
  rotaryDims,
  scoreScale,
  type ModelConfig,
} from './config.js';
import { KVCache, type CacheOptions } from './kvcache.js';
import { countParameters, parameterLayout, type ParameterCount, type ParameterSpec } from './parameters.js';
import type { SharingPlan } from './plan.js';

/** x², by the multiply kernel (its gradient 2x follows from mul's): Nemotron's squared ReLU. */
const squared = (x: Tensor): Tensor => mul(x, x);

export interface ForwardOptions {
  /** Enables dropout (with `rng`). */
  training?: boolean;
  rng?: Rng;
  /** Reads and extends this cache: the ids continue the cached sequence. */
  cache?: KVCache;
  /**
   * Called per layer with what it computed itself (null where it reads another layer's): keys
   * (after RoPE) and values [batch, kvHeads, T, hd], attention probabilities [batch, heads, T, keys].
   */
  observe?: (layer: number, computed: { keys: Tensor | null; values: Tensor | null; probs: Tensor | null }) => void;
}

export class TransformerLM {
  readonly config: ModelConfig;
  readonly plan: SharingPlan;
  readonly layout: ParameterSpec[];
  /** Every unique parameter tensor once, by name (float32; int8 weights live in `quantized`). */
  readonly params = new Map<string, Tensor>();
  /** Weights stored as int8 (after `quantizeWeights` or loading an int8 checkpoint), by name. */
  readonly quantized = new Map<string, QuantizedWeight>();

  /** RoPE's per-pair inverse frequencies of each layer (null with learned positions). */
  /** Per layer; null for a layer without rotary positions (SmolLM3's NoPE layers), all null without RoPE. */
  private readonly ropeFrequencies: Array<Float64Array | null> | null;
  /** ALiBi's per-head slopes (positions alibi), else undefined. */
  private readonly alibi: Float32Array | undefined;

  /** `seed` null: parameters start as zeros, for a model whose weights are loaded next. */
  constructor(config: Partial<ModelConfig> = {}, seed: number | null = 0) {
    this.config = resolveConfig(config);
    this.plan = planOf(this.config);
    this.layout = parameterLayout(this.config, this.plan);
    const c = this.config;
    if (c.positions === 'rope') {
      // Over the rotated dimensions only (GPT-NeoX's partial rotary: a quarter of each head).
      const full = ropeInverseFrequencies(rotaryDims(c), c.ropeBase, c.ropeScaling);
      // Gemma 3's windowed layers rotate at their own base, unscaled; the full ones at ropeBase.
      const local = c.ropeLocalBase > 0 ? ropeInverseFrequencies(rotaryDims(c), c.ropeLocalBase) : full;
      this.ropeFrequencies = Array.from({ length: c.layers }, (_, i) =>
        !layerRotates(c, i) ? null : layerWindow(c, i) > 0 ? local : full,
      );
    } else this.ropeFrequencies = null;
    this.alibi = c.positions === 'alibi' ? alibiSlopes(c.heads).map((m) => m * c.alibiScale) : undefined;
    this.initParameters(seed === null ? null : new Rng(seed));
  }

  /** GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2N), gains 1, biases 0. */
  private initParameters(rng: Rng | null): void {
    for (const { name, shape } of this.layout) {
      const t = Tensor.zeros(shape, { requiresGrad: true, name });
      // Relaxation deltas start at zero (B = 0): the relaxed model begins as the strict one.
      if (!rng || name.endsWith('.bias') || (name.startsWith('relax.') && name.endsWith('.B'))) {
        /* zeros */
      } else if (shape.length === 1) t.data.fill(1);
      else rng.fillNormal(t.data, 0, this.initStd(name, shape));
      this.params.set(name, t);
    }
  }

  /**
   * GPT-2's N(0, 0.02), with residual projections at 0.02/√(2N); a factorized embedding's
   * projection at 1/√E, so that embedding × projection starts at the scale of the d-wide embedding
   * it replaces (0.02) and, tied, the output logits at the scale of an untied head. At 0.02 both
   * start 1/(0.02·√E) = 6× too small for E = 64, and on tinyshakespeare a tied E = 64 model
   * was 0.38 nats behind after 300 steps instead of 0.02.
   */
  private initStd(name: string, shape: readonly number[]): number {
    if (name === 'embed.proj.weight') return 1 / Math.sqrt(shape[1]!);
    if (/\.(attn\.o|ffn\.down)\.weight$/.test(name)) return 0.02 / Math.sqrt(2 * this.config.layers);
    return 0.02;
  }

  /**
   * Replaces every parameter's values; names and shapes must match exactly. With `adopt`, the given
   * arrays become the parameters (no copy): for a model just built to receive them, whose caller
   * keeps no other use of the arrays.
   */
  loadWeights(
    weights: Map<string, Float32Array> | Record<string, Float32Array>,
    source = 'loadWeights',
    options: { adopt?: boolean } = {},
  ): void {
    const map = weights instanceof Map ? weights : new Map(Object.entries(weights));
    for (const [name, t] of this.params) {
      const w = map.get(name);
      if (!w) throw new Error(`${source}: missing parameter "${name}" ${formatShape(t.shape)}`);
      if (w.length !== t.size)
        throw new Error(
          `${source}: parameter "${name}" needs ${t.size} values for ${formatShape(t.shape)}, got ${w.length}`,
        );
    }
    for (const name of map.keys())
      if (!this.params.has(name))
        throw new Error(`${source}: unexpected parameter "${name}" (not in this config's sharing plan)`);
    for (const [name, t] of this.params) {
      if (options.adopt) this.params.set(name, new Tensor(map.get(name)!, t.shape, { requiresGrad: true, name }));
      else t.data.set(map.get(name)!);
    }
  }

  /**
   * Replaces every matrix but the factorized embedding's projection with int8 rows (symmetric, one
   * scale per output channel; embeddings too); norms and biases stay float32. Inference only.
   */
  quantizeWeights(): void {
    for (const [name, t] of [...this.params]) {
      // The embedding projection and relaxation deltas are small and stay float32.
      if (t.rank !== 2 || name === 'embed.proj.weight' || name.startsWith('relax.')) continue;
      this.quantized.set(name, quantizeWeight(t.data, t.shape));
      this.params.delete(name);
    }
  }

  /** Takes int8 weights (from a checkpoint) in place of the float32 parameters of those names. */
  loadQuantized(weights: Map<string, QuantizedWeight>, source = 'loadQuantized'): void {
    for (const [name, w] of weights) {
      const t = this.params.get(name);
      if (!t) throw new Error(`${source}: unexpected int8 parameter "${name}" (not a float parameter of this model)`);
      if (t.shape.join() !== w.shape.join())
        throw new Error(
          `${source}: int8 parameter "${name}" is [${w.shape.join(', ')}], the model needs [${t.shape.join(', ')}]`,
        );
      this.params.delete(name);
      this.quantized.set(name, w);
    }
  }

  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /** Matrices (embeddings included) get weight decay; gains and biases do not, as nanoGPT. */
  paramGroups(weightDecay: number): ParamGroup[] {
    const decay = this.parameters().filter((p) => p.rank >= 2);
    const inDecay = new Set(decay);
    const rest = this.parameters().filter((p) => !inDecay.has(p));
    return [
      { params: decay, weightDecay },
      { params: rest, weightDecay: 0 },
    ];
  }

  /** Unique parameters: total, per component, per parameter set. */
  parameterCount(): ParameterCount {
    return countParameters(this.layout);
  }

  /**
   * A KV cache for `batch` sequences of up to `capacity` positions (default: the context),
   * allocated whole unless `options.initial` asks it to start smaller and grow in chunks.
   */
  createCache(batch = 1, capacity = this.config.context, options: CacheOptions = {}): KVCache {
    return new KVCache(this.config, this.plan, batch, capacity, options);
  }

  private p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model has no parameter "${name}"`);
    return t;
  }

  /** x·Wᵀ + b for the set's matrix `name`, plus layer `layer`'s low-rank delta (x·Aᵀ)·Bᵀ when relaxed. */
  private linear(x: Tensor, name: string, layer?: number): Tensor {
    const q = this.quantized.get(`${name}.weight`);
    const bias = this.params.get(`${name}.bias`) ?? null;
    const y = q ? linearInt8(x, q, bias) : linear(x, this.p(`${name}.weight`), bias);
    if (layer === undefined || this.config.relaxRank === 0) return y;
    const matrix = name.slice(name.indexOf('.', 'layers.'.length) + 1);
    const a = this.params.get(`relax.${layer}.${matrix}.A`);
    if (!a) return y;
    return add(y, linear(linear(x, a, null), this.p(`relax.${layer}.${matrix}.B`), null));
  }

  private lookup(name: string, ids: Int32Array, shape: number[]): Tensor {
    const q = this.quantized.get(name);
    return q ? embeddingInt8(q, ids, shape) : embedding(this.p(name), ids, shape);
  }

  /** x·Wᵀ for an output head W [vocab, width] stored either way. */
  private head(x: Tensor, name: string): Tensor {
    const q = this.quantized.get(name);
    return q ? linearInt8(x, q) : matmul(x, this.p(name), { transB: true });
  }

  private norm(x: Tensor, name: string): Tensor {
    const c = this.config;
    return c.norm === 'layernorm'
      ? layerNorm(x, this.p(`${name}.weight`), this.params.get(`${name}.bias`) ?? null, c.normEps)
      : rmsNorm(x, this.p(`${name}.weight`), c.normEps);
  }

  /**
   * Each of n heads of t [B, T, n·hd] normalised over its own dimensions (mean-centred, no bias),
   * then scaled by its own gains (n·hd of them): Command R+'s and StableLM 2 12B's query/key norms.
   */
  private perHeadLayerNorm(t: Tensor, gain: Tensor, batch: number, T: number, n: number): Tensor {
    const hd = headSize(this.config);
    const unit = new Tensor(new Float32Array(hd).fill(1), [hd]);
    const normed = layerNorm(reshape(t, [batch, T, n, hd]), unit, null, this.config.normEps);
    return reshape(mul(normed, reshape(gain, [n, hd])), [batch, T, n * hd]);
  }

  private drop(x: Tensor, o: ForwardOptions): Tensor {
    const p = this.config.dropout;
    if (!o.training || p === 0) return x;
    if (!o.rng) throw new Error('forward: training with dropout needs options.rng');
    return dropout(x, p, o.rng, true);
  }

  /** ids: batch × T token ids, row-major → logits [batch, T, vocab]. */
  forward(ids: Int32Array, batch: number, options: ForwardOptions = {}): Tensor {
    const c = this.config,
      plan = this.plan,
      cache = options.cache;
    if (!(ids instanceof Int32Array)) throw new Error('forward: ids must be an Int32Array');
    if (!Number.isInteger(batch) || batch <= 0 || ids.length % batch !== 0 || ids.length === 0) {
      throw new Error(`forward: ${ids.length} ids cannot be split into ${batch} equal non-empty rows`);
    }
    const T = ids.length / batch;
    const offset = cache ? cache.length : 0;
    // RoPE rotates by absolute position, which keeps counting when a sliding window drops the
    // cache's oldest entries; learned positions index the window.
    const absolute = cache ? cache.position : 0;
    if (cache && cache.batch !== batch)
      throw new Error(`forward: the cache holds ${cache.batch} sequences, got a batch of ${batch}`);
    if (offset + T > c.context)
      throw new Error(`forward: ${offset} cached + ${T} new positions exceed the context of ${c.context}`);
    const hd = headSize(c),
      scores = scoreScale(c),
      softcap = c.attentionSoftcap;

    let x = this.lookup('embed.weight', ids, [batch, T]);
    if (c.embedDim > 0) x = matmul(x, this.p('embed.proj.weight'), { transB: true });
    if (c.embedScale) x = scale(x, Math.sqrt(c.dModel));
    if (c.embedMultiplier !== 1) x = scale(x, c.embedMultiplier);
    if (c.positions === 'learned') {
      x = add(
        x,
        this.lookup(
          'pos.weight',
          Int32Array.from({ length: T }, (_, i) => offset + i),
          [T],
        ),
      );
    }
    if (c.embedNorm) x = this.norm(x, 'embed.norm');
    x = this.drop(x, options);

    const heads = (t: Tensor, n: number) => permute(reshape(t, [batch, T, n, hd]), [0, 2, 1, 3]);
    // Qwen3's per-head RMSNorm of queries and keys, before RoPE.
    const headNorm = (t: Tensor, name: string) => (c.qkNorm ? rmsNorm(t, this.p(`${name}.weight`), c.normEps) : t);
    // A layer's queries turn with the frequencies of the layer whose keys they meet (CLA, YOCO).
    const inv = this.ropeFrequencies;
    const positioned = (t: Tensor, layer: number) => {
      const freqs = inv?.[layer];
      return freqs ? rope(t, { offset: absolute, invFreq: freqs }) : t;
    };
    // Gemma's norms on each block's output, then Granite's multiplier, before the residual add.
    const post = (t: Tensor, name: string) => {
      const normed = c.postNorms ? this.norm(t, name) : t;
      return c.residualMultiplier !== 1 ? scale(normed, c.residualMultiplier) : normed;
    };
    const keys: Array<Tensor | null> = [],
      values: Array<Tensor | null> = [],
      probs: Array<Tensor | null> = [];
    // Keys each layer's queries meet: all positions, or fewer where a bounded cache layer dropped some.
    cache?.prepare(T);
    const keysOf = (src: number) => (cache ? cache.held(src) : 0) + T;
    // A lower-precision cache widens each layer into one scratch per kind, so a layer that reads
    // another layer's keys or values (CLA, YOCO, explicit maps) reads them again.
    const stored = (kind: 'keys' | 'values', list: Array<Tensor | null>, src: number, layer: number): Tensor =>
      cache && cache.dtype !== 'fp32' && src !== layer ? cache.read(kind, src, keysOf(src)) : list[src]!;
    for (let i = 0; i < c.layers; i++) {
      const a = `layers.${plan.attnSet[i]}`,
        f = `layers.${plan.ffnSet[i]}`;
      const h = c.preNorms ? this.norm(x, `${a}.norm1`) : x;
      // Qwen3 norms each head; OLMo 2 the whole projection, before the split into heads; Command R+
      // each head with a LayerNorm of its own gains.
      const qk = (name: string, n: number) => {
        const t = this.linear(h, `${a}.attn.${name}`, i);
        const gain = `${a}.attn.${name}norm.weight`;
        if (c.qkLayerNorm) return heads(this.perHeadLayerNorm(t, this.p(gain), batch, T, n), n);
        if (!c.qkNormFull) return headNorm(heads(t, n), `${a}.attn.${name}norm`);
        return heads(rmsNorm(t, this.p(gain), c.normEps), n);
      };
      // Producers compute K/V from their own input; consumers read a producer's (CLA, YOCO).
      let k: Tensor | null = null,
        v: Tensor | null = null;
      if (plan.computesK[i]) k = positioned(qk('k', c.kvHeads), i);
      if (plan.computesV[i]) v = heads(this.linear(h, `${a}.attn.v`, i), c.kvHeads);
      // An int8 cache is read by int8 attention kernels; the others hand attention float32 rows.
      const int8 = cache?.dtype === 'int8';
      if (int8 && k) cache!.store('keys', i, k);
      if (int8 && v) cache!.store('values', i, v);
      keys.push(k && cache && !int8 ? cache.write('keys', i, k) : k);
      values.push(v && cache && !int8 ? cache.write('values', i, v) : v);
      // Attention producers compute softmax(QKᵀ/√d); consumers reuse a producer's probabilities.
      let p: Tensor | null = null;
      if (plan.computesQ[i]) {
        const q = positioned(qk('q', c.heads), plan.kv[i]!);
        const window = layerWindow(c, i),
          keyLength = keysOf(plan.kv[i]!),
          alibi = this.alibi;
        p = int8
          ? attentionProbsInt8(q, cache!.int8Rows('keys', plan.kv[i]!), keyLength, {
              window,
              scale: scores,
              softcap,
              alibi,
            })
          : attentionProbs(q, stored('keys', keys, plan.kv[i]!, i), {
              keyLength,
              window,
              scale: scores,
              softcap,
              alibi,
            });
      }
      probs.push(p);
      options.observe?.(i, { keys: k, values: v, probs: p });
      const out = int8
        ? attendValuesInt8(probs[plan.attention[i]]!, cache!.int8Rows('values', plan.kv[i]!))
        : attendValues(probs[plan.attention[i]]!, stored('values', values, plan.kv[i]!, i));
      const merged = reshape(permute(out, [0, 2, 1, 3]), [batch, T, c.heads * hd]);
      const attended = add(x, this.drop(post(this.linear(merged, `${a}.attn.o`, i), `${a}.postnorm1`), options));

      // A parallel block's FFN reads the block's input, not the sum with attention (GPT-NeoX).
      const h2in = c.parallelBlocks ? x : attended;
      const h2 = c.preNorms ? this.norm(h2in, `${f}.norm2`) : h2in;
      const gate = (act: (t: Tensor) => Tensor) =>
        mul(act(this.linear(h2, `${f}.ffn.gate`, i)), this.linear(h2, `${f}.ffn.up`, i));
      const approximate = c.geluExact ? 'none' : 'tanh';
      const ff =
        c.ffn === 'swiglu'
          ? gate(silu)
          : c.ffn === 'geglu'
            ? gate((t) => gelu(t, approximate))
            : c.ffn === 'relu'
              ? relu(this.linear(h2, `${f}.ffn.up`, i))
              : c.ffn === 'relu2'
                ? squared(relu(this.linear(h2, `${f}.ffn.up`, i)))
                : gelu(this.linear(h2, `${f}.ffn.up`, i), approximate);
      x = add(attended, this.drop(post(this.linear(ff, `${f}.ffn.down`, i), `${f}.postnorm2`), options));
    }
    if (cache) cache.advance(T);
    x = this.norm(x, 'norm');
    const raw = this.logits(x);
    const logits = c.logitScale !== 1 ? scale(raw, c.logitScale) : raw;
    return c.logitSoftcap ? softcapOp(logits, c.logitSoftcap) : logits;
  }

  private logits(x: Tensor): Tensor {
    const c = this.config;
    // Tied: the output reuses the embedding; a factorized one also reuses its projection, transposed.
    if (c.tieEmbeddings && c.embedDim > 0) x = matmul(x, this.p('embed.proj.weight'));
    const logits = this.head(x, c.tieEmbeddings ? 'embed.weight' : 'head.weight');
    return c.headBias ? add(logits, this.p('head.bias')) : logits;
  }

  /** Mean next-token cross-entropy of `targets` (same layout as ids). */
  loss(
    ids: Int32Array,
    targets: Int32Array,
    batch: number,
    options: ForwardOptions = {},
  ): { logits: Tensor; loss: Tensor } {
    const logits = this.forward(ids, batch, options);
    return { logits, loss: crossEntropy(logits, targets) };
  }
}
