// Export to Hugging Face and back is exact: every fixture model, and shareformer models in the
// GPT-2 and Llama layouts (weight sharing written out layer by layer, char and byte tokenizers),
// re-import to bit-identical logits and the same token ids. Plans the stock classes cannot
// express are refused with the reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../model/config.js';
import { TransformerLM } from '../../model/transformer.js';
import { noGrad } from '../../tensor/tensor.js';
import { ByteTokenizer, CharTokenizer } from '../../text/tokenizer.js';
import { HfBpeTokenizer, tokenizerFromHfJson } from '../../text/hf-bpe.js';
import { readSafetensors, toFloat32 } from '../safetensors.js';
import { directoryReader } from './files-node.js';
import { exportHuggingFace, sameModelOnImport } from './export.js';
import { importHuggingFace } from './import.js';
import { byteLevelTokenizerJson, hfTokenizerFiles } from './tokenizer-files.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));
const ids = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
const logits = (lm: TransformerLM) => [...noGrad(() => lm.forward(ids, 1)).data];
const SAMPLE = 'To be, or not to be: that is the question. 😀 naïve';

const roundTrip = (lm: TransformerLM, tokenizer: Parameters<typeof exportHuggingFace>[1]) => {
  const out = exportHuggingFace(lm, tokenizer);
  const back = importHuggingFace(
    Object.fromEntries(
      Object.entries(out.files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]),
    ),
  );
  return { out, back };
};

/** Fixtures whose export is the original file's tensors: single files under the names the Hub's classes save. */
const SAME_FILES = [
  'llama',
  'llama31-rope-scaled',
  'mistral-fp16',
  'qwen2-bf16',
  'qwen3-bf16',
  'gemma-bf16',
  'gemma2-bf16',
  'gemma3-bf16',
  'neox-fp16',
  'phi2-bf16',
  'gptj-fp16',
  'falcon-bf16',
  'falcon-new-fp16',
  'stablelm-bf16',
  'cohere-bf16',
  'gptneo-tinystories',
  'granite-bf16',
  'smollm3-bf16',
  'olmo2-bf16',
  'starcoder2-fp16',
  'bloom-bf16',
  'mpt-bf16',
  'falcon-rw-bf16',
  'cohere-qknorm-bf16',
  'stablelm-12b-bf16',
  'bigcode-fp16',
  'glm-bf16',
  'glm4-bf16',
  'olmo-fp16',
  'nemotron-bf16',
  'cohere2-bf16',
];

describe.each([
  'gpt2-hub',
  'gpt2-sharded-bf16',
  'llama-tied-bf16-sharded',
  'phi3-bf16',
  'gemma3-multimodal-bf16',
  // InternLM2 goes out as Llama; llama-spm's tokenizer.model as the tokenizer.json transformers converts it to.
  'internlm2-bf16',
  'llama-spm',
  'baichuan-7b-fp16',
  'exaone-bf16',
  'opt-fp16',
  'opt-bin',
  ...SAME_FILES,
])('%s: import, export, import', (dir) => {
  it('gives bit-identical logits and the same token ids', () => {
    const first = importHuggingFace(directoryReader(join(FIXTURES, dir)));
    const { out, back } = roundTrip(first.lm, first.tokenizer);
    // OPT's position table goes out with its 2 offset rows, which the import left out, as zeros.
    expect(out.notes).toEqual(dir.startsWith('opt') ? [expect.stringMatching(/first 2 rows .* as zeros$/)] : []);
    expect(logits(back.lm)).toEqual(logits(first.lm));
    expect([...back.tokenizer.encode(SAMPLE)]).toEqual([...first.tokenizer.encode(SAMPLE)]);
    expect(back.tokenizer.bosId).toBe(first.tokenizer.bosId);
    // Mistral without a window is Llama; Phi-3 (whose fixture has one) goes out as Mistral.
    const windowedLlama = first.lm.config.slidingWindow && /^(Mistral|Phi3)/.test(first.architecture);
    // A multimodal Gemma 3 goes out as its text model.
    expect(back.architecture).toBe(
      windowedLlama
        ? 'MistralForCausalLM'
        : first.architecture
            .replace(/^Mistral/, 'Llama')
            .replace(/^MPT/, 'Mpt')
            .replace(/^(InternLM2|BaiChuan|Exaone)/, 'Llama')
            .replace('ForConditionalGeneration', 'ForCausalLM'),
    );
  });
});

// Buffers some checkpoints carry beside the parameters: attention masks and rotary frequencies.
const BUFFER = /\.(attn|attention)\.(bias|masked_bias)$|rotary_emb\.inv_freq$/;

it.each(SAME_FILES)(
  "%s goes out with the original's tensors: every parameter under its own name, bit for bit",
  (dir) => {
    const first = importHuggingFace(directoryReader(join(FIXTURES, dir)));
    const out = exportHuggingFace(first.lm, first.tokenizer);
    const original = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, dir, 'model.safetensors'))));
    const written = readSafetensors(out.files['model.safetensors'] as Uint8Array);
    // A tied head's copy is not a parameter either.
    const tiedCopy = (n: string) => first.lm.config.tieEmbeddings && n.startsWith('lm_head');
    const parameters = [...original.tensors.keys()].filter((n) => !BUFFER.test(n) && !tiedCopy(n));
    expect([...written.tensors.keys()].sort()).toEqual(parameters.sort());
    for (const name of parameters)
      expect([...toFloat32(written.tensors.get(name)!, name)], name).toEqual([
        ...toFloat32(original.tensors.get(name)!, name),
      ]);
  },
);

it("Qwen2 goes out as Qwen2: its Q/K/V biases, its config and its tokenizer's split and NFC", () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'qwen2-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  const config = JSON.parse(out.files['config.json'] as string);
  expect(config).toMatchObject({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', use_sliding_window: false });
  expect(config).not.toHaveProperty('attention_bias');
  const tokenizer = JSON.parse(out.files['tokenizer.json'] as string);
  expect(tokenizer.normalizer).toEqual({ type: 'NFC' });
  expect(tokenizer.pre_tokenizer.pretokenizers[0].pattern.Regex).toBe(first.tokenizer.toJSON().splits![0]);
  const header = new TextDecoder().decode((out.files['model.safetensors'] as Uint8Array).subarray(8, 4096));
  for (const p of ['q', 'k', 'v']) expect(header).toContain(`"model.layers.1.self_attn.${p}_proj.bias"`);
  expect(header).not.toContain('o_proj.bias');
});

it('Qwen3 goes out as Qwen3: its head size, its query and key norms', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'qwen3-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  const config = JSON.parse(out.files['config.json'] as string);
  expect(config).toMatchObject({
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    head_dim: 16,
    hidden_size: 32,
    attention_bias: false,
  });
  const header = new TextDecoder().decode((out.files['model.safetensors'] as Uint8Array).subarray(8, 4096));
  expect(header).toMatch(/"model\.layers\.1\.self_attn\.q_norm\.weight":\{"dtype":"F32","shape":\[16\]/);
  expect(header).toMatch(/"model\.layers\.0\.self_attn\.q_proj\.weight":\{"dtype":"F32","shape":\[64,32\]/);
  expect(header).toMatch(/"model\.layers\.0\.self_attn\.o_proj\.weight":\{"dtype":"F32","shape":\[32,64\]/);
});

it('Gemma 3 goes out as Gemma 3: gains stored minus one, its layer types and both RoPE bases', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'gemma3-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  const config = JSON.parse(out.files['config.json'] as string);
  expect(config).toMatchObject({
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    hidden_activation: 'gelu_pytorch_tanh',
    head_dim: 16,
    query_pre_attn_scalar: 16,
    sliding_window: 8,
    rope_theta: 1e6,
    rope_local_base_freq: 1e4,
    layer_types: [...Array(5).fill('sliding_attention'), 'full_attention'],
  });
  // The file's norm weights are the original ones (gain − 1), not the gains shareformer keeps.
  const original = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'gemma3-bf16', 'model.safetensors'))));
  const written = readSafetensors(out.files['model.safetensors'] as Uint8Array);
  for (const name of [
    'model.layers.2.post_feedforward_layernorm.weight',
    'model.layers.0.self_attn.k_norm.weight',
    'model.norm.weight',
  ])
    expect([...toFloat32(written.tensors.get(name)!, name)]).toEqual([...toFloat32(original.tensors.get(name)!, name)]);
  const tokenizer = JSON.parse(out.files['tokenizer.json'] as string);
  expect(tokenizer.normalizer).toEqual({ type: 'Replace', pattern: { String: ' ' }, content: '▁' });
});

it('Gemma 2 goes out as Gemma 2: its caps, alternating layer types and score scale, no head norms', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'gemma2-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  const config = JSON.parse(out.files['config.json'] as string);
  expect(config).toMatchObject({
    architectures: ['Gemma2ForCausalLM'],
    model_type: 'gemma2',
    attn_logit_softcapping: 2,
    final_logit_softcapping: 3,
    query_pre_attn_scalar: 24,
    head_dim: 16,
    sliding_window: 8,
    layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'],
  });
  const header = new TextDecoder().decode((out.files['model.safetensors'] as Uint8Array).subarray(8, 8192));
  expect(header).toContain('"model.layers.3.pre_feedforward_layernorm.weight"');
  expect(header).not.toContain('q_norm');
  // Layouts Gemma2ForCausalLM cannot hold (transformers before 4.53 alternates whatever layer_types says).
  const gemma2 = first.lm.config;
  for (const [over, message] of [
    [
      { fullAttentionEvery: 0 },
      /whose local and global layers alternate from a local one \(--full-attention-every 2\); this one has every layer windowed/,
    ],
    [{ fullAttentionEvery: 4 }, /this one has full attention every 4 layers/],
    [{ fullAttentionFirst: true }, /this one has full attention every 2 layers, from the first/],
    [{ ropeLocalBase: 1e6 }, /all rotate at one unscaled RoPE base; this one has ropeLocalBase or ropeScaling/],
  ] as const) {
    const lm = new TransformerLM({ ...gemma2, ...over }, 1);
    expect(() => exportHuggingFace(lm, first.tokenizer)).toThrow(message);
  }
});

it('Gemma (1) goes out as Gemma: two norms per layer stored minus one, no post-norms', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'gemma-bf16')));
  expect(first.lm.config).toMatchObject({ ffn: 'geglu', embedScale: true, postNorms: false, kvHeads: 1, headDim: 16 });
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['GemmaForCausalLM'],
    model_type: 'gemma',
    hidden_activation: 'gelu_pytorch_tanh',
  });
  const original = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'gemma-bf16', 'model.safetensors'))));
  const written = readSafetensors(out.files['model.safetensors'] as Uint8Array);
  expect([...written.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
  const name = 'model.layers.1.post_attention_layernorm.weight';
  expect([...toFloat32(written.tensors.get(name)!, name)]).toEqual([...toFloat32(original.tensors.get(name)!, name)]);
  const lm = new TransformerLM({ ...first.lm.config, slidingWindow: 8, logitSoftcap: 30 }, 1);
  expect(() => exportHuggingFace(lm, first.tokenizer)).toThrow(
    /without post-norms exports as GemmaForCausalLM \(Gemma 1\), .*; this model has a sliding window, soft-capping/,
  );
});

it('GPT-NeoX goes out as GPT-NeoX: Q/K/V fused head by head again, its rotary fraction and parallel residual', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'neox-fp16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['GPTNeoXForCausalLM'],
    model_type: 'gpt_neox',
    hidden_act: 'gelu',
    rotary_pct: 0.25,
    use_parallel_residual: true,
    tie_word_embeddings: false,
  });
});

it('Phi goes out as Phi: one LayerNorm per layer, a biased head, its rotary fraction; two different norms cannot', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'phi2-bf16')));
  expect(first.lm.config).toMatchObject({ parallelBlocks: true, headBias: true, ropeDims: 8, geluExact: false });
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['PhiForCausalLM'],
    partial_rotary_factor: 0.4,
    hidden_act: 'gelu_new',
  });
  const lm = new TransformerLM(first.lm.config, 1);
  lm.params.get('layers.1.norm2.bias')!.data[0] = 0.5;
  expect(() => exportHuggingFace(lm, first.tokenizer)).toThrow(
    /PhiForCausalLM has one LayerNorm per layer for attention and MLP; layer 1's norm1\.bias and norm2\.bias differ/,
  );
});

it('GPT-J goes out as GPT-J: its rotary dimensions, activation and untied head', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'gptj-fp16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['GPTJForCausalLM'],
    model_type: 'gptj',
    rotary_dim: 10,
    activation_function: 'gelu_new',
    n_inner: 192,
    tie_word_embeddings: false,
  });
});

it.each([
  ['falcon-bf16', { new_decoder_architecture: false, multi_query: true, parallel_attn: true }],
  ['falcon-new-fp16', { new_decoder_architecture: true, num_kv_heads: 2, num_ln_in_parallel_attn: 2 }],
])('Falcon goes out in the layout it came in (%s)', (dir, fields) => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, dir)));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['FalconForCausalLM'],
    bias: false,
    alibi: false,
    ...fields,
  });
});

it('Cohere goes out as Cohere: its logit scale', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'cohere-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['CohereForCausalLM'],
    logit_scale: 0.125,
  });
});

it("GPT-Neo goes out as GPT-Neo: its layers' kinds and window", () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'gptneo-tinystories')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['GPTNeoForCausalLM'],
    attention_layers: ['global', 'local', 'global', 'local'],
    attention_types: [[['global', 'local', 'global', 'local'], 1]],
    window_size: 5,
    activation_function: 'gelu_new',
  });
});

it('Granite goes out as Granite: its multipliers', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'granite-bf16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['GraniteForCausalLM'],
    embedding_multiplier: 12,
    residual_multiplier: 0.22,
    attention_multiplier: 0.0625,
    logits_scaling: 8,
    attention_bias: true,
    mlp_bias: true,
  });
});

it("OPT goes out as OPT: the original's tensors and values but the position table's 2 offset rows, zeros", () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'opt-fp16')));
  const out = exportHuggingFace(first.lm, first.tokenizer);
  expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
    architectures: ['OPTForCausalLM'],
    activation_function: 'relu',
    max_position_embeddings: 24,
    do_layer_norm_before: true,
    enable_bias: true,
    word_embed_proj_dim: 32,
  });
  const original = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'opt-fp16', 'model.safetensors'))));
  const written = readSafetensors(out.files['model.safetensors'] as Uint8Array);
  expect([...written.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
  for (const name of original.tensors.keys()) {
    const want = toFloat32(original.tensors.get(name)!, name);
    if (name.endsWith('embed_positions.weight')) want.fill(0, 0, 2 * 32);
    expect([...toFloat32(written.tensors.get(name)!, name)], name).toEqual([...want]);
  }
  expect(out.exportedParameters).toBe(out.uniqueParameters + 2 * 32);
});

it('a config.json that would import as another model is refused, naming what differs', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'qwen2-bf16')));
  const config = JSON.parse(exportHuggingFace(first.lm, first.tokenizer).files['config.json'] as string);
  expect(() => sameModelOnImport(first.lm.config, config)).not.toThrow();
  expect(() => sameModelOnImport(first.lm.config, { ...config, rope_theta: 10000 })).toThrow(
    /Qwen2ForCausalLM cannot hold this model: its config\.json would import with ropeBase 10000 \(this model: 1000000\)/,
  );
  expect(() => sameModelOnImport(first.lm.config, { ...config, num_key_value_heads: 4 })).toThrow(
    /would import with kvHeads 4 \(this model: 2\)/,
  );
});

describe('shareformer models out to Hugging Face', () => {
  const chars = CharTokenizer.fromText('abcdefghij ,.');
  const gpt2Like = { vocabSize: chars.vocabSize, layers: 4, dModel: 16, heads: 2, context: 16 };

  it('relaxed sharing exports with each layer’s delta merged into its matrices (GPT-2 and Llama layouts)', () => {
    const llamaLike = {
      ...gpt2Like,
      ffn: 'swiglu',
      norm: 'rmsnorm',
      positions: 'rope',
      bias: false,
      kvHeads: 1,
    } as const;
    for (const config of [gpt2Like, llamaLike]) {
      const lm = new TransformerLM({ ...config, shareWeights: 'cycle:2', relaxRank: 2 }, 4);
      for (const [name, t] of lm.params)
        if (name.endsWith('.B')) t.data.set(t.data.map((_, i) => 0.05 * Math.sin(i + 1)));
      const { back } = roundTrip(lm, chars);
      const a = logits(lm),
        b = logits(back.lm);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-5);
    }
  });

  it('GPT-2 layout with weights shared across all layers: written layer by layer, and said so', () => {
    const lm = new TransformerLM({ ...gpt2Like, shareWeights: 'all' }, 3);
    const { out, back } = roundTrip(lm, chars);
    expect(out.architecture).toBe('GPT2LMHeadModel');
    expect(out.notes[0]).toMatch(
      /written out layer by layer: [\d,]+ parameters in the files for [\d,]+ unique ones \(\d\.\d\d×\)/,
    );
    expect(out.exportedParameters).toBeGreaterThan(out.uniqueParameters);
    expect(logits(back.lm)).toEqual(logits(lm));
    expect([...back.tokenizer.encode('abc, def. xyz')]).toEqual([...chars.encode('abc, def. xyz')]);
  });

  it('a GPT-J layout trained here (one norm, tied embeddings, no head bias) goes out as GPT-J with a zero head bias', () => {
    const lm = new TransformerLM(
      {
        ...gpt2Like,
        heads: 2,
        positions: 'rope',
        ropeDims: 4,
        parallelBlocks: true,
        attentionBias: false,
        tieEmbeddings: true,
      },
      5,
    );
    for (const l of [0, 1, 2, 3])
      lm.params.get(`layers.${l}.norm2.weight`)!.data.set(lm.params.get(`layers.${l}.norm1.weight`)!.data);
    const { out, back } = roundTrip(lm, chars);
    expect(out.architecture).toBe('GPTJForCausalLM');
    // More parameters in the files (the zero head bias, the tied head written out), but no sharing to speak of.
    expect(out.exportedParameters).toBeGreaterThan(out.uniqueParameters);
    expect(out.notes).toEqual([]);
    expect(back.lm.config).toMatchObject({ headBias: true, attentionBias: false, ropeDims: 4, tieEmbeddings: true });
    expect([...back.lm.params.get('head.bias')!.data].every((v) => v === 0)).toBe(true);
    expect(logits(back.lm)).toEqual(logits(lm));
    // Two different norms have no place in GPT-J's one ln_1: GPT-NeoX's class, with attention_bias
    // false, holds them (and no head bias; this model has none).
    lm.params.get('layers.2.norm2.weight')!.data[3] += 0.25;
    const neox = roundTrip(lm, chars);
    expect(neox.out.architecture).toBe('GPTNeoXForCausalLM');
    expect(JSON.parse(neox.out.files['config.json'] as string)).toMatchObject({ attention_bias: false });
    expect(neox.back.lm.config).toMatchObject({ attentionBias: false, headBias: false });
    expect(logits(neox.back.lm)).toEqual(logits(lm));
    // GPT-J's fixed RoPE base cannot hold another; GPT-NeoX's rotary_emb_base can.
    const based = roundTrip(new TransformerLM({ ...lm.config, ropeBase: 500000 }, 5), chars);
    expect(based.out.architecture).toBe('GPTNeoXForCausalLM');
    expect(based.back.lm.config.ropeBase).toBe(500000);
    // Neither holds them with one K/V head.
    const mqa = new TransformerLM({ ...lm.config, kvHeads: 1 }, 5);
    mqa.params.get('layers.2.norm2.weight')!.data[3] += 0.25;
    expect(() => exportHuggingFace(mqa, chars)).toThrow(
      /export as GPTNeoXForCausalLM, .*lacks as many K\/V heads as heads/,
    );
  });

  it("unscaled scores trained here go out as GPT-Neo, windows on any layers (Gemma's last-of-each-N too)", () => {
    const lm = new TransformerLM(
      {
        ...gpt2Like,
        attentionScalar: 1,
        attentionBias: false,
        attentionOutBias: true,
        slidingWindow: 4,
        fullAttentionEvery: 2,
      },
      5,
    );
    const { out, back } = roundTrip(lm, chars);
    expect(out.architecture).toBe('GPTNeoForCausalLM');
    expect(JSON.parse(out.files['config.json'] as string).attention_layers).toEqual([
      'local',
      'global',
      'local',
      'global',
    ]);
    // Back in as the pattern's other reading: the last of each 2 is global.
    expect(back.lm.config).toMatchObject({ fullAttentionEvery: 2, fullAttentionFirst: false, slidingWindow: 4 });
    expect(logits(back.lm)).toEqual(logits(lm));
  });

  it('post-norms only with query/key norms over whole projections go out as OLMo 2; half of it cannot', () => {
    const olmo = {
      ...gpt2Like,
      ffn: 'swiglu',
      norm: 'rmsnorm',
      positions: 'rope',
      bias: false,
      preNorms: false,
      postNorms: true,
      qkNorm: true,
      qkNormFull: true,
    } as const;
    const lm = new TransformerLM(olmo, 5);
    const { out, back } = roundTrip(lm, chars);
    expect(out.architecture).toBe('Olmo2ForCausalLM');
    expect(logits(back.lm)).toEqual(logits(lm));
    expect(() => exportHuggingFace(new TransformerLM({ ...olmo, qkNormFull: false }, 5), chars)).toThrow(
      /export as Olmo2ForCausalLM, .*; this model lacks query\/key norms over whole projections$/,
    );
  });

  it('LayerNorm, rope and a GELU MLP with grouped K/V heads go out as StarCoder2, a window too', () => {
    for (const over of [{ kvHeads: 1 }, { slidingWindow: 4 }]) {
      const lm = new TransformerLM({ ...gpt2Like, positions: 'rope', ...over }, 5);
      const { out, back } = roundTrip(lm, chars);
      expect(out.architecture).toBe('Starcoder2ForCausalLM');
      expect(back.lm.config).toMatchObject(over);
      expect(logits(back.lm)).toEqual(logits(lm));
    }
  });

  it('NoPE layers on a Llama layout go out as SmolLM3, each layer marked', () => {
    const lm = new TransformerLM(
      { ...gpt2Like, ffn: 'swiglu', norm: 'rmsnorm', positions: 'rope', bias: false, noRopeEvery: 2 },
      5,
    );
    const { out, back } = roundTrip(lm, chars);
    expect(out.architecture).toBe('SmolLM3ForCausalLM');
    expect(JSON.parse(out.files['config.json'] as string).no_rope_layers).toEqual([1, 0, 1, 0]);
    expect(back.lm.config.noRopeEvery).toBe(2);
    expect(logits(back.lm)).toEqual(logits(lm));
    // Another family's writer would drop them: the written config.json is checked to import as this model.
    expect(() => exportHuggingFace(new TransformerLM({ ...lm.config, logitScale: 0.5 }, 5), chars)).toThrow(
      /GraniteForCausalLM cannot hold this model: its config\.json would import with noRopeEvery 0 \(this model: 2\)/,
    );
  });

  it('a Llama layout with scaled logits or scores, or multipliers, goes out as Granite', () => {
    const llamaLike = { ...gpt2Like, ffn: 'swiglu', norm: 'rmsnorm', positions: 'rope', bias: false } as const;
    for (const over of [
      { logitScale: 0.5 },
      { attentionScalar: 64 },
      { embedMultiplier: 4, residualMultiplier: 0.5 },
    ]) {
      const lm = new TransformerLM({ ...llamaLike, ...over }, 5);
      const { out, back } = roundTrip(lm, chars);
      expect(out.architecture).toBe('GraniteForCausalLM');
      expect(back.lm.config).toMatchObject(over);
      expect(logits(back.lm)).toEqual(logits(lm));
    }
  });

  it('a ReLU MLP trained here goes out as OPT, with biases or without (enable_bias)', () => {
    for (const bias of [true, false]) {
      const lm = new TransformerLM({ ...gpt2Like, ffn: 'relu', bias, normBias: true, tieEmbeddings: !bias }, 5);
      const { out, back } = roundTrip(lm, chars);
      expect(out.architecture).toBe('OPTForCausalLM');
      expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({ enable_bias: bias });
      expect(back.lm.config).toMatchObject({ ffn: 'relu', bias, tieEmbeddings: !bias });
      expect(logits(back.lm)).toEqual(logits(lm));
    }
  });

  it('LayerNorm biases without linear ones go out as Falcon: sequential layers in its first layout, GQA in its new one', () => {
    const falconLike = { ...gpt2Like, heads: 4, positions: 'rope', bias: false, normBias: true } as const;
    for (const [over, newArch] of [
      [{ kvHeads: 1 }, false],
      [{ kvHeads: 4, geluExact: true }, false],
      [{ kvHeads: 2, parallelBlocks: true }, true],
    ] as const) {
      const lm = new TransformerLM({ ...falconLike, ...over }, 6);
      for (const [name, t] of lm.params)
        if (name.endsWith('norm1.bias')) t.data.set(t.data.map((_, i) => 0.01 * (i % 5)));
      const { out, back } = roundTrip(lm, chars);
      expect(out.architecture).toBe('FalconForCausalLM');
      expect(JSON.parse(out.files['config.json'] as string).new_decoder_architecture).toBe(newArch);
      expect(back.lm.config).toMatchObject({ kvHeads: over.kvHeads, normBias: true, bias: false });
      expect(logits(back.lm)).toEqual(logits(lm));
    }
  });

  it('SwiGLU on LayerNorms goes out as StableLM, sequential or parallel on one input_layernorm', () => {
    const stable = {
      ...gpt2Like,
      heads: 4,
      kvHeads: 2,
      ffn: 'swiglu',
      positions: 'rope',
      ropeDims: 2,
      bias: false,
      normBias: true,
    } as const;
    for (const parallelBlocks of [false, true]) {
      const lm = new TransformerLM({ ...stable, parallelBlocks, qkvBias: !parallelBlocks }, 7);
      for (const [name, t] of lm.params)
        if (name.endsWith('.bias')) t.data.set(t.data.map((_, i) => 0.02 * ((i % 7) - 3)));
      if (parallelBlocks)
        for (const l of [0, 1, 2, 3])
          for (const k of ['weight', 'bias'])
            lm.params.get(`layers.${l}.norm2.${k}`)!.data.set(lm.params.get(`layers.${l}.norm1.${k}`)!.data);
      const { out, back } = roundTrip(lm, chars);
      expect(out.architecture).toBe('StableLmForCausalLM');
      expect(JSON.parse(out.files['config.json'] as string)).toMatchObject({
        use_parallel_residual: parallelBlocks,
        partial_rotary_factor: 0.5,
      });
      expect(logits(back.lm)).toEqual(logits(lm));
    }
    const two = new TransformerLM({ ...stable, parallelBlocks: true }, 7);
    two.params.get('layers.0.norm2.weight')!.data[1] = 1.5;
    expect(() => exportHuggingFace(two, chars)).toThrow(
      /StableLmForCausalLM has one LayerNorm per layer for attention and MLP; layer 0's norm1\.weight and norm2\.weight differ/,
    );
  });

  it('Llama layout with GQA, an untied head and the byte tokenizer', () => {
    const lm = new TransformerLM(
      {
        vocabSize: 256,
        layers: 2,
        dModel: 16,
        heads: 4,
        kvHeads: 2,
        context: 16,
        ffn: 'swiglu',
        norm: 'rmsnorm',
        positions: 'rope',
        bias: false,
      },
      4,
    );
    const { out, back } = roundTrip(lm, new ByteTokenizer());
    expect(out.architecture).toBe('LlamaForCausalLM');
    expect(logits(back.lm)).toEqual(logits(lm));
    expect([...back.tokenizer.encode(SAMPLE)]).toEqual([...new ByteTokenizer().encode(SAMPLE)]);
  });

  it.each<[string, Partial<ModelConfig>, RegExp]>([
    [
      'cross-layer K/V sharing',
      { shareKv: 'cla:2' },
      /have every layer compute its own keys and values; this model's layers share them/,
    ],
    ['attention-weight sharing', { shareAttention: 'group:2' }, /every layer compute its own attention probabilities/],
    ['a factorized embedding', { embedDim: 8 }, /factorized embedding \(embedDim 8\) has no place/],
    [
      'a mix of the families (parallel blocks with one K/V head)',
      { positions: 'rope', kvHeads: 1, parallelBlocks: true, ropeDims: 4 },
      /export as GPTNeoXForCausalLM, which has layernorm, .*; this model lacks as many K\/V heads as heads/,
    ],
    [
      'a biased head on a GPT-2 layout',
      { headBias: true },
      /a biased output head \(headBias\) exports as PhiForCausalLM, .*; this model lacks parallel blocks, rope$/,
    ],
    [
      'parallel blocks with learned positions',
      { parallelBlocks: true },
      /export as GPTNeoXForCausalLM, .*; this model lacks rope/,
    ],
    [
      'attention without biases on a GPT-2 layout',
      { attentionBias: false },
      /export as GPTJForCausalLM or as GPTNeoXForCausalLM with attention_bias false; neither holds this model\. .*GPTNeoXForCausalLM, .*; this model lacks rope$/,
    ],
    [
      'sequential Falcon layers with grouped K/V heads',
      { heads: 4, kvHeads: 2, positions: 'rope', bias: false, normBias: true },
      /export as FalconForCausalLM, .*; this model lacks parallel blocks or 1 or heads K\/V heads$/,
    ],
    [
      'LayerNorm without bias on a GPT-2 layout',
      { normBias: false },
      /export as CohereForCausalLM, .*; this model lacks parallel blocks, ffn swiglu, rope, no biases$/,
    ],
    [
      'scaled logits on a GPT-2 layout',
      { logitScale: 0.5 },
      /export as CohereForCausalLM, .*; this model lacks parallel blocks, ffn swiglu, rope, no biases$/,
    ],
    [
      'an output bias without Q/K/V ones, on scaled scores',
      { attentionBias: false, attentionOutBias: true },
      /export as GPTNeoForCausalLM, .*; this model lacks unscaled scores$/,
    ],
    [
      'a ReLU MLP with a residual multiplier',
      { ffn: 'relu', residualMultiplier: 0.5 },
      /a ReLU MLP exports as OPTForCausalLM, .*; this model has embedding or residual multipliers$/,
    ],
    [
      'a ReLU MLP on rotary positions',
      { ffn: 'relu', positions: 'rope' },
      /a ReLU MLP exports as OPTForCausalLM, .*; this model lacks learned positions$/,
    ],
    [
      'a ReLU MLP with LayerNorm at another eps',
      { ffn: 'relu', normEps: 1e-6, kvHeads: 1 },
      /a ReLU MLP exports as OPTForCausalLM, .*; this model lacks LayerNorm eps 1e-5, as many K\/V heads as heads$/,
    ],
    ['GPT-2 with heads wider than d / heads', { headDim: 16 }, /GPT-2 needs .* heads of dModel \/ heads/],
    ['GPT-2 with head norms', { qkNorm: true }, /--qk-norm exports as Qwen3ForCausalLM/],
    [
      'post-norms on a GPT-2 layout',
      { postNorms: true },
      /export as Gemma2ForCausalLM, .*; this model lacks ffn geglu, embed-scale, rmsnorm, rope, no biases/,
    ],
    [
      "soft-capping without Gemma's layout",
      { logitSoftcap: 30 },
      /\(--attention-softcap, --logit-softcap\) export as Gemma2ForCausalLM \(or Gemma3ForCausalLM\) only/,
    ],
    [
      "full-attention layers without Gemma's layout",
      { slidingWindow: 4, fullAttentionEvery: 2 },
      /--full-attention-every, ropeLocalBase\) export as Gemma3ForCausalLM only/,
    ],
  ])('refuses %s, saying why', (_name, over, message) => {
    const lm = new TransformerLM({ ...gpt2Like, ...over }, 1);
    expect(() => exportHuggingFace(lm, chars)).toThrow(message);
  });
});

it('a byte-level tokenizer keeps its split, NFC and non-special added tokens through tokenizer.json', () => {
  const bytes = Object.entries(JSON.parse(byteLevelTokenizerJson()).model.vocab as Record<string, number>)
    .sort((a, b) => a[1] - b[1])
    .map(([t]) => t);
  const tokenizer = new HfBpeTokenizer({
    kind: 'hf-bpe',
    mode: 'byte-level',
    vocab: [...bytes, '<tool_call>'],
    merges: [],
    special: [],
    bosId: null,
    eosId: null,
    splits: [String.raw`\p{N}|\p{L}+|\s+|[^\s\p{L}\p{N}]+`],
    normalizer: 'NFC',
    added: [{ id: 256, content: '<tool_call>', rstrip: true }],
  });
  const files = hfTokenizerFiles(tokenizer.toJSON());
  const back = tokenizerFromHfJson(JSON.parse(files['tokenizer.json']!), 'tokenizer.json');
  const text = 'cafe\u0301 42 <tool_call>  {x}';
  expect([...back.encode(text)]).toEqual([...tokenizer.encode(text)]);
  expect([...tokenizer.encode(text)]).toContain(256);
  expect(back.toJSON()).toEqual({ ...tokenizer.toJSON(), unkId: null });
});

it('refuses to export a LongRoPE import, which holds only the original context’s short factors', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'phi35-longrope-bf16')));
  expect(() => exportHuggingFace(first.lm, first.tokenizer)).toThrow(
    /^LongRoPE was imported for the original context only \(its short factors; the long ones are not kept\)/,
  );
});

it('refuses to export OLMo once its LayerNorm gains moved from 1, naming the parameter', () => {
  const first = importHuggingFace(directoryReader(join(FIXTURES, 'olmo-fp16')));
  first.lm.params.get('layers.1.norm2.weight')!.data[3] = 1.5;
  expect(() => exportHuggingFace(first.lm, first.tokenizer)).toThrow(
    /^OlmoForCausalLM's LayerNorms have no gains, but this model's layers\.1\.norm2\.weight is not all 1/,
  );
});
