// Conversions between sharing plans: exact wherever the source already had the structure the
// target asks for, the literature's initialisations otherwise, and clear refusals naming the rule.
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { Rng } from '../tensor/random.js';
import { noGrad } from '../tensor/tensor.js';
import { convertModel, ConvertError } from './convert.js';
import { truncatedSvd } from './svd.js';

const BASE: Partial<ModelConfig> = { vocabSize: 20, layers: 4, dModel: 16, heads: 4, context: 8 };
const ids = Int32Array.from([1, 5, 2, 7, 3, 9, 4, 0]);
const logits = (lm: TransformerLM) => noGrad(() => lm.forward(ids, 1)).data;
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('truncated SVD', () => {
  it('reconstructs a matrix of rank k exactly and gives orthonormal singular vectors', () => {
    const rng = new Rng(3);
    const [rows, cols, k] = [9, 6, 3];
    const a = new Float32Array(rows * k).map(() => rng.normal());
    const b = new Float32Array(k * cols).map(() => rng.normal());
    const m = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) for (let t = 0; t < k; t++) m[i * cols + j]! += a[i * k + t]! * b[t * cols + j]!;
    for (const [r, c, x] of [
      [rows, cols, m],
      [cols, rows, transpose(m, rows, cols)],
    ] as const) {
      const svd = truncatedSvd(x, r, c, k);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) {
          let y = 0;
          for (let t = 0; t < k; t++) y += svd.u[i * k + t]! * svd.s[t]! * svd.v[j * k + t]!;
          expect(Math.abs(y - x[i * c + j]!)).toBeLessThan(1e-9);
        }
      for (let p = 0; p < k; p++) {
        let n = 0;
        for (let j = 0; j < c; j++) n += svd.v[j * k + p]! ** 2;
        expect(n).toBeCloseTo(1, 10);
      }
      expect([...svd.s]).toEqual([...svd.s].sort((x, y) => y - x));
    }
  });
});

function transpose(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j]!;
  return t;
}

describe('convertModel', () => {
  it('changing nothing keeps every logit', () => {
    const src = new TransformerLM(BASE, 1);
    expect(maxDiff(logits(convertModel(src, {}).lm), logits(src))).toBe(0);
  });

  it('unsharing a shared model is exact: every layer gets the set it used', () => {
    for (const shareWeights of ['all', 'cycle:2', 'cycle-rev:2']) {
      const src = new TransformerLM({ ...BASE, shareWeights }, 2);
      const out = convertModel(src, { shareWeights: 'none' }).lm;
      expect(out.parameterCount().total).toBeGreaterThan(src.parameterCount().total);
      expect(maxDiff(logits(out), logits(src)), shareWeights).toBe(0);
    }
  });

  it('sharing weights starts each set as the mean of its members (or its first member with init first)', () => {
    const src = new TransformerLM(BASE, 3);
    const w = (lm: TransformerLM, n: string) => lm.params.get(n)!.data;
    const mean = convertModel(src, { shareWeights: 'cycle:2' }).lm;
    const q = (l: number) => w(src, `layers.${l}.attn.q.weight`);
    expect(w(mean, 'layers.0.attn.q.weight')[5]).toBeCloseTo((q(0)[5]! + q(2)[5]!) / 2, 6);
    expect(w(mean, 'layers.1.ffn.up.weight')[7]).toBeCloseTo(
      (w(src, 'layers.1.ffn.up.weight')[7]! + w(src, 'layers.3.ffn.up.weight')[7]!) / 2,
      6,
    );
    const first = convertModel(src, { shareWeights: 'all' }, { init: 'first' }).lm;
    expect([...w(first, 'layers.0.attn.o.weight')]).toEqual([...w(src, 'layers.0.attn.o.weight')]);
    expect(mean.params.has('layers.2.attn.q.weight')).toBe(false);
  });

  it('K/V heads are mean-pooled in groups: exact when each group’s heads were already equal', () => {
    const src = new TransformerLM({ ...BASE, kvHeads: 4 }, 4);
    const hd = 4,
      d = 16;
    for (const [name, t] of src.params) {
      if (!/attn\.(k|v)\./.test(name)) continue;
      const width = t.shape.length === 2 ? d : 1;
      for (let g = 0; g < 2; g++)
        t.data.copyWithin((2 * g + 1) * hd * width, 2 * g * hd * width, (2 * g + 1) * hd * width);
    }
    const out = convertModel(src, { kvHeads: 2 }).lm;
    expect(out.config.kvHeads).toBe(2);
    expect(maxDiff(logits(out), logits(src))).toBeLessThan(1e-5);
  });

  it('layers that now read another layer’s K/V or attention drop those projections', () => {
    const src = new TransformerLM(BASE, 5);
    const cla = convertModel(src, { shareKv: 'cla:2' }).lm;
    expect(cla.params.has('layers.1.attn.k.weight')).toBe(false);
    expect(cla.params.has('layers.1.attn.q.weight')).toBe(true);
    const shared = convertModel(src, { shareAttention: 'group:2' }).lm;
    expect(shared.params.has('layers.1.attn.q.weight')).toBe(false);
    expect(shared.params.has('layers.1.attn.v.weight')).toBe(true);
    // And back: the consumer gets the projection of the layer it read, so a CLA model unshares.
    const back = convertModel(cla, { shareKv: 'none' }).lm;
    expect([...back.params.get('layers.1.attn.k.weight')!.data]).toEqual([
      ...cla.params.get('layers.0.attn.k.weight')!.data,
    ]);
  });

  it('a factorized embedding is the truncated SVD of the full one: exact for an embedding of that rank', () => {
    const src = new TransformerLM({ ...BASE, embedDim: 6, tieEmbeddings: true }, 6);
    const full = convertModel(src, { embedDim: 0 }).lm;
    expect(maxDiff(logits(full), logits(src))).toBeLessThan(1e-5);
    const again = convertModel(full, { embedDim: 6 }).lm;
    expect(maxDiff(logits(again), logits(src))).toBeLessThan(1e-4);
    const untied = convertModel(src, { tieEmbeddings: false, embedDim: 0 }).lm;
    expect(maxDiff(logits(untied), logits(src))).toBeLessThan(1e-5);
  });

  it('relaxed conversion: deltas from the truncated SVD of each residual bring every layer closer to its own weights', () => {
    const src = new TransformerLM(BASE, 8);
    const gap = (over: Partial<ModelConfig>) => maxDiff(logits(convertModel(src, over).lm), logits(src));
    const strict = gap({ shareWeights: 'all' }),
      r2 = gap({ shareWeights: 'all', relaxRank: 2 }),
      r8 = gap({ shareWeights: 'all', relaxRank: 8 });
    expect(r2).toBeLessThan(strict);
    expect(r8).toBeLessThan(r2);
    const relaxed = convertModel(src, { shareWeights: 'all', relaxRank: 8 }).lm;
    expect(relaxed.params.has('relax.3.ffn.down.B')).toBe(true);
  });

  it('unsharing a relaxed model is exact: each layer gets its set’s weight plus its delta', () => {
    const src = new TransformerLM({ ...BASE, shareWeights: 'cycle:2', relaxRank: 3 }, 9);
    for (const [name, t] of src.params) if (name.endsWith('.B')) t.data.set(t.data.map((_, i) => 0.1 * Math.cos(i)));
    const out = convertModel(src, { shareWeights: 'none', relaxRank: 0 }).lm;
    expect(maxDiff(logits(out), logits(src))).toBeLessThan(1e-5);
  });

  it('refuses what a conversion cannot reach, naming the field and the rule', () => {
    const src = new TransformerLM({ ...BASE, kvHeads: 4 }, 7);
    expect(() => convertModel(src, { kvHeads: 3 })).toThrow(/heads 4 is not divisible by kvHeads 3|kvHeads/);
    expect(() => convertModel(new TransformerLM({ ...BASE, heads: 4, kvHeads: 2 }, 1), { kvHeads: 4 })).toThrow(
      ConvertError,
    );
    expect(() => convertModel(src, { layers: 6 })).toThrow(/layers: a conversion changes the sharing plan only/);
    expect(() => convertModel(src, { shareKv: [0, 1, 1, 3], shareAttention: 'group:2' })).toThrow(
      /shareKv: layer 2 reads/,
    );
    const q = new TransformerLM(BASE, 1);
    q.quantizeWeights();
    expect(() => convertModel(q, { shareWeights: 'all' })).toThrow(/int8/);
  });
});
