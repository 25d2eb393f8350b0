// A GGUF model (llama.cpp's format) read as the Hugging Face directory it was converted from: the
// metadata becomes config.json, the vocabulary tokenizer.json, and the tensors a model.safetensors
// that exists only as byte ranges — each tensor dequantized to float32, and Llama's query/key rows
// put back from GGUF's rotary pairs into halves, when the Hugging Face import asks for it. So one
// import path (its checks, notes, plans and export) serves both, and memory holds one tensor at a
// time. Architectures: llama (Llama 1-3, Mistral, SmolLM, TinyLlama …), qwen2, qwen3, gemma, gemma2,
// gemma3, phi3 (Phi-3, 3.5, Phi-4-mini), smollm3.
import { PIECE_TYPES, sentencePieceJson } from '../../text/sentencepiece-model.js';
import { GPT2_SPLIT, type HfBpeJSON } from '../../text/hf-bpe.js';
import { HfImportError } from '../hf/config.js';
import { openHfModel, type HfFileReader, type HfModel } from '../hf/model.js';
import { reorderRotaryRows } from '../hf/tensors.js';
import { hfTokenizerFiles } from '../hf/tokenizer-files.js';
import { dequantize, ggmlTypeName } from './dequantize.js';
import { GgufError, readGgufHeader, type GgufFile, type GgufTensorInfo, type GgufValue } from './gguf-file.js';

/** GGUF's per-layer tensor names → transformers' module names (Llama's; Gemma 2 and 3 differ below). */
const LLAMA_LAYERS: Record<string, string> = {
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
  attn_norm: 'input_layernorm',
  ffn_norm: 'post_attention_layernorm',
};
/** Gemma 2 and 3 norm before and after attention and the MLP: GGUF's ffn_norm is the one before the MLP there. */
const GEMMA2_LAYERS: Record<string, string> = {
  ...LLAMA_LAYERS,
  post_attention_norm: 'post_attention_layernorm',
  ffn_norm: 'pre_feedforward_layernorm',
  post_ffw_norm: 'post_feedforward_layernorm',
};
/** Phi-3's fused projections: query, key and value in one; gate and up in one (GGUF's ffn_up). */
const PHI3_LAYERS: Record<string, string> = {
  ...LLAMA_LAYERS,
  attn_qkv: 'self_attn.qkv_proj',
  ffn_up: 'mlp.gate_up_proj',
};
export const GLOBAL_NAMES: Record<string, string> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

export interface GgufArchitecture {
  /** transformers' class and model_type. */
  architecture: string;
  modelType: string;
  /** llama.cpp rotates Llama's adjacent pairs, so convert_hf_to_gguf.py permuted its query/key rows. */
  pairs: boolean;
  layers: Record<string, string>;
  /** Gemma's norms scale by 1 + w: GGUF stores 1 + w, transformers w. */
  normShift: number;
  /** Whether a rotated fraction of each head (rope.dimension_count below the head size) is read. */
  partialRotary: boolean;
  /** Whether the GGUF export writes it (Phi-3 models export in Llama's layout, as to Hugging Face). */
  exported: boolean;
  /** config.json's fields beyond Llama's that this architecture's metadata (or llama.cpp) fixes. */
  fields: (s: ArchShape) => Record<string, unknown>;
}

/** What an architecture's extra config.json fields are computed from. */
interface ArchShape {
  md: Metadata;
  /** The architecture's metadata key for `key`. */
  k: (key: string) => string;
  tensors: Map<string, GgufTensorInfo>;
  factors: Map<string, number[]>;
  width: number;
  headDim: number;
  rotary: number;
}

const arch = (architecture: string, modelType: string, more: Partial<GgufArchitecture> = {}): GgufArchitecture => ({
  architecture,
  modelType,
  pairs: false,
  layers: LLAMA_LAYERS,
  normShift: 0,
  partialRotary: false,
  exported: true,
  fields: () => ({}),
  ...more,
});

export const ARCHITECTURES: Record<string, GgufArchitecture> = {
  llama: arch('LlamaForCausalLM', 'llama', {
    pairs: true,
    fields: ({ tensors }) => ({ attention_bias: tensors.has('blk.0.attn_q.bias'), mlp_bias: false }),
  }),
  qwen2: arch('Qwen2ForCausalLM', 'qwen2', { fields: () => ({ use_sliding_window: false }) }),
  qwen3: arch('Qwen3ForCausalLM', 'qwen3', { fields: () => ({ attention_bias: false }) }),
  gemma: arch('GemmaForCausalLM', 'gemma', {
    normShift: 1,
    fields: () => ({ hidden_activation: 'gelu_pytorch_tanh' }),
  }),
  gemma2: arch('Gemma2ForCausalLM', 'gemma2', { normShift: 1, layers: GEMMA2_LAYERS, fields: gemma2Fields }),
  gemma3: arch('Gemma3ForCausalLM', 'gemma3_text', { normShift: 1, layers: GEMMA2_LAYERS, fields: gemma3Fields }),
  phi3: arch('Phi3ForCausalLM', 'phi3', {
    layers: PHI3_LAYERS,
    partialRotary: true,
    exported: false,
    fields: phi3Fields,
  }),
  // SmolLM3's NoPE layers: every fourth, fixed in llama.cpp.
  smollm3: arch('SmolLM3ForCausalLM', 'smollm3', {
    pairs: true,
    fields: () => ({ attention_bias: false, mlp_bias: false, no_rope_layer_interval: 4, use_sliding_window: false }),
  }),
};

/** Tensors that are not weights: rotary factors (Llama 3.1's rope_freqs, Phi-3's LongRoPE pair). */
const FACTOR_TENSORS = new Set(['rope_freqs.weight', 'rope_factors_long.weight', 'rope_factors_short.weight']);

type Split = Pick<HfBpeJSON, 'splits' | 'normalizer' | 'ignoreMerges'>;

/**
 * The pre-tokenizers (tokenizer.ggml.pre) whose splitting this reader reproduces exactly, by the
 * names llama.cpp's llama-vocab.cpp gives each of its regex sets (the first name is the one an
 * export writes). Qwen2's NFC is Hugging Face's, which the model was trained with; llama.cpp skips it.
 */
const PRE_TOKENIZER_GROUPS: Array<[string[], Split]> = [
  [['gpt-2', 'phi-2', 'mpt', 'olmo'], {}],
  [
    ['llama-bpe', 'llama3', 'llama-v3', 'falcon3', 'pixtral'],
    {
      splits: [
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      ],
      ignoreMerges: true,
    },
  ],
  [
    ['qwen2', 'deepseek-r1-qwen', 'stablelm2'],
    {
      splits: [
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      ],
      normalizer: 'NFC',
    },
  ],
  // Phi-4's (tiktoken's o200k split, as its tokenizer.json spells it). llama.cpp rewrites its case
  // classes for its own regex engine; on case runs, non-ASCII capitals and combining marks the two
  // give the same ids (gguf-export.test.ts).
  [
    ['gpt-4o'],
    {
      splits: [
        String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
      ],
    },
  ],
  // Single digits first, then GPT-2's split (Hugging Face's Digits + ByteLevel).
  [['smollm', 'starcoder', 'refact', 'command-r', 'codeshell', 'exaone'], { splits: ['\\p{N}', GPT2_SPLIT] }],
];
export const PRE_TOKENIZERS: Record<string, Split> = Object.fromEntries(
  PRE_TOKENIZER_GROUPS.flatMap(([names, split]) => names.map((n) => [n, split])),
);

/** Metadata access that names the file and key in every error. */
class Metadata {
  constructor(
    private readonly m: Map<string, GgufValue>,
    readonly source: string,
  ) {}
  has(key: string): boolean {
    return this.m.has(key);
  }
  private fail(key: string, what: string): never {
    throw new GgufError(`${this.source}: metadata "${key}" ${what}`);
  }
  uint(key: string, fallback?: number): number {
    const v = this.m.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    if (Array.isArray(v)) this.fail(key, 'varies by layer, which this import does not take');
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      this.fail(key, `is ${String(v)}, not a non-negative integer`);
    return n;
  }
  /**
   * A float, as the decimal it was written from: GGUF keeps float32, so 1e-5 comes back as
   * 9.99999975e-6, and the shortest decimal that rounds to the same float32 is what config.json
   * said (the same float32 either way, which is what llama.cpp computes with).
   */
  float(key: string, fallback?: number): number {
    const v = this.m.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `is ${String(v)}, not a finite number`);
    for (let digits = 1; digits < 17; digits++) {
      const decimal = Number(v.toPrecision(digits));
      if (Math.fround(decimal) === v) return decimal;
    }
    return v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.m.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `is ${String(v)}, not a bool`);
    return v;
  }
  string(key: string, fallback?: string): string {
    const v = this.m.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    if (typeof v !== 'string') this.fail(key, `is ${String(v)}, not a string`);
    return v;
  }
  strings(key: string): string[] {
    const v = this.m.get(key);
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      this.fail(key, 'is missing or not an array of strings');
    return v as string[];
  }
  numbers(key: string, length: number): number[] | null {
    const v = this.m.get(key);
    if (v === undefined) return null;
    if (!Array.isArray(v) || v.length !== length || v.some((s) => typeof s !== 'number'))
      this.fail(key, `is not an array of ${length} numbers (one per token)`);
    return v as number[];
  }
}

/** config.json as transformers would have it, from the architecture's metadata keys. */
function hfConfig(
  md: Metadata,
  arch: string,
  tensors: Map<string, GgufTensorInfo>,
  vocab: number,
  factors: Map<string, number[]>,
) {
  const k = (key: string) => `${arch}.${key}`;
  const d = md.uint(k('embedding_length'));
  const heads = md.uint(k('attention.head_count'));
  const headDim = md.uint(k('attention.key_length'), d / heads);
  if (md.uint(k('attention.value_length'), headDim) !== headDim)
    throw new GgufError(`${md.source}: ${k('attention.value_length')} differs from the key length ${headDim}`);
  const rotary = md.uint(k('rope.dimension_count'), headDim);
  const spec = ARCHITECTURES[arch]!;
  if (rotary !== headDim && !spec.partialRotary)
    throw new GgufError(
      `${md.source}: ${k('rope.dimension_count')} is ${rotary}: partial rotary embeddings (of ${headDim}) are not read for ${arch}`,
    );
  const scaling = md.string(k('rope.scaling.type'), 'none');
  if (scaling !== 'none' && scaling !== 'linear')
    throw new GgufError(
      `${md.source}: ${k('rope.scaling.type')} is "${scaling}": only no scaling and "linear" are read (with rope_freqs for Llama 3.1's)`,
    );
  return {
    architectures: [spec.architecture],
    model_type: spec.modelType,
    hidden_act: 'silu',
    hidden_size: d,
    intermediate_size: md.uint(k('feed_forward_length')),
    num_hidden_layers: md.uint(k('block_count')),
    num_attention_heads: heads,
    num_key_value_heads: md.uint(k('attention.head_count_kv'), heads),
    head_dim: headDim,
    max_position_embeddings: md.uint(k('context_length')),
    rms_norm_eps: md.float(k('attention.layer_norm_rms_epsilon')),
    rope_theta: md.float(k('rope.freq_base'), 10000),
    rope_scaling: scaling === 'linear' ? { rope_type: 'linear', factor: md.float(k('rope.scaling.factor')) } : null,
    vocab_size: md.uint(k('vocab_size'), vocab),
    tie_word_embeddings: !tensors.has('output.weight'),
    ...spec.fields({ md, k, tensors, factors, width: d / heads, headDim, rotary }),
    torch_dtype: 'float32',
  };
}

/**
 * Phi-3's: a rotated fraction of each head, a sliding window (0 for none, Phi-4's), and LongRoPE's
 * factor pair as tensors — read for the original context as the Hugging Face import reads it, whose
 * attention factor must be the one the file gives.
 */
function phi3Fields({ md, factors, rotary, headDim }: ArchShape): Record<string, unknown> {
  const rotated = rotary / headDim;
  const context = md.uint('phi3.context_length'),
    original = md.uint('phi3.rope.scaling.original_context_length', context);
  const short = factors.get('rope_factors_short.weight'),
    long = factors.get('rope_factors_long.weight');
  if (short && long) {
    const scale = context / original;
    const expected = scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1;
    const given = md.float('phi3.rope.scaling.attn_factor', expected);
    if (Math.abs(given - expected) > 1e-6 * expected)
      throw new GgufError(
        `${md.source}: phi3.rope.scaling.attn_factor is ${given}, not LongRoPE's √(1 + ln(${context}/${original}) / ln ${original}) = ${expected}`,
      );
  }
  return {
    ...(rotated !== 1 && { partial_rotary_factor: rotated }),
    sliding_window: md.uint('phi3.attention.sliding_window', 0) || null,
    original_max_position_embeddings: original,
    ...(short && long && { rope_scaling: { rope_type: 'longrope', short_factor: short, long_factor: long } }),
  };
}

/**
 * What llama.cpp's Gemma 2 and 3 graphs compute beyond Llama's, in config.json's terms (Gemma 1's is
 * GELU alone): GELU (tanh); queries scaled by 1/√(head size), but by 1/√(d / heads) for the 27B
 * models llama.cpp knows by their layer count (Gemma 2: 46, Gemma 3: 62), as their
 * query_pre_attn_scalar says.
 */
function gemmaCommon({ md, k, width, headDim }: ArchShape, big: number): Record<string, unknown> {
  return {
    hidden_activation: 'gelu_pytorch_tanh',
    query_pre_attn_scalar: md.uint(k('block_count')) === big ? width : headDim,
  };
}

/** Gemma 2: soft-capped scores and logits (llama.cpp's defaults 50 and 30 when the keys are missing), a window on every other layer from the first. */
function gemma2Fields(s: ArchShape): Record<string, unknown> {
  const { md, k } = s;
  return {
    ...gemmaCommon(s, 46),
    attn_logit_softcapping: md.float(k('attn_logit_softcapping'), 50),
    final_logit_softcapping: md.float(k('final_logit_softcapping'), 30),
    sliding_window: md.uint(k('attention.sliding_window'), 4096),
  };
}

/** Gemma 3: a window on five layers of six, rotated at base 10,000 there (both fixed in llama.cpp). */
function gemma3Fields(s: ArchShape): Record<string, unknown> {
  const { md, k } = s;
  const layers = md.uint(k('block_count'));
  return {
    ...gemmaCommon(s, 62),
    sliding_window: md.uint(k('attention.sliding_window')),
    layer_types: Array.from({ length: layers }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention')),
    rope_local_base_freq: 10000,
  };
}

/**
 * The tokenizer as our own JSON, from tokenizer.ggml.* (SentencePiece "llama" or byte-level "gpt2").
 * Token types (llama.cpp's): 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused (the "[PADn]"
 * the conversion fills a padded embedding with), 6 byte. Unknown, control and unused tokens are
 * never produced from text; user-defined ones are found whole in it.
 */
function tokenizerJson(md: Metadata): HfBpeJSON {
  const model = md.string('tokenizer.ggml.model');
  const tokens = md.strings('tokenizer.ggml.tokens');
  const types = md.numbers('tokenizer.ggml.token_type', tokens.length) ?? tokens.map(() => 1);
  const ofType = (t: number) => types.flatMap((x, i) => (x === t ? [i] : []));
  const id = (key: string) => {
    if (!md.has(key)) return null;
    const v = md.uint(key);
    if (v >= tokens.length) throw new GgufError(`${md.source}: ${key} is ${v}, past the ${tokens.length} tokens`);
    return v;
  };
  const bos = id('tokenizer.ggml.bos_token_id');
  const added = ofType(4).map((i) => ({ id: i, content: tokens[i]! }));
  const common = {
    kind: 'hf-bpe' as const,
    vocab: tokens,
    eosId: id('tokenizer.ggml.eos_token_id'),
    ...(added.length > 0 && { added }),
  };
  if (model === 'llama') {
    const scores = md.numbers('tokenizer.ggml.scores', tokens.length);
    if (!scores) throw new GgufError(`${md.source}: a SentencePiece vocabulary without tokenizer.ggml.scores`);
    const nan = scores.findIndex((s) => Number.isNaN(s));
    if (nan >= 0)
      throw new GgufError(`${md.source}: tokenizer.ggml.scores[${nan}] is NaN: merges are ordered by score`);
    const pieces = tokens.map((piece, i) => ({ piece, score: scores[i]!, type: PIECE_TYPES[types[i]!] ?? 'NORMAL' }));
    return sentencePieceJson(pieces, {
      bosId: md.bool('tokenizer.ggml.add_bos_token', true) ? bos : null,
      eosId: id('tokenizer.ggml.eos_token_id'),
      unkId: id('tokenizer.ggml.unknown_token_id'),
      dummyPrefix: md.bool('tokenizer.ggml.add_space_prefix', true),
      byteFallback: ofType(6).length > 0,
      // The unused "[PADn]" pieces a conversion pads the embedding with are never produced either.
      unproduced: ['UNKNOWN', 'CONTROL', 'UNUSED'],
    });
  }
  if (model === 'gpt2') {
    if (!md.has('tokenizer.ggml.pre'))
      throw new GgufError(
        `${md.source}: no tokenizer.ggml.pre: a byte-level vocabulary without it is split by llama.cpp's older default rule, which is not read`,
      );
    const pre = md.string('tokenizer.ggml.pre');
    const split = PRE_TOKENIZERS[pre];
    if (!split)
      throw new GgufError(
        `${md.source}: tokenizer.ggml.pre is "${pre}": the pre-tokenizers read are ${Object.keys(PRE_TOKENIZERS).join(', ')} (another would split text differently)`,
      );
    const merges = md.strings('tokenizer.ggml.merges').map((m, i): [string, string] => {
      const parts = m.split(' ');
      if (parts.length !== 2)
        throw new GgufError(`${md.source}: tokenizer.ggml.merges[${i}] is not two tokens: "${m}"`);
      return [parts[0]!, parts[1]!];
    });
    return {
      ...common,
      mode: 'byte-level',
      merges,
      special: [...ofType(3), ...ofType(5)].sort((a, b) => a - b),
      bosId: md.bool('tokenizer.ggml.add_bos_token', pre === 'llama-bpe') ? bos : null,
      ...split,
    };
  }
  throw new GgufError(
    `${md.source}: tokenizer.ggml.model is "${model}": SentencePiece ("llama") and byte-level BPE ("gpt2") vocabularies are read`,
  );
}

/** Where each Hugging Face tensor comes from, and how its rows are reordered on the way. */
interface Source {
  info: GgufTensorInfo;
  /** Heads whose rotary pairs become halves (Llama's q_proj / k_proj), or 0. */
  unpairHeads: number;
  /** Subtracted from every value (Gemma's norms: GGUF's 1 + w back to w). */
  shift: number;
}

function hfName(name: string, layers: Record<string, string>, source: string): string | null {
  if (GLOBAL_NAMES[name]) return GLOBAL_NAMES[name];
  const m = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(name);
  const module = m && layers[m[2]!];
  if (m && module) return `model.layers.${m[1]}.${module}.${m[3]}`;
  if (FACTOR_TENSORS.has(name)) return null;
  throw new GgufError(
    `${source}: tensor "${name}" is not one this import reads${/_exps\./.test(name) ? ' (mixture-of-experts layers are not supported)' : ''}`,
  );
}

export interface GgufDirectory {
  /** The files a Hugging Face import reads, made from the GGUF file on request. */
  reader: HfFileReader;
  architecture: string;
  /** ggml types of the weights, with counts ("Q4_K ×97"). */
  types: string[];
  notes: string[];
  /** Llama 3.1's rope scaling as per-frequency factors (rope_freqs.weight), when present. */
  ropeFactors: number[] | null;
}

/** The GGUF file `file` of `files` seen as a Hugging Face model directory. */
export function ggufDirectory(files: HfFileReader, file: string): GgufDirectory {
  const source = files.source ? `${files.source}/${file}` : file;
  const read = (start: number, end: number) => files.read(file, start, end);
  const gguf: GgufFile = readGgufHeader(read, files.size(file), source);
  const md = new Metadata(gguf.metadata, source);
  const arch = md.string('general.architecture');
  const spec = ARCHITECTURES[arch];
  if (!spec)
    throw new GgufError(
      `${source}: general.architecture is "${arch}": the architectures read are ${Object.keys(ARCHITECTURES).join(', ')}`,
    );
  const tok = tokenizerJson(md);
  const factors = new Map(
    [...gguf.tensors.values()]
      .filter((t) => FACTOR_TENSORS.has(t.name))
      .map((t) => [t.name, [...dequantize(t.type, read(t.start, t.end), t.shape[0]!)]]),
  );
  const config = hfConfig(md, arch, gguf.tensors, tok.vocab.length, factors);
  const ropeFactors = factors.get('rope_freqs.weight') ?? null;
  const sources = new Map<string, Source>();
  for (const info of gguf.tensors.values()) {
    const name = hfName(info.name, spec.layers, source);
    if (name === null) continue;
    // convert_hf_to_gguf.py permutes Llama's query/key biases as it does their weights.
    const q = /q_proj\.(weight|bias)$/.test(name),
      k = /k_proj\.(weight|bias)$/.test(name);
    const unpairHeads = spec.pairs && (q || k) ? (q ? config.num_attention_heads : config.num_key_value_heads) : 0;
    sources.set(name, { info, unpairHeads, shift: name.endsWith('norm.weight') ? spec.normShift : 0 });
  }
  const counts = new Map<string, number>();
  for (const s of sources.values())
    counts.set(ggmlTypeName(s.info.type), (counts.get(ggmlTypeName(s.info.type)) ?? 0) + 1);
  const types = [...counts].map(([t, n]) => `${t} ×${n}`);
  const notes = [`read from GGUF (${arch}): ${types.join(', ')}, dequantized to float32`];
  if (spec.pairs) notes.push("query and key rows put back from GGUF's rotary pairs into transformers' halves");
  if (spec.normShift) notes.push("the norms' gains stored as 1 + w (llama.cpp's form) read back as Gemma's w");
  if (factors.has('rope_factors_short.weight'))
    notes.push(
      "rope_factors_short/long.weight (Phi-3's LongRoPE) read for the original context, with the short factors, as the Hugging Face import reads them",
    );
  if (ropeFactors)
    notes.push(
      "rope_freqs.weight (Llama 3.1's rope scaling, one factor per frequency) read as LongRoPE-style factors; an export to Hugging Face refuses it",
    );
  const text = hfTokenizerFiles(tok);
  const virtualFiles: Record<string, Uint8Array> = {
    'config.json': new TextEncoder().encode(JSON.stringify(config)),
    'tokenizer.json': new TextEncoder().encode(text['tokenizer.json']!),
    'tokenizer_config.json': new TextEncoder().encode(text['tokenizer_config.json']!),
  };
  const weights = virtualSafetensors(sources, read);
  return {
    reader: {
      source,
      freshReads: true,
      has: (f) => f in virtualFiles || f === 'model.safetensors',
      size: (f) => (f === 'model.safetensors' ? weights.size : (virtualFiles[f]?.length ?? 0)),
      read: (f, start, end) =>
        f === 'model.safetensors' ? weights.read(start, end) : virtualFiles[f]!.slice(start, end),
    },
    architecture: spec.architecture,
    types,
    notes,
    ropeFactors,
  };
}

/** A float32 safetensors file of the mapped tensors, each dequantized only when its bytes are read. */
function virtualSafetensors(sources: Map<string, Source>, read: (start: number, end: number) => Uint8Array) {
  const header: Record<string, { dtype: 'F32'; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, s] of sources) {
    const bytes = 4 * s.info.shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape: s.info.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(new TextEncoder().encode(json), 8);
  const byStart = new Map([...sources].map(([name, s]) => [head.length + header[name]!.data_offsets[0], s]));
  return {
    size: head.length + offset,
    read(start: number, end: number): Uint8Array {
      if (end <= head.length) return head.slice(start, end);
      const s = byStart.get(start);
      if (!s) throw new Error(`GGUF: bytes ${start}-${end} of the virtual model.safetensors are not one tensor`);
      const count = s.info.shape.reduce((a, b) => a * b, 1);
      let values = dequantize(s.info.type, read(s.info.start, s.info.end), count);
      // GGUF's adjacent rotary pairs → transformers' halves, as GPT-J's are read.
      if (s.unpairHeads) {
        const cols = s.info.shape[1] ?? 1;
        const size = values.length / cols / s.unpairHeads;
        values = reorderRotaryRows(values, size, cols, size);
      }
      if (s.shift) for (let i = 0; i < values.length; i++) values[i] = values[i]! - s.shift;
      return new Uint8Array(values.buffer);
    },
  };
}

/** Opens a GGUF file as openHfModel opens a directory: everything checked before any weight is read. */
export function openGgufModel(files: HfFileReader, file: string): HfModel {
  const dir = ggufDirectory(files, file);
  let model: HfModel;
  try {
    model = openHfModel(dir.reader);
  } catch (e) {
    if (e instanceof HfImportError) throw new GgufError(e.message);
    throw e;
  }
  const config = dir.ropeFactors
    ? { ...model.config, ropeScaling: { type: 'longrope' as const, factors: dir.ropeFactors } }
    : model.config;
  return {
    ...model,
    config,
    architecture: dir.architecture,
    dtypes: dir.types,
    files: [file],
    notes: [...dir.notes, ...model.notes],
  };
}
