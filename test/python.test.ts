// The PyTorch package in python/ against shareformer: the same weights from the same seed, the same
// logits for every sharing plan, the same strategy expansion, and a torchrun DDP run that follows
// shareformer's loss curve and writes checkpoints shareformer evaluates, generates from and resumes.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planOf, resolveConfig, type ModelConfig } from '../src/model/config.js';
import { TransformerLM } from '../src/model/transformer.js';
import { cli, suiteDir } from '../src/testing/cli.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../src/verify/catalog.js';
import { relativeDiff } from '../src/verify/fixture.js';
import { loadFixture } from '../src/verify/load.js';
import { modelFromFixture } from '../src/verify/models.js';

const PYTHON = '/usr/bin/python3';
const PY_DIR = fileURLToPath(new URL('../python/', import.meta.url));
const DATA = fileURLToPath(new URL('../../shared/data/tinyshakespeare.txt', import.meta.url));
const torch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch =
  torch.status === 0 ? null : `${PYTHON} cannot import torch (apt-get install python3-torch): ${torch.stderr.trim()}`;
if (noTorch) console.warn(`python.test.ts skipped: ${noTorch}`);

function python(script: string, input: unknown): unknown {
  const r = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    cwd: PY_DIR,
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const root = suiteDir('python');

describe.skipIf(noTorch)('the PyTorch package (python/shareformer)', () => {
  const qwen2Style = resolveConfig({
    vocabSize: 40,
    layers: 3,
    dModel: 16,
    heads: 4,
    kvHeads: 2,
    context: 16,
    ffn: 'swiglu',
    norm: 'rmsnorm',
    positions: 'rope',
    bias: false,
    qkvBias: true,
    shareWeights: 'cycle:2',
  });
  const plans = [
    ...[
      ...Object.keys(REFERENCE_MODELS).map((n) => `${n}.safetensors`),
      ...Object.keys(SHARING_MODES).map((n) => `sharing/${n}.safetensors`),
    ].map((file) => ({ file, config: modelFromFixture(loadFixture(file)).config })),
    { file: 'Qwen2-style: Q/K/V biases only', config: qwen2Style },
    {
      // Qwen3: 4 heads of 8 on d 16 (queries 32 wide), per-head norms; K/V shared by pairs of layers and
      // rank-2 deltas on the shared weights (relaxation shapes follow the query width).
      file: 'Qwen3-style: head norms, heads wider than d / heads',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        headDim: 8,
        qkNorm: true,
        shareKv: 'cla:2',
        relaxRank: 2,
      }),
    },
    {
      file: 'Mistral 7B v0.1-style: a sliding window of 5 over 12 positions',
      config: resolveConfig({ ...qwen2Style, qkvBias: false, slidingWindow: 5 }),
    },
    {
      // Gemma 3: GeGLU, scaled embeddings, norms after attention and FFN, head norms, a window of 5
      // on layers 0 and 2 at RoPE base 10,000 and full attention at 1,000,000 on layer 1, which reads
      // layer 0's keys (CLA) and so turns its queries at layer 0's base; linear rope scaling there.
      file: 'Gemma 3-style: local and global layers, GeGLU, post-norms, scaled embeddings',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        headDim: 8,
        qkNorm: true,
        ffn: 'geglu',
        embedScale: true,
        postNorms: true,
        slidingWindow: 5,
        fullAttentionEvery: 2,
        ropeBase: 1e6,
        ropeLocalBase: 1e4,
        tieEmbeddings: true,
        shareWeights: 'none',
        shareKv: 'cla:2',
        // Gemma 3 4B+: positions interpolated ×8 in the global layers only; 27B's score scale.
        ropeScaling: { type: 'linear', factor: 8 },
        attentionScalar: 12,
      }),
    },
    {
      // Gemma 2: every other layer windowed, scores and logits soft-capped. At initial weights the
      // scores are ~0.01 and the logits ~0.2, so caps of 0.005 and 0.1 bend most of them.
      file: 'Gemma 2-style: soft-capped scores and logits, every other layer windowed',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        ffn: 'geglu',
        embedScale: true,
        postNorms: true,
        slidingWindow: 5,
        fullAttentionEvery: 2,
        tieEmbeddings: true,
        attentionScalar: 6,
        attentionSoftcap: 0.005,
        logitSoftcap: 0.1,
      }),
    },
    {
      file: "GPT-NeoX's partial rotary: 4 of each head's 16 dimensions rotate",
      config: resolveConfig({ ...qwen2Style, dModel: 32, heads: 2, kvHeads: 2, ropeDims: 4 }),
    },
    {
      file: 'GPT-NeoX-style: parallel attention and FFN, exact GELU, LayerNorm with biases',
      config: resolveConfig({
        ...qwen2Style,
        dModel: 32,
        heads: 2,
        kvHeads: 2,
        ropeDims: 4,
        ffn: 'gelu',
        norm: 'layernorm',
        bias: true,
        parallelBlocks: true,
        geluExact: true,
      }),
    },
    {
      file: 'Phi-2-style: a biased output head',
      config: resolveConfig({ ...qwen2Style, headBias: true }),
    },
    {
      // GPT-Neo: an output bias without Q/K/V ones must reach the package's parameter list, and
      // its windows must fall on the odd layers.
      file: 'GPT-Neo-style: global and local layers from a global one, unscaled scores, no Q/K/V biases',
      config: resolveConfig({
        ...qwen2Style,
        dModel: 32,
        heads: 2,
        kvHeads: 2,
        ffn: 'gelu',
        norm: 'layernorm',
        positions: 'learned',
        bias: true,
        qkvBias: false,
        attentionBias: false,
        attentionOutBias: true,
        attentionScalar: 1,
        slidingWindow: 3,
        fullAttentionEvery: 2,
        fullAttentionFirst: true,
      }),
    },
    {
      // Granite: multipliers on the embeddings and on every block output, scores and logits scaled.
      file: 'Granite-style: embeddings ×12, block outputs ×0.22, scores ×1/16, logits ÷8',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        embedMultiplier: 12,
        residualMultiplier: 0.22,
        attentionScalar: 256,
        logitScale: 0.125,
      }),
    },
    {
      // SmolLM3: the NoPE layers' keys and queries stay unrotated, in the package as here.
      file: 'SmolLM3-style: every 2nd layer without RoPE',
      config: resolveConfig({ ...qwen2Style, qkvBias: false, noRopeEvery: 2 }),
    },
    {
      // OLMo 2: no norm1/norm2 parameters, query/key gains as wide as their projections.
      file: 'OLMo 2-style: post-norms only, query/key norms over whole projections',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        preNorms: false,
        postNorms: true,
        qkNorm: true,
        qkNormFull: true,
      }),
    },
    {
      // OPT: two FFN matrices, as GELU's; only the activation differs.
      file: 'OPT-style: a ReLU MLP, LayerNorm with biases, learned positions',
      config: resolveConfig({
        ...qwen2Style,
        dModel: 32,
        heads: 2,
        kvHeads: 2,
        ffn: 'relu',
        norm: 'layernorm',
        positions: 'learned',
        bias: true,
        qkvBias: false,
      }),
    },
    {
      // Command R+: each query and key head LayerNorm-ed (no bias) with gains of its own.
      file: 'Command R+-style: a LayerNorm per query and key head, GQA',
      config: resolveConfig({ ...qwen2Style, qkvBias: false, qkNorm: true, qkLayerNorm: true, norm: 'layernorm' }),
    },
    {
      // ALiBi with Falcon-RW's scale (slopes ×1/√(head size)), over 3 heads: the third slope comes
      // from the next power of two's sequence; and BLOOM's LayerNorm on the embeddings.
      file: 'Falcon-RW / BLOOM-style: scaled ALiBi over 3 heads, a LayerNorm on the embeddings, biases',
      config: resolveConfig({
        ...qwen2Style,
        dModel: 24,
        heads: 3,
        kvHeads: 3,
        ffn: 'gelu',
        norm: 'layernorm',
        positions: 'alibi',
        alibiScale: 1 / Math.sqrt(8),
        embedNorm: true,
        bias: true,
        qkvBias: false,
      }),
    },
    {
      // The same parameter names in both implementations: no q/k/v/o biases, FFN and norm biases kept.
      file: 'GPT-J-style: biases on the FFN and norms but not the attention, partial rotary, parallel blocks',
      config: resolveConfig({
        ...qwen2Style,
        dModel: 32,
        heads: 2,
        kvHeads: 2,
        ropeDims: 6,
        ffn: 'gelu',
        norm: 'layernorm',
        bias: true,
        attentionBias: false,
        qkvBias: false,
        parallelBlocks: true,
        headBias: true,
      }),
    },
    {
      // LayerNorm biases with no linear ones: normBias must reach the package's parameter list.
      file: 'Falcon-style: LayerNorm biases without linear ones, parallel blocks, one K/V head',
      config: resolveConfig({
        ...qwen2Style,
        kvHeads: 1,
        ffn: 'gelu',
        geluExact: true,
        norm: 'layernorm',
        bias: false,
        normBias: true,
        qkvBias: false,
        parallelBlocks: true,
      }),
    },
    {
      file: 'StableLM-style: SwiGLU on LayerNorms with biases, Q/K/V biases, a quarter of each head rotated',
      config: resolveConfig({ ...qwen2Style, dModel: 32, norm: 'layernorm', normBias: true, ropeDims: 2 }),
    },
    {
      file: 'Cohere-style: parallel SwiGLU on one bias-free LayerNorm, scaled logits',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        norm: 'layernorm',
        parallelBlocks: true,
        logitScale: 0.25,
      }),
    },
    {
      file: "Llama 3.1's rope scaling",
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        dModel: 32,
        ropeBase: 500000,
        ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 64, originalContext: 512 },
      }),
    },
    {
      file: 'Nemotron-style: squared-ReLU MLP, LayerNorms with biases, half of each head rotated',
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        dModel: 32,
        ffn: 'relu2',
        norm: 'layernorm',
        normBias: true,
        ropeDims: 4,
      }),
    },
    {
      file: "Phi-3.5's LongRoPE within its original context",
      config: resolveConfig({
        ...qwen2Style,
        qkvBias: false,
        dModel: 32,
        ropeScaling: { type: 'longrope', factors: [1, 1.5, 4, 12] },
        attentionScalar: 4,
      }),
    },
  ].map(({ file, config }) => {
    const plan = planOf(config);
    return {
      file,
      config,
      plan: { attnSet: plan.attnSet, ffnSet: plan.ffnSet, kv: plan.kv, attention: plan.attention },
    };
  });
  const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];

  it('builds every plan from config.json with shareformer’s initial weights and logits', () => {
    const out = python(
      `
import json, sys, torch
from shareformer import ShareformerLM
res = []
for m in json.load(sys.stdin):
    lm = ShareformerLM(m["config"], m["plan"], seed=3)
    with torch.no_grad():
        logits = lm(torch.tensor([m["ids"]]))
    res.append({"weights": {n: p.detach().flatten().tolist() for n, p in lm.named_tensors()}, "logits": logits.flatten().tolist()})
print(json.dumps(res))`,
      plans.map((p) => ({ ...p, ids: ids.map((i) => i % p.config.vocabSize) })),
    ) as Array<{ weights: Record<string, number[]>; logits: number[] }>;
    plans.forEach((p, i) => {
      const lm = new TransformerLM(p.config, 3);
      expect(Object.keys(out[i]!.weights), p.file).toEqual([...lm.params.keys()]);
      for (const [name, t] of lm.params)
        expect(Float32Array.from(out[i]!.weights[name]!), `${p.file} ${name}`).toEqual(t.data);
      const logits = lm.forward(Int32Array.from(ids.map((x) => x % p.config.vocabSize)), 1);
      expect(relativeDiff(out[i]!.logits, logits.data), p.file).toBeLessThan(1e-5);
    });
  });

  it('computes the same loss gradients for every plan (PyTorch autograd in float64)', () => {
    const targets = ids.slice(1).concat(ids[0]!);
    const out = python(
      `
import json, sys, torch
import torch.nn.functional as F
from shareformer import ShareformerLM
res = []
for m in json.load(sys.stdin):
    lm = ShareformerLM(m["config"], m["plan"], seed=3).double()
    logits = lm(torch.tensor([m["ids"]]))
    F.cross_entropy(logits.view(-1, logits.shape[-1]), torch.tensor(m["targets"])).backward()
    res.append({n: p.grad.flatten().tolist() for n, p in lm.named_tensors()})
print(json.dumps(res))`,
      plans.map((p) => ({
        ...p,
        ids: ids.map((i) => i % p.config.vocabSize),
        targets: targets.map((i) => i % p.config.vocabSize),
      })),
    ) as Array<Record<string, number[]>>;
    plans.forEach((p, i) => {
      const lm = new TransformerLM(p.config, 3);
      const v = p.config.vocabSize;
      lm.loss(Int32Array.from(ids.map((x) => x % v)), Int32Array.from(targets.map((x) => x % v)), 1).loss.backward();
      for (const [name, t] of lm.params) {
        const ref = out[i]![name]!;
        // A key bias moves every score of a query alike, so softmax gives it no gradient: compare
        // such a tensor by size, not by a ratio of two roundings.
        if (Math.max(...ref.map(Math.abs)) < 1e-9) expect(Math.max(...t.grad!.map(Math.abs)), name).toBeLessThan(1e-7);
        else expect(relativeDiff(ref, t.grad!), `${p.file} ${name}`).toBeLessThan(1e-4);
      }
    });
  });

  it('expands named strategies into the maps shareformer writes', () => {
    const cases: Array<Partial<ModelConfig>> = [];
    for (const layers of [1, 4, 6, 7, 12])
      for (const shareWeights of [
        'none',
        'all',
        'sequence:2',
        'sequence:3',
        'cycle:2',
        'cycle:3',
        'cycle-rev:2',
        'cycle-rev:3',
        'repeat:2',
      ])
        for (const shareScope of ['block', 'attention', 'ffn'] as const)
          for (const shareKv of ['none', 'cla:2', 'cla:3', 'yoco:1', 'yoco:2'])
            for (const shareAttention of ['none', 'group:2']) {
              const c = { layers, shareWeights, shareScope, shareKv, shareAttention };
              try {
                resolveConfig(c);
                cases.push(c);
              } catch {
                /* a plan shareformer refuses is not expanded */
              }
            }
    const maps = python(
      `
import json, sys
from shareformer.config import resolve_config
from shareformer.strategies import plan_json
print(json.dumps([plan_json(resolve_config(c)) for c in json.load(sys.stdin)]))`,
      cases,
    ) as unknown[];
    expect(cases.length).toBeGreaterThan(500);
    cases.forEach((c, i) => {
      const p = planOf(resolveConfig(c));
      expect(maps[i], JSON.stringify(c)).toEqual({
        attnSet: p.attnSet,
        ffnSet: p.ffnSet,
        kv: p.kv,
        attention: p.attention,
      });
    });
  });
});

describe.skipIf(noTorch)('train_ddp.py under torchrun', () => {
  const text = join(root, 'text.txt');
  const held = join(root, 'held.txt');
  let data = '';
  try {
    data = readFileSync(DATA, 'utf8');
  } catch {
    data = 'To be, or not to be, that is the question: whether tis nobler in the mind to suffer. '.repeat(800);
  }
  writeFileSync(text, data.slice(0, 60_000));
  writeFileSync(held, data.slice(-4_000));
  const FLAGS = [
    '--data',
    text,
    '--layers',
    '2',
    '--d-model',
    '32',
    '--heads',
    '4',
    '--kv-heads',
    '2',
    '--context',
    '32',
    '--share-kv',
    'cla:2',
    '--batch',
    '4',
    '--seed',
    '7',
    '--eval-every',
    '0',
  ];
  // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee ("0"); 2 works.
  const torchrun = (nproc: number, ...args: string[]) =>
    spawnSync(
      PYTHON,
      [
        '-m',
        'torch.distributed.run',
        '--redirects',
        '2',
        '--tee',
        '2',
        `--nproc_per_node=${nproc}`,
        join(PY_DIR, 'train_ddp.py'),
        ...args,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
  const firstLoss = (run: string) =>
    JSON.parse(readFileSync(join(run, 'log.jsonl'), 'utf8').split('\n')[0]!).loss as number;
  const two = join(root, 'ddp2');

  it('two processes, one process and shareformer take the same first step', () => {
    const r2 = torchrun(2, ...FLAGS, '--steps', '50', '--checkpoint-every', '25', '--out', two, '--json');
    expect(r2.status, r2.stderr).toBe(0);
    const one = join(root, 'ddp1');
    const r1 = torchrun(1, ...FLAGS, '--steps', '1', '--out', one);
    expect(r1.status, r1.stderr).toBe(0);
    const ts = join(root, 'ts');
    expect(cli('train', ...FLAGS, '--steps', '1', '--out', ts, '--quiet', '--backend', 'js').status).toBe(0);
    const [l2, l1, lt] = [firstLoss(two), firstLoss(one), firstLoss(ts)];
    expect(Math.abs(l2 - l1) / l1).toBeLessThan(1e-5);
    expect(Math.abs(l2 - lt) / lt).toBeLessThan(1e-5);
    expect(JSON.parse(r2.stdout.trim().split('\n').pop()!)).toMatchObject({ steps: 50, processes: 2 });
  });

  it('writes a checkpoint shareformer evaluates to PyTorch’s loss, generates from and resumes', () => {
    const ours = JSON.parse(cli('eval', '--checkpoint', two, '--data', held, '--json', '--backend', 'js').stdout);
    const torchEval = spawnSync(PYTHON, [join(PY_DIR, 'evaluate.py'), '--checkpoint', two, '--data', held, '--json'], {
      encoding: 'utf8',
    });
    expect(torchEval.status, torchEval.stderr).toBe(0);
    expect(Math.abs(JSON.parse(torchEval.stdout).loss - ours.loss) / ours.loss).toBeLessThan(1e-5);
    const gen = cli('generate', '--checkpoint', two, '--prompt', 'ROMEO:', '--max-tokens', '20', '--backend', 'js');
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stdout.length).toBeGreaterThan(10);
    const resumed = cli('train', '--resume', two, '--steps', '60', '--json', '--quiet', '--backend', 'js');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').pop()!).steps).toBe(60);
  });

  it('stopped and resumed, follows the uninterrupted run’s loss curve', () => {
    const split = join(root, 'split');
    expect(torchrun(2, ...FLAGS, '--steps', '50', '--stop-at', '20', '--out', split).status).toBe(0);
    const r = torchrun(2, '--resume', split, '--json');
    expect(r.status, r.stderr).toBe(0);
    const losses = (run: string) =>
      readFileSync(join(run, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; loss: number })
        .filter((e) => e.type === 'step')
        .map((e) => e.loss);
    const whole = losses(two).slice(0, 50);
    expect(losses(split)).toHaveLength(50);
    for (const [i, l] of losses(split).entries())
      expect(Math.abs(l - whole[i]!) / whole[i]!, `step ${i + 1}`).toBeLessThan(1e-6);
  });

  it('refuses a batch the processes cannot share, in one line', () => {
    const odd = FLAGS.map((f, i) => (FLAGS[i - 1] === '--batch' ? '3' : f));
    const r = torchrun(2, ...odd, '--steps', '1', '--out', join(root, 'odd'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--batch 3 does not divide over 2 processes/);
  });
});
