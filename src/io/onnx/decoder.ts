// shareformer → ONNX: the decoder as one graph with a KV cache, under any sharing plan, with the
// input and output names onnxruntime-genai and transformers.js expect of decoder models:
// input_ids, attention_mask, position_ids and past_key_values.{i}.key / .value in; logits and
// present.{i}.key / .value out. Only layers that compute keys (values) have a past and present key
// (value): CLA/YOCO consumers read their producer's inside the graph, attention-sharing consumers
// reuse the producer's probabilities, GQA keys stay kvHeads wide, and each unique weight is one
// initializer that every layer using it reads. Runs in browsers: it returns the file's bytes.
import { headSize, layerRotates, layerWindow, rotaryDims, scoreScale, type ModelConfig } from '../../model/config.js';
import type { SharingPlan } from '../../model/plan.js';
import type { TransformerLM } from '../../model/transformer.js';
import { alibiSlopes } from '../../tensor/ops/attention.js';
import { ropeInverseFrequencies } from '../../tensor/ops/rope.js';
import { GraphBuilder } from './graph.js';

export const ONNX_OPSET = 17;

export interface OnnxExport {
  bytes: Uint8Array;
  /** Layers with a past/present key, and with a past/present value (they differ under attention sharing). */
  keyLayers: number[];
  valueLayers: number[];
  inputs: string[];
  outputs: string[];
}

/** Names of the cache tensors, as the runtimes expect them. */
export const pastName = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
export const presentName = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;

const B = 'batch_size',
  S = 'sequence_length',
  P = 'past_sequence_length',
  L = 'total_sequence_length';

export function exportOnnx(lm: TransformerLM): OnnxExport {
  const c = lm.config,
    plan = lm.plan;
  const g = new GraphBuilder();
  for (const [name, t] of lm.params) g.weight(name, t.data, t.shape);
  const d = new DecoderGraph(g, c, plan, (n) => lm.params.has(n));
  d.build();
  const keyLayers = plan.computesK.flatMap((k, i) => (k ? [i] : []));
  const valueLayers = plan.computesV.flatMap((v, i) => (v ? [i] : []));
  const bytes = g.encode({
    opset: ONNX_OPSET,
    producer: 'shareformer',
    graphName: 'shareformer_decoder',
    metadata: {
      'shareformer.config': JSON.stringify(c),
      'shareformer.key_layers': JSON.stringify(keyLayers),
      'shareformer.value_layers': JSON.stringify(valueLayers),
      'shareformer.kv_source': JSON.stringify(plan.kv),
      'shareformer.attention_source': JSON.stringify(plan.attention),
    },
  });
  return {
    bytes,
    keyLayers,
    valueLayers,
    inputs: g.inputs.map((i) => i.name!),
    outputs: g.outputs.map((o) => o.name!),
  };
}

class DecoderGraph {
  private readonly hd: number;
  private readonly group: number;
  private readonly transposed = new Map<string, string>();
  /** The [S, L] key-minus-query distances, built once and shared by every mask and the ALiBi bias. */
  private distanceNode: string | null = null;

  constructor(
    private readonly g: GraphBuilder,
    private readonly c: ModelConfig,
    private readonly plan: SharingPlan,
    private readonly has: (name: string) => boolean,
  ) {
    this.hd = headSize(c);
    this.group = c.heads / c.kvHeads;
  }

  build(): void {
    const { g, c, plan } = this;
    const ids = g.input('input_ids', 'int64', [B, S]);
    const mask = g.input('attention_mask', 'int64', [B, L]);
    const positions = g.input('position_ids', 'int64', [B, S]);
    for (let i = 0; i < c.layers; i++) {
      if (plan.computesK[i]) g.input(pastName(i, 'key'), 'float', [B, c.kvHeads, P, this.hd]);
      if (plan.computesV[i]) g.input(pastName(i, 'value'), 'float', [B, c.kvHeads, P, this.hd]);
    }

    let x = g.op('Gather', ['embed.weight', ids], { axis: 0 });
    if (c.embedDim > 0) x = g.op('MatMul', [x, this.t('embed.proj.weight')]);
    if (c.embedScale) x = g.op('Mul', [x, g.scalar('float', Math.sqrt(c.dModel))]);
    if (c.embedMultiplier !== 1) x = g.op('Mul', [x, g.scalar('float', c.embedMultiplier)]);
    if (c.positions === 'learned') x = g.op('Add', [x, g.op('Gather', ['pos.weight', positions], { axis: 0 })]);
    if (c.embedNorm) x = this.norm(x, 'embed.norm');
    // One cos/sin pair and one mask per distinct base and window (Gemma 3: local and global layers).
    const rotaries = new Map<number, { cos: string; sin: string }>(),
      masks = new Map<number, string>();
    const rotaryOf = (layer: number) => {
      const local = c.ropeLocalBase > 0 && layerWindow(c, layer) > 0;
      if (!rotaries.has(Number(local))) rotaries.set(Number(local), this.rotary(positions, local));
      return rotaries.get(Number(local))!;
    };
    // ALiBi's bias, one for every layer: [kvH, group, S, L], broadcast over the batch.
    const alibi = c.positions === 'alibi' ? this.alibiBias(ids, mask) : null;
    const allowedIn = (layer: number) => {
      const w = layerWindow(c, layer);
      if (!masks.has(w)) masks.set(w, this.allowed(ids, mask, w));
      return masks.get(w)!;
    };
    const post = (t: string, name: string) => {
      const normed = c.postNorms ? this.norm(t, name) : t;
      return c.residualMultiplier !== 1 ? g.op('Mul', [normed, g.scalar('float', c.residualMultiplier)]) : normed;
    };

    const keys: Array<string | null> = [],
      values: Array<string | null> = [],
      probs: Array<string | null> = [];
    for (let i = 0; i < c.layers; i++) {
      const a = `layers.${plan.attnSet[i]}`,
        f = `layers.${plan.ffnSet[i]}`;
      const h = c.preNorms ? this.norm(x, `${a}.norm1`) : x;
      // Qwen3 norms each head; OLMo 2 the whole projection, before the split into heads; Command R+
      // each head with a LayerNorm of its own gains.
      const qk = (name: string, n: number) => {
        const t = this.linear(h, `${a}.attn.${name}`, i);
        if (c.qkLayerNorm) return this.heads(this.perHeadLayerNorm(t, `${a}.attn.${name}norm.weight`, n), n);
        return c.qkNormFull
          ? this.heads(this.rmsNorm(t, `${a}.attn.${name}norm.weight`), n)
          : this.headNorm(this.heads(t, n), `${a}.attn.${name}norm`);
      };
      let k: string | null = null,
        v: string | null = null;
      if (plan.computesK[i]) {
        k = qk('k', c.kvHeads);
        if (layerRotates(c, i)) k = this.rope(k, rotaryOf(i));
        k = g.op('Concat', [pastName(i, 'key'), k], { axis: 2 }, presentName(i, 'key'));
        g.output(k, 'float', [B, c.kvHeads, L, this.hd]);
      }
      if (plan.computesV[i]) {
        v = this.heads(this.linear(h, `${a}.attn.v`, i), c.kvHeads);
        v = g.op('Concat', [pastName(i, 'value'), v], { axis: 2 }, presentName(i, 'value'));
        g.output(v, 'float', [B, c.kvHeads, L, this.hd]);
      }
      keys.push(k);
      values.push(v);
      let p: string | null = null;
      if (plan.computesQ[i]) {
        let q = qk('q', c.heads);
        // Queries turn with the frequencies of the layer whose keys they meet, as the model does.
        if (layerRotates(c, plan.kv[i]!)) q = this.rope(q, rotaryOf(plan.kv[i]!));
        p = this.probabilities(q, keys[plan.kv[i]!]!, allowedIn(i), alibi);
      }
      probs.push(p);
      // [B, kvH, group, S, hd] → [B, S, heads·hd]
      const out = g.op('MatMul', [
        probs[plan.attention[i]!]!,
        g.op('Unsqueeze', [values[plan.kv[i]!]!, g.constant('int64', [2])]),
      ]);
      const merged = g.op('Reshape', [
        g.op('Transpose', [g.op('Reshape', [out, g.constant('int64', [0, c.heads, -1, this.hd])])], {
          perm: [0, 2, 1, 3],
        }),
        g.constant('int64', [0, 0, c.heads * this.hd]),
      ]);
      const attended = g.op('Add', [x, post(this.linear(merged, `${a}.attn.o`, i), `${a}.postnorm1`)]);

      // A parallel block's FFN reads the block's input, not the sum with attention (GPT-NeoX).
      const h2in = c.parallelBlocks ? x : attended;
      const h2 = c.preNorms ? this.norm(h2in, `${f}.norm2`) : h2in;
      const gated = (act: string) => g.op('Mul', [act, this.linear(h2, `${f}.ffn.up`, i)]);
      const gelu = (t: string) => (c.geluExact ? this.geluExact(t) : this.geluTanh(t));
      const ff =
        c.ffn === 'swiglu'
          ? gated(this.silu(this.linear(h2, `${f}.ffn.gate`, i)))
          : c.ffn === 'geglu'
            ? gated(gelu(this.linear(h2, `${f}.ffn.gate`, i)))
            : c.ffn === 'relu'
              ? g.op('Relu', [this.linear(h2, `${f}.ffn.up`, i)])
              : c.ffn === 'relu2'
                ? this.squared(g.op('Relu', [this.linear(h2, `${f}.ffn.up`, i)]))
                : gelu(this.linear(h2, `${f}.ffn.up`, i));
      x = g.op('Add', [attended, post(this.linear(ff, `${f}.ffn.down`, i), `${f}.postnorm2`)]);
    }
    x = this.norm(x, 'norm');
    // Gemma 2 soft-caps the logits, Phi adds a bias; the graph's output is named logits either way.
    const scaled = c.logitScale !== 1;
    const name = c.logitSoftcap || c.headBias || scaled ? undefined : 'logits';
    let logits: string;
    if (!c.tieEmbeddings) logits = g.op('MatMul', [x, this.t('head.weight')], {}, name);
    else {
      // Tied: the output reuses the embedding; a factorized one also reuses its projection, transposed.
      if (c.embedDim > 0) x = g.op('MatMul', [x, 'embed.proj.weight']);
      logits = g.op('MatMul', [x, this.t('embed.weight')], {}, name);
    }
    if (c.headBias) logits = g.op('Add', [logits, 'head.bias'], {}, c.logitSoftcap || scaled ? undefined : 'logits');
    if (scaled)
      logits = g.op('Mul', [logits, g.constant('float', [c.logitScale])], {}, c.logitSoftcap ? undefined : 'logits');
    if (c.logitSoftcap) logits = this.softcap(logits, c.logitSoftcap, 'logits');
    g.output(logits, 'float', [B, S, c.vocabSize]);
  }

  /** A weight's transpose, made once however many layers read it. */
  private t(name: string): string {
    let t = this.transposed.get(name);
    if (!t) {
      t = this.g.op('Transpose', [name], { perm: [1, 0] });
      this.transposed.set(name, t);
    }
    return t;
  }

  /** x·Wᵀ + b, plus layer `layer`'s relaxation delta (x·Aᵀ)·Bᵀ where the model has one. */
  private linear(x: string, name: string, layer?: number): string {
    const mm = this.g.op('MatMul', [x, this.t(`${name}.weight`)]);
    const y = this.has(`${name}.bias`) ? this.g.op('Add', [mm, `${name}.bias`]) : mm;
    const relax = layer === undefined ? null : `relax.${layer}.${name.split('.').slice(2).join('.')}`;
    if (!relax || !this.has(`${relax}.A`)) return y;
    const low = this.g.op('MatMul', [this.g.op('MatMul', [x, this.t(`${relax}.A`)]), this.t(`${relax}.B`)]);
    return this.g.op('Add', [y, low]);
  }

  private norm(x: string, name: string): string {
    const { g, c } = this;
    if (c.norm === 'layernorm') {
      const bias = this.has(`${name}.bias`) ? `${name}.bias` : g.constant('float', new Array(c.dModel).fill(0));
      return g.op('LayerNormalization', [x, `${name}.weight`, bias], { axis: -1, epsilon: { float: c.normEps } });
    }
    return this.rmsNorm(x, `${name}.weight`);
  }

  /** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · w */
  private rmsNorm(x: string, weight: string): string {
    const { g, c } = this;
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const rms = g.op('Sqrt', [g.op('Add', [ms, g.scalar('float', c.normEps)])]);
    return g.op('Mul', [g.op('Div', [x, rms]), weight]);
  }

  /** [B, S, n·hd] with each head LayerNorm-ed over its dimensions (no bias), times its own gains. */
  private perHeadLayerNorm(x: string, gain: string, n: number): string {
    const { g, c } = this;
    const x4 = g.op('Reshape', [x, g.constant('int64', [0, 0, n, this.hd])]);
    const unit = g.constant('float', new Array(this.hd).fill(1)),
      zero = g.constant('float', new Array(this.hd).fill(0));
    const normed = g.op('LayerNormalization', [x4, unit, zero], { axis: -1, epsilon: { float: c.normEps } });
    const scaled = g.op('Mul', [normed, g.op('Reshape', [gain, g.constant('int64', [n, this.hd])])]);
    return g.op('Reshape', [scaled, g.constant('int64', [0, 0, n * this.hd])]);
  }

  /** Qwen3's RMSNorm of each query or key head [B, n, S, hd], before RoPE. */
  private headNorm(x: string, name: string): string {
    return this.c.qkNorm ? this.rmsNorm(x, `${name}.weight`) : x;
  }

  /** [B, S, n·hd] → [B, n, S, hd] */
  private heads(x: string, n: number): string {
    const r = this.g.op('Reshape', [x, this.g.constant('int64', [0, 0, n, this.hd])]);
    return this.g.op('Transpose', [r], { perm: [0, 2, 1, 3] });
  }

  /** cos and sin of position · base^(−2i/R) over the R rotated dimensions (maybe rescaled; the local base unscaled), [B, 1, S, R/2]. */
  private rotary(positions: string, local: boolean): { cos: string; sin: string } {
    const { g, c } = this;
    const r = rotaryDims(c);
    const inv = Array.from(
      local ? ropeInverseFrequencies(r, c.ropeLocalBase) : ropeInverseFrequencies(r, c.ropeBase, c.ropeScaling),
    );
    const pos = g.op('Unsqueeze', [g.op('Cast', [positions], { to: 1 }), g.constant('int64', [1, 3])]);
    const angle = g.op('Mul', [pos, g.constant('float', inv)]);
    return { cos: g.op('Cos', [angle]), sin: g.op('Sin', [angle]) };
  }

  /** Rotate-half RoPE (GPT-NeoX / Llama): pairs (x[i], x[i + R/2]) over the first R dimensions; the rest pass. */
  private rope(x: string, r: { cos: string; sin: string }): string {
    const { g } = this;
    const half = rotaryDims(this.c) / 2,
      rest = this.hd - 2 * half;
    const parts = rest > 0 ? [half, half, rest] : [half, half];
    const [x1, x2, pass] = g.node('Split', [x, g.constant('int64', parts)], { axis: -1 }, parts.length) as string[];
    const y1 = g.op('Sub', [g.op('Mul', [x1!, r.cos]), g.op('Mul', [x2!, r.sin])]);
    const y2 = g.op('Add', [g.op('Mul', [x2!, r.cos]), g.op('Mul', [x1!, r.sin])]);
    return g.op('Concat', pass ? [y1, y2, pass] : [y1, y2], { axis: -1 });
  }

  /** [S, L] int64: key j's position minus query q's, j − (past + q), for the last S of L positions. */
  private distances(ids: string, mask: string): string {
    if (this.distanceNode) return this.distanceNode;
    const { g } = this;
    const dim = (t: string, axis: number) => g.op('Gather', [g.op('Shape', [t]), g.scalar('int64', axis)], { axis: 0 });
    const total = dim(mask, 1),
      seq = dim(ids, 1);
    const j = g.op('Range', [g.scalar('int64', 0), total, g.scalar('int64', 1)]);
    const q = g.op('Range', [g.op('Sub', [total, seq]), total, g.scalar('int64', 1)]);
    this.distanceNode = g.op('Sub', [
      g.op('Unsqueeze', [j, g.constant('int64', [0])]),
      g.op('Unsqueeze', [q, g.constant('int64', [1])]),
    ]);
    return this.distanceNode;
  }

  /**
   * [B, 1, 1, S, L] booleans: query q (the last S of L positions) may see key j when j ≤ past + q
   * (and j > past + q − window with a sliding window) and attention_mask[b, j] is 1.
   */
  private allowed(ids: string, mask: string, window: number): string {
    const { g } = this;
    const distance = this.distances(ids, mask);
    let visible = g.op('LessOrEqual', [distance, g.scalar('int64', 0)]);
    if (window > 0) visible = g.op('And', [visible, g.op('Greater', [distance, g.scalar('int64', -window)])]);
    const padded = g.op('Unsqueeze', [g.op('Cast', [mask], { to: 9 }), g.constant('int64', [1, 2, 3])]);
    return g.op('And', [visible, padded]);
  }

  /** ALiBi: slope_h · (j − (past + q)) as [kvH, group, S, L], the heads in the scores' grouping. */
  private alibiBias(ids: string, mask: string): string {
    const { g, c } = this;
    const slopes = g.constant('float', Array.from(alibiSlopes(c.heads).map((m) => m * c.alibiScale)), [
      c.kvHeads,
      this.group,
      1,
      1,
    ]);
    return g.op('Mul', [slopes, g.op('Cast', [this.distances(ids, mask)], { to: 1 })]);
  }

  /** softmax(QKᵀ/√hd, or the config's scalar) over allowed keys, as [B, kvH, group, S, L] so GQA keys are not repeated. */
  private probabilities(q: string, k: string, allowed: string, alibi: string | null): string {
    const { g, c } = this;
    const q5 = g.op('Reshape', [q, g.constant('int64', [0, c.kvHeads, this.group, -1, this.hd])]);
    const kT = g.op('Unsqueeze', [g.op('Transpose', [k], { perm: [0, 1, 3, 2] }), g.constant('int64', [2])]);
    let scores = g.op('Mul', [g.op('MatMul', [q5, kT]), g.scalar('float', scoreScale(c))]);
    if (c.attentionSoftcap) scores = this.softcap(scores, c.attentionSoftcap);
    if (alibi) scores = g.op('Add', [scores, alibi]);
    const masked = g.op('Where', [allowed, scores, g.scalar('float', -3.4028234663852886e38)]);
    return g.op('Softmax', [masked], { axis: -1 });
  }

  /** cap·tanh(x / cap): Gemma 2's soft-capping of scores and logits. */
  private softcap(x: string, cap: number, output?: string): string {
    const { g } = this;
    const t = g.op('Tanh', [g.op('Div', [x, g.scalar('float', cap)])]);
    return g.op('Mul', [t, g.scalar('float', cap)], {}, output);
  }

  private silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  private squared(x: string): string {
    return this.g.op('Mul', [x, x]);
  }

  /** 0.5·x·(1 + erf(x / √2)), the exact GELU (GPT-NeoX; opset 17 has no Gelu). */
  private geluExact(x: string): string {
    const { g } = this;
    const cdf = g.op('Add', [g.op('Erf', [g.op('Mul', [x, g.scalar('float', Math.SQRT1_2)])]), g.scalar('float', 1)]);
    return g.op('Mul', [g.op('Mul', [x, cdf]), g.scalar('float', 0.5)]);
  }

  /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's GELU (opset 17 has no Gelu). */
  private geluTanh(x: string): string {
    const { g } = this;
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [
      g.op('Add', [x, g.op('Mul', [cube, g.scalar('float', 0.044715)])]),
      g.scalar('float', Math.sqrt(2 / Math.PI)),
    ]);
    const t = g.op('Add', [g.op('Tanh', [inner]), g.scalar('float', 1)]);
    return g.op('Mul', [g.op('Mul', [x, t]), g.scalar('float', 0.5)]);
  }
}
