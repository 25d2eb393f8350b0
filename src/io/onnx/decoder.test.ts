import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { headSize, type ModelConfig } from '../../model/config.js';
import { TransformerLM } from '../../model/transformer.js';
import { Rng } from '../../tensor/random.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../../verify/catalog.js';
import { relativeDiff } from '../../verify/fixture.js';
import { loadFixture } from '../../verify/load.js';
import { modelFromFixture } from '../../verify/models.js';
import { exportOnnx, pastName, presentName } from './decoder.js';

const TOL = 1e-4;
const PROMPT = 8;
const DECODE_STEPS = 32;

const fixtures: Array<[string, string, Partial<ModelConfig>]> = [
  ...Object.keys(REFERENCE_MODELS).map((n): [string, string, Partial<ModelConfig>] => [n, `${n}.safetensors`, {}]),
  ...Object.keys(SHARING_MODES).map((n): [string, string, Partial<ModelConfig>] => [n, `sharing/${n}.safetensors`, {}]),
  ['qwen2-style (Q/K/V biases only)', 'llama.safetensors', { qkvBias: true }],
  ['qwen3-style (head norms, heads twice d / heads wide)', 'llama.safetensors', { qkNorm: true, headDim: 16 }],
  ['mistral-v0.1-style (a sliding window of 8, outrun by the decode)', 'llama.safetensors', { slidingWindow: 8 }],
  [
    'gemma3-style (GeGLU, post-norms, scaled embeddings; windowed layers at base 10,000, every 2nd full at 1,000,000)',
    'llama.safetensors',
    {
      ffn: 'geglu',
      embedScale: true,
      postNorms: true,
      qkNorm: true,
      slidingWindow: 8,
      fullAttentionEvery: 2,
      ropeBase: 1e6,
      ropeLocalBase: 1e4,
      ropeScaling: { type: 'linear', factor: 8 },
      attentionScalar: 21,
    },
  ],
  [
    'gemma2-style (scores soft-capped at 3, logits at 5; every other layer windowed)',
    'llama.safetensors',
    {
      ffn: 'geglu',
      embedScale: true,
      postNorms: true,
      slidingWindow: 8,
      fullAttentionEvery: 2,
      attentionScalar: 21,
      attentionSoftcap: 3,
      logitSoftcap: 5,
    },
  ],
  // The llama fixture's heads are 16 wide: a quarter of each rotates, as GPT-NeoX's rotary_pct 0.25.
  ["GPT-NeoX's partial rotary (4 of 16 head dimensions)", 'llama.safetensors', { ropeDims: 4 }],
  [
    'GPT-NeoX-style: parallel attention and FFN, exact GELU, partial rotary',
    'gpt.safetensors',
    { positions: 'rope', ropeDims: 4, parallelBlocks: true, geluExact: true },
  ],
  [
    'Phi-2-style: a biased head (and soft-capped logits after it)',
    'gpt.safetensors',
    { headBias: true, logitSoftcap: 5 },
  ],
  ['OPT-style: a ReLU MLP on learned positions', 'gpt.safetensors', { ffn: 'relu' }],
  [
    'Nemotron-style: a squared-ReLU MLP, half of each head rotated',
    'gpt.safetensors',
    { ffn: 'relu2', positions: 'rope', ropeDims: 4 },
  ],
  [
    'BLOOM-style: ALiBi instead of learned positions, a LayerNorm on the embeddings',
    'gpt.safetensors',
    { positions: 'alibi', embedNorm: true },
  ],
  [
    'MPT-style: ALiBi with a sliding window of 8 and grouped K/V heads',
    'llama.safetensors',
    { positions: 'alibi', slidingWindow: 8 },
  ],
  [
    'Falcon-RW-style: ALiBi slopes scaled by 1/√(head size)',
    'gpt.safetensors',
    { positions: 'alibi', alibiScale: 0.25 },
  ],
  ['SmolLM3-style: every 2nd layer without RoPE (NoPE)', 'llama.safetensors', { noRopeEvery: 2 }],
  [
    'Command R+-style: a LayerNorm per query and key head with its own gains',
    'llama.safetensors',
    { qkNorm: true, qkLayerNorm: true, norm: 'layernorm', parallelBlocks: true },
  ],
  [
    'OLMo 2-style: post-norms only, query/key norms over whole projections',
    'llama.safetensors',
    { preNorms: false, postNorms: true, qkNorm: true, qkNormFull: true },
  ],
  [
    'Granite-style: embeddings ×12, block outputs ×0.22, scores ×1/16, logits ÷8',
    'llama.safetensors',
    { embedMultiplier: 12, residualMultiplier: 0.22, attentionScalar: 256, logitScale: 0.125 },
  ],
  [
    'GPT-Neo-style: global and local layers from a global one, unscaled scores',
    'gpt.safetensors',
    { slidingWindow: 8, fullAttentionEvery: 2, fullAttentionFirst: true, attentionScalar: 1 },
  ],
  [
    'GPT-J-style: no attention biases, the FFN and norms keep theirs',
    'gpt.safetensors',
    { positions: 'rope', ropeDims: 4, parallelBlocks: true, attentionBias: false, headBias: true },
  ],
  [
    'Falcon-style: LayerNorm biases without linear ones, parallel blocks, one K/V head',
    'gpt.safetensors',
    { positions: 'rope', parallelBlocks: true, geluExact: true, bias: false, normBias: true, kvHeads: 1 },
  ],
  [
    'StableLM-style: SwiGLU on LayerNorms with biases, Q/K/V biases, partial rotary',
    'llama.safetensors',
    { norm: 'layernorm', normBias: true, qkvBias: true, ropeDims: 4 },
  ],
  [
    'Cohere-style: scaled logits (before a soft-cap), parallel SwiGLU on LayerNorm',
    'llama.safetensors',
    { norm: 'layernorm', parallelBlocks: true, logitScale: 0.25, logitSoftcap: 3 },
  ],
  [
    "Llama 3.1's rope scaling",
    'llama.safetensors',
    { ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 16 } },
  ],
];

/** The fixture's plan with room for 32 cached steps, and weights large enough to make attention peaky. */
function modelLike(file: string, over: Partial<ModelConfig>): TransformerLM {
  const { config } = modelFromFixture(loadFixture(file));
  const lm = new TransformerLM({ ...config, context: 48, ...over } as ModelConfig, 5);
  const rng = new Rng(11);
  for (const [name, t] of lm.params) {
    const noise = new Float32Array(t.size);
    rng.fillNormal(noise, 0, t.rank === 1 ? 0.1 : 0.25);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.rank === 1 && name.endsWith('weight') ? 1 : 0) + noise[i]!;
  }
  return lm;
}

const int64 = (values: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);

function feeds(
  lm: TransformerLM,
  ids: number[][],
  past: Map<string, ort.Tensor> | null,
  pastLength: number,
  mask?: number[][],
  positions?: number[][],
) {
  const batch = ids.length,
    seq = ids[0]!.length;
  const hd = headSize(lm.config);
  const f: Record<string, ort.Tensor> = {
    input_ids: int64(ids.flat(), [batch, seq]),
    attention_mask: int64(mask?.flat() ?? new Array(batch * (pastLength + seq)).fill(1), [batch, pastLength + seq]),
    position_ids: int64(positions?.flat() ?? ids.flatMap(() => Array.from({ length: seq }, (_, i) => pastLength + i)), [
      batch,
      seq,
    ]),
  };
  for (let i = 0; i < lm.config.layers; i++) {
    for (const [kind, has] of [
      ['key', lm.plan.computesK[i]],
      ['value', lm.plan.computesV[i]],
    ] as const) {
      if (!has) continue;
      f[pastName(i, kind)] =
        past?.get(presentName(i, kind)) ??
        new ort.Tensor('float32', new Float32Array(0), [batch, lm.config.kvHeads, 0, hd]);
    }
  }
  return f;
}

describe.each(fixtures)('ONNX export of %s', (_mode, file, over) => {
  const lm = modelLike(file, over);
  const exported = exportOnnx(lm);
  const session = ort.InferenceSession.create(exported.bytes);
  const rng = new Rng(3);
  const tokens = (n: number) => Array.from({ length: n }, () => rng.int(lm.config.vocabSize));

  it('has a past and present key/value only for the layers that produce them', async () => {
    const s = await session;
    const pasts = s.inputNames.filter((n) => n.startsWith('past_key_values.'));
    const producers = lm.plan.computesK.filter(Boolean).length + lm.plan.computesV.filter(Boolean).length;
    expect(pasts).toHaveLength(producers);
    expect(s.outputNames.filter((n) => n.startsWith('present.'))).toHaveLength(producers);
    expect(s.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(s.outputNames[s.outputNames.length - 1]).toBe('logits');
  });

  it('stores each unique weight once: the file is about the size of the checkpoint', () => {
    const weightBytes = [...lm.params.values()].reduce((n, t) => n + 4 * t.size, 0);
    expect(exported.bytes.length).toBeGreaterThan(weightBytes);
    expect(exported.bytes.length).toBeLessThan(weightBytes * 1.02 + 48_000);
  });

  it('gives the same full-sequence logits as shareformer', async () => {
    const ids = [tokens(12), tokens(12)];
    const out = await (await session).run(feeds(lm, ids, null, 0));
    const ours = lm.forward(Int32Array.from(ids.flat()), 2);
    expect(out.logits!.dims).toEqual([2, 12, lm.config.vocabSize]);
    expect(relativeDiff(out.logits!.data as Float32Array, ours.data)).toBeLessThan(TOL);
  });

  it('decodes 32 cached steps with the same logits as shareformer', async () => {
    const s = await session;
    const cache = lm.createCache(1);
    let ids = tokens(PROMPT),
      pastLength = 0,
      past: Map<string, ort.Tensor> | null = null;
    for (let step = 0; step <= DECODE_STEPS; step++) {
      const out: ort.InferenceSession.ReturnType = await s.run(feeds(lm, [ids], past, pastLength));
      const ours = lm.forward(Int32Array.from(ids), 1, { cache });
      expect(relativeDiff(out.logits!.data as Float32Array, ours.data), `step ${step}`).toBeLessThan(TOL);
      past = new Map(Object.entries(out));
      pastLength += ids.length;
      const last = ours.data.subarray(ours.data.length - lm.config.vocabSize);
      ids = [last.indexOf(Math.max(...last))];
    }
    expect(pastLength).toBe(PROMPT + DECODE_STEPS);
  });

  it('masks left padding: a padded row gives the unpadded row’s logits', async () => {
    const row = tokens(9);
    const pad = 3;
    const out = await (await session).run(
      feeds(
        lm,
        [[...new Array(pad).fill(0), ...row]],
        null,
        0,
        [[...new Array(pad).fill(0), ...new Array(row.length).fill(1)]],
        [[...new Array(pad).fill(1), ...row.map((_, i) => i)]],
      ),
    );
    const ours = lm.forward(Int32Array.from(row), 1);
    const padded = (out.logits!.data as Float32Array).subarray(pad * lm.config.vocabSize);
    expect(relativeDiff(padded, ours.data)).toBeLessThan(TOL);
  });
});
