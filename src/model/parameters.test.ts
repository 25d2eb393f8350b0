// Unique parameters exist once: in the layout, in parameterCount(), in memory and in the optimizer.
// Counts are checked against closed-form formulas for every strategy.
import { describe, expect, it } from 'vitest';
import { AdamW } from '../train/adamw.js';
import { resolveConfig, type ModelConfig } from './config.js';
import { countParameters, parameterLayout } from './parameters.js';
import { TransformerLM } from './transformer.js';

// A 6-layer model with every parameter kind: LayerNorm with bias, GELU MLP, learned positions.
const V = 50,
  D = 32,
  H = 4,
  T = 24,
  F = 64,
  L = 6;
const base: Partial<ModelConfig> = {
  vocabSize: V,
  dModel: D,
  heads: H,
  context: T,
  ffnHidden: F,
  layers: L,
  tieEmbeddings: true,
};
const hd = D / H;

/** One attention sub-layer's parameters (pre-norm included) given what it computes. */
function attn(kvHeads: number, roles: { q?: boolean; kv?: boolean; v?: boolean } = {}): number {
  const q = roles.q ?? true,
    kv = roles.kv ?? true,
    v = roles.v ?? kv;
  const w = kvHeads * hd;
  return 2 * D + (q ? D * D + D : 0) + (kv ? w * D + w : 0) + (v ? w * D + w : 0) + D * D + D;
}
const FFN = 2 * D + (F * D + F) + (D * F + D);
const EMBED = V * D + T * D,
  FINAL = 2 * D;

describe('parameterCount matches the formula for every strategy', () => {
  it.each<[string, Partial<ModelConfig>, number]>([
    ['none', {}, EMBED + L * (attn(H) + FFN) + FINAL],
    ['all', { shareWeights: 'all' }, EMBED + 1 * (attn(H) + FFN) + FINAL],
    ['sequence:2', { shareWeights: 'sequence:2' }, EMBED + 2 * (attn(H) + FFN) + FINAL],
    ['cycle:3', { shareWeights: 'cycle:3' }, EMBED + 3 * (attn(H) + FFN) + FINAL],
    ['cycle-rev:2', { shareWeights: 'cycle-rev:2' }, EMBED + 2 * (attn(H) + FFN) + FINAL],
    ['repeat:4 (sets of 4 and 2)', { shareWeights: 'repeat:4' }, EMBED + 2 * (attn(H) + FFN) + FINAL],
    ['explicit [0,0,3,3,3,5]', { shareWeights: [0, 0, 3, 3, 3, 5] }, EMBED + 3 * (attn(H) + FFN) + FINAL],
    ['all, attention scope', { shareWeights: 'all', shareScope: 'attention' }, EMBED + attn(H) + L * FFN + FINAL],
    ['cycle:2, ffn scope', { shareWeights: 'cycle:2', shareScope: 'ffn' }, EMBED + L * attn(H) + 2 * FFN + FINAL],
    ['GQA kvHeads 2', { kvHeads: 2 }, EMBED + L * (attn(2) + FFN) + FINAL],
    ['MQA', { kvHeads: 1 }, EMBED + L * (attn(1) + FFN) + FINAL],
    [
      'cla:2 (consumers own no Wk, Wv)',
      { shareKv: 'cla:2' },
      EMBED + 3 * attn(H) + 3 * attn(H, { kv: false }) + L * FFN + FINAL,
    ],
    ['yoco:2', { shareKv: 'yoco:2' }, EMBED + 4 * attn(H) + 2 * attn(H, { kv: false }) + L * FFN + FINAL],
    [
      'attention group:3 (consumers own no Wq, Wk)',
      { shareAttention: 'group:3' },
      EMBED + 2 * attn(H) + 4 * attn(H, { q: false, kv: false, v: true }) + L * FFN + FINAL,
    ],
    [
      'all + cla:2 (the one set still owns Wk, Wv)',
      { shareWeights: 'all', shareKv: 'cla:2' },
      EMBED + attn(H) + FFN + FINAL,
    ],
    ['untied head', { tieEmbeddings: false }, EMBED + L * (attn(H) + FFN) + FINAL + V * D],
    ['factorized E=8, tied', { embedDim: 8 }, V * 8 + D * 8 + T * D + L * (attn(H) + FFN) + FINAL],
    // OPT's ReLU MLP has GELU's two matrices; the gated FFNs have three.
    ['relu FFN', { ffn: 'relu' }, EMBED + L * (attn(H) + FFN) + FINAL],
    ['squared-relu FFN (Nemotron)', { ffn: 'relu2' }, EMBED + L * (attn(H) + FFN) + FINAL],
    // GPT-J: biases on the FFN and norms only, none on the four attention projections.
    ['no attention biases', { attentionBias: false }, EMBED + L * (attn(H) - 4 * D + FFN) + FINAL],
  ])('%s', (_name, over, expected) => {
    const c = resolveConfig({ ...base, ...over });
    expect(countParameters(parameterLayout(c)).total).toBe(expected);
    const lm = new TransformerLM(c);
    // In memory: the model holds exactly these elements, each tensor once.
    expect(lm.parameters().reduce((s, p) => s + p.size, 0)).toBe(expected);
    // In the optimizer: one m and one v per unique element.
    const state = new AdamW(lm.parameters()).getState();
    expect(state.m.reduce((s, m) => s + m.length, 0)).toBe(expected);
  });

  it('breaks the total down by component and by unique set', () => {
    const count = new TransformerLM({ ...base, shareWeights: 'cycle:3', kvHeads: 2 }).parameterCount();
    expect(count.byComponent.embedding).toBe(V * D);
    expect(count.byComponent.k).toBe(3 * (2 * hd * D + 2 * hd));
    expect(count.byComponent.ffn).toBe(3 * (FFN - 2 * D));
    expect(Object.keys(count.bySet).sort()).toEqual([
      'attention.0',
      'attention.1',
      'attention.2',
      'ffn.0',
      'ffn.1',
      'ffn.2',
    ]);
    expect(count.bySet['ffn.1']).toBe(FFN);
    expect(Object.values(count.byComponent).reduce((a, b) => a + b, 0)).toBe(count.total);
  });
});

describe('biases follow bias, normBias and attentionBias', () => {
  const biases = (over: Partial<ModelConfig>) =>
    parameterLayout(resolveConfig({ layers: 1, dModel: 8, heads: 2, ...over }))
      .map((p) => p.name)
      .filter((n) => n.endsWith('.bias'));
  it('LayerNorm biases follow bias unless normBias says otherwise (Falcon: on its norms only)', () => {
    expect(biases({ bias: false })).toEqual([]);
    expect(biases({ bias: false, normBias: true })).toEqual([
      'layers.0.norm1.bias',
      'layers.0.norm2.bias',
      'norm.bias',
    ]);
    expect(biases({ bias: true, normBias: false })).not.toContain('norm.bias');
    expect(biases({ bias: false, normBias: true, norm: 'rmsnorm' })).toEqual([]);
  });
  it("attentionOutBias keeps the output projection's bias, and only it, of the four (GPT-Neo)", () => {
    expect(biases({ attentionBias: false, attentionOutBias: true })).toEqual([
      'layers.0.norm1.bias',
      'layers.0.attn.o.bias',
      'layers.0.norm2.bias',
      'layers.0.ffn.up.bias',
      'layers.0.ffn.down.bias',
      'norm.bias',
    ]);
  });
  it("attentionBias false keeps the FFN and norm biases and drops the four projections' (GPT-J)", () => {
    expect(biases({ attentionBias: false })).toEqual([
      'layers.0.norm1.bias',
      'layers.0.norm2.bias',
      'layers.0.ffn.up.bias',
      'layers.0.ffn.down.bias',
      'norm.bias',
    ]);
  });
});

describe('relaxed sharing adds rank-r deltas only where a layer shares a set', () => {
  it('counts r·(in + out) per relaxed matrix, as the relaxation component, and nothing for unshared layers', () => {
    const r = 3;
    const perLayer = r * (D + D) * 2 + r * (2 * D) * 2 + r * (F + D) * 2; // q, o; k, v (kvHeads = heads); ffn up, down
    const strict = countParameters(parameterLayout(resolveConfig({ ...base, shareWeights: 'all' })));
    const relaxed = countParameters(parameterLayout(resolveConfig({ ...base, shareWeights: 'all', relaxRank: r })));
    expect(relaxed.byComponent.relaxation).toBe(L * perLayer);
    expect(relaxed.total).toBe(strict.total + L * perLayer);
    const unshared = countParameters(parameterLayout(resolveConfig({ ...base, relaxRank: r })));
    expect(unshared.byComponent.relaxation).toBe(0);
    // cycle:3 over 6 layers: every set has two members; attention-only sharing relaxes attention only.
    const scope = countParameters(
      parameterLayout(resolveConfig({ ...base, shareWeights: 'cycle:3', shareScope: 'attention', relaxRank: r })),
    );
    expect(scope.byComponent.relaxation).toBe(L * r * (4 * D + 4 * D));
  });

  it('starts as the strict model: the deltas’ B is zero, every shared weight is drawn as before', () => {
    const strict = new TransformerLM({ ...base, shareWeights: 'cycle:2' }, 5);
    const relaxed = new TransformerLM({ ...base, shareWeights: 'cycle:2', relaxRank: 2 }, 5);
    for (const [name, t] of strict.params) expect([...relaxed.params.get(name)!.data], name).toEqual([...t.data]);
    const ids = Int32Array.from([1, 2, 3, 4, 5]);
    expect([...relaxed.forward(ids, 1).data]).toEqual([...strict.forward(ids, 1).data]);
    expect(() => resolveConfig({ ...base, relaxRank: D })).toThrow(/relaxRank: must be below dModel/);
  });
});

describe('a factorized embedding starts at the scale of the embedding it replaces', () => {
  const std = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((a, v) => a + v * v, 0) / x.length);
  const ids = Int32Array.from({ length: 24 }, (_, i) => (i * 7) % V);
  it('embedding × projection at 0.02, tied logits at the scale of an untied head', () => {
    const wide = { ...base, dModel: 128, heads: 4 };
    const plain = new TransformerLM(wide, 4);
    const factorized = new TransformerLM({ ...wide, embedDim: 16 }, 4);
    const tied = new TransformerLM({ ...wide, embedDim: 16, tieEmbeddings: true }, 4);
    const e = factorized.params.get('embed.weight')!.data,
      p = factorized.params.get('embed.proj.weight')!.data;
    // One token's d-wide input: row 0 of E [V, 16] times the projection [128, 16], transposed.
    const row = Array.from({ length: 128 }, (_, j) => Array.from({ length: 16 }, (_, k) => e[k]! * p[j * 16 + k]!));
    const input = row.map((terms) => terms.reduce((a, b) => a + b, 0));
    expect(std(input)).toBeGreaterThan(0.012);
    expect(std(input)).toBeLessThan(0.03);
    const logits = (lm: TransformerLM) => std(lm.forward(ids, 1).data);
    expect(logits(tied) / logits(plain)).toBeGreaterThan(0.5);
    expect(logits(tied) / logits(plain)).toBeLessThan(2);
  });
});

describe('a shared parameter set is one storage that every layer using it trains', () => {
  it('gets the sum of the gradients each layer would give its own copy', () => {
    const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 7) % V),
      targets = Int32Array.from({ length: 12 }, (_, i) => (i * 5 + 1) % V);
    const shared = new TransformerLM({ ...base, layers: 3, shareWeights: 'all' }, 1);
    const separate = new TransformerLM({ ...base, layers: 3 }, 2);
    // Give every layer of the unshared model the shared model's weights.
    for (const [name, p] of separate.params) {
      p.data.set(shared.params.get(name.replace(/^layers\.\d+\./, 'layers.0.'))!.data);
    }
    shared.loss(ids, targets, 2).loss.backward();
    separate.loss(ids, targets, 2).loss.backward();
    for (const [name, p] of shared.params) {
      // The key bias's gradient is analytically zero (softmax shift invariance): float32 noise only.
      if (!name.startsWith('layers.') || name.endsWith('attn.k.bias')) continue;
      const sum = new Float64Array(p.size);
      for (let l = 0; l < 3; l++)
        separate.params.get(name.replace('layers.0.', `layers.${l}.`))!.grad!.forEach((g, i) => {
          sum[i]! += g;
        });
      const scale = Math.max(...sum.map(Math.abs));
      const diff = Math.max(...p.grad!.map((g, i) => Math.abs(g - sum[i]!)));
      expect(diff / scale, name).toBeLessThan(1e-5);
    }
    expect(
      [...shared.params.keys()].filter((n) => n.startsWith('layers.')).every((n) => n.startsWith('layers.0.')),
    ).toBe(true);
  });
});
