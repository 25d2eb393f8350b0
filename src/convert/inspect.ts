// How alike a trained model's layers are, the evidence for choosing what to share: cosine
// similarity of each pair of layers' weight matrices; similarity of the keys and values they
// compute on calibration windows (linear CKA, Kornblith et al. 2019, and mean per-token cosine);
// Jensen–Shannon divergence of their attention maps (Xiao et al. 2019); and, inside each layer, how
// alike its K/V heads are (for GQA grouping).
import { headSize } from '../model/config.js';
import type { TransformerLM } from '../model/transformer.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/data.js';

/** L×L matrices; null where a layer does not compute the thing compared (it reads another layer's). */
export type PairMatrix = Array<Array<number | null>>;

export interface Inspection {
  layers: number;
  /** Calibration tokens the activation measures average over. */
  tokens: number;
  /** Cosine similarity of flattened weight matrices, per kind (q, k, v, o, ffn.up, …), and their mean. */
  weights: Record<string, PairMatrix>;
  keys: { cka: PairMatrix; cosine: PairMatrix };
  values: { cka: PairMatrix; cosine: PairMatrix };
  /** Mean Jensen–Shannon divergence (nats, 0 … ln 2) between attention rows, head by head. */
  attentionJs: PairMatrix;
  /** Per layer that computes K/V: kvHeads × kvHeads linear CKA between its heads' keys and values. */
  heads: Array<{ layer: number; keys: number[][]; values: number[][] }>;
}

const WEIGHT_KINDS = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.gate', 'ffn.up', 'ffn.down'];

export function inspectModel(lm: TransformerLM, batches: readonly Batch[]): Inspection {
  const L = lm.config.layers;
  const keyRows: Float32Array[][] = Array.from({ length: L }, () => []);
  const valueRows: Float32Array[][] = Array.from({ length: L }, () => []);
  const js = sums(L);
  let tokens = 0;
  noGrad(() => {
    for (const b of batches) {
      const probs: Array<Tensor | null> = new Array(L).fill(null);
      lm.forward(b.ids, b.batch, {
        observe: (layer, { keys, values, probs: p }) => {
          if (keys) keyRows[layer]!.push(tokenRows(keys));
          if (values) valueRows[layer]!.push(tokenRows(values));
          probs[layer] = p;
        },
      });
      tokens += b.ids.length;
      addJs(js, probs);
    }
  });
  const width = lm.config.kvHeads * headSize(lm.config);
  const keys = concatAll(keyRows, width),
    values = concatAll(valueRows, width);
  return {
    layers: L,
    tokens,
    weights: weightSimilarity(lm),
    keys: { cka: pairs(keys, linearCka), cosine: pairs(keys, meanCosine) },
    values: { cka: pairs(values, linearCka), cosine: pairs(values, meanCosine) },
    attentionJs: js.map((row) => row.map((c) => (c.n > 0 ? c.sum / c.n : null))),
    heads: headSimilarity(lm, keys, values),
  };
}

interface Rows {
  data: Float64Array;
  n: number;
  d: number;
}

/** [batch, heads, T, hd] → one row per token of heads × hd features. */
function tokenRows(t: Tensor): Float32Array {
  const [B, H, T, hd] = t.shape as [number, number, number, number];
  const out = new Float32Array(B * T * H * hd);
  const x = t.data;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < T; s++) {
        const from = ((b * H + h) * T + s) * hd,
          to = (b * T + s) * H * hd + h * hd;
        out.set(x.subarray(from, from + hd), to);
      }
  return out;
}

function concatAll(perLayer: Float32Array[][], d: number): Array<Rows | null> {
  return perLayer.map((parts) => {
    if (parts.length === 0) return null;
    const data = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { data, n: data.length / d, d };
  });
}

function pairs(rows: Array<Rows | null>, f: (a: Rows, b: Rows) => number): PairMatrix {
  return rows.map((a, i) => rows.map((b, j) => (a && b ? (i === j ? 1 : f(a, b)) : null)));
}

/** Columns centred, then ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F): 1 when one is a rotation and scaling of the other. */
export function linearCka(a: Rows, b: Rows): number {
  const x = centred(a),
    y = centred(b);
  const xy = crossFrobenius2(x, a.d, y, b.d, a.n);
  const xx = Math.sqrt(crossFrobenius2(x, a.d, x, a.d, a.n)),
    yy = Math.sqrt(crossFrobenius2(y, b.d, y, b.d, b.n));
  return xx > 0 && yy > 0 ? xy / (xx * yy) : 0;
}

function centred(r: Rows): Float64Array {
  const out = Float64Array.from(r.data);
  for (let c = 0; c < r.d; c++) {
    let m = 0;
    for (let i = 0; i < r.n; i++) m += out[i * r.d + c]!;
    m /= r.n;
    for (let i = 0; i < r.n; i++) out[i * r.d + c]! -= m;
  }
  return out;
}

/** ‖YᵀX‖²_F for X n×dx and Y n×dy. */
function crossFrobenius2(x: Float64Array, dx: number, y: Float64Array, dy: number, n: number): number {
  const m = new Float64Array(dx * dy);
  for (let i = 0; i < n; i++) {
    const xi = i * dx,
      yi = i * dy;
    for (let p = 0; p < dy; p++) {
      const v = y[yi + p]!;
      if (v === 0) continue;
      const row = p * dx;
      for (let q = 0; q < dx; q++) m[row + q]! += v * x[xi + q]!;
    }
  }
  let s = 0;
  for (const v of m) s += v * v;
  return s;
}

function meanCosine(a: Rows, b: Rows): number {
  let total = 0;
  for (let i = 0; i < a.n; i++) {
    let dot = 0,
      na = 0,
      nb = 0;
    for (let c = 0; c < a.d; c++) {
      const x = a.data[i * a.d + c]!,
        y = b.data[i * b.d + c]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    total += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }
  return total / a.n;
}

const sums = (L: number) => Array.from({ length: L }, () => Array.from({ length: L }, () => ({ sum: 0, n: 0 })));

/** Adds the batch's mean JS divergence between every two layers' attention rows, head by head. */
function addJs(acc: ReturnType<typeof sums>, probs: Array<Tensor | null>): void {
  for (let i = 0; i < probs.length; i++)
    for (let j = 0; j < probs.length; j++) {
      const p = probs[i],
        q = probs[j];
      if (!p || !q) continue;
      if (i === j) {
        acc[i]![j]!.n += 1;
        continue;
      }
      if (j < i) continue;
      const width = p.shape[3]!;
      const rows = p.size / width;
      let total = 0;
      for (let r = 0; r < rows; r++) total += jsDivergence(p.data, q.data, r * width, width);
      for (const [a, b] of [
        [i, j],
        [j, i],
      ] as const) {
        acc[a]![b]!.sum += total;
        acc[a]![b]!.n += rows;
      }
    }
}

function jsDivergence(p: Float32Array, q: Float32Array, at: number, n: number): number {
  let s = 0;
  for (let k = at; k < at + n; k++) {
    const a = p[k]!,
      b = q[k]!,
      m = (a + b) / 2;
    if (a > 0) s += 0.5 * a * Math.log(a / m);
    if (b > 0) s += 0.5 * b * Math.log(b / m);
  }
  return s;
}

function weightSimilarity(lm: TransformerLM): Record<string, PairMatrix> {
  const { plan, config } = lm;
  const L = config.layers;
  const out: Record<string, PairMatrix> = {};
  for (const kind of WEIGHT_KINDS) {
    const set = kind.startsWith('attn') ? plan.attnSet : plan.ffnSet;
    const w = Array.from({ length: L }, (_, l) => lm.params.get(`layers.${set[l]}.${kind}.weight`)?.data ?? null);
    if (w.every((x) => x === null)) continue;
    out[kind] = w.map((a) => w.map((b) => (a && b ? cosine(a, b) : null)));
  }
  const kinds = Object.values(out);
  out.mean = Array.from({ length: L }, (_, i) =>
    Array.from({ length: L }, (_, j) => {
      const v = kinds.map((m) => m[i]![j]).filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    }),
  );
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function headSimilarity(lm: TransformerLM, keys: Array<Rows | null>, values: Array<Rows | null>): Inspection['heads'] {
  const H = lm.config.kvHeads,
    hd = headSize(lm.config);
  const split = (r: Rows, h: number): Rows => {
    const data = new Float64Array(r.n * hd);
    for (let i = 0; i < r.n; i++) data.set(r.data.subarray(i * r.d + h * hd, i * r.d + (h + 1) * hd), i * hd);
    return { data, n: r.n, d: hd };
  };
  const out: Inspection['heads'] = [];
  keys.forEach((k, layer) => {
    const v = values[layer];
    if (!k || !v || H < 2) return;
    const kh = Array.from({ length: H }, (_, h) => split(k, h)),
      vh = Array.from({ length: H }, (_, h) => split(v, h));
    const matrix = (hs: Rows[]) => hs.map((a, i) => hs.map((b, j) => (i === j ? 1 : linearCka(a, b))));
    out.push({ layer, keys: matrix(kh), values: matrix(vh) });
  });
  return out;
}
