// Hugging Face config.json → shareformer model config, for GPT-2 (GPT2LMHeadModel), Llama /
// Mistral (LlamaForCausalLM, MistralForCausalLM), Qwen2 / Qwen2.5 (Qwen2ForCausalLM: Llama's
// layout with biases on the query, key and value projections), Qwen3 (Qwen3ForCausalLM: Llama's
// layout with an RMSNorm on each query and key head), Phi-3 (Phi3ForCausalLM: Llama's
// computation with fused projections), Gemma 3 (Gemma3ForCausalLM: GeGLU, scaled embeddings,
// norms after attention and FFN too, local sliding-window layers between global ones) and Gemma 2
// (Gemma2ForCausalLM: Gemma 3's layout without head norms, with soft-capped scores and logits,
// local and global layers alternating) and GPT-NeoX / Pythia (GPTNeoXForCausalLM: LayerNorm with
// biases, attention and FFN in parallel, rotary embeddings on a quarter of each head, exact GELU)
// and Phi-1.5 / Phi-2 (PhiForCausalLM: the same parallel block reading one LayerNorm, rotary
// embeddings on 0.4 of each head, GELU's tanh form, a biased output head) and GPT-J (GPTJForCausalLM:
// Phi's block without attention biases, rotary embeddings on rotary_dim dimensions in adjacent pairs)
// and Falcon (FalconForCausalLM: parallel blocks on one LayerNorm or two, MQA or GQA with Q/K/V fused
// group by group, LayerNorm biases without linear ones) and StableLM (StableLmForCausalLM: Llama's
// names and SwiGLU on LayerNorms with biases, RoPE on a quarter of each head, Q/K/V biases or not)
// and GPT-Neo (GPTNeoForCausalLM: GPT-2's block without q/k/v biases, unscaled scores, global and
// local layers) and Cohere (CohereForCausalLM: Command R, Aya 23: parallel SwiGLU blocks on one LayerNorm without
// bias, rotary embeddings in adjacent pairs, scaled logits) and Granite (GraniteForCausalLM: Llama's
// computation with multipliers on embeddings, block outputs, scores and logits) and SmolLM3
// (SmolLM3ForCausalLM: Llama's with every Nth layer unrotated) and OLMo 2 (Olmo2ForCausalLM: Llama's
// with norms after attention and MLP only, query/key norms over whole projections) and StarCoder2
// (Starcoder2ForCausalLM: LayerNorm, GQA, RoPE, a GELU MLP, biases, a sliding window) and OPT (OPTForCausalLM: GPT-2's block
// with a ReLU MLP and separate projections, learned positions behind a two-row offset) and BLOOM
// (BloomForCausalLM: ALiBi instead of positions, a LayerNorm on the embeddings, Q/K/V fused head by head)
// and MPT (MptForCausalLM, MosaicML's MPTForCausalLM: ALiBi, LayerNorms without biases, no biases)
// and GPTBigCode (GPTBigCodeForCausalLM: StarCoder 1, SantaCoder: GPT-2's block with MQA and Linear layers)
// and InternLM2 (InternLM2ForCausalLM: Llama's computation, Q/K/V fused by key/value group)
// and Baichuan (BaichuanForCausalLM, BaiChuanForCausalLM: MHA with Q/K/V in W_pack, RoPE or ALiBi)
// and GLM-4 (GlmForCausalLM, Glm4ForCausalLM: Q/K/V biases, half of each head rotated in pairs)
// and EXAONE (ExaoneForCausalLM: Llama's computation under GPT-2-like names) and OLMo (1)
// (OlmoForCausalLM: Llama's with LayerNorms that have no parameters) and Nemotron
// (NemotronForCausalLM: LayerNorm1P, squared ReLU, partial rotary) and Cohere2
// (Cohere2ForCausalLM: Cohere's block, windowed layers with RoPE and every Nth full without it).
// Every field is either mapped, known not to change the
// computation (dropout rates, token ids, bookkeeping), or refused by name: a config that asks for
// something this runtime does not compute (rope scaling other than linear, Llama 3.1's or dynamic NTK
// that never engages within the context, per-layer sliding
// windows, another activation, biases) is never silently imported as a different model.
import { headSize, layerWindow, resolveConfig, type ModelConfig } from '../../model/config.js';

export type HfFamily =
  | 'gpt2'
  | 'bloom'
  | 'mpt'
  | 'gpt_bigcode'
  | 'gpt_bigcode'
  | 'gpt_neo'
  | 'opt'
  | 'gpt_neox'
  | 'phi'
  | 'gptj'
  | 'falcon'
  | 'stablelm'
  | 'cohere'
  | 'granite'
  | 'smollm3'
  | 'olmo2'
  | 'starcoder2'
  | 'llama'
  | 'qwen2'
  | 'qwen3'
  | 'phi3'
  | 'gemma'
  | 'gemma2'
  | 'gemma3'
  | 'internlm2'
  | 'baichuan'
  | 'glm'
  | 'glm4'
  | 'exaone'
  | 'olmo'
  | 'nemotron'
  | 'cohere2';

export const SUPPORTED_ARCHITECTURES: Record<string, HfFamily> = {
  GPT2LMHeadModel: 'gpt2',
  BloomForCausalLM: 'bloom',
  MptForCausalLM: 'mpt',
  // MosaicML's own class (trust_remote_code): the same tensors and config.json.
  MPTForCausalLM: 'mpt',
  GPTBigCodeForCausalLM: 'gpt_bigcode',
  GPTNeoForCausalLM: 'gpt_neo',
  OPTForCausalLM: 'opt',
  GPTNeoXForCausalLM: 'gpt_neox',
  PhiForCausalLM: 'phi',
  GPTJForCausalLM: 'gptj',
  FalconForCausalLM: 'falcon',
  StableLmForCausalLM: 'stablelm',
  CohereForCausalLM: 'cohere',
  GraniteForCausalLM: 'granite',
  SmolLM3ForCausalLM: 'smollm3',
  Olmo2ForCausalLM: 'olmo2',
  Starcoder2ForCausalLM: 'starcoder2',
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  // InternLM's own class (trust_remote_code): Llama's computation under its own tensor names.
  InternLM2ForCausalLM: 'internlm2',
  // Baichuan's classes (remote code): Baichuan-7B's BaiChuanForCausalLM, the 13B models' and Baichuan 2's BaichuanForCausalLM.
  BaichuanForCausalLM: 'baichuan',
  BaiChuanForCausalLM: 'baichuan',
  GlmForCausalLM: 'glm',
  Glm4ForCausalLM: 'glm4',
  // LG's class (remote code): EXAONE 3 and 3.5.
  ExaoneForCausalLM: 'exaone',
  OlmoForCausalLM: 'olmo',
  NemotronForCausalLM: 'nemotron',
  Cohere2ForCausalLM: 'cohere2',
  Qwen3ForCausalLM: 'qwen3',
  Phi3ForCausalLM: 'phi3',
  GemmaForCausalLM: 'gemma',
  Gemma2ForCausalLM: 'gemma2',
  Gemma3ForCausalLM: 'gemma3',
  // Gemma 3 4B, 12B, 27B: the text model is imported, the vision tower left out.
  Gemma3ForConditionalGeneration: 'gemma3',
};

/** The stock class each family exports to. */
export const FAMILY_ARCHITECTURE: Record<HfFamily, string> = {
  gpt2: 'GPT2LMHeadModel',
  internlm2: 'InternLM2ForCausalLM',
  baichuan: 'BaichuanForCausalLM',
  glm: 'GlmForCausalLM',
  glm4: 'Glm4ForCausalLM',
  exaone: 'ExaoneForCausalLM',
  olmo: 'OlmoForCausalLM',
  nemotron: 'NemotronForCausalLM',
  cohere2: 'Cohere2ForCausalLM',
  bloom: 'BloomForCausalLM',
  mpt: 'MptForCausalLM',
  gpt_bigcode: 'GPTBigCodeForCausalLM',
  gpt_neo: 'GPTNeoForCausalLM',
  opt: 'OPTForCausalLM',
  gpt_neox: 'GPTNeoXForCausalLM',
  phi: 'PhiForCausalLM',
  gptj: 'GPTJForCausalLM',
  falcon: 'FalconForCausalLM',
  stablelm: 'StableLmForCausalLM',
  cohere: 'CohereForCausalLM',
  granite: 'GraniteForCausalLM',
  smollm3: 'SmolLM3ForCausalLM',
  olmo2: 'Olmo2ForCausalLM',
  starcoder2: 'Starcoder2ForCausalLM',
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  phi3: 'Phi3ForCausalLM',
  gemma: 'GemmaForCausalLM',
  gemma2: 'Gemma2ForCausalLM',
  gemma3: 'Gemma3ForCausalLM',
};

export class HfImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HfImportError';
  }
}

/** Fields that do not change what the model computes at inference or in fine-tuning here. */
const HARMLESS = new Set([
  'architectures',
  'model_type',
  '_name_or_path',
  'transformers_version',
  'torch_dtype',
  'dtype',
  'use_cache',
  'initializer_range',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'return_dict',
  'output_hidden_states',
  'output_attentions',
  'is_decoder',
  'task_specific_params',
  'id2label',
  'label2id',
  'tokenizer_class',
  'prefix',
  // GPT-2: dropout rates and the double-heads model's summary head, which GPT2LMHeadModel has not.
  'attn_pdrop',
  'embd_pdrop',
  'resid_pdrop',
  'summary_activation',
  'summary_first_dropout',
  'summary_proj_to_labels',
  'summary_type',
  'summary_use_proj',
  'n_ctx',
  'gradient_checkpointing',
  // Llama / Mistral.
  'attention_dropout',
  'pretraining_tp',
  // SmolLM2's configs carry these from nanotron; transformers' Llama reads neither (it always
  // rotates halves), so the model computes the same whatever they say.
  'is_llama_config',
  'rope_interleaved',
]);

type Json = Record<string, unknown>;
type LlamaFamily = Exclude<
  HfFamily,
  | 'gpt2'
  | 'bloom'
  | 'mpt'
  | 'gpt_neo'
  | 'opt'
  | 'gpt_neox'
  | 'phi'
  | 'gptj'
  | 'falcon'
  | 'stablelm'
  | 'cohere'
  | 'granite'
  | 'smollm3'
  | 'olmo2'
  | 'starcoder2'
  | 'gemma'
  | 'gemma2'
  | 'gemma3'
  | 'internlm2'
  | 'baichuan'
  | 'glm'
  | 'glm4'
  | 'exaone'
  | 'olmo'
  | 'nemotron'
  | 'cohere2'
>;

function field<T>(
  cfg: Json,
  name: string,
  source: string,
  check: (v: unknown) => v is T,
  rule: string,
  fallback?: T,
): T {
  const v = cfg[name] === undefined || cfg[name] === null ? fallback : cfg[name];
  if (v === undefined || !check(v)) {
    throw new HfImportError(`${source}: "${name}" must be ${rule}, got ${JSON.stringify(cfg[name])}`);
  }
  return v;
}
const isPosInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isPosNum = (v: unknown): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** The model width and head count under the family's names; heads must divide the width. */
function widthAndHeads(cfg: Json, source: string, dKey: string, headsKey: string): { d: number; heads: number } {
  const d = field(cfg, dKey, source, isPosInt, 'a positive integer');
  const heads = field(cfg, headsKey, source, isPosInt, 'a positive integer');
  if (d % heads !== 0) throw new HfImportError(`${source}: "${dKey}" ${d} is not divisible by "${headsKey}" ${heads}`);
  return { d, heads };
}

/** Refuses a field whose value asks for a computation this runtime does not do. */
function supported(cfg: Json, name: string, ok: (v: unknown) => boolean, why: string, source: string): void {
  if (cfg[name] !== undefined && !ok(cfg[name])) {
    throw new HfImportError(`${source}: "${name}": ${JSON.stringify(cfg[name])} is not supported (${why})`);
  }
}

function refuseUnknown(cfg: Json, known: Set<string>, source: string): void {
  const unknown = Object.keys(cfg).filter((k) => !known.has(k) && !HARMLESS.has(k));
  if (unknown.length > 0) {
    throw new HfImportError(
      `${source}: unsupported field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; shareformer cannot tell whether ${unknown.length > 1 ? 'they change' : 'it changes'} the model, so it does not import it`,
    );
  }
}

const GPT2_FIELDS = new Set([
  'vocab_size',
  'n_embd',
  'n_layer',
  'n_head',
  'n_positions',
  'n_inner',
  'layer_norm_epsilon',
  'activation_function',
  'scale_attn_weights',
  'scale_attn_by_inverse_layer_idx',
  'reorder_and_upcast_attn',
  'add_cross_attention',
  'tie_word_embeddings',
]);

const BIGCODE_FIELDS = new Set([
  ...GPT2_FIELDS,
  'multi_query',
  'attention_softmax_in_fp32',
  'scale_attention_softmax_in_fp32',
  // StarCoder's and SantaCoder's files carry the inference runner's settings; GPTBigCodeModel reads none.
  'inference_runner',
  'max_batch_size',
  'max_sequence_length',
  'pad_key_length',
  'pre_allocate_kv_cache',
  'validate_runner_input',
]);

/**
 * GPTBigCode (StarCoder, StarCoderBase, SantaCoder, WizardCoder): GPT-2's block with nn.Linear
 * layers ([out, in]) and one key/value head under multi_query (Q rows, then one key and one value
 * head in c_attn; without it, Q/K/V fused head by head); learned positions, a tied head. Its
 * fp32-softmax switches only change precision.
 */
function bigcodeConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, BIGCODE_FIELDS, source);
  // GPT-2's fields as GPT-2 reads them; the activation and score scaling are read here.
  const own = new Set(['activation_function', 'scale_attn_weights']);
  const gpt2Part = Object.fromEntries(
    Object.entries(cfg).filter(([k]) => (GPT2_FIELDS.has(k) || HARMLESS.has(k)) && !own.has(k)),
  );
  const partial = gpt2Config(gpt2Part, source);
  supported(
    cfg,
    'activation_function',
    (v) => v === 'gelu' || v === 'gelu_new' || v === 'gelu_pytorch_tanh',
    'GELU, exact or in its tanh form',
    source,
  );
  return {
    ...partial,
    kvHeads: field(cfg, 'multi_query', source, isBool, 'true or false', true) ? 1 : partial.heads!,
    geluExact: cfg.activation_function === 'gelu',
    // scale_attn_weights false: scores q·k unscaled (shareformer's attentionScalar 1).
    ...(field(cfg, 'scale_attn_weights', source, isBool, 'true or false', true) ? {} : { attentionScalar: 1 }),
  };
}

function gpt2Config(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, GPT2_FIELDS, source);
  supported(
    cfg,
    'activation_function',
    (v) => v === 'gelu_new' || v === 'gelu_pytorch_tanh',
    'shareformer computes GELU in its tanh form: gelu_new or gelu_pytorch_tanh',
    source,
  );
  supported(
    cfg,
    'scale_attn_weights',
    (v) => v === true,
    'attention scores are always scaled by 1/√(head size)',
    source,
  );
  supported(cfg, 'scale_attn_by_inverse_layer_idx', (v) => v === false, 'no per-layer score scaling', source);
  supported(cfg, 'add_cross_attention', (v) => v === false, 'decoder-only models', source);
  // reorder_and_upcast_attn only changes precision; shareformer computes attention in float32.
  const d = field(cfg, 'n_embd', source, isPosInt, 'a positive integer');
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'n_layer', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads: field(cfg, 'n_head', source, isPosInt, 'a positive integer'),
    context: field(cfg, 'n_positions', source, isPosInt, 'a positive integer'),
    ffn: 'gelu',
    ffnHidden: field(cfg, 'n_inner', source, isPosInt, 'a positive integer or null', 4 * d),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'learned',
    bias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const BLOOM_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'n_embed',
  'n_layer',
  'n_head',
  'n_inner',
  'layer_norm_epsilon',
  'apply_residual_connection_post_layernorm',
  'hidden_dropout',
  'attention_dropout',
  'tie_word_embeddings',
  'seq_length',
  'slow_but_exact',
  // Megatron-DeepSpeed's training switches, still in bloom-560m's config.json; BloomModel reads none.
  'attention_softmax_in_fp32',
  'bias_dropout_fusion',
  'masked_softmax_fusion',
  'offset_alibi',
  'skip_bias_add',
  'skip_bias_add_qkv',
  'unk_token_id',
]);

/**
 * BLOOM (bloom-560m … bloom 176B, BLOOMZ): word_embeddings then word_embeddings_layernorm, ALiBi on
 * every layer's scores instead of positions, LayerNorms and linear layers with biases, Q/K/V fused
 * head by head as GPT-NeoX's, a 4·d MLP on BLOOM's tanh GELU (n_inner is not read), the head tied.
 * It has no position limit: the context is seq_length when given, else 2,048 (BLOOM's training length).
 */
function bloomConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, BLOOM_FIELDS, source);
  const dKey = cfg.hidden_size === undefined && cfg.n_embed !== undefined ? 'n_embed' : 'hidden_size';
  const { d, heads } = widthAndHeads(cfg, source, dKey, 'n_head');
  supported(
    cfg,
    'apply_residual_connection_post_layernorm',
    (v) => v === false,
    'each residual adds to the layer input, not to its LayerNorm output',
    source,
  );
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'n_layer', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    context: field(cfg, 'seq_length', source, isPosInt, 'a positive integer', 2048),
    ffn: 'gelu',
    ffnHidden: 4 * d,
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'alibi',
    embedNorm: true,
    bias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const MPT_FIELDS = new Set([
  'vocab_size',
  'd_model',
  'n_heads',
  'n_layers',
  'expansion_ratio',
  'max_seq_len',
  'layer_norm_epsilon',
  'attn_config',
  'no_bias',
  'norm_type',
  'logit_scale',
  'learned_pos_emb',
  'embedding_fraction',
  'resid_pdrop',
  'emb_pdrop',
  'tie_word_embeddings',
  // MosaicML's bookkeeping: how to initialise and where, which tokenizer, how chatty.
  'init_config',
  'init_device',
  'auto_map',
  'tokenizer_name',
  'verbose',
  'fc_type',
  'ffn_config',
  'use_pad_tok_in_ffn',
]);

const MPT_ATTN_FIELDS = new Set([
  'alibi',
  'alibi_bias_max',
  'attn_type',
  'attn_impl',
  'attn_pdrop',
  'clip_qkv',
  'qk_ln',
  'softmax_scale',
  'prefix_lm',
  'attn_uses_sequence_id',
  'sliding_window_size',
  'rope',
  'kv_n_heads',
]);

/**
 * MPT (MPT-7B, MPT-30B and their instruct/chat/storywriter tunes): ALiBi at alibi_bias_max 8 (its
 * slopes then equal BLOOM's for any head count), LayerNorms without biases, no biases anywhere, Q/K/V
 * stacked in Wqkv, an exact-GELU MLP of expansion_ratio · d, the head tied to wte. What transformers'
 * MptForCausalLM does not compute (clip_qkv, qk_ln, a logit_scale, GQA, RoPE, another bias max) is refused.
 */
function mptConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, MPT_FIELDS, source);
  const attn = (cfg.attn_config ?? {}) as Json;
  if (typeof attn !== 'object' || Array.isArray(attn))
    throw new HfImportError(`${source}: "attn_config" must be an object, got ${JSON.stringify(cfg.attn_config)}`);
  const where = `${source} attn_config`;
  refuseUnknown(attn, MPT_ATTN_FIELDS, where);
  const { d, heads } = widthAndHeads(cfg, source, 'd_model', 'n_heads');
  supported(cfg, 'no_bias', (v) => v === true, 'MPT without biases', source);
  supported(cfg, 'norm_type', (v) => v === 'low_precision_layernorm' || v === 'layernorm', 'LayerNorm', source);
  supported(cfg, 'logit_scale', (v) => v === null, 'logits as they are (transformers does not read it)', source);
  supported(cfg, 'embedding_fraction', (v) => v === 1, 'the whole embedding gradient', source);
  supported(cfg, 'tie_word_embeddings', (v) => v === true, "MPT's head is its embedding", source);
  supported(attn, 'alibi', (v) => v === true, 'ALiBi: MPT has no other positions here', where);
  supported(attn, 'alibi_bias_max', (v) => v === 8, "ALiBi's slopes at their usual maximum of 8", where);
  supported(attn, 'attn_type', (v) => v === 'multihead_attention', 'multi-head attention', where);
  supported(attn, 'clip_qkv', (v) => v === null, 'unclipped queries, keys and values', where);
  supported(attn, 'qk_ln', (v) => v === false, 'no LayerNorm on queries and keys', where);
  supported(attn, 'prefix_lm', (v) => v === false, 'causal attention', where);
  supported(attn, 'rope', (v) => v === false, 'ALiBi, not rotary embeddings', where);
  supported(attn, 'sliding_window_size', (v) => v === -1, 'no sliding window', where);
  const scale = attn.softmax_scale;
  if (scale !== undefined && scale !== null && !isPosNum(scale))
    throw new HfImportError(
      `${where}: "softmax_scale" must be a positive number or null, got ${JSON.stringify(scale)}`,
    );
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'n_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    context: field(cfg, 'max_seq_len', source, isPosInt, 'a positive integer', 2048),
    ffn: 'gelu',
    geluExact: true,
    ffnHidden: field(cfg, 'expansion_ratio', source, isPosInt, 'a positive integer', 4) * d,
    norm: 'layernorm',
    normBias: false,
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'alibi',
    // softmax_scale s multiplies q·k: shareformer's attentionScalar a scales by 1/√a.
    ...(typeof scale === 'number' && { attentionScalar: 1 / scale ** 2 }),
    bias: false,
    tieEmbeddings: true,
  };
}

const NEOX_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'hidden_act',
  'rotary_pct',
  'rotary_emb_base',
  'rope_scaling',
  'rope_parameters',
  'max_position_embeddings',
  'layer_norm_eps',
  'use_parallel_residual',
  'attention_bias',
  'tie_word_embeddings',
  'hidden_dropout',
  'classifier_dropout',
  'attention_dropout',
]);

/**
 * GPT-NeoX / Pythia: LayerNorm with biases before attention and before the FFN, which read the
 * same input when use_parallel_residual (every Pythia) and add both to it; Q, K, V fused per head;
 * rotary embeddings on the first int(head size · rotary_pct) dimensions (transformers 5 keeps the
 * fraction and the base in rope_parameters); GELU exact ("gelu") or in its tanh form.
 */
function neoxConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, NEOX_FIELDS, source);
  const { d, heads } = widthAndHeads(cfg, source, 'hidden_size', 'num_attention_heads');

  const rope = partialRotary(cfg, source, d / heads, { fraction: 'rotary_pct', base: 'rotary_emb_base' }, 0.25);
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'num_hidden_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    context: field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer'),
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu'),
    parallelBlocks: field(cfg, 'use_parallel_residual', source, isBool, 'true or false', true),
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_eps', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...rope,
    bias: true,
    // transformers' attention_bias: on query_key_value and dense, or on neither.
    attentionBias: field(cfg, 'attention_bias', source, isBool, 'true or false', true),
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

/**
 * Whether the activation field (hidden_act; GPT-J: activation_function; default `fallback`) asks for
 * the exact GELU ("gelu", as transformers' ACT2FN reads it) rather than its tanh form (gelu_new,
 * gelu_pytorch_tanh, gelu_fast); anything else is refused.
 */
function geluExact(cfg: Json, source: string, fallback: string, key = 'hidden_act'): boolean {
  const tanh = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];
  supported(
    cfg,
    key,
    (v) => v === 'gelu' || tanh.includes(v as string),
    'GELU, exact ("gelu") or in its tanh form (gelu_new, gelu_pytorch_tanh, gelu_fast)',
    source,
  );
  return (cfg[key] ?? fallback) === 'gelu';
}

/**
 * Rotary embeddings on the first int(head size · fraction) dimensions: the fraction and base under
 * the family's transformers 4 names, or both in transformers 5's rope_parameters.
 */
function partialRotary(
  cfg: Json,
  source: string,
  hd: number,
  keys: { fraction: string; base: string },
  defaultFraction: number,
): Pick<ModelConfig, 'ropeBase' | 'ropeScaling' | 'ropeDims'> {
  const params = cfg.rope_parameters;
  const inOne = params !== undefined && params !== null && typeof params === 'object' && !Array.isArray(params);
  const { partial_rotary_factor: factor, ...rest } = inOne ? (params as Json) : ({} as Json);
  const where = `${source} rope_parameters.partial_rotary_factor`;
  const fraction = inOne
    ? field({ factor }, 'factor', where, isPosNum, 'a number in (0, 1]', defaultFraction)
    : field(cfg, keys.fraction, source, isPosNum, 'a number in (0, 1]', defaultFraction);
  const rope = inOne
    ? rotary({ rope_parameters: rest }, source)
    : rotary(
        {
          rope_theta: field(cfg, keys.base, source, isPosNum, 'a positive number', 10000),
          rope_scaling: cfg.rope_scaling,
        },
        source,
      );
  return { ...rope, ropeDims: rotatedDims(hd, fraction, source) };
}

/** int(head size · fraction) rotated dimensions, as transformers counts them: ropeDims (0 for all). */
function rotatedDims(hd: number, fraction: number, source: string): number {
  const rotated = Math.floor(hd * fraction);
  if (fraction > 1 || rotated % 2 !== 0 || rotated === 0)
    throw new HfImportError(
      `${source}: a rotary fraction of ${fraction} rotates ${rotated} of each head's ${hd} dimensions; shareformer rotates an even number from 2 to the whole head`,
    );
  return rotated === hd ? 0 : rotated;
}

const PHI_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'hidden_act',
  'max_position_embeddings',
  'layer_norm_eps',
  'tie_word_embeddings',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'partial_rotary_factor',
  'qk_layernorm',
  'resid_pdrop',
  'embd_pdrop',
]);

/**
 * Phi-1.5 / Phi-2: one LayerNorm per layer that attention and FFN both read (imported as both of
 * shareformer's norms, equal), their outputs added to the input; Q, K, V, dense and the MLP with
 * biases; rotary embeddings on partial_rotary_factor of each head; a biased output head.
 */
function phiConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, PHI_FIELDS, source);
  const shape = llamaShape(cfg, source);
  supported(cfg, 'qk_layernorm', (v) => v === false, 'no query/key LayerNorms', source);
  return {
    ...shape,
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu_new'),
    parallelBlocks: true,
    headBias: true,
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_eps', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...partialRotary(cfg, source, headSize(shape), { fraction: 'partial_rotary_factor', base: 'rope_theta' }, 0.5),
    bias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

const GPTJ_FIELDS = new Set([
  'vocab_size',
  'n_embd',
  'n_layer',
  'n_head',
  'n_positions',
  'n_inner',
  'rotary_dim',
  'activation_function',
  'layer_norm_epsilon',
  'tie_word_embeddings',
  // GPTJAttention reads neither: it always rotates and always scales scores by 1/√(head size).
  'rotary',
  'scale_attn_weights',
]);

/**
 * GPT-J: Phi's parallel block on one LayerNorm (imported as both of shareformer's norms, equal),
 * without biases on Q, K, V and out_proj; rotary embeddings at base 10,000 on the first rotary_dim
 * dimensions of each head (null: all), rotated in adjacent pairs (imported into shareformer's
 * rotate-half order by permuting the query and key rows; see tensors.ts); a biased lm_head.
 */
function gptjConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, GPTJ_FIELDS, source);
  const { d, heads } = widthAndHeads(cfg, source, 'n_embd', 'n_head');
  const hd = d / heads;
  // GPTJAttention sizes its sin/cos table by rotary_dim, or by n_embd when it is null: only a
  // one-head model rotates whole heads that way.
  if ((cfg.rotary_dim === null || cfg.rotary_dim === undefined) && heads > 1)
    throw new HfImportError(
      `${source}: "rotary_dim" is ${JSON.stringify(cfg.rotary_dim ?? null)}, which transformers' GPT-J reads as n_embd (${d}) rotary dimensions, more than a head of ${hd} holds; set it to the dimensions each head rotates`,
    );
  const rotated = field(cfg, 'rotary_dim', source, isPosInt, 'a positive integer or null', hd);
  if (rotated % 2 !== 0 || rotated > hd)
    throw new HfImportError(
      `${source}: "rotary_dim" ${rotated} must be even and at most the head size ${hd} (n_embd / n_head)`,
    );
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'n_layer', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    context: field(cfg, 'n_positions', source, isPosInt, 'a positive integer'),
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu_new', 'activation_function'),
    parallelBlocks: true,
    headBias: true,
    ffnHidden: field(cfg, 'n_inner', source, isPosInt, 'a positive integer or null', 4 * d),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ropeBase: 10000,
    ropeDims: rotated === hd ? 0 : rotated,
    bias: true,
    attentionBias: false,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

const GPT_NEO_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'num_layers',
  'num_heads',
  'intermediate_size',
  'max_position_embeddings',
  'attention_types',
  'attention_layers',
  'window_size',
  'activation_function',
  'layer_norm_epsilon',
  'tie_word_embeddings',
  'embed_dropout',
  'resid_dropout',
  'classifier_dropout',
]);

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((t) => typeof t === 'string');

/** GPT-Neo's attention_types, [[["global", "local"], 12]], spelled out layer by layer as transformers does. */
function gptNeoLayers(cfg: Json, source: string, layers: number): string[] {
  const types = cfg.attention_types;
  const ok =
    Array.isArray(types) &&
    types.every((t) => Array.isArray(t) && t.length === 2 && isStringArray(t[0]) && Number.isSafeInteger(t[1]));
  if (!ok)
    throw new HfImportError(
      `${source}: "attention_types" must be a list of [[kinds…], repeats], got ${JSON.stringify(types)}`,
    );
  const spelled = (types as Array<[string[], number]>).flatMap(([kinds, n]) =>
    Array.from({ length: n }, () => kinds).flat(),
  );
  const bad = spelled.find((k) => k !== 'global' && k !== 'local');
  if (bad !== undefined)
    throw new HfImportError(`${source}: "attention_types" names "${bad}"; GPT-Neo's layers are "global" or "local"`);
  if (spelled.length !== layers)
    throw new HfImportError(
      `${source}: "attention_types" spells out ${spelled.length} layers, but "num_layers" is ${layers}`,
    );
  if (cfg.attention_layers !== undefined && JSON.stringify(cfg.attention_layers) !== JSON.stringify(spelled))
    throw new HfImportError(
      `${source}: "attention_layers" ${JSON.stringify(cfg.attention_layers)} disagrees with "attention_types", which spell out ${JSON.stringify(spelled)}`,
    );
  return spelled;
}

/**
 * Which layers are global, as shareformer's window fields say it: none windowed, all windowed, or
 * every Nth global counting from the first layer or ending each N; any other pattern is refused.
 */
function gptNeoWindows(
  kinds: string[],
  window: number,
  source: string,
): Pick<ModelConfig, 'slidingWindow' | 'fullAttentionEvery' | 'fullAttentionFirst'> {
  const globals = kinds.flatMap((k, i) => (k === 'global' ? [i] : []));
  if (globals.length === kinds.length) return { slidingWindow: 0, fullAttentionEvery: 0, fullAttentionFirst: false };
  if (globals.length === 0) return { slidingWindow: window, fullAttentionEvery: 0, fullAttentionFirst: false };
  const first = globals[0] === 0;
  const every = first ? (globals.length > 1 ? globals[1]! : kinds.length) : globals[0]! + 1;
  const c = { slidingWindow: window, fullAttentionEvery: every, fullAttentionFirst: first };
  const expected = kinds.map((_, i) =>
    layerWindow(resolveConfig({ ...c, layers: kinds.length }), i) ? 'local' : 'global',
  );
  if (expected.join() !== kinds.join())
    throw new HfImportError(
      `${source}: attention layers ${JSON.stringify(kinds)} are not global every Nth layer (from the first or ending each N), which is what shareformer's window fields express`,
    );
  return c;
}

/**
 * GPT-Neo (125M, 1.3B, 2.7B; TinyStories): GPT-2's block with separate projections, no biases on
 * q/k/v (one on out_proj: attentionOutBias), scores q·k not scaled (attentionScalar 1), layers
 * global or local (the newest window_size positions) by attention_types, gelu_new, a tied head.
 */
function gptNeoConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, GPT_NEO_FIELDS, source);
  const { d, heads } = widthAndHeads(cfg, source, 'hidden_size', 'num_heads');
  const layers = field(cfg, 'num_layers', source, isPosInt, 'a positive integer');
  const context = field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer');
  const kinds = gptNeoLayers(cfg, source, layers);
  const window = kinds.includes('local') ? field(cfg, 'window_size', source, isPosInt, 'a positive integer') : 0;
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers,
    dModel: d,
    heads,
    context,
    attentionScalar: 1,
    ...gptNeoWindows(kinds, Math.min(window, context), source),
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu_new', 'activation_function'),
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer or null', 4 * d),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'learned',
    bias: true,
    attentionBias: false,
    attentionOutBias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const OPT_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'ffn_dim',
  'max_position_embeddings',
  'word_embed_proj_dim',
  'do_layer_norm_before',
  '_remove_final_layer_norm',
  'activation_function',
  'enable_bias',
  'layer_norm_elementwise_affine',
  'tie_word_embeddings',
  // Dropout rates, LayerDrop (training only) and initialisation: nothing inference or fine-tuning here computes.
  'dropout',
  'activation_dropout',
  'attention_dropout',
  'layerdrop',
  'init_std',
  'decoder_start_token_id',
]);

/**
 * OPT (125M … 66B): LayerNorm (with biases, eps 1e-5, not configurable) before attention and
 * before a ReLU MLP, biases on every linear layer unless enable_bias is false, learned positions
 * whose table has two rows more than max_position_embeddings (fairseq's padding offset: position
 * t reads row t + 2), a tied head. OPT-350M's post-norm layers and its 512-wide embedding
 * projection are refused by name.
 */
function optConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, OPT_FIELDS, source);
  const { d, heads } = widthAndHeads(cfg, source, 'hidden_size', 'num_attention_heads');
  supported(
    cfg,
    'do_layer_norm_before',
    (v) => v === true,
    "OPT-350M's LayerNorms after each residual add (post-norm); shareformer's layers norm before attention and the FFN",
    source,
  );
  supported(
    cfg,
    'word_embed_proj_dim',
    (v) => v === d,
    `an embedding as wide as hidden_size ${d}; OPT-350M's project_in / project_out are not`,
    source,
  );
  supported(cfg, '_remove_final_layer_norm', (v) => v === false, 'a final LayerNorm', source);
  supported(cfg, 'layer_norm_elementwise_affine', (v) => v === true, 'LayerNorms with a gain and a bias', source);
  supported(
    cfg,
    'activation_function',
    (v) => v === 'relu' || v === 'gelu' || v === 'gelu_new' || v === 'gelu_pytorch_tanh',
    'ReLU, or GELU exact ("gelu") or in its tanh form (gelu_new, gelu_pytorch_tanh)',
    source,
  );
  const act = cfg.activation_function ?? 'relu';
  const bias = field(cfg, 'enable_bias', source, isBool, 'true or false', true);
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'num_hidden_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    context: field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer'),
    ffn: act === 'relu' ? 'relu' : 'gelu',
    geluExact: act === 'gelu',
    ffnHidden: field(cfg, 'ffn_dim', source, isPosInt, 'a positive integer'),
    norm: 'layernorm',
    normEps: 1e-5,
    positions: 'learned',
    bias,
    normBias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const FALCON_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_kv_heads',
  'new_decoder_architecture',
  'multi_query',
  'parallel_attn',
  'num_ln_in_parallel_attn',
  'alibi',
  'bias',
  'activation',
  'ffn_hidden_size',
  'layer_norm_epsilon',
  'max_position_embeddings',
  'rope_theta',
  'rope_scaling',
  'tie_word_embeddings',
  'apply_residual_connection_post_layernorm',
  'hidden_dropout',
  // The remote-code classes of the first uploads; architectures names transformers' own.
  'auto_map',
]);

/**
 * How Falcon's layer reads its input: the first uploads (7B) fuse Q/K/V as all query heads then one
 * key and one value head (multi_query) or head by head, and run attention and MLP in parallel on
 * one input_layernorm (parallel_attn) or in sequence; new_decoder_architecture (40B, 180B, 11B)
 * always runs them in parallel, on ln_attn and ln_mlp (num_ln_in_parallel_attn 2, its default) or
 * one input_layernorm, with num_kv_heads key/value heads.
 */
export function falconLayout(
  cfg: Json,
  source: string,
  heads: number,
): { kvHeads: number; parallel: boolean; norms: 1 | 2 } {
  const isBoolOrNull = (v: unknown) => v === null || typeof v === 'boolean';
  for (const key of ['new_decoder_architecture', 'multi_query', 'parallel_attn'])
    supported(cfg, key, isBoolOrNull, 'true or false', source);
  const newArch = cfg.new_decoder_architecture === true;
  const kv = field(cfg, 'num_kv_heads', source, isPosInt, 'a positive integer or null', heads);
  if (newArch) {
    if (heads % kv !== 0)
      throw new HfImportError(`${source}: "num_attention_heads" ${heads} is not divisible by "num_kv_heads" ${kv}`);
    supported(
      cfg,
      'parallel_attn',
      (v) => v !== false,
      'new_decoder_architecture runs attention and MLP in parallel',
      source,
    );
    const norms = field(
      cfg,
      'num_ln_in_parallel_attn',
      source,
      (v): v is number => v === 1 || v === 2,
      '1, 2 or null',
      2,
    );
    return { kvHeads: kv, parallel: true, norms: norms as 1 | 2 };
  }
  const mqa = cfg.multi_query !== false;
  // Without multi_query the first layout splits Q/K/V head by head, so it has as many as heads.
  if (!mqa && kv !== heads)
    throw new HfImportError(
      `${source}: "num_kv_heads" ${kv} with multi_query false and no new_decoder_architecture: transformers' Falcon then splits Q/K/V head by head, which needs ${heads}`,
    );
  const parallel = cfg.parallel_attn !== false;
  return { kvHeads: mqa ? 1 : heads, parallel, norms: parallel ? 1 : 2 };
}

/**
 * Falcon: LayerNorm with biases, linear layers with biases only when "bias" (none in the released
 * models), rotary embeddings over whole heads, exact GELU, a head tied to the embedding unless
 * tie_word_embeddings is false; one parallel LayerNorm is imported as both of shareformer's norms.
 * Falcon-RW's ALiBi (alibi: true) is BLOOM's, its slopes scaled by 1/√(head size) with the scores.
 */
function falconConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, FALCON_FIELDS, source);
  const alibi = field(cfg, 'alibi', source, isBool, 'true or false', false);
  supported(
    cfg,
    'apply_residual_connection_post_layernorm',
    (v) => v === false,
    "the residual is the layer's input (transformers' Falcon does not read this field, so a model trained with it would not compute as its authors meant)",
    source,
  );
  const { d, heads } = widthAndHeads(cfg, source, 'hidden_size', 'num_attention_heads');
  const layout = falconLayout(cfg, source, heads);
  const bias = field(cfg, 'bias', source, isBool, 'true or false', false);
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'num_hidden_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    kvHeads: layout.kvHeads,
    context: field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer', 2048),
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu', 'activation'),
    parallelBlocks: layout.parallel,
    ffnHidden: field(cfg, 'ffn_hidden_size', source, isPosInt, 'a positive integer or null', 4 * d),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    // Falcon-RW: ALiBi added to q·k before the 1/√(head size) scaling, so its slopes shrink by it too.
    ...(alibi
      ? { positions: 'alibi' as const, alibiScale: 1 / Math.sqrt(d / heads) }
      : { positions: 'rope' as const, ...rotary(cfg, source) }),
    bias,
    normBias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const STABLELM_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'hidden_act',
  'max_position_embeddings',
  'layer_norm_eps',
  'tie_word_embeddings',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'partial_rotary_factor',
  'use_qkv_bias',
  'qk_layernorm',
  'use_parallel_residual',
  'hidden_dropout',
  'attention_dropout',
]);

/**
 * StableLM (StableLM-3B-4E1T, StableLM 2): Llama's names and SwiGLU MLP on LayerNorms with biases,
 * rotary embeddings on the first partial_rotary_factor of each head (a quarter), biases on Q, K and
 * V when use_qkv_bias and on no other linear layer; attention and MLP in parallel on the one
 * input_layernorm when use_parallel_residual (held as both of shareformer's norms), and StableLM 2
 * 12B's LayerNorm per query and key head (qk_layernorm: qkLayerNorm).
 */
function stablelmConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, STABLELM_FIELDS, source);
  const shape = llamaShape(cfg, source);
  supported(cfg, 'hidden_act', (v) => v === 'silu', 'the SwiGLU feed-forward uses SiLU', source);
  // StableLM 2 12B: a LayerNorm per query and key head (qkLayerNorm).
  const qkNorm = field(cfg, 'qk_layernorm', source, isBool, 'true or false', false);
  return {
    ...shape,
    ffn: 'swiglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    parallelBlocks: field(cfg, 'use_parallel_residual', source, isBool, 'true or false', false),
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_eps', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...partialRotary(cfg, source, headSize(shape), { fraction: 'partial_rotary_factor', base: 'rope_theta' }, 0.25),
    bias: false,
    normBias: true,
    qkvBias: field(cfg, 'use_qkv_bias', source, isBool, 'true or false', false),
    ...(qkNorm && { qkNorm: true, qkLayerNorm: true }),
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

const COHERE_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'hidden_act',
  'max_position_embeddings',
  'layer_norm_eps',
  'logit_scale',
  'tie_word_embeddings',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'attention_bias',
  'use_qk_norm',
]);

/**
 * Cohere (Command R, Aya 23): attention and SwiGLU MLP in parallel on one LayerNorm without bias
 * (imported as both of shareformer's norms), rotary embeddings over whole heads in adjacent pairs
 * (imported by permuting the query and key rows, as GPT-J's), logits times logit_scale, the head
 * tied to the embedding. Command R+'s per-head query/key LayerNorms (use_qk_norm) are refused.
 */
function cohereConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, COHERE_FIELDS, source);
  const shape = llamaShape(cfg, source);
  supported(cfg, 'hidden_act', (v) => v === 'silu', 'the SwiGLU feed-forward uses SiLU', source);
  supported(cfg, 'attention_bias', (v) => v === false, 'no attention biases', source);
  const qkNorm = field(cfg, 'use_qk_norm', source, isBool, 'true or false', false);
  return {
    ...shape,
    ffn: 'swiglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    parallelBlocks: true,
    norm: 'layernorm',
    normEps: field(cfg, 'layer_norm_eps', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...rotary(cfg, source),
    bias: false,
    normBias: false,
    // Command R+: a LayerNorm per query and key head, with gains of shape [heads, head size].
    ...(qkNorm && { qkNorm: true, qkLayerNorm: true }),
    logitScale: field(cfg, 'logit_scale', source, isPosNum, 'a positive number', 0.0625),
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

/** Fields of Command R7B's config.json from Cohere's own code, which transformers' Cohere2Config does not read. */
const COHERE2_UNREAD = [
  'order_of_interleaved_layers',
  'position_embedding_type',
  'rotary_pct',
  'use_embedding_sharing',
  'use_gated_activation',
  'use_parallel_block',
  'use_parallel_embedding',
  'cache_implementation',
];
const COHERE2_WINDOWS = ['sliding_window', 'sliding_window_pattern', 'layer_types'];

/**
 * Cohere2 (Command R7B, Command A): Cohere's parallel block with windowed layers and, every
 * sliding_window_pattern-th layer (the last of each group), one that attends to everything without
 * rotary embeddings — shareformer's fullAttentionEvery and noRopeEvery of the same period. A
 * layer_types list is read when it follows such a period.
 */
function cohere2Config(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(
    cfg,
    new Set([...COHERE_FIELDS, ...COHERE2_WINDOWS, ...COHERE2_UNREAD].filter((k) => k !== 'use_qk_norm')),
    source,
  );
  const cohere = cohereConfig(
    Object.fromEntries(
      Object.entries(cfg).filter(([k]) => !COHERE2_WINDOWS.includes(k) && !COHERE2_UNREAD.includes(k)),
    ),
    source,
  );
  const layers = cohere.layers!;
  let period = field(cfg, 'sliding_window_pattern', source, isPosInt, 'a positive integer', 4);
  if (cfg.layer_types != null) {
    const types = cfg.layer_types;
    const full = Array.isArray(types) ? types.indexOf('full_attention') : -1;
    period = full + 1;
    const expected = Array.from({ length: layers }, (_, i) =>
      (i + 1) % period ? 'sliding_attention' : 'full_attention',
    );
    if (full < 0 || JSON.stringify(types) !== JSON.stringify(expected))
      throw new HfImportError(
        `${source}: "layer_types" is not supported unless every Nth layer (the last of each N) is "full_attention" and the rest "sliding_attention"`,
      );
  }
  const window = field(cfg, 'sliding_window', source, isPosInt, 'a positive integer');
  const windowed = window < cohere.context! && period > 1;
  return {
    ...cohere,
    slidingWindow: windowed ? window : 0,
    fullAttentionEvery: windowed ? period : 0,
    noRopeEvery: period,
  };
}

/** What every Llama-style config.json states: sizes, heads, context, norm, rotary base and scaling, activation. */
const LLAMA_CORE = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'max_position_embeddings',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'hidden_act',
  'tie_word_embeddings',
];

const LLAMA_FIELDS = new Set([
  ...LLAMA_CORE,
  'rope_parameters',
  'attention_bias',
  'mlp_bias',
  'head_dim',
  'sliding_window',
  'use_sliding_window',
  'max_window_layers',
  'layer_types',
]);

/** Phi-3 adds these to Llama's fields. */
const PHI3_FIELDS = new Set([...LLAMA_FIELDS, 'original_max_position_embeddings', 'partial_rotary_factor']);

/**
 * Rotary embeddings as config.json gives them: `rope_theta` + `rope_scaling` (transformers 4), or
 * one `rope_parameters` object holding both (transformers 5). Scaling: none ("default"), "linear"
 * position interpolation (every frequency ÷ factor), or Llama 3.1's "llama3" frequency rescaling
 * (all four numbers given). Dynamic, YaRN and the rest compute other frequencies or scale
 * attention: refused by name, as is a partial rotary factor.
 */
function rotary(
  cfg: Json,
  source: string,
  // LongRoPE's context and score scale are read by Llama-style configs only (Phi-3's).
  longrope = false,
): Pick<ModelConfig, 'ropeBase' | 'ropeScaling'> & Partial<Pick<ModelConfig, 'context' | 'attentionScalar'>> {
  const inOne = cfg.rope_parameters !== undefined && cfg.rope_parameters !== null;
  const name = inOne ? 'rope_parameters' : 'rope_scaling';
  const v = inOne ? cfg.rope_parameters : cfg.rope_scaling;
  const refuse = (why: string): never => {
    throw new HfImportError(`${source}: "${name}": ${JSON.stringify(v)} is not supported (${why})`);
  };
  if (inOne && cfg.rope_scaling !== undefined && cfg.rope_scaling !== null)
    refuse('config.json also has "rope_scaling"; transformers 5 keeps both in rope_parameters');
  if (inOne && cfg.rope_theta !== undefined && cfg.rope_theta !== (v as Json).rope_theta)
    refuse(`config.json's "rope_theta" ${JSON.stringify(cfg.rope_theta)} disagrees with it`);
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v)))
    refuse('expected an object or null');
  const s = (v ?? {}) as Json;
  const where = `${source} ${name}`;
  const ropeBase = inOne
    ? field(s, 'rope_theta', where, isPosNum, 'a positive number', 10000)
    : field(cfg, 'rope_theta', source, isPosNum, 'a positive number', 10000);
  const type = s.rope_type ?? s.type ?? (inOne || v ? undefined : 'default');
  const known = new Set(['rope_type', 'type', ...(inOne ? ['rope_theta'] : [])]);
  if (type === 'default' || (inOne && type === undefined)) {
    const extra = Object.keys(s).filter((k) => !known.has(k));
    if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])} for unscaled rotary embeddings`);
    return { ropeBase, ropeScaling: null };
  }
  if (type === 'linear') {
    known.add('factor');
    const extra = Object.keys(s).filter((k) => !known.has(k));
    if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])} for linear scaling`);
    return {
      ropeBase,
      ropeScaling: { type: 'linear', factor: field(s, 'factor', where, isPosNum, 'a positive number') },
    };
  }
  if (type === 'dynamic') {
    // Dynamic NTK scaling raises the base only for sequences longer than the original context,
    // which is the imported model's context: within it the frequencies are RoPE's own.
    for (const k of ['factor', 'original_max_position_embeddings']) known.add(k);
    const extra = Object.keys(s).filter((k) => !known.has(k));
    if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])} for dynamic scaling`);
    field(s, 'factor', where, isPosNum, 'a positive number');
    const context = cfg.max_position_embeddings;
    const original = s.original_max_position_embeddings ?? context;
    if (!isPosInt(original) || (isPosInt(context) && original < context))
      refuse(
        `its frequencies change past original_max_position_embeddings ${JSON.stringify(original)}, inside the context of ${JSON.stringify(context)}`,
      );
    return { ropeBase, ropeScaling: null };
  }
  // "su" is LongRoPE's first name, in Phi-3 128k's configs before transformers 4.42.
  if ((type === 'longrope' || type === 'su') && longrope) return longRope(cfg, s, where, ropeBase, refuse);
  if (type !== 'llama3')
    refuse(
      'rotary embeddings without scaling, with "linear" position interpolation, Llama 3.1\'s "llama3" rescaling, or "dynamic" NTK or "longrope" scaling within the original context',
    );
  for (const k of ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings']) known.add(k);
  const extra = Object.keys(s).filter((k) => !known.has(k));
  if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])}`);
  return {
    ropeBase,
    ropeScaling: {
      type: 'llama3',
      factor: field(s, 'factor', where, isPosNum, 'a positive number'),
      lowFreqFactor: field(s, 'low_freq_factor', where, isPosNum, 'a positive number'),
      highFreqFactor: field(s, 'high_freq_factor', where, isPosNum, 'a positive number'),
      originalContext: field(s, 'original_max_position_embeddings', where, isPosInt, 'a positive integer'),
    },
  };
}

/**
 * Phi-3's LongRoPE (Phi-3 128k, Phi-3.5-mini, Phi-4-mini) read for its original context, where
 * transformers uses the short factors: each inverse frequency divided by its factor, and cos and
 * sin multiplied by the attention factor (rotaryScaleOf, folded into the weights on import). The
 * long factors, used only past original_max_position_embeddings, are not computed: the imported
 * context is the original one.
 */
function longRope(
  cfg: Json,
  s: Json,
  where: string,
  ropeBase: number,
  refuse: (why: string) => never,
): Pick<ModelConfig, 'ropeBase' | 'ropeScaling' | 'context'> {
  const known = new Set([
    'rope_type',
    'type',
    'rope_theta',
    'short_factor',
    'long_factor',
    'factor',
    'attention_factor',
    'original_max_position_embeddings',
  ]);
  const extra = Object.keys(s).filter((k) => !known.has(k));
  if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])} for LongRoPE`);
  const { original, longest } = longRopeContexts(cfg, s, where);
  const width =
    typeof cfg.head_dim === 'number' ? cfg.head_dim : Number(cfg.hidden_size) / Number(cfg.num_attention_heads);
  const rotated = Math.round(width * (typeof cfg.partial_rotary_factor === 'number' ? cfg.partial_rotary_factor : 1));
  for (const name of ['short_factor', 'long_factor']) {
    const v = s[name];
    if (!Array.isArray(v) || v.length === 0 || !v.every(isPosNum))
      refuse(`"${name}" must be a list of positive numbers`);
    if ((v as number[]).length * 2 !== rotated)
      refuse(
        `"${name}" has ${(v as number[]).length} factors; ${rotated} rotated dimensions per head need ${rotated / 2}, one per pair`,
      );
  }
  if (s.attention_factor !== undefined && s.attention_factor !== null)
    field(s, 'attention_factor', where, isPosNum, 'a positive number');
  return {
    ropeBase,
    ropeScaling: { type: 'longrope', factors: s.short_factor as number[] },
    context: Math.min(original, longest),
  };
}

function longRopeContexts(cfg: Json, s: Json, where: string): { original: number; longest: number } {
  const original = field(
    { original_max_position_embeddings: s.original_max_position_embeddings ?? cfg.original_max_position_embeddings },
    'original_max_position_embeddings',
    where,
    isPosInt,
    'a positive integer',
  );
  return { original, longest: field(cfg, 'max_position_embeddings', where, isPosInt, 'a positive integer') };
}

/**
 * LongRoPE's attention factor, which multiplies cos and sin: config.json's, or transformers'
 * √(1 + ln(max / original) / ln original). The import folds it into the rotated rows of the query
 * and key projections (both, so the scores' rotated part grows by its square, as there). 1 for any
 * other positions.
 */
export function rotaryScaleOf(json: unknown): number {
  const cfg = (json ?? {}) as Json;
  const s = (cfg.rope_parameters ?? cfg.rope_scaling) as Json | null | undefined;
  const type = s?.rope_type ?? s?.type;
  if (!s || (type !== 'longrope' && type !== 'su')) return 1;
  if (typeof s.attention_factor === 'number') return s.attention_factor;
  const { original, longest } = longRopeContexts(cfg, s, 'config.json');
  const factor = longest / original;
  return factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
}

/**
 * Mistral and Phi-3 attend to the newest `sliding_window` positions in every layer: the model's
 * `slidingWindow` (0 when the window is as wide as the context). Qwen2 and Qwen3 ignore their window
 * unless `use_sliding_window` is true, and then apply it to some layers only: refused.
 */
function slidingWindow(cfg: Json, source: string, family: LlamaFamily, context: number): number {
  supported(cfg, 'use_sliding_window', (v) => v === false, 'full causal attention in every layer', source);
  const w = cfg.sliding_window;
  if (family !== 'llama' && family !== 'phi3') return 0;
  if (w === undefined || w === null) return 0;
  if (!isPosInt(w))
    throw new HfImportError(`${source}: "sliding_window" must be a positive integer or null, got ${JSON.stringify(w)}`);
  return w < context ? w : 0;
}

/**
 * Llama, Mistral, Qwen2, Qwen3 and Phi-3 share the computation; Qwen2 adds Q/K/V biases, Qwen3
 * norms each query and key head, Phi-3 fuses projections (a matter of tensor names only).
 */
type Shape = Pick<ModelConfig, 'vocabSize' | 'layers' | 'dModel' | 'heads' | 'headDim' | 'kvHeads' | 'context'>;

/**
 * Sizes and heads, which every Llama-family config.json states alike. transformers reads head_dim
 * when given (Qwen3, Mistral-Nemo, Gemma: wider or narrower than d / heads); Gemma's defaults to 256.
 */
function llamaShape(cfg: Json, source: string, defaultHeadDim?: number): Shape {
  const d = field(cfg, 'hidden_size', source, isPosInt, 'a positive integer');
  const heads = field(cfg, 'num_attention_heads', source, isPosInt, 'a positive integer');
  const given = cfg.head_dim != null || defaultHeadDim !== undefined;
  const headDim = given ? field(cfg, 'head_dim', source, isPosInt, 'a positive integer', defaultHeadDim) : 0;
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'num_hidden_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    headDim: headDim === d / heads ? 0 : headDim,
    kvHeads: field(cfg, 'num_key_value_heads', source, isPosInt, 'a positive integer', heads),
    context: field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer'),
  };
}

function llamaConfig(cfg: Json, source: string, family: LlamaFamily): Partial<ModelConfig> {
  refuseUnknown(cfg, family === 'phi3' ? PHI3_FIELDS : LLAMA_FIELDS, source);
  const shape = llamaShape(cfg, source);
  // Phi-3's class rotates the first int(head size · partial_rotary_factor) dimensions (Phi-4-mini: 0.75).
  const fraction =
    family === 'phi3' ? field(cfg, 'partial_rotary_factor', source, isPosNum, 'a number in (0, 1]', 1) : 1;
  if (family !== 'phi3')
    supported(cfg, 'partial_rotary_factor', (v) => v === 1, 'rotary embeddings over the whole head', source);
  supported(cfg, 'hidden_act', (v) => v === 'silu', 'the SwiGLU feed-forward uses SiLU', source);
  const rope = rotary(cfg, source, true);
  // LongRoPE's models are imported for their original context.
  const { layers } = shape,
    context = rope.context ?? shape.context;
  supported(cfg, 'attention_bias', (v) => v === false, 'Llama-style models have no attention biases here', source);
  supported(cfg, 'mlp_bias', (v) => v === false, 'Llama-style models have no feed-forward biases here', source);
  supported(
    cfg,
    'layer_types',
    (v) => Array.isArray(v) && v.length === layers && v.every((t) => t === 'full_attention'),
    `one "full_attention" per layer (${layers}): full causal attention in every layer`,
    source,
  );
  return {
    ...shape,
    slidingWindow: slidingWindow(cfg, source, family, context),
    ffn: 'swiglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'rmsnorm',
    normEps: field(cfg, 'rms_norm_eps', source, isPosNum, 'a positive number', 1e-6),
    positions: 'rope',
    ...rope,
    ropeDims: rotatedDims(shape.headDim || shape.dModel / shape.heads, fraction, source),
    bias: false,
    qkvBias: family === 'qwen2',
    qkNorm: family === 'qwen3',
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

const INTERNLM2_FIELDS = new Set([...LLAMA_CORE, 'bias', 'auto_map', 'attn_implementation']);

/**
 * InternLM2 and 2.5 (InternLM2ForCausalLM, remote code): Llama's computation — RMSNorm, SwiGLU,
 * GQA, RoPE — under its own names. Its config class defaults `bias` to true (biases on wqkv and wo),
 * which no released checkpoint uses: a config must say false.
 */
function internlm2Config(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, INTERNLM2_FIELDS, source);
  if (field(cfg, 'bias', source, isBool, 'true or false', true))
    throw new HfImportError(
      `${source}: "bias": ${JSON.stringify(cfg.bias ?? null)} is not supported (InternLM2's config defaults to biases on wqkv and wo, which no released model has; a model without them says false)`,
    );
  const llama = Object.fromEntries(
    Object.entries(cfg).filter(([k]) => !['bias', 'auto_map', 'attn_implementation'].includes(k)),
  );
  return llamaConfig(llama, source, 'llama');
}

const GLM_FIELDS = new Set([...LLAMA_CORE, 'head_dim', 'partial_rotary_factor', 'attention_bias']);

/**
 * GLM-4 (GlmForCausalLM) and GLM-4-0414 (Glm4ForCausalLM): Llama's computation with Q/K/V biases
 * (attention_bias, true unless said), rotary embeddings on the first head_dim × partial_rotary_factor
 * (0.5 unless said) dimensions in adjacent pairs — permuted into rotate-half order on import — and
 * for Glm4 a norm on the attention and MLP outputs before each residual add (postNorms).
 */
function glmConfig(cfg: Json, source: string, glm4: boolean): Partial<ModelConfig> {
  refuseUnknown(cfg, GLM_FIELDS, source);
  const factor = field(cfg, 'partial_rotary_factor', source, isPosNum, 'a positive number', 0.5);
  const llama = llamaConfig(
    Object.fromEntries(Object.entries(cfg).filter(([k]) => !['partial_rotary_factor', 'attention_bias'].includes(k))),
    source,
    'llama',
  );
  const width = llama.headDim || llama.dModel! / llama.heads!;
  const rotated = width * factor;
  if (factor > 1 || !Number.isInteger(rotated / 2))
    throw new HfImportError(
      `${source}: "partial_rotary_factor": ${factor} is not supported (heads of ${width} need an even number of rotated dimensions, at most all of them)`,
    );
  return {
    ...llama,
    ropeDims: rotated === width ? 0 : rotated,
    qkvBias: field(cfg, 'attention_bias', source, isBool, 'true or false', true),
    postNorms: glm4,
  };
}

const OLMO_FIELDS = new Set([...LLAMA_CORE.filter((k) => k !== 'rms_norm_eps'), 'attention_bias', 'clip_qkv']);

/**
 * OLMo (1) (OlmoForCausalLM: OLMo-1B, 7B, 7B-0424/0724): Llama's computation with LayerNorms that
 * have no weight or bias (eps 1e-5, fixed in its class). clip_qkv, which clamps the projections, is
 * refused.
 */
function olmoConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, OLMO_FIELDS, source);
  supported(
    cfg,
    'clip_qkv',
    (v) => v === null,
    'clamping the query, key and value projections is not computed here',
    source,
  );
  const llama = Object.fromEntries(Object.entries(cfg).filter(([k]) => k !== 'clip_qkv'));
  return { ...llamaConfig(llama, source, 'llama'), norm: 'layernorm', normBias: false, normEps: 1e-5 };
}

const NEMOTRON_FIELDS = new Set([
  ...LLAMA_CORE.filter((k) => k !== 'rms_norm_eps'),
  'head_dim',
  'norm_eps',
  'partial_rotary_factor',
  'rope_percent',
  'rope_percentage',
  'attention_bias',
  'mlp_bias',
]);

/**
 * Nemotron (NemotronForCausalLM: Nemotron-4, Minitron, Nemotron-Mini): LayerNorm1P — a LayerNorm
 * with a bias whose gain is 1 + the stored weight — an ungated MLP with squared ReLU, GQA, rotary
 * embeddings on the first part of each head (partial_rotary_factor, earlier rope_percent), no
 * linear biases.
 */
function nemotronConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, NEMOTRON_FIELDS, source);
  supported(cfg, 'hidden_act', (v) => v === 'relu2', 'its MLP squares a ReLU', source);
  for (const bias of ['attention_bias', 'mlp_bias'])
    supported(cfg, bias, (v) => v === false, 'Nemotron models have no linear biases here', source);
  const shape = llamaShape(cfg, source);
  const fractionKey = ['partial_rotary_factor', 'rope_percent', 'rope_percentage'].find((k) => cfg[k] != null);
  return {
    ...shape,
    ffn: 'relu2',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'layernorm',
    normBias: true,
    normEps: field(cfg, 'norm_eps', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...partialRotary(
      cfg,
      source,
      shape.headDim || shape.dModel / shape.heads,
      { fraction: fractionKey ?? 'partial_rotary_factor', base: 'rope_theta' },
      0.5,
    ),
    bias: false,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

/** EXAONE's config.json names for Llama's fields. */
const EXAONE_NAMES: Record<string, string> = {
  num_layers: 'num_hidden_layers',
  layer_norm_epsilon: 'rms_norm_eps',
  activation_function: 'hidden_act',
};

/**
 * EXAONE 3 / 3.5 (ExaoneForCausalLM, remote code): Llama's computation — RMSNorm (ln_1, ln_2, ln_f,
 * whose eps is layer_norm_epsilon), SwiGLU, GQA, RoPE with Llama 3.1's scaling — under its own names;
 * embed_dropout is a training rate.
 */
function exaoneConfig(cfg: Json, source: string): Partial<ModelConfig> {
  const known = new Set([...Object.keys(EXAONE_NAMES), ...LLAMA_FIELDS, 'auto_map', 'embed_dropout']);
  for (const llama of Object.values(EXAONE_NAMES)) known.delete(llama);
  refuseUnknown(cfg, known, source);
  const renamed = Object.fromEntries(
    Object.entries(cfg)
      .filter(([k]) => k !== 'auto_map' && k !== 'embed_dropout')
      .map(([k, v]) => [EXAONE_NAMES[k] ?? k, v]),
  );
  return llamaConfig(renamed, source, 'llama');
}

const BAICHUAN_FIELDS = new Set([
  ...LLAMA_CORE.filter((k) => !k.startsWith('rope_') && k !== 'num_key_value_heads'),
  'model_max_length',
  'auto_map',
  'z_loss_weight',
  '_from_model_config',
]);

/** Baichuan 2's vocabulary: its checkpoints (and only they) normalize the output head's rows (NormHead). */
export const BAICHUAN2_VOCAB = 125696;

/** Baichuan-7B's class, or BaichuanForCausalLM 4,096 wide (Baichuan 2 7B): rotary; the 13B models: ALiBi. */
const baichuanRotary = (cfg: Json) =>
  (cfg.architectures as unknown[] | undefined)?.[0] === 'BaiChuanForCausalLM' || cfg.hidden_size === 4096;

/**
 * Baichuan (remote code): Llama's computation with multi-head attention and Q/K/V stacked in
 * W_pack. Which positions is not in config.json but in the modeling file each repository ships:
 * rotary embeddings (base 10,000) for Baichuan-7B (BaiChuanForCausalLM) and Baichuan 2 7B, ALiBi for
 * the 13B models — told apart, as vLLM tells them, by BaichuanForCausalLM's width (4,096: 7B).
 * z_loss_weight only adds a training loss term.
 */
function baichuanConfig(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, BAICHUAN_FIELDS, source);
  supported(cfg, 'hidden_act', (v) => v === 'silu', 'the SwiGLU feed-forward uses SiLU', source);
  const { d, heads } = widthAndHeads(cfg, source, 'hidden_size', 'num_attention_heads');
  const rope = baichuanRotary(cfg);
  const context =
    cfg.max_position_embeddings === undefined
      ? field(cfg, 'model_max_length', source, isPosInt, 'a positive integer')
      : field(cfg, 'max_position_embeddings', source, isPosInt, 'a positive integer');
  return {
    vocabSize: field(cfg, 'vocab_size', source, isPosInt, 'a positive integer'),
    layers: field(cfg, 'num_hidden_layers', source, isPosInt, 'a positive integer'),
    dModel: d,
    heads,
    kvHeads: heads,
    context,
    ffn: 'swiglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'rmsnorm',
    normEps: field(cfg, 'rms_norm_eps', source, isPosNum, 'a positive number', 1e-6),
    positions: rope ? 'rope' : 'alibi',
    ...(rope && { ropeBase: 10000, ropeScaling: null }),
    bias: false,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', false),
  };
}

/**
 * What an import computes differently from how config.json might read, said to the user: dynamic
 * rotary scaling that never engages within the imported context.
 */
export function configNotes(json: unknown): string[] {
  const cfg = (json ?? {}) as Json;
  const notes: string[] = [];
  if (cfg.model_type === 'baichuan') {
    const rope = baichuanRotary(cfg);
    notes.push(
      `Baichuan's config.json does not say its positions: ${rope ? 'rotary embeddings (base 10,000)' : 'ALiBi'}, as its modeling file for ${rope ? 'the 7B models' : 'the 13B models (width other than 4,096)'} computes them`,
    );
    if (cfg.vocab_size === BAICHUAN2_VOCAB)
      notes.push("Baichuan 2's NormHead: the output head's rows are divided by their length, as its forward pass does");
  }
  return [...notes, ...rotaryNotes(cfg)];
}

function rotaryNotes(cfg: Json): string[] {
  const scaling = (cfg.rope_parameters ?? cfg.rope_scaling) as Json | null | undefined;
  const type = scaling?.rope_type ?? scaling?.type;
  if (type === 'longrope' || type === 'su') {
    const original = scaling?.original_max_position_embeddings ?? cfg.original_max_position_embeddings;
    return [
      `LongRoPE: imported for its original context of ${String(original)} positions, where transformers applies its short factors and its attention factor (${rotaryScaleOf(cfg).toFixed(4)}, folded into the rotated rows of the query and key projections), as here; the long factors (to max_position_embeddings ${String(cfg.max_position_embeddings)}) are not computed`,
    ];
  }
  if (type !== 'dynamic') return [];
  return [
    `rope scaling "dynamic" changes the rotary base only past ${String(cfg.max_position_embeddings)} positions, the imported context: within it the model computes plain RoPE, as here`,
  ];
}

const GRANITE_MULTIPLIERS = ['embedding_multiplier', 'residual_multiplier', 'attention_multiplier', 'logits_scaling'];

/**
 * Granite (IBM Granite 3.x): Llama's computation with μP's multipliers — token embeddings ×
 * embedding_multiplier, each attention and MLP output × residual_multiplier before its residual
 * add, scores q·k × attention_multiplier (held as attentionScalar 1/m², since the model scales by
 * 1/√attentionScalar), logits ÷ logits_scaling — and biases on every projection or on none.
 */
function graniteConfig(cfg: Json, source: string): Partial<ModelConfig> {
  const llama = Object.fromEntries(
    Object.entries(cfg).filter(([k]) => !GRANITE_MULTIPLIERS.includes(k) && k !== 'attention_bias' && k !== 'mlp_bias'),
  );
  const attentionBias = field(cfg, 'attention_bias', source, isBool, 'true or false', false);
  const mlpBias = field(cfg, 'mlp_bias', source, isBool, 'true or false', false);
  if (attentionBias !== mlpBias)
    throw new HfImportError(
      `${source}: "attention_bias" ${attentionBias} with "mlp_bias" ${mlpBias} is not supported (biases on every projection or on none)`,
    );
  const m = (name: string) => field(cfg, name, source, isPosNum, 'a positive number', 1);
  return {
    ...llamaConfig(llama, source, 'llama'),
    bias: attentionBias,
    embedMultiplier: m('embedding_multiplier'),
    residualMultiplier: m('residual_multiplier'),
    attentionScalar: 1 / m('attention_multiplier') ** 2,
    logitScale: 1 / m('logits_scaling'),
  };
}

/**
 * SmolLM3: Llama's computation with NoPE layers — no_rope_layers marks each layer 1 (rotates) or
 * 0 (no positions), by default every no_rope_layer_interval-th layer 0 — held as noRopeEvery when
 * the zeros fall on every Nth layer, refused otherwise; its sliding window is off unless
 * use_sliding_window (refused) turns it on, as in Qwen2.
 */
function smolLM3Config(cfg: Json, source: string): Partial<ModelConfig> {
  const { no_rope_layers: marks, no_rope_layer_interval: _, ...llama } = cfg;
  const base = llamaConfig(llama, source, 'llama');
  const layers = base.layers!;
  const interval = field(cfg, 'no_rope_layer_interval', source, isPosInt, 'a positive integer', 4);
  const given = marks !== undefined && marks !== null;
  if (given && !(Array.isArray(marks) && marks.length >= layers && marks.every((m) => m === 0 || m === 1)))
    throw new HfImportError(
      `${source}: "no_rope_layers" must list 1 (RoPE) or 0 (none) for each of the ${layers} layers, got ${JSON.stringify(marks)}`,
    );
  const rotates = given
    ? (marks as number[]).slice(0, layers).map((m) => m === 1)
    : Array.from({ length: layers }, (_, i) => (i + 1) % interval !== 0);
  const first = rotates.indexOf(false);
  const noRopeEvery = first < 0 ? 0 : first + 1;
  if (rotates.some((r, i) => r !== !(noRopeEvery > 0 && (i + 1) % noRopeEvery === 0)))
    throw new HfImportError(
      `${source}: "no_rope_layers" ${JSON.stringify(marks)} does not put a NoPE layer at every Nth layer (N − 1, 2N − 1, …), which is what shareformer's noRopeEvery expresses`,
    );
  return { ...base, slidingWindow: 0, noRopeEvery };
}

const STARCODER2_FIELDS = new Set([
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'max_position_embeddings',
  'hidden_act',
  'norm_epsilon',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'sliding_window',
  'use_bias',
  'tie_word_embeddings',
  'mlp_type',
  'norm_type',
  'embedding_dropout',
  'residual_dropout',
  'attention_dropout',
]);

/**
 * StarCoder2 (3B, 7B, 15B): LayerNorm with biases before attention and before a GELU MLP (c_fc,
 * c_proj), GQA, RoPE over whole heads, a sliding window in every layer when sliding_window is
 * narrower than the context, biases on every linear layer unless use_bias is false.
 */
function starcoder2Config(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, STARCODER2_FIELDS, source);
  supported(cfg, 'mlp_type', (v) => v === 'default', 'the plain two-matrix MLP', source);
  supported(cfg, 'norm_type', (v) => v === 'layer_norm', 'LayerNorm', source);
  const shape = llamaShape(cfg, source);
  const w = cfg.sliding_window;
  if (w !== undefined && w !== null && !isPosInt(w))
    throw new HfImportError(`${source}: "sliding_window" must be a positive integer or null, got ${JSON.stringify(w)}`);
  return {
    ...shape,
    slidingWindow: isPosInt(w) && w < shape.context ? w : 0,
    ffn: 'gelu',
    geluExact: geluExact(cfg, source, 'gelu_pytorch_tanh'),
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'layernorm',
    normEps: field(cfg, 'norm_epsilon', source, isPosNum, 'a positive number', 1e-5),
    positions: 'rope',
    ...rotary(cfg, source),
    bias: field(cfg, 'use_bias', source, isBool, 'true or false', true),
    normBias: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

const GEMMA3_FIELDS = new Set([
  ...LLAMA_FIELDS,
  'hidden_activation',
  'query_pre_attn_scalar',
  'rope_local_base_freq',
  'sliding_window_pattern',
  '_sliding_window_pattern',
  'final_logit_softcapping',
  'attn_logit_softcapping',
  'use_bidirectional_attention',
  'cache_implementation',
]);

const GEMMA1_FIELDS = new Set([...LLAMA_FIELDS, 'hidden_activation']);

const GEMMA2_FIELDS = new Set([
  ...LLAMA_FIELDS,
  'hidden_activation',
  'query_pre_attn_scalar',
  'final_logit_softcapping',
  'attn_logit_softcapping',
  'cache_implementation',
]);

/**
 * Which layers of a Gemma model attend to the whole context: `layer_types` (transformers ≥ 4.53),
 * else Gemma 2's every other layer, or Gemma 3's every `sliding_window_pattern`th. shareformer's
 * fullAttentionEvery covers every released layout; any other is refused, naming the layers.
 */
function fullAttentionEvery(cfg: Json, source: string, layers: number, gemma: 2 | 3): number {
  const types = cfg.layer_types;
  if (types === undefined || types === null) {
    if (gemma === 2) return 2;
    const key = cfg.sliding_window_pattern !== undefined ? 'sliding_window_pattern' : '_sliding_window_pattern';
    return field(cfg, key, source, isPosInt, 'a positive integer', 6);
  }
  const ok = (t: unknown) => t === 'full_attention' || t === 'sliding_attention';
  if (!Array.isArray(types) || types.length !== layers || !types.every(ok))
    throw new HfImportError(
      `${source}: "layer_types" must list "sliding_attention" or "full_attention" for each of the ${layers} layers, got ${JSON.stringify(types)}`,
    );
  const full = types.flatMap((t, i) => (t === 'full_attention' ? [i] : []));
  if (full.length === 0) return 0;
  const every = full[0]! + 1;
  const expected = Array.from({ length: Math.floor(layers / every) }, (_, k) => (k + 1) * every - 1);
  if (full.join() !== expected.join())
    throw new HfImportError(
      `${source}: "layer_types": full attention at layers ${JSON.stringify(full)} is not supported (shareformer puts it on every Nth layer: N − 1, 2N − 1, …)`,
    );
  return every;
}

/**
 * Gemma 3's rotary bases: global layers at rope_theta (maybe rescaled), local ones at
 * rope_local_base_freq, unscaled; transformers 5 writes both in rope_parameters, by layer type.
 */
function gemmaRotary(cfg: Json, source: string): Pick<ModelConfig, 'ropeBase' | 'ropeScaling' | 'ropeLocalBase'> {
  const byType = cfg.rope_parameters as Json | null | undefined;
  if (byType && typeof byType === 'object' && ('full_attention' in byType || 'sliding_attention' in byType)) {
    const global = rotary({ rope_parameters: byType.full_attention }, `${source} rope_parameters.full_attention`);
    const local = rotary({ rope_parameters: byType.sliding_attention }, `${source} rope_parameters.sliding_attention`);
    if (local.ropeScaling)
      throw new HfImportError(
        `${source}: "rope_parameters.sliding_attention": scaled local rotary embeddings are not supported`,
      );
    return { ...global, ropeLocalBase: local.ropeBase };
  }
  const global = rotary(cfg, source);
  return { ...global, ropeLocalBase: field(cfg, 'rope_local_base_freq', source, isPosNum, 'a positive number', 10000) };
}

/**
 * Gemma's GeGLU uses GELU's tanh form. Gemma 1's first configs say hidden_act "gelu", which
 * transformers' GemmaForCausalLM replaces by the tanh form unless hidden_activation says otherwise.
 */
function gemmaActivation(cfg: Json, source: string): void {
  const gelu = (v: unknown) => v === 'gelu_pytorch_tanh' || v === 'gelu_new';
  supported(cfg, 'hidden_activation', gelu, 'the GeGLU feed-forward uses GELU in its tanh form', source);
  // hidden_act only counts where hidden_activation is not given.
  const overridden = cfg.hidden_activation !== undefined && cfg.hidden_activation !== null;
  const act = (v: unknown) => overridden || gelu(v) || v === 'gelu';
  supported(cfg, 'hidden_act', act, 'the GeGLU feed-forward uses GELU in its tanh form', source);
}

/**
 * Gemma (1): Llama's layout and two norms per layer (gains stored minus one), a GELU-gated FFN,
 * token embeddings scaled by √d, tied embeddings, heads of head_dim (gemma-2b: 8 of 256 on 2,048, MQA).
 */
function gemma1Config(cfg: Json, source: string): Partial<ModelConfig> {
  refuseUnknown(cfg, GEMMA1_FIELDS, source);
  gemmaActivation(cfg, source);
  supported(cfg, 'attention_bias', (v) => v === false, 'Gemma has no attention biases', source);
  return {
    ...llamaShape(cfg, source, 256),
    ffn: 'geglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'rmsnorm',
    normEps: field(cfg, 'rms_norm_eps', source, isPosNum, 'a positive number', 1e-6),
    positions: 'rope',
    ...rotary(cfg, source),
    bias: false,
    embedScale: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

/** A soft-cap field: a positive number, or null / absent for none. */
function softcap(cfg: Json, key: string, source: string): number {
  const v = cfg[key];
  if (v === undefined || v === null) return 0;
  if (!isPosNum(v))
    throw new HfImportError(`${source}: "${key}" must be a positive number or null, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Gemma 3 (text): Llama's attention with head norms, a GELU-gated FFN, token embeddings scaled by
 * √d, an RMSNorm on each block's output as well as its input, tied embeddings, and sliding-window
 * layers at their own RoPE base between global ones, scores scaled by 1/√query_pre_attn_scalar.
 * Gemma 2: the same without head norms or a local RoPE base, every other layer local, scores and
 * logits soft-capped. Bidirectional attention is refused by name.
 */
function gemmaConfig(cfg: Json, source: string, gemma: 2 | 3): Partial<ModelConfig> {
  refuseUnknown(cfg, gemma === 2 ? GEMMA2_FIELDS : GEMMA3_FIELDS, source);
  const shape = llamaShape(cfg, source, 256);
  const { layers, context } = shape,
    headDim = headSize(shape);
  gemmaActivation(cfg, source);
  // Scores are q·k / √query_pre_attn_scalar: head_dim in most sizes (Gemma 3 27B: 168 on heads of 128; Gemma 2 27B: 144).
  const scalar = field(cfg, 'query_pre_attn_scalar', source, isPosNum, 'a positive number', headDim);
  supported(cfg, 'use_bidirectional_attention', (v) => v === false, 'causal attention', source);
  supported(cfg, 'attention_bias', (v) => v === false, `Gemma ${gemma} has no attention biases`, source);
  const window = field(cfg, 'sliding_window', source, isPosInt, 'a positive integer', 4096);
  const every = fullAttentionEvery(cfg, source, layers, gemma);
  const windowed = window < context && every !== 1;
  const rope = gemma === 2 ? { ...rotary(cfg, source), ropeLocalBase: 0 } : gemmaRotary(cfg, source);
  return {
    ...shape,
    attentionScalar: scalar === headDim ? 0 : scalar,
    slidingWindow: windowed ? window : 0,
    fullAttentionEvery: windowed ? every : 0,
    ffn: 'geglu',
    ffnHidden: field(cfg, 'intermediate_size', source, isPosInt, 'a positive integer'),
    norm: 'rmsnorm',
    normEps: field(cfg, 'rms_norm_eps', source, isPosNum, 'a positive number', 1e-6),
    positions: 'rope',
    ropeBase: rope.ropeBase,
    ropeScaling: rope.ropeScaling,
    ropeLocalBase: windowed && rope.ropeLocalBase && rope.ropeLocalBase !== rope.ropeBase ? rope.ropeLocalBase : 0,
    attentionSoftcap: softcap(cfg, 'attn_logit_softcapping', source),
    logitSoftcap: softcap(cfg, 'final_logit_softcapping', source),
    bias: false,
    qkNorm: gemma === 3,
    embedScale: true,
    postNorms: true,
    tieEmbeddings: field(cfg, 'tie_word_embeddings', source, isBool, 'true or false', true),
  };
}

/** Gemma3TextConfig's defaults, which a multimodal checkpoint's `text_config` leaves out (4B: all but seven fields). */
const GEMMA3_TEXT_DEFAULTS: Json = {
  vocab_size: 262208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  rope_local_base_freq: 10000,
  sliding_window_pattern: 6,
};

/** Fields of Gemma3ForConditionalGeneration's config.json beside its text model's. */
const GEMMA3_MULTIMODAL_FIELDS = new Set([
  'text_config',
  'vision_config',
  'mm_tokens_per_image',
  'boi_token_index',
  'eoi_token_index',
  'image_token_index',
  'boi_token_id',
  'eoi_token_id',
  'image_token_id',
]);

/** The text model's config of a Gemma 3 multimodal checkpoint, with Gemma3TextConfig's defaults filled in. */
function gemma3TextOf(cfg: Json, source: string): Json {
  refuseUnknown(cfg, GEMMA3_MULTIMODAL_FIELDS, source);
  const text = cfg.text_config;
  if (text === null || typeof text !== 'object' || Array.isArray(text))
    throw new HfImportError(
      `${source}: "text_config" must be the text model's config object, got ${JSON.stringify(text)}`,
    );
  // layer_types, when given, take precedence over the default pattern (fullAttentionEvery reads them first).
  return { ...GEMMA3_TEXT_DEFAULTS, ...(text as Json) };
}

export interface HfModelConfig {
  architecture: string;
  family: HfFamily;
  config: ModelConfig;
  /** LongRoPE's attention factor, folded into the rotated rows of the query and key projections (1: none). */
  rotaryScale: number;
  /** LayerNorms per layer in the files when the model's two norms may be one tensor (Falcon's parallel layers). */
  norms?: 1 | 2;
}

/** Each family's config.json reader. */
const FAMILY_CONFIG: Record<HfFamily, (cfg: Json, source: string) => Partial<ModelConfig>> = {
  gpt2: gpt2Config,
  bloom: bloomConfig,
  mpt: mptConfig,
  gpt_bigcode: bigcodeConfig,
  gpt_neo: gptNeoConfig,
  opt: optConfig,
  gpt_neox: neoxConfig,
  phi: phiConfig,
  gptj: gptjConfig,
  falcon: falconConfig,
  stablelm: stablelmConfig,
  cohere: cohereConfig,
  granite: graniteConfig,
  smollm3: smolLM3Config,
  starcoder2: starcoder2Config,
  olmo2: (cfg, source) => ({
    // OLMo 2: Llama's fields; its norms follow attention and the MLP instead of preceding them, and
    // its query and key norms span the whole projections.
    ...llamaConfig(cfg, source, 'llama'),
    preNorms: false,
    postNorms: true,
    qkNorm: true,
    qkNormFull: true,
  }),
  llama: (cfg, source) => llamaConfig(cfg, source, 'llama'),
  qwen2: (cfg, source) => llamaConfig(cfg, source, 'qwen2'),
  qwen3: (cfg, source) => llamaConfig(cfg, source, 'qwen3'),
  phi3: (cfg, source) => llamaConfig(cfg, source, 'phi3'),
  internlm2: internlm2Config,
  baichuan: baichuanConfig,
  glm: (cfg, source) => glmConfig(cfg, source, false),
  glm4: (cfg, source) => glmConfig(cfg, source, true),
  exaone: exaoneConfig,
  olmo: olmoConfig,
  nemotron: nemotronConfig,
  cohere2: cohere2Config,
  gemma: gemma1Config,
  gemma2: (cfg, source) => gemmaConfig(cfg, source, 2),
  gemma3: (cfg, source) => gemmaConfig(cfg, source, 3),
};

/** Maps a Hugging Face config.json; errors name the file and the field. */
export function modelConfigFromHf(json: unknown, source: string): HfModelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new HfImportError(`${source}: not a JSON object`);
  const cfg = json as Json;
  const archs = cfg.architectures;
  const architecture = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  const family = architecture ? SUPPORTED_ARCHITECTURES[architecture] : undefined;
  if (!architecture || !family) {
    throw new HfImportError(
      `${source}: "architectures" is ${JSON.stringify(archs)}; supported: ${Object.keys(SUPPORTED_ARCHITECTURES).join(', ')}`,
    );
  }
  const partial = FAMILY_CONFIG[family](
    architecture === 'Gemma3ForConditionalGeneration' ? gemma3TextOf(cfg, source) : cfg,
    source,
  );
  const norms = family === 'falcon' ? falconLayout(cfg, source, partial.heads!).norms : undefined;
  try {
    const config = resolveConfig(partial);
    const rotaryScale = config.ropeScaling?.type === 'longrope' ? rotaryScaleOf(cfg) : 1;
    return { architecture, family, config, rotaryScale, ...(norms && { norms }) };
  } catch (e) {
    throw new HfImportError(`${source}: ${(e as Error).message}`);
  }
}
