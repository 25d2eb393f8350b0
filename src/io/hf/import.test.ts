// Hugging Face checkpoints come in with their meaning intact: the logits of every fixture model
// (GPT-2, GPT-Neo, OPT, GPT-NeoX, Phi-2, GPT-J, Falcon, StableLM, Cohere, Granite, SmolLM3, OLMo 2, StarCoder2, Llama / Mistral, Llama 3.1's rope scaling, Qwen2, Qwen3, Phi-3 and Gemma 1, 2, 3; Hub and save_pretrained layouts; fp32, fp16, bf16; single and
// sharded) match PyTorch's, computed from the published model definitions, to 1e-5; the written
// checkpoint loads bit-exactly; and bad directories are refused with the file and tensor named.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../model/config.js';
import { TransformerLM } from '../../model/transformer.js';
import { noGrad } from '../../tensor/tensor.js';
import { relativeDiff } from '../../verify/fixture.js';
import { loadCheckpoint, saveWeightsCheckpoint } from '../checkpoint.js';
import { readSafetensors, toFloat32, writeSafetensors } from '../safetensors.js';
import { directoryReader } from './files-node.js';
import { importHuggingFace } from './import.js';
import { fromBuffers, openHfModel } from './model.js';
import { modelConfigFromHf } from './config.js';
import { pairRow, reorderRotaryRows } from './tensors.js';
import { DEFAULT_TRAIN } from '../../train/trainer.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'shareformer-hf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const expected = (dir: string) => {
  const f = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, dir, 'expected.safetensors'))));
  return { ids: f.tensors.get('input_ids')!.data as Int32Array, logits: f.tensors.get('logits')!.data as Float64Array };
};

/**
 * How far a variant of an imported model — config fields changed, weights edited — is from the
 * fixture's PyTorch logits: what proves each layout feature is the model's.
 */
function variantDiff(
  lm: TransformerLM,
  dir: string,
  over: Partial<ModelConfig> = {},
  edit: (w: Map<string, Float32Array>) => void = () => {},
): number {
  const { ids, logits } = expected(dir);
  const weights = new Map([...lm.params].map(([n, t]) => [n, t.data.slice()]));
  edit(weights);
  const other = new TransformerLM({ ...lm.config, ...over }, null);
  other.loadWeights(weights);
  return relativeDiff(noGrad(() => other.forward(ids, 1)).data, Float32Array.from(logits));
}

/** Query or key rows back in the adjacent-pair order GPT-J's and Cohere's files hold (each head `hd` rows of `width`). */
function asStored(m: Float32Array, hd: number, width: number, rotated: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let h = 0; h < m.length / (hd * width); h++)
    for (let i = 0; i < hd; i++)
      out.set(m.subarray((h * hd + i) * width, (h * hd + i + 1) * width), (h * hd + pairRow(i, rotated)) * width);
  return out;
}

describe.each([
  ['gpt2-hub', 'GPT2LMHeadModel', 'F32'],
  ['gpt2-pretrained-fp16', 'GPT2LMHeadModel', 'F16'],
  ['gpt2-sharded-bf16', 'GPT2LMHeadModel', 'BF16'],
  ['llama', 'LlamaForCausalLM', 'F32'],
  // llama's model with SentencePiece's tokenizer.model instead of tokenizer.json.
  ['llama-spm', 'LlamaForCausalLM', 'F32'],
  ['llama-tied-bf16-sharded', 'LlamaForCausalLM', 'BF16'],
  ['mistral-fp16', 'MistralForCausalLM', 'F16'],
  ['qwen2-bf16', 'Qwen2ForCausalLM', 'BF16'],
  ['llama31-rope-scaled', 'LlamaForCausalLM', 'F32'],
  ['qwen3-bf16', 'Qwen3ForCausalLM', 'BF16'],
  ['phi3-bf16', 'Phi3ForCausalLM', 'BF16'],
  // LongRoPE within its original context (the short factors, the attention factor on the scores).
  ['phi35-longrope-bf16', 'Phi3ForCausalLM', 'BF16'],
  // Phi-4-mini's: LongRoPE on three quarters of each head, its attention factor folded into those rows.
  ['phi4-mini-bf16', 'Phi3ForCausalLM', 'BF16'],
  ['gemma3-bf16', 'Gemma3ForCausalLM', 'BF16'],
  ['gemma3-multimodal-bf16', 'Gemma3ForConditionalGeneration', 'BF16'],
  ['gemma2-bf16', 'Gemma2ForCausalLM', 'BF16'],
  ['gemma-bf16', 'GemmaForCausalLM', 'BF16'],
  ['neox-fp16', 'GPTNeoXForCausalLM', 'F16'],
  ['phi2-bf16', 'PhiForCausalLM', 'BF16'],
  ['gptj-fp16', 'GPTJForCausalLM', 'F16'],
  ['falcon-bf16', 'FalconForCausalLM', 'BF16'],
  ['falcon-new-fp16', 'FalconForCausalLM', 'F16'],
  ['stablelm-bf16', 'StableLmForCausalLM', 'BF16'],
  ['cohere-bf16', 'CohereForCausalLM', 'BF16'],
  ['opt-fp16', 'OPTForCausalLM', 'F16'],
  ['gptneo-tinystories', 'GPTNeoForCausalLM', 'F32'],
  ['granite-bf16', 'GraniteForCausalLM', 'BF16'],
  ['smollm3-bf16', 'SmolLM3ForCausalLM', 'BF16'],
  ['olmo2-bf16', 'Olmo2ForCausalLM', 'BF16'],
  ['starcoder2-fp16', 'Starcoder2ForCausalLM', 'F16'],
  ['bloom-bf16', 'BloomForCausalLM', 'BF16'],
  ['mpt-bf16', 'MPTForCausalLM', 'BF16'],
  ['falcon-rw-bf16', 'FalconForCausalLM', 'BF16'],
  ['cohere-qknorm-bf16', 'CohereForCausalLM', 'BF16'],
  ['stablelm-12b-bf16', 'StableLmForCausalLM', 'BF16'],
  ['bigcode-fp16', 'GPTBigCodeForCausalLM', 'F16'],
  ['internlm2-bf16', 'InternLM2ForCausalLM', 'BF16'],
  ['baichuan-7b-fp16', 'BaiChuanForCausalLM', 'F16'],
  ['baichuan-13b-bf16', 'BaichuanForCausalLM', 'BF16'],
  ['glm-bf16', 'GlmForCausalLM', 'BF16'],
  ['glm4-bf16', 'Glm4ForCausalLM', 'BF16'],
  ['exaone-bf16', 'ExaoneForCausalLM', 'BF16'],
  ['olmo-fp16', 'OlmoForCausalLM', 'F16'],
  ['nemotron-bf16', 'NemotronForCausalLM', 'BF16'],
  ['cohere2-bf16', 'Cohere2ForCausalLM', 'BF16'],
  // The same weights as PyTorch checkpoints (torch.save's zip of a pickled state dict).
  ['gptj-bin', 'GPTJForCausalLM', 'F16'],
  ['gptj-bin-zip64', 'GPTJForCausalLM', 'F16'],
  ['falcon-bin', 'FalconForCausalLM', 'BF16'],
  ['falcon-new-bin-sharded', 'FalconForCausalLM', 'F16'],
  ['opt-bin', 'OPTForCausalLM', 'F16'],
])('%s', (dir, architecture, dtype) => {
  const { ids, logits } = expected(dir);

  it(`imports as ${architecture} from ${dtype} weights, and its logits match PyTorch to 1e-5`, () => {
    const model = importHuggingFace(directoryReader(join(FIXTURES, dir)));
    expect(model.architecture).toBe(architecture);
    const ours = noGrad(() => model.lm.forward(ids, 1)).data;
    expect(relativeDiff(ours, Float32Array.from(logits))).toBeLessThan(1e-5);
  });

  it('writes a checkpoint that loads to the same model, bit for bit', () => {
    const reader = directoryReader(join(FIXTURES, dir));
    const model = openHfModel(reader);
    const out = join(root, dir, 'checkpoint');
    saveWeightsCheckpoint(out, {
      config: model.config,
      tokenizer: model.tokenizer,
      read: model.read,
      meta: { data: { source: 'test', tokenizer: 'hf-bpe', charsPerToken: 1, valFraction: 0.1 }, train: DEFAULT_TRAIN },
    });
    const loaded = loadCheckpoint(out);
    const direct = importHuggingFace(directoryReader(join(FIXTURES, dir)));
    const a = noGrad(() => loaded.lm.forward(ids, 1)).data,
      b = noGrad(() => direct.lm.forward(ids, 1)).data;
    expect([...a]).toEqual([...b]);
    expect(loaded.tokenizer.toJSON()).toEqual(model.tokenizer.toJSON());
  });
});

/** Rewrites text in a safetensors header in place (same length, so the data offsets still hold). */
function editHeader(file: string, from: string, to: string): void {
  const bytes = readFileSync(file);
  const len = Number(bytes.readBigUInt64LE(0));
  const header = bytes.subarray(8, 8 + len).toString('utf8');
  if (!header.includes(from) || from.length !== to.length) throw new Error(`cannot edit ${from} in ${file}`);
  writeFileSync(
    file,
    Buffer.concat([bytes.subarray(0, 8), Buffer.from(header.replace(from, to)), bytes.subarray(8 + len)]),
  );
}

describe('bad model directories are refused, naming the file and what is wrong', () => {
  const broken = (name: string, from: string, damage: (dir: string) => void) => {
    const dir = join(root, 'broken', name);
    cpSync(join(FIXTURES, from), dir, { recursive: true });
    damage(dir);
    return () => importHuggingFace(directoryReader(dir));
  };
  const editJSON = (file: string, edit: (j: Record<string, unknown>) => void) => (dir: string) => {
    const j = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    edit(j);
    writeFileSync(join(dir, file), JSON.stringify(j));
  };
  it.each<[string, string, (dir: string) => void, RegExp]>([
    [
      'an unknown architecture',
      'gpt2-hub',
      editJSON('config.json', (j) => (j.architectures = ['BertForMaskedLM'])),
      /config\.json: "architectures" is \["BertForMaskedLM"\]; supported: GPT2LMHeadModel, BloomForCausalLM, MptForCausalLM, MPTForCausalLM, GPTBigCodeForCausalLM, GPTNeoForCausalLM, OPTForCausalLM, GPTNeoXForCausalLM, PhiForCausalLM, GPTJForCausalLM, FalconForCausalLM, StableLmForCausalLM, CohereForCausalLM, GraniteForCausalLM, SmolLM3ForCausalLM, Olmo2ForCausalLM, Starcoder2ForCausalLM, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, InternLM2ForCausalLM, BaichuanForCausalLM, BaiChuanForCausalLM, GlmForCausalLM, Glm4ForCausalLM, ExaoneForCausalLM, OlmoForCausalLM, NemotronForCausalLM, Cohere2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM/,
    ],
    [
      'dynamic rope scaling that engages inside the context',
      'llama',
      editJSON(
        'config.json',
        (j) => (j.rope_scaling = { type: 'dynamic', factor: 2, original_max_position_embeddings: 32 }),
      ),
      /config\.json: "rope_scaling": .* is not supported \(its frequencies change past original_max_position_embeddings 32, inside the context of 64\)/,
    ],
    [
      'InternLM2 with biases on wqkv and wo',
      'internlm2-bf16',
      editJSON('config.json', (j) => (j.bias = true)),
      /config\.json: "bias": true is not supported \(InternLM2's config defaults to biases on wqkv and wo/,
    ],
    [
      'InternLM2 without "bias" (its class defaults it to true)',
      'internlm2-bf16',
      editJSON('config.json', (j) => delete j.bias),
      /config\.json: "bias": null is not supported/,
    ],
    [
      'InternLM2 with a field its class does not read',
      'internlm2-bf16',
      editJSON('config.json', (j) => (j.sliding_window = 16)),
      /config\.json: unsupported field "sliding_window"/,
    ],
    [
      'EXAONE with a Llama field name its class does not read',
      'exaone-bf16',
      editJSON('config.json', (j) => (j.rms_norm_eps = 1e-6)),
      /config\.json: unsupported field "rms_norm_eps"/,
    ],
    [
      'Cohere2 with full-attention layers that do not follow a period',
      'cohere2-bf16',
      editJSON(
        'config.json',
        (j) => (j.layer_types = ['sliding_attention', 'full_attention', 'full_attention', 'sliding_attention']),
      ),
      /config\.json: "layer_types" is not supported unless every Nth layer \(the last of each N\) is "full_attention"/,
    ],
    [
      'YaRN rope scaling',
      'llama',
      editJSON('config.json', (j) => (j.rope_scaling = { type: 'yarn', factor: 4 })),
      /config\.json: "rope_scaling": .* is not supported \(rotary embeddings without scaling, with "linear" position interpolation, Llama 3\.1's "llama3" rescaling, or "dynamic" NTK or "longrope" scaling within the original context\)/,
    ],
    [
      'llama3 rope scaling without its factors',
      'llama31-rope-scaled',
      editJSON('config.json', (j) => delete (j.rope_scaling as Record<string, unknown>).low_freq_factor),
      /config\.json rope_scaling: "low_freq_factor" must be a positive number, got undefined/,
    ],
    [
      'a partial rotary factor',
      'qwen2-bf16',
      editJSON(
        'config.json',
        (j) => (j.rope_parameters = { rope_type: 'default', rope_theta: 1e6, partial_rotary_factor: 0.5 }),
      ),
      /"rope_parameters": .* is not supported \(unknown field "partial_rotary_factor" for unscaled rotary embeddings\)/,
    ],
    [
      'YaRN rope scaling',
      'llama31-rope-scaled',
      editJSON('config.json', (j) => (j.rope_scaling = { rope_type: 'yarn', factor: 4 })),
      /"rope_scaling": \{"rope_type":"yarn","factor":4\} is not supported/,
    ],
    [
      'a sliding window that is not a size',
      'mistral-fp16',
      editJSON('config.json', (j) => (j.sliding_window = 'wide')),
      /config\.json: "sliding_window" must be a positive integer or null, got "wide"/,
    ],
    [
      'LongRoPE with a factor list the heads do not have',
      'phi35-longrope-bf16',
      editJSON('config.json', (j) => (j.rope_scaling = { type: 'longrope', long_factor: [1], short_factor: [1] })),
      /config\.json: "rope_scaling": .* is not supported \("short_factor" has 1 factors; 8 rotated dimensions per head need 4, one per pair\)/,
    ],
    [
      'LongRoPE under its first name, "su", with a field it does not have',
      'phi35-longrope-bf16',
      editJSON('config.json', (j) => {
        (j.rope_scaling as Record<string, unknown>).type = 'su';
        (j.rope_scaling as Record<string, unknown>).mscale = 2;
      }),
      /config\.json: "rope_scaling": .* is not supported \(unknown field "mscale" for LongRoPE\)/,
    ],
    [
      'LongRoPE in a family that does not read it',
      'neox-fp16',
      editJSON('config.json', (j) => (j.rope_scaling = { type: 'longrope', long_factor: [1], short_factor: [1] })),
      /"rope_scaling": .* is not supported \(rotary embeddings without scaling, with "linear" position interpolation, Llama 3\.1's "llama3" rescaling, or "dynamic" NTK or "longrope" scaling within the original context\)/,
    ],
    [
      'a partial rotary factor that rotates an odd number of dimensions',
      'phi3-bf16',
      editJSON('config.json', (j) => (j.partial_rotary_factor = 0.2)),
      /config\.json: a rotary fraction of 0\.2 rotates 1 of each head's 8 dimensions/,
    ],
    [
      'a partial rotary factor in Llama, whose class has none',
      'llama',
      editJSON('config.json', (j) => (j.partial_rotary_factor = 0.75)),
      /config\.json: unsupported field "partial_rotary_factor"/,
    ],
    [
      'a fused Q/K/V with the wrong number of rows',
      'phi3-bf16',
      editJSON('config.json', (j) => (j.num_key_value_heads = 4)),
      /tensor "model\.layers\.0\.self_attn\.qkv_proj\.weight" has shape \[64, 32\], but config\.json implies a fused Q\/K\/V of 96 rows for \[32, 32\]/,
    ],
    [
      "Qwen2's sliding window switched on",
      'qwen2-bf16',
      editJSON('config.json', (j) => (j.use_sliding_window = true)),
      /config\.json: "use_sliding_window": true is not supported \(full causal attention in every layer/,
    ],
    [
      'a Qwen2 checkpoint without its query bias',
      'qwen2-bf16',
      (d) =>
        editHeader(join(d, 'model.safetensors'), 'layers.1.self_attn.q_proj.bias', 'layers.1.self_attn.q_proj.gain'),
      /missing tensor "model\.layers\.1\.self_attn\.q_proj\.bias" \(needed for layers\.1\.attn\.q\.bias \[32\]\)/,
    ],
    [
      'a Qwen3 checkpoint without a key norm',
      'qwen3-bf16',
      (d) => editHeader(join(d, 'model.safetensors'), 'layers.0.self_attn.k_norm', 'layers.0.self_attn.k_nurm'),
      /missing tensor "model\.layers\.0\.self_attn\.k_norm\.weight" \(needed for layers\.0\.attn\.knorm\.weight \[16\]\)/,
    ],
    [
      'a soft-cap that is not a number',
      'gemma2-bf16',
      editJSON('config.json', (j) => (j.final_logit_softcapping = 'thirty')),
      /config\.json: "final_logit_softcapping" must be a positive number or null, got "thirty"/,
    ],
    [
      'exact GELU in a Gemma config',
      'gemma-bf16',
      editJSON('config.json', (j) => (j.hidden_activation = 'gelu')),
      /config\.json: "hidden_activation": "gelu" is not supported \(the GeGLU feed-forward uses GELU in its tanh form\)/,
    ],
    [
      'a GPT-NeoX rotary fraction that leaves an odd number of dimensions',
      'neox-fp16',
      editJSON('config.json', (j) => (j.rotary_pct = 0.2)),
      /config\.json: a rotary fraction of 0\.2 rotates 3 of each head's 16 dimensions; shareformer rotates an even number/,
    ],
    [
      'a GPT-NeoX with another activation',
      'neox-fp16',
      editJSON('config.json', (j) => (j.hidden_act = 'relu')),
      /config\.json: "hidden_act": "relu" is not supported \(GELU, exact \("gelu"\) or in its tanh form/,
    ],
    [
      'a GPT-NeoX whose config.json says attention_bias false while its file has them',
      'neox-fp16',
      editJSON('config.json', (j) => (j.attention_bias = false)),
      /unexpected tensors "gpt_neox\.layers\.0\.attention\.query_key_value\.bias", .* \(not part of a GPT-NeoX model with this config\.json\)/,
    ],
    [
      "a GPT-NeoX checkpoint without a layer's fused Q/K/V bias",
      'neox-fp16',
      (d) =>
        editHeader(
          join(d, 'model.safetensors'),
          'layers.2.attention.query_key_value.bias',
          'layers.2.attention.query_key_value.bixs',
        ),
      /missing tensor "gpt_neox\.layers\.2\.attention\.query_key_value\.bias" \(needed for layers\.2\.attn\.q\.bias \[32\]\)/,
    ],
    [
      'a GPT-J whose rotary_dim is null on several heads (transformers would size the rotation by n_embd)',
      'gptj-fp16',
      editJSON('config.json', (j) => (j.rotary_dim = null)),
      /config\.json: "rotary_dim" is null, which transformers' GPT-J reads as n_embd \(48\) rotary dimensions, more than a head of 16 holds/,
    ],
    [
      'a GPT-J rotating an odd number of dimensions',
      'gptj-fp16',
      editJSON('config.json', (j) => (j.rotary_dim = 9)),
      /config\.json: "rotary_dim" 9 must be even and at most the head size 16/,
    ],
    [
      'a GPT-J with another activation',
      'gptj-fp16',
      editJSON('config.json', (j) => (j.activation_function = 'relu')),
      /config\.json: "activation_function": "relu" is not supported \(GELU, exact/,
    ],
    [
      'a GPT-J checkpoint with attention biases its class does not have',
      'gptj-fp16',
      (d) => editHeader(join(d, 'model.safetensors'), 'h.1.attn.masked_bias', 'h.1.attn.q_proj.bias'),
      /unexpected tensor "transformer\.h\.1\.attn\.q_proj\.bias" \(not part of a GPT-J model with this config\.json\)/,
    ],
    [
      'a GPT-Neo whose global layers are not every Nth',
      'gptneo-tinystories',
      editJSON('config.json', (j) => {
        j.attention_types = [[['global', 'global', 'local', 'local'], 1]];
        delete j.attention_layers;
      }),
      /attention layers \["global","global","local","local"\] are not global every Nth layer/,
    ],
    [
      'a GPT-Neo whose attention_layers disagree with its attention_types',
      'gptneo-tinystories',
      editJSON('config.json', (j) => (j.attention_layers = ['local', 'global', 'local', 'global'])),
      /"attention_layers" \["local","global","local","global"\] disagrees with "attention_types", which spell out \["global","local","global","local"\]/,
    ],
    [
      'an OPT with another activation',
      'opt-fp16',
      editJSON('config.json', (j) => (j.activation_function = 'silu')),
      /"activation_function": "silu" is not supported \(ReLU, or GELU exact/,
    ],
    [
      'a GPT-Neo whose attention_types is not a list of [kinds, repeats]',
      'gptneo-tinystories',
      editJSON('config.json', (j) => (j.attention_types = [['global', 2]])),
      /"attention_types" must be a list of \[\[kinds…\], repeats\], got \[\["global",2\]\]/,
    ],
    [
      'a GPT-Neo whose attention_types spell out another number of layers',
      'gptneo-tinystories',
      editJSON('config.json', (j) => {
        j.attention_types = [[['global', 'local'], 3]];
        delete j.attention_layers;
      }),
      /"attention_types" spells out 6 layers, but "num_layers" is 4/,
    ],
    [
      'a Granite with a negative residual multiplier',
      'granite-bf16',
      editJSON('config.json', (j) => (j.residual_multiplier = -0.22)),
      /"residual_multiplier" must be a positive number, got -0\.22/,
    ],
    [
      'a SmolLM3 whose no_rope_layers is shorter than its layers',
      'smollm3-bf16',
      editJSON('config.json', (j) => (j.no_rope_layers = [1, 1])),
      /"no_rope_layers" must list 1 \(RoPE\) or 0 \(none\) for each of the 4 layers, got \[1,1\]/,
    ],
    [
      'a SmolLM3 whose NoPE layers are not every Nth',
      'smollm3-bf16',
      editJSON('config.json', (j) => (j.no_rope_layers = [1, 0, 0, 1])),
      /"no_rope_layers" \[1,0,0,1\] does not put a NoPE layer at every Nth layer/,
    ],
    [
      'a Granite with attention biases but none on its MLP',
      'granite-bf16',
      editJSON('config.json', (j) => (j.mlp_bias = false)),
      /"attention_bias" true with "mlp_bias" false is not supported \(biases on every projection or on none\)/,
    ],
    [
      "OPT-350M's post-norm layers",
      'opt-fp16',
      editJSON('config.json', (j) => (j.do_layer_norm_before = false)),
      /config\.json: "do_layer_norm_before": false is not supported \(OPT-350M's LayerNorms after each residual add/,
    ],
    [
      "OPT-350M's narrower embedding with its projections",
      'opt-fp16',
      editJSON('config.json', (j) => (j.word_embed_proj_dim = 16)),
      /config\.json: "word_embed_proj_dim": 16 is not supported \(an embedding as wide as hidden_size 32/,
    ],
    [
      'an OPT position table without the two offset rows',
      'opt-bin',
      editJSON('config.json', (j) => (j.max_position_embeddings = 26)),
      /tensor "decoder\.embed_positions\.weight" has shape \[26, 32\], but config\.json implies a fused position table \(max_position_embeddings \+ the 2 rows of its padding offset\) of 28 rows/,
    ],
    [
      'a Falcon whose residual is the LayerNorm output',
      'falcon-bf16',
      editJSON('config.json', (j) => (j.apply_residual_connection_post_layernorm = true)),
      /"apply_residual_connection_post_layernorm": true is not supported/,
    ],
    [
      'a Falcon whose key/value groups do not divide its heads',
      'falcon-new-fp16',
      editJSON('config.json', (j) => (j.num_kv_heads = 4)),
      /config\.json: "num_attention_heads" 6 is not divisible by "num_kv_heads" 4/,
    ],
    [
      'a first-layout Falcon without multi_query but fewer key/value heads',
      'falcon-bf16',
      editJSON('config.json', (j) => {
        j.multi_query = false;
        j.num_kv_heads = 2;
      }),
      /"num_kv_heads" 2 with multi_query false and no new_decoder_architecture: transformers' Falcon then splits Q\/K\/V head by head, which needs 4/,
    ],
    [
      'a Falcon whose files hold one LayerNorm where config.json says two',
      'falcon-new-fp16',
      (d) => editHeader(join(d, 'model.safetensors'), 'h.1.ln_mlp.bias', 'h.1.ln_mlx.bias'),
      /missing tensor "transformer\.h\.1\.ln_mlp\.bias" \(needed for layers\.1\.norm2\.bias \[48\]\)/,
    ],
    [
      "an MPT that clips its queries, keys and values (MPT-7B-8k's clip_qkv)",
      'mpt-bf16',
      editJSON('config.json', (j) => ((j.attn_config as Record<string, unknown>).clip_qkv = 6)),
      /config\.json attn_config: "clip_qkv": 6 is not supported \(unclipped queries, keys and values\)/,
    ],
    [
      'a StarCoder whose config.json drops multi_query (its c_attn holds one key/value head)',
      'bigcode-fp16',
      editJSON('config.json', (j) => (j.multi_query = false)),
      /tensor "transformer\.h\.0\.attn\.c_attn\.weight" has shape \[48, 32\], but config\.json implies a fused Q\/K\/V \(per head\) of 96 rows/,
    ],
    [
      'an MPT whose ALiBi slopes reach another maximum',
      'mpt-bf16',
      editJSON('config.json', (j) => ((j.attn_config as Record<string, unknown>).alibi_bias_max = 16)),
      /attn_config: "alibi_bias_max": 16 is not supported/,
    ],
    [
      'a Cohere with use_qk_norm whose files hold no head norms',
      'cohere-bf16',
      editJSON('config.json', (j) => (j.use_qk_norm = true)),
      /missing tensor "model\.layers\.0\.self_attn\.q_norm\.weight"/,
    ],
    [
      'a StableLM 2 12B missing one head of its per-head LayerNorms',
      'stablelm-12b-bf16',
      (d) => editHeader(join(d, 'model.safetensors'), 'k_layernorm.norms.1.weight', 'k_layernorm.norms.9.weight'),
      /missing tensor "model\.layers\.\d\.self_attn\.k_layernorm\.norms\.1\.weight" \(needed for layers\.\d\.attn\.knorm\.weight \[16\]\)/,
    ],
    [
      "Gemma 3's pattern field in a Gemma 2 config",
      'gemma2-bf16',
      editJSON('config.json', (j) => (j.sliding_window_pattern = 6)),
      /config\.json: .*sliding_window_pattern/,
    ],
    [
      'a multimodal Gemma 3 without its text model',
      'gemma3-multimodal-bf16',
      editJSON('config.json', (j) => delete j.text_config),
      /config\.json: "text_config" must be the text model's config object, got undefined/,
    ],
    [
      'global layers that are not every Nth',
      'gemma3-bf16',
      editJSON('config.json', (j) => ((j.layer_types as string[])[1] = 'full_attention')),
      /"layer_types": full attention at layers \[1,5\] is not supported \(shareformer puts it on every Nth layer/,
    ],
    [
      'a Gemma 3 checkpoint without a post-FFN norm',
      'gemma3-bf16',
      (d) =>
        editHeader(
          join(d, 'model.safetensors'),
          'layers.4.post_feedforward_layernorm',
          'layers.4.post_feedforward_layernurm',
        ),
      /missing tensor "model\.layers\.4\.post_feedforward_layernorm\.weight" \(needed for layers\.4\.postnorm2\.weight \[32\]\)/,
    ],
    [
      'Qwen3 with attention biases',
      'qwen3-bf16',
      editJSON('config.json', (j) => (j.attention_bias = true)),
      /config\.json: "attention_bias": true is not supported/,
    ],
    [
      'layer_types that do not cover every layer',
      'qwen3-bf16',
      editJSON('config.json', (j) => (j.layer_types = ['full_attention'])),
      /config\.json: "layer_types": \["full_attention"\] is not supported \(one "full_attention" per layer \(2\)/,
    ],
    [
      'a head_dim that is not a width',
      'qwen3-bf16',
      editJSON('config.json', (j) => (j.head_dim = 0)),
      /config\.json: "head_dim" must be a positive integer, got 0/,
    ],
    [
      'another activation',
      'gpt2-hub',
      editJSON('config.json', (j) => (j.activation_function = 'relu')),
      /config\.json: "activation_function": "relu" is not supported/,
    ],
    [
      'an unknown field',
      'llama',
      editJSON('config.json', (j) => (j.qk_layernorm = true)),
      /config\.json: unsupported field "qk_layernorm"/,
    ],
    [
      'a shape that disagrees with config.json',
      'llama',
      editJSON('config.json', (j) => (j.intermediate_size = 64)),
      /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[48, 32\], but config\.json implies \[64, 32\]/,
    ],
    [
      'a missing tensor',
      'llama',
      editJSON('config.json', (j) => (j.num_hidden_layers = 3)),
      /missing tensor "model\.layers\.2\.input_layernorm\.weight"/,
    ],
    [
      'an extra tensor',
      'llama',
      editJSON('config.json', (j) => (j.num_hidden_layers = 1)),
      /unexpected tensors "model\.layers\.1\.input_layernorm\.weight"/,
    ],
    [
      'a broken shard index',
      'gpt2-sharded-bf16',
      editJSON(
        'model.safetensors.index.json',
        (j) =>
          ((j.weight_map as Record<string, string>)['transformer.wte.weight'] = 'model-00009-of-00002.safetensors'),
      ),
      /model\.safetensors\.index\.json: lists model-00009-of-00002\.safetensors, which is not in the directory/,
    ],
    [
      'no weights',
      'gpt2-hub',
      (d) => rmSync(join(d, 'model.safetensors')),
      /no model\.safetensors, pytorch_model\.bin or an index of their shards/,
    ],
    [
      'a pytorch_model.bin that pickles an object besides its tensors',
      'gptj-bin',
      (d) => cpSync(join(FIXTURES, '..', 'torch', 'object.bin'), join(d, 'pytorch_model.bin')),
      /pytorch_model\.bin: the pickle calls datetime\.date, which a state dict of tensors does not need/,
    ],
    [
      'a sharded pytorch_model.bin whose index lists a missing shard',
      'falcon-new-bin-sharded',
      (d) => rmSync(join(d, 'pytorch_model-00002-of-00002.bin')),
      /pytorch_model\.bin\.index\.json: lists pytorch_model-00002-of-00002\.bin, which is not in the directory/,
    ],
    [
      'no tokenizer',
      'gpt2-hub',
      (d) => rmSync(join(d, 'vocab.json')),
      /no tokenizer\.json, vocab\.json \+ merges\.txt or tokenizer\.model/,
    ],
    [
      'a damaged tokenizer.model',
      'llama-spm',
      (d) => writeFileSync(join(d, 'tokenizer.model'), readFileSync(join(d, 'tokenizer.model')).subarray(0, 100)),
      /\/tokenizer\.model: not a SentencePiece model, or a damaged one \(protobuf: index out of range\)/,
    ],
  ])('%s', (name, from, damage, message) => {
    expect(broken(name.replace(/\W+/g, '-'), from, damage)).toThrow(message);
  });

  it.each([
    ['llama31-rope-scaled', 'llama3 rescaling'],
    ['qwen2-bf16', 'no rescaling'],
  ])("%s with transformers 5's rope_parameters (%s) imports to the same logits", (fixture) => {
    const dir = join(root, `${fixture}-v5`);
    cpSync(join(FIXTURES, fixture), dir, { recursive: true });
    editJSON('config.json', (j) => {
      j.rope_parameters = { rope_type: 'default', ...(j.rope_scaling as object), rope_theta: j.rope_theta };
      delete j.rope_scaling;
      delete j.rope_theta;
    })(dir);
    const { ids, logits } = expected(fixture);
    const model = importHuggingFace(directoryReader(dir));
    expect(relativeDiff(noGrad(() => model.lm.forward(ids, 1)).data, Float32Array.from(logits))).toBeLessThan(1e-5);
  });

  it("SmolLM2's nanotron leftovers (is_llama_config, rope_interleaved), which transformers ignores, import", () => {
    const dir = join(root, 'smollm2-fields');
    cpSync(join(FIXTURES, 'llama'), dir, { recursive: true });
    editJSON('config.json', (j) => Object.assign(j, { is_llama_config: true, rope_interleaved: false }))(dir);
    const { ids, logits } = expected('llama');
    const model = importHuggingFace(directoryReader(dir));
    expect(relativeDiff(noGrad(() => model.lm.forward(ids, 1)).data, Float32Array.from(logits))).toBeLessThan(1e-5);
  });

  it("Phi-3's sliding window is the model's: without it the logits past the window would differ", () => {
    // A window of 16 over the fixture's 24 positions (Mistral 7B v0.1: 4,096 over 32,768).
    const phi3 = importHuggingFace(directoryReader(join(FIXTURES, 'phi3-bf16')));
    expect(phi3.lm.config).toMatchObject({ context: 64, slidingWindow: 16 });
    const { ids, logits } = expected('phi3-bf16');
    const unwindowed = new TransformerLM({ ...phi3.lm.config, slidingWindow: 0 }, null);
    unwindowed.loadWeights(new Map([...phi3.lm.params].map(([n, t]) => [n, t.data])));
    const full = noGrad(() => unwindowed.forward(ids, 1)).data;
    expect(relativeDiff(full, Float32Array.from(logits))).toBeGreaterThan(1e-3);
    // A window as wide as the context is no window; Qwen2's unused one neither.
    const dir = join(root, 'mistral-wide-window');
    cpSync(join(FIXTURES, 'mistral-fp16'), dir, { recursive: true });
    editJSON('config.json', (j) => (j.sliding_window = j.max_position_embeddings))(dir);
    expect(importHuggingFace(directoryReader(dir)).lm.config.slidingWindow).toBe(0);
    expect(importHuggingFace(directoryReader(join(FIXTURES, 'qwen2-bf16'))).lm.config.slidingWindow).toBe(0);
  });

  it("Gemma 3's local and global layers are the model's: windows, both RoPE bases, in either config layout", () => {
    const gemma = importHuggingFace(directoryReader(join(FIXTURES, 'gemma3-bf16')));
    expect(gemma.lm.config).toMatchObject({
      slidingWindow: 8,
      fullAttentionEvery: 6,
      ropeBase: 1e6,
      ropeLocalBase: 1e4,
      ffn: 'geglu',
      postNorms: true,
      embedScale: true,
      qkNorm: true,
      headDim: 16,
      kvHeads: 1,
      tieEmbeddings: true,
    });
    expect(gemma.tokenizer.bosId).toBe(2); // GemmaTokenizer adds <bos>
    const variant = (over: Partial<ModelConfig>) => variantDiff(gemma.lm, 'gemma3-bf16', over);
    // Each feature changes the logits: no window, one RoPE base, every layer windowed.
    expect(variant({ slidingWindow: 0, fullAttentionEvery: 0, ropeLocalBase: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ ropeLocalBase: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ fullAttentionEvery: 0 })).toBeGreaterThan(1e-3);
    // transformers 5 writes the bases in rope_parameters by layer type; older files give only the
    // pattern. Both import to the same model.
    for (const [name, edit] of [
      [
        'rope-parameters',
        (j: Record<string, unknown>) => {
          j.rope_parameters = {
            full_attention: { rope_type: 'default', rope_theta: 1e6 },
            sliding_attention: { rope_type: 'default', rope_theta: 1e4 },
          };
          delete j.rope_theta;
          delete j.rope_local_base_freq;
          delete j.rope_scaling;
        },
      ],
      ['pattern-only', (j: Record<string, unknown>) => delete j.layer_types],
    ] as const) {
      const dir = join(root, `gemma3-${name}`);
      cpSync(join(FIXTURES, 'gemma3-bf16'), dir, { recursive: true });
      editJSON('config.json', edit)(dir);
      expect(importHuggingFace(directoryReader(dir)).lm.config, name).toEqual(gemma.lm.config);
    }
  });

  it("Gemma 2's soft-caps, alternating layers and score scale are the model's", () => {
    const gemma = importHuggingFace(directoryReader(join(FIXTURES, 'gemma2-bf16')));
    expect(gemma.lm.config).toMatchObject({
      attentionSoftcap: 2,
      logitSoftcap: 3,
      slidingWindow: 8,
      fullAttentionEvery: 2,
      ropeLocalBase: 0,
      attentionScalar: 24,
      qkNorm: false,
      ffn: 'geglu',
      postNorms: true,
      embedScale: true,
      headDim: 16,
      kvHeads: 2,
      tieEmbeddings: true,
    });
    const variant = (over: Partial<ModelConfig>) => variantDiff(gemma.lm, 'gemma2-bf16', over);
    // Each feature changes the logits: either cap left out, every layer windowed, no window.
    expect(variant({ attentionSoftcap: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ logitSoftcap: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ fullAttentionEvery: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ slidingWindow: 0, fullAttentionEvery: 0 })).toBeGreaterThan(1e-3);
    // transformers ≥ 4.53 spells the alternation out in layer_types: the same model.
    const dir = join(root, 'gemma2-layer-types');
    cpSync(join(FIXTURES, 'gemma2-bf16'), dir, { recursive: true });
    editJSON(
      'config.json',
      (j) => (j.layer_types = ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention']),
    )(dir);
    expect(importHuggingFace(directoryReader(dir)).lm.config).toEqual(gemma.lm.config);
  });

  it("GPT-NeoX's parallel blocks, exact GELU and partial rotary are the model's; transformers 5's rope_parameters say the same", () => {
    const neox = importHuggingFace(directoryReader(join(FIXTURES, 'neox-fp16')));
    expect(neox.lm.config).toMatchObject({
      parallelBlocks: true,
      geluExact: true,
      ropeDims: 4,
      positions: 'rope',
      norm: 'layernorm',
      bias: true,
      ffn: 'gelu',
      tieEmbeddings: false,
    });
    // The embedding's padded rows (Pythia: 50,304 for 50,277 tokens) get placeholder tokens.
    expect(neox.tokenizer.vocabSize).toBe(neox.lm.config.vocabSize);
    const variant = (over: Partial<ModelConfig>) => variantDiff(neox.lm, 'neox-fp16', over);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ parallelBlocks: false })).toBeGreaterThan(1e-3);
    expect(variant({ geluExact: false })).toBeGreaterThan(1e-4);
    expect(variant({ ropeDims: 0 })).toBeGreaterThan(1e-3);
    // transformers 5 writes the base and the fraction into rope_parameters: the same model.
    const dir = join(root, 'neox-rope-parameters');
    cpSync(join(FIXTURES, 'neox-fp16'), dir, { recursive: true });
    editJSON('config.json', (j) => {
      j.rope_parameters = { rope_type: 'default', rope_theta: j.rotary_emb_base, partial_rotary_factor: j.rotary_pct };
      delete j.rotary_emb_base;
      delete j.rotary_pct;
    })(dir);
    expect(importHuggingFace(directoryReader(dir)).lm.config).toEqual(neox.lm.config);
    // Without parallel residual the FFN reads the attention's sum (GPT-NeoX's other layout).
    editJSON('config.json', (j) => (j.use_parallel_residual = false))(dir);
    expect(importHuggingFace(directoryReader(dir)).lm.config.parallelBlocks).toBe(false);
  });

  it("GPT-J's adjacent-pair rotary, partial rotation, missing attention biases and one LayerNorm are the model's", () => {
    const gptj = importHuggingFace(directoryReader(join(FIXTURES, 'gptj-fp16')));
    expect(gptj.lm.config).toMatchObject({
      parallelBlocks: true,
      ropeDims: 10,
      ropeBase: 10000,
      bias: true,
      attentionBias: false,
      headBias: true,
      ffnHidden: 4 * 48,
    });
    // Attention has no biases: 4·d per layer fewer parameters than Phi's layout.
    const names = [...gptj.lm.params.keys()];
    expect(names.filter((n) => /attn\.[qkvo]\.bias$/.test(n))).toEqual([]);
    expect(names).toContain('layers.1.ffn.up.bias');
    expect(openHfModel(directoryReader(join(FIXTURES, 'gptj-fp16'))).plan.ignored).toEqual([
      'transformer.h.0.attn.bias',
      'transformer.h.0.attn.masked_bias',
      'transformer.h.1.attn.bias',
      'transformer.h.1.attn.masked_bias',
    ]);
    const variant = (edit: (w: Map<string, Float32Array>) => void) => variantDiff(gptj.lm, 'gptj-fp16', {}, edit);
    expect(variant(() => {})).toBeLessThan(1e-5);
    // The query and key rows as the file stores them (adjacent pairs), read as rotate-half: the
    // heads rotate the wrong pairs of dimensions.
    const unpermuted = variant((w) => {
      for (const name of [...w.keys()].filter((n) => /attn\.[qk]\.weight$/.test(n)))
        w.set(name, asStored(w.get(name)!, 16, 48, 10));
    });
    expect(unpermuted).toBeGreaterThan(1e-3);
    // Each layer's one ln_1 fills both norms; the attention has no bias to add.
    expect([...gptj.lm.params.get('layers.0.norm2.weight')!.data]).toEqual([
      ...gptj.lm.params.get('layers.0.norm1.weight')!.data,
    ]);
  });

  it("GPT-Neo's unscaled scores, local layers between global ones from the first and bias on out_proj only are the model's", () => {
    const neo = importHuggingFace(directoryReader(join(FIXTURES, 'gptneo-tinystories')));
    expect(neo.lm.config).toMatchObject({
      attentionScalar: 1,
      slidingWindow: 5,
      fullAttentionEvery: 2,
      fullAttentionFirst: true,
      attentionBias: false,
      attentionOutBias: true,
      tieEmbeddings: true,
    });
    const names = [...neo.lm.params.keys()];
    expect(names.filter((n) => /attn\.[qkvo]\.bias$/.test(n))).toEqual([
      'layers.0.attn.o.bias',
      'layers.1.attn.o.bias',
      'layers.2.attn.o.bias',
      'layers.3.attn.o.bias',
    ]);
    expect(openHfModel(directoryReader(join(FIXTURES, 'gptneo-tinystories'))).plan.ignored).toEqual([
      ...[0, 1, 2, 3].flatMap((i) => [
        `transformer.h.${i}.attn.attention.bias`,
        `transformer.h.${i}.attn.attention.masked_bias`,
      ]),
      'lm_head.weight',
    ]);
    const variant = (over: Partial<ModelConfig>) => variantDiff(neo.lm, 'gptneo-tinystories', over);
    expect(variant({})).toBeLessThan(1e-5);
    // Scores scaled by 1/√(head size), as every other family's: not GPT-Neo.
    expect(variant({ attentionScalar: 0 })).toBeGreaterThan(1e-3);
    // The windows on layers 0 and 2 instead of 1 and 3, or on none: the 16 positions outrun the window of 5.
    expect(variant({ fullAttentionFirst: false })).toBeGreaterThan(1e-3);
    expect(variant({ slidingWindow: 0, fullAttentionEvery: 0, fullAttentionFirst: false })).toBeGreaterThan(1e-3);
  });

  it("OLMo 2's norms after attention and MLP only, and its query/key norms over whole projections, are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'olmo2-bf16'))).lm;
    expect(lm.config).toMatchObject({ preNorms: false, postNorms: true, qkNorm: true, qkNormFull: true, kvHeads: 2 });
    expect(lm.params.get('layers.0.attn.knorm.weight')!.shape).toEqual([16]);
    expect([...lm.params.keys()].some((n) => /\.norm[12]\./.test(n))).toBe(false);
    const variant = (edit: (w: Map<string, Float32Array>) => void) => variantDiff(lm, 'olmo2-bf16', {}, edit);
    expect(variant(() => {})).toBeLessThan(1e-5);
    // The norm after the MLP is the model's: without its gains the logits move.
    expect(
      variant((w) => {
        for (const [n, t] of w) if (n.endsWith('postnorm2.weight')) t.fill(1);
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("Command R+'s per-head LayerNorms of queries and keys are the model's, their gains in rotate-half order", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'cohere-qknorm-bf16'))).lm;
    expect(lm.config).toMatchObject({ qkNorm: true, qkLayerNorm: true, kvHeads: 2 });
    expect(lm.params.get('layers.0.attn.qnorm.weight')!.shape).toEqual([32]);
    const variant = (edit: (w: Map<string, Float32Array>) => void) => variantDiff(lm, 'cohere-qknorm-bf16', {}, edit);
    expect(variant(() => {})).toBeLessThan(1e-5);
    expect(
      variant((w) => {
        for (const [n, t] of w) if (n.endsWith('knorm.weight')) t.fill(1);
      }),
    ).toBeGreaterThan(1e-3);
    // The gains left in pair order (not permuted with their rows) give another model.
    expect(
      variant((w) => {
        for (const [n, t] of w) if (n.endsWith('qnorm.weight')) t.set(reorderRotaryRows(t, 8, 1, 8, true));
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("Falcon-RW's ALiBi is scaled with its scores, and its biases are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'falcon-rw-bf16'))).lm;
    expect(lm.config).toMatchObject({
      positions: 'alibi',
      alibiScale: 1 / Math.sqrt(8),
      bias: true,
      parallelBlocks: false,
    });
    const variant = (over: Partial<ModelConfig>) => variantDiff(lm, 'falcon-rw-bf16', over);
    expect(variant({})).toBeLessThan(1e-5);
    // BLOOM's unscaled slopes bend the 16 positions' scores √8 times harder.
    expect(variant({ alibiScale: 1 })).toBeGreaterThan(1e-3);
  });

  it("BLOOM's ALiBi slopes and embedding LayerNorm are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'bloom-bf16'))).lm;
    expect(lm.config).toMatchObject({ positions: 'alibi', embedNorm: true, heads: 6, context: 2048, ffnHidden: 192 });
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(lm, 'bloom-bf16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    // Without ALiBi (no positions at all) the 16 positions attend alike.
    expect(variant({ positions: 'rope' })).toBeGreaterThan(1e-3);
    expect(
      variant({}, (w) => {
        w.get('embed.norm.weight')!.fill(1);
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("StarCoder2's grouped K/V heads, window, LayerNorm and MLP biases are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'starcoder2-fp16'))).lm;
    expect(lm.config).toMatchObject({ kvHeads: 1, slidingWindow: 6, norm: 'layernorm', ffn: 'gelu', bias: true });
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(lm, 'starcoder2-fp16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ slidingWindow: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ geluExact: true })).toBeGreaterThan(1e-5);
    expect(
      variant({}, (w) => {
        for (const [n, t] of w) if (n.endsWith('ffn.up.bias')) t.fill(0);
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("SmolLM3's NoPE layer is the model's, and its unused sliding window is not", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'smollm3-bf16'))).lm;
    expect(lm.config).toMatchObject({ noRopeEvery: 4, slidingWindow: 0, ropeBase: 2e6, kvHeads: 2 });
    const variant = (over: Partial<ModelConfig>) => variantDiff(lm, 'smollm3-bf16', over);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ noRopeEvery: 0 })).toBeGreaterThan(1e-3);
    expect(variant({ slidingWindow: 8 })).toBeGreaterThan(1e-3);
  });

  it("Granite's four multipliers and its biases on every projection are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'granite-bf16'))).lm;
    expect(lm.config).toMatchObject({
      embedMultiplier: 12,
      residualMultiplier: 0.22,
      attentionScalar: 256,
      logitScale: 0.125,
      bias: true,
      norm: 'rmsnorm',
      kvHeads: 2,
    });
    expect(lm.params.has('layers.1.ffn.gate.bias')).toBe(true);
    const variant = (over: Partial<ModelConfig>) => variantDiff(lm, 'granite-bf16', over);
    expect(variant({})).toBeLessThan(1e-5);
    for (const over of [{ embedMultiplier: 1 }, { residualMultiplier: 1 }, { attentionScalar: 0 }, { logitScale: 1 }])
      expect(variant(over), JSON.stringify(over)).toBeGreaterThan(1e-3);
  });

  it("OPT's ReLU, its position table's two offset rows and its tokenizer's </s> before every text are the model's", () => {
    const opt = importHuggingFace(directoryReader(join(FIXTURES, 'opt-fp16')));
    expect(opt.lm.config).toMatchObject({
      ffn: 'relu',
      positions: 'learned',
      context: 24,
      bias: true,
      normBias: true,
      tieEmbeddings: true,
      parallelBlocks: false,
    });
    expect(opt.lm.params.get('pos.weight')!.shape).toEqual([24, 32]);
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(opt.lm, 'opt-fp16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ ffn: 'gelu' })).toBeGreaterThan(1e-3);
    // Position t is row t + 2 of the file's table: reading it from row t moves every logit.
    const table = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'opt-fp16', 'model.safetensors'))));
    const stored = table.tensors.get('model.decoder.embed_positions.weight')!;
    expect(variant({}, (w) => w.set('pos.weight', toFloat32(stored, 'positions').slice(0, 24 * 32)))).toBeGreaterThan(
      1e-3,
    );
    // GPT2Tokenizer as OPT configures it: </s> (id 2) starts every text and ends it; it and <pad>,
    // named in tokenizer_config.json, are special (no text in decoding).
    expect(opt.tokenizer.bosId).toBe(2);
    expect(opt.tokenizer.eosId).toBe(2);
    expect(opt.tokenizer.toJSON().special).toEqual(expect.arrayContaining([1, 2]));
    expect(opt.tokenizer.decode(Int32Array.from([2, ...opt.tokenizer.encode('the'), 1]))).toBe('the');
    expect(opt.tokenizer.vocabSize).toBe(opt.lm.config.vocabSize);
  });

  it("Falcon's multi-query and grouped layouts, its one or two LayerNorms and its norm-only biases are the model's", () => {
    const seven = importHuggingFace(directoryReader(join(FIXTURES, 'falcon-bf16')));
    // Falcon-7B's config says num_kv_heads 71 beside multi_query, which its class ignores: one K/V head.
    expect(seven.lm.config).toMatchObject({
      kvHeads: 1,
      parallelBlocks: true,
      bias: false,
      normBias: true,
      geluExact: true,
      tieEmbeddings: true,
    });
    const forty = importHuggingFace(directoryReader(join(FIXTURES, 'falcon-new-fp16')));
    expect(forty.lm.config).toMatchObject({ heads: 6, kvHeads: 2, ropeBase: 500042, tieEmbeddings: false });
    expect([...forty.lm.params.keys()].filter((n) => n.endsWith('.bias'))).toEqual([
      'layers.0.norm1.bias',
      'layers.0.norm2.bias',
      'layers.1.norm1.bias',
      'layers.1.norm2.bias',
      'norm.bias',
    ]);
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(forty.lm, 'falcon-new-fp16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    // ln_mlp is its own norm: the MLP reading ln_attn's output computes something else.
    expect(
      variant({}, (w) => {
        for (const k of ['weight', 'bias'])
          for (const l of [0, 1]) w.set(`layers.${l}.norm2.${k}`, w.get(`layers.${l}.norm1.${k}`)!);
      }),
    ).toBeGreaterThan(1e-3);
    // Without the LayerNorm biases (as bias false alone would leave it) the logits move.
    expect(
      variant({}, (w) => {
        for (const [n, t] of w) if (/norm[12]?\.bias$/.test(n)) t.fill(0);
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("StableLM's LayerNorm biases, Q/K/V-only biases and quarter rotary are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'stablelm-bf16'))).lm;
    expect(lm.config).toMatchObject({
      ffn: 'swiglu',
      norm: 'layernorm',
      bias: false,
      normBias: true,
      qkvBias: true,
      ropeDims: 2,
      kvHeads: 2,
    });
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(lm, 'stablelm-bf16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ ropeDims: 0 })).toBeGreaterThan(1e-3);
    expect(
      variant({}, (w) => {
        for (const [n, t] of w) if (n.endsWith('norm1.bias')) t.fill(0);
      }),
    ).toBeGreaterThan(1e-3);
  });

  it("Cohere's logit scale, adjacent-pair rotary and one bias-free LayerNorm are the model's", () => {
    const lm = importHuggingFace(directoryReader(join(FIXTURES, 'cohere-bf16'))).lm;
    expect(lm.config).toMatchObject({
      logitScale: 0.125,
      parallelBlocks: true,
      normBias: false,
      bias: false,
      tieEmbeddings: true,
    });
    const variant = (over: Partial<ModelConfig>, edit?: (w: Map<string, Float32Array>) => void) =>
      variantDiff(lm, 'cohere-bf16', over, edit);
    expect(variant({})).toBeLessThan(1e-5);
    expect(variant({ logitScale: 1 })).toBeGreaterThan(1e-3);
    const unpermuted = variant({}, (w) => {
      for (const name of [...w.keys()].filter((n) => /attn\.[qk]\.weight$/.test(n)))
        w.set(name, asStored(w.get(name)!, 8, 32, 8));
    });
    expect(unpermuted).toBeGreaterThan(1e-3);
  });

  it("Gemma 3 27B's score scale comes in: 1/√query_pre_attn_scalar, not 1/√head_dim", () => {
    const dir = join(root, 'gemma3-scalar');
    cpSync(join(FIXTURES, 'gemma3-bf16'), dir, { recursive: true });
    editJSON('config.json', (j) => (j.query_pre_attn_scalar = 21))(dir);
    const scaled = importHuggingFace(directoryReader(dir));
    expect(scaled.lm.config.attentionScalar).toBe(21);
    // The fixture's logits are for 1/√16: scaled by 1/√21 they differ; back at 16 they match.
    const { ids, logits } = expected('gemma3-bf16');
    const at = (attentionScalar: number) => {
      const lm = new TransformerLM({ ...scaled.lm.config, attentionScalar }, null);
      lm.loadWeights(new Map([...scaled.lm.params].map(([n, t]) => [n, t.data])));
      return relativeDiff(noGrad(() => lm.forward(ids, 1)).data, Float32Array.from(logits));
    };
    expect(at(21)).toBeGreaterThan(1e-3);
    expect(at(16)).toBeLessThan(1e-5);
    expect(importHuggingFace(directoryReader(join(FIXTURES, 'gemma3-bf16'))).lm.config.attentionScalar).toBe(0);
  });

  it("a multimodal Gemma 3's text model comes in: its defaults filled, its global layers' positions interpolated, its vision tower left out", () => {
    const reader = directoryReader(join(FIXTURES, 'gemma3-multimodal-bf16'));
    const model = openHfModel(reader);
    expect([...model.plan.ignored].sort()).toEqual([
      'model.multi_modal_projector.mm_input_projection_weight',
      'model.vision_tower.vision_model.embeddings.patch_embedding.weight',
    ]);
    const gemma = importHuggingFace(reader);
    // text_config gives twelve fields; the window pattern, both RoPE bases and the norm epsilon are Gemma3TextConfig's defaults.
    expect(gemma.lm.config).toMatchObject({
      fullAttentionEvery: 6,
      ropeBase: 1e6,
      ropeLocalBase: 1e4,
      normEps: 1e-6,
      ropeScaling: { type: 'linear', factor: 8 },
    });
    const { ids, logits } = expected('gemma3-multimodal-bf16');
    const unscaled = new TransformerLM({ ...gemma.lm.config, ropeScaling: null }, null);
    unscaled.loadWeights(new Map([...gemma.lm.params].map(([n, t]) => [n, t.data])));
    expect(relativeDiff(noGrad(() => unscaled.forward(ids, 1)).data, Float32Array.from(logits))).toBeGreaterThan(1e-3);
  });

  it('an embedding wider than the tokenizer is said: its extra rows get placeholder tokens', () => {
    const phi3 = importHuggingFace(directoryReader(join(FIXTURES, 'phi3-bf16')));
    expect(phi3.notes).toEqual([
      "vocab_size 400 exceeds the tokenizer's 384 tokens: the 16 extra embedding rows get placeholder tokens that no text encodes to",
    ]);
    expect(importHuggingFace(directoryReader(join(FIXTURES, 'qwen2-bf16'))).notes).toEqual([]);
  });

  it('an embedding padded past the tokenizer gets placeholder tokens, so the checkpoint loads', () => {
    const dir = join(root, 'padded');
    cpSync(join(FIXTURES, 'llama'), dir, { recursive: true });
    const j = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const last = Object.entries(j.model.vocab as Record<string, number>).sort((a, b) => b[1] - a[1])[0]![0];
    delete j.model.vocab[last];
    j.model.merges = (j.model.merges as string[]).filter(
      (m) => m.replace(' ', '') !== last && !m.split(' ').includes(last),
    );
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(j));
    const model = importHuggingFace(directoryReader(dir));
    expect(model.tokenizer.vocabSize).toBe(model.lm.config.vocabSize);
    expect(model.tokenizer.toJSON().vocab.at(-1)).toBe('<|padding 383|>');
  });

  it("GPT-J's added_tokens.json fills the rows past vocab.json: its tokens are found in text, not placeholders", () => {
    const dir = join(root, 'gptj-added');
    cpSync(join(FIXTURES, 'gptj-fp16'), dir, { recursive: true });
    const added = Object.fromEntries([1, 2, 3, 4].map((n) => [`<|extratoken_${n}|>`, 299 + n]));
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify(added));
    const model = importHuggingFace(directoryReader(dir));
    expect(model.notes.filter((n) => n.includes('placeholder'))).toEqual([]);
    expect(model.tokenizer.vocabSize).toBe(304);
    const ids = [...model.tokenizer.encode('ab<|extratoken_2|>c')];
    expect(ids).toContain(301);
    expect(model.tokenizer.decode(Int32Array.from(ids))).toBe('ab<|extratoken_2|>c');
    // An id that vocab.json gives another token is refused, naming both files.
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<|endoftext|>': 300 }));
    expect(() => importHuggingFace(directoryReader(dir))).toThrow(
      /added_tokens\.json: "<\|endoftext\|>" is 300 there but 299 in vocab\.json/,
    );
  });

  it('a non-float dtype, by name', () => {
    const dir = join(root, 'broken', 'int');
    cpSync(join(FIXTURES, 'gpt2-hub'), dir, { recursive: true });
    editHeader(join(dir, 'model.safetensors'), '"wte.weight":{"dtype":"F32"', '"wte.weight":{"dtype":"I32"');
    expect(() => importHuggingFace(directoryReader(dir))).toThrow(
      /tensor "wte\.weight" has dtype I32; only floating-point weights/,
    );
  });
});

describe("Baichuan 2's NormHead", () => {
  // Baichuan 2 is told by its vocabulary (125,696, as vLLM tells it): a one-layer model that size.
  const d = 16,
    vocab = 125_696;
  const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed));
  const shapes: Record<string, number[]> = {
    'model.embed_tokens.weight': [vocab, d],
    'model.layers.0.input_layernorm.weight': [d],
    'model.layers.0.self_attn.W_pack.weight': [3 * d, d],
    'model.layers.0.self_attn.o_proj.weight': [d, d],
    'model.layers.0.post_attention_layernorm.weight': [d],
    'model.layers.0.mlp.gate_proj.weight': [32, d],
    'model.layers.0.mlp.up_proj.weight': [32, d],
    'model.layers.0.mlp.down_proj.weight': [d, 32],
    'model.norm.weight': [d],
    'lm_head.weight': [vocab, d],
  };
  const tensors = Object.fromEntries(
    Object.entries(shapes).map(([name, shape], i) => [
      name,
      {
        shape,
        data: random(
          shape.reduce((a, b) => a * b),
          i,
        ),
        dtype: 'F32' as const,
      },
    ]),
  );
  const config = {
    architectures: ['BaichuanForCausalLM'],
    model_type: 'baichuan',
    hidden_act: 'silu',
    hidden_size: d,
    intermediate_size: 32,
    model_max_length: 16,
    num_attention_heads: 2,
    num_hidden_layers: 1,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    vocab_size: vocab,
  };
  const model = openHfModel(
    fromBuffers({
      'config.json': new TextEncoder().encode(JSON.stringify(config)),
      'model.safetensors': writeSafetensors(tensors),
      'tokenizer.model': readFileSync(join(FIXTURES, 'llama-spm', 'tokenizer.model')),
    }),
  );

  it('divides each row of the output head by its length, as its forward pass does', () => {
    const head = model.read('head.weight'),
      stored = tensors['lm_head.weight'].data;
    for (const row of [0, 1, 4_000, vocab - 1]) {
      const r = stored.subarray(row * d, (row + 1) * d);
      const length = Math.hypot(...r);
      expect([...head.subarray(row * d, (row + 1) * d)].map((x) => x * length)).toEqual(
        [...r].map((x) => expect.closeTo(x, 6)),
      );
    }
    expect(model.notes).toContain(
      "Baichuan 2's NormHead: the output head's rows are divided by their length, as its forward pass does",
    );
  });

  it("reads rotary embeddings for BaichuanForCausalLM 4,096 wide (Baichuan 2 7B's config.json)", () => {
    const seven = modelConfigFromHf(
      {
        architectures: ['BaichuanForCausalLM'],
        auto_map: { AutoConfig: 'configuration_baichuan.BaichuanConfig' },
        bos_token_id: 1,
        eos_token_id: 2,
        hidden_act: 'silu',
        hidden_size: 4096,
        initializer_range: 0.02,
        intermediate_size: 11008,
        max_position_embeddings: 4096,
        model_max_length: 4096,
        model_type: 'baichuan',
        num_attention_heads: 32,
        num_hidden_layers: 32,
        pad_token_id: 0,
        rms_norm_eps: 1e-6,
        tie_word_embeddings: false,
        tokenizer_class: 'BaichuanTokenizer',
        torch_dtype: 'bfloat16',
        transformers_version: '4.29.2',
        use_cache: true,
        vocab_size: 125696,
        z_loss_weight: 0,
      },
      'config.json',
    );
    expect(seven.config).toMatchObject({ positions: 'rope', ropeBase: 10000, kvHeads: 32, context: 4096 });
  });

  it('reads ALiBi for a width other than 4,096, and only the head is normalized', () => {
    expect(model.config.positions).toBe('alibi');
    expect([...model.read('embed.weight').subarray(0, d)]).toEqual([
      ...tensors['model.embed_tokens.weight'].data.subarray(0, d),
    ]);
  });
});
