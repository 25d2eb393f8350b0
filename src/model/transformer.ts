// The decoder-only Transformer LM: embeddings, N pre-norm blocks (attention + feed-forward) and the
// output head. Parameters live in one ordered map of named tensors; linear weights are [out, in]
// as in PyTorch, so checkpoints line up name for name with a PyTorch port.
import { Tensor, formatShape } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import {
  add, attention, crossEntropy, dropout, embedding, gelu, layerNorm, matmul, mul, permute, reshape, rmsNorm, rope, silu,
} from '../tensor/ops/index.js';
import type { ParamGroup } from '../train/adamw.js';
import { resolveConfig, type ModelConfig } from './config.js';

export interface ForwardOptions {
  /** Enables dropout (with `rng`). */
  training?: boolean;
  rng?: Rng;
}

export class TransformerLM {
  readonly config: ModelConfig;
  readonly params = new Map<string, Tensor>();

  constructor(config: Partial<ModelConfig> = {}, seed = 0) {
    this.config = resolveConfig(config);
    this.initParameters(new Rng(seed));
  }

  /** Every parameter's name and shape, in a fixed order. */
  static parameterShapes(c: ModelConfig): Array<[string, number[]]> {
    const d = c.dModel, hd = d / c.heads, kv = c.kvHeads * hd, f = c.ffnHidden;
    const out: Array<[string, number[]]> = [['embed.weight', [c.vocabSize, d]]];
    if (c.positions === 'learned') out.push(['pos.weight', [c.context, d]]);
    const norm = (name: string) => {
      out.push([`${name}.weight`, [d]]);
      if (c.norm === 'layernorm' && c.bias) out.push([`${name}.bias`, [d]]);
    };
    const linear = (name: string, o: number, i: number) => {
      out.push([`${name}.weight`, [o, i]]);
      if (c.bias) out.push([`${name}.bias`, [o]]);
    };
    for (let l = 0; l < c.layers; l++) {
      const p = `layers.${l}`;
      norm(`${p}.norm1`);
      linear(`${p}.attn.q`, d, d);
      linear(`${p}.attn.k`, kv, d);
      linear(`${p}.attn.v`, kv, d);
      linear(`${p}.attn.o`, d, d);
      norm(`${p}.norm2`);
      if (c.ffn === 'swiglu') linear(`${p}.ffn.gate`, f, d);
      linear(`${p}.ffn.up`, f, d);
      linear(`${p}.ffn.down`, d, f);
    }
    norm('norm');
    if (!c.tieEmbeddings) out.push(['head.weight', [c.vocabSize, d]]);
    return out;
  }

  /** GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2N), gains 1, biases 0. */
  private initParameters(rng: Rng): void {
    const residualStd = 0.02 / Math.sqrt(2 * this.config.layers);
    for (const [name, shape] of TransformerLM.parameterShapes(this.config)) {
      const t = Tensor.zeros(shape, { requiresGrad: true, name });
      if (name.endsWith('.bias')) { /* zeros */ }
      else if (shape.length === 1) t.data.fill(1);
      else rng.fillNormal(t.data, 0, /\.(attn\.o|ffn\.down)\.weight$/.test(name) ? residualStd : 0.02);
      this.params.set(name, t);
    }
  }

  /** Replaces every parameter's values; names and shapes must match exactly. */
  loadWeights(weights: Map<string, Float32Array> | Record<string, Float32Array>): void {
    const map = weights instanceof Map ? weights : new Map(Object.entries(weights));
    for (const [name, t] of this.params) {
      const w = map.get(name);
      if (!w) throw new Error(`loadWeights: missing parameter "${name}" ${formatShape(t.shape)}`);
      if (w.length !== t.size) throw new Error(`loadWeights: parameter "${name}" needs ${t.size} values for ${formatShape(t.shape)}, got ${w.length}`);
      t.data.set(w);
    }
    for (const name of map.keys()) if (!this.params.has(name)) throw new Error(`loadWeights: unexpected parameter "${name}"`);
  }

  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /** Matrices get weight decay; gains, biases and position tables do not (as nanoGPT). */
  paramGroups(weightDecay: number): ParamGroup[] {
    const decay = this.parameters().filter((p) => p.rank >= 2);
    const rest = this.parameters().filter((p) => p.rank < 2);
    return [{ params: decay, weightDecay }, { params: rest, weightDecay: 0 }];
  }

  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  private p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model has no parameter "${name}"`);
    return t;
  }

  private optional(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }

  private linear(x: Tensor, name: string): Tensor {
    const y = matmul(x, this.p(`${name}.weight`), { transB: true });
    const b = this.optional(`${name}.bias`);
    return b ? add(y, b) : y;
  }

  private norm(x: Tensor, name: string): Tensor {
    const c = this.config;
    return c.norm === 'layernorm'
      ? layerNorm(x, this.p(`${name}.weight`), this.optional(`${name}.bias`), c.normEps)
      : rmsNorm(x, this.p(`${name}.weight`), c.normEps);
  }

  private drop(x: Tensor, o: ForwardOptions): Tensor {
    const p = this.config.dropout;
    if (!o.training || p === 0) return x;
    if (!o.rng) throw new Error('forward: training with dropout needs options.rng');
    return dropout(x, p, o.rng, true);
  }

  /** ids: batch × T token ids, row-major → logits [batch, T, vocab]. */
  forward(ids: Int32Array, batch: number, options: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (!Number.isInteger(batch) || batch <= 0 || ids.length % batch !== 0 || ids.length === 0) {
      throw new Error(`forward: ${ids.length} ids cannot be split into ${batch} equal non-empty rows`);
    }
    const T = ids.length / batch;
    if (T > c.context) throw new Error(`forward: sequence length ${T} exceeds the context ${c.context}`);
    const hd = c.dModel / c.heads;
    let x = embedding(this.p('embed.weight'), ids, [batch, T]);
    if (c.positions === 'learned') {
      const positions = Int32Array.from({ length: T }, (_, i) => i);
      x = add(x, embedding(this.p('pos.weight'), positions, [T]));
    }
    x = this.drop(x, options);
    const heads = (t: Tensor, n: number) => permute(reshape(t, [batch, T, n, hd]), [0, 2, 1, 3]);
    for (let l = 0; l < c.layers; l++) {
      const p = `layers.${l}`;
      const h = this.norm(x, `${p}.norm1`);
      let q = heads(this.linear(h, `${p}.attn.q`), c.heads);
      let k = heads(this.linear(h, `${p}.attn.k`), c.kvHeads);
      const v = heads(this.linear(h, `${p}.attn.v`), c.kvHeads);
      if (c.positions === 'rope') {
        q = rope(q, { base: c.ropeBase });
        k = rope(k, { base: c.ropeBase });
      }
      const a = reshape(permute(attention(q, k, v), [0, 2, 1, 3]), [batch, T, c.dModel]);
      x = add(x, this.drop(this.linear(a, `${p}.attn.o`), options));
      const h2 = this.norm(x, `${p}.norm2`);
      const f = c.ffn === 'swiglu'
        ? mul(silu(this.linear(h2, `${p}.ffn.gate`)), this.linear(h2, `${p}.ffn.up`))
        : gelu(this.linear(h2, `${p}.ffn.up`), 'tanh');
      x = add(x, this.drop(this.linear(f, `${p}.ffn.down`), options));
    }
    x = this.norm(x, 'norm');
    return matmul(x, this.p(c.tieEmbeddings ? 'embed.weight' : 'head.weight'), { transB: true });
  }

  /** Mean next-token cross-entropy of `targets` (same layout as ids). */
  loss(ids: Int32Array, targets: Int32Array, batch: number, options: ForwardOptions = {}): { logits: Tensor; loss: Tensor } {
    const logits = this.forward(ids, batch, options);
    return { logits, loss: crossEntropy(logits, targets) };
  }
}

