// A model as a GGUF file for llama.cpp (and the tools built on it: Ollama, LM Studio, …): the
// Llama, Qwen2, Qwen3 and Gemma 1-3 layouts as convert_hf_to_gguf.py writes them — its tensor names
// and metadata keys, Llama's query/key rows permuted into rotary pairs, Gemma's norm gains as 1 + w,
// norms and biases in F32, the
// matrices in F32, F16 or BF16 or quantized as llama-quantize quantizes them (Q8_0, Q6_K, Q5_K_M,
// Q4_K_M, Q4_0: its choice of type per tensor and ggml's reference rounding, byte for byte), Llama 3.1's rope scaling as a
// rope_freqs tensor, the vocabulary as tokenizer.ggml.*. Cross-layer weight sharing is written out
// layer by layer; what llama.cpp's architectures cannot compute is refused, naming the field,
// because the file is read back as an import would read it and compared with the model.
import type { ModelConfig } from '../../model/config.js';
import { headSize, rotaryDims } from '../../model/config.js';
import type { TransformerLM } from '../../model/transformer.js';
import { ropeInverseFrequencies } from '../../tensor/ops/rope.js';
import { HfBpeTokenizer, type HfBpeJSON } from '../../text/hf-bpe.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { exportFamily, FAMILY_TENSORS, HfExportError, sameComputation } from '../hf/export.js';
import { fromBuffers } from '../hf/model.js';
import { FAMILY_NAME, reorderRotaryRows } from '../hf/tensors.js';
import { GGML_TYPES } from './dequantize.js';
import { BLOCK_VALUES, type QuantizedType, quantize } from './quantize.js';
import { writeGguf, type GgufTensorToWrite, type GgufTyped } from './gguf-file.js';
import { ARCHITECTURES, GLOBAL_NAMES, openGgufModel, PRE_TOKENIZERS } from './gguf-model.js';

/** The float types convert_hf_to_gguf.py writes and llama-quantize's presets (its --help names). */
export type GgufWeightType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q6_K' | 'Q5_K_M' | 'Q4_K_M' | 'Q4_0';

/** general.file_type: llama.h's llama_ftype of each. */
const FILE_TYPE: Record<GgufWeightType, number> = {
  F32: 0,
  F16: 1,
  BF16: 32,
  Q8_0: 7,
  Q6_K: 18,
  Q5_K_M: 17,
  Q4_K_M: 15,
  Q4_0: 2,
};

/** llama-quantize's fallbacks for rows that do not hold whole blocks (tensor_type_fallback). */
const FALLBACK: Partial<Record<QuantizedType, QuantizedType>> = { Q4_K: 'Q5_0', Q5_K: 'Q5_1', Q6_K: 'Q8_0' };

/** The layers Q4_K_M and Q5_K_M give more bits: the first and last eighth, and every third between. */
function moreBits(layer: number, layers: number): boolean {
  const eighth = Math.floor(layers / 8);
  return layer < eighth || layer >= Math.floor((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

/**
 * The type a tensor is stored as (llama-quantize's llama_tensor_get_type without an importance
 * matrix, for these dense architectures): vectors stay F32; the output head — or the embedding
 * it is tied to — takes Q6_K under a quantized preset; Q4_K_M and Q5_K_M give Q6_K to the value and FFN-down
 * projections of moreBits's layers; rows that do not hold whole blocks fall back to a 32-block
 * type, or to F16.
 */
function storedType(
  preset: GgufWeightType,
  name: string,
  shape: readonly number[],
  layers: number,
  tied: boolean,
): { type: QuantizedType; intended: QuantizedType } {
  if (shape.length < 2) return { type: 'F32', intended: 'F32' };
  if (preset === 'F32' || preset === 'F16' || preset === 'BF16') return { type: preset, intended: preset };
  const base: QuantizedType = preset === 'Q4_K_M' ? 'Q4_K' : preset === 'Q5_K_M' ? 'Q5_K' : preset;
  const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1);
  const cols = shape[shape.length - 1]!;
  let type: QuantizedType = base;
  if (name === 'output.weight' || (tied && name === 'token_embd.weight'))
    type = cols % BLOCK_VALUES[base] !== 0 || base === 'Q8_0' ? 'Q8_0' : 'Q6_K';
  else if (preset.endsWith('_K_M') && /\.(attn_v|ffn_down)\.weight$/.test(name) && moreBits(layer, layers))
    type = 'Q6_K';
  if (cols % BLOCK_VALUES[type] === 0) return { type, intended: type };
  const fallback = FALLBACK[type] ?? type;
  return { type: cols % BLOCK_VALUES[fallback] === 0 ? fallback : 'F16', intended: type };
}

const EXPORTED = Object.keys(ARCHITECTURES).filter((a) => ARCHITECTURES[a]!.exported);

export interface GgufExport {
  bytes: Uint8Array;
  /** general.architecture. */
  architecture: string;
  /** ggml types of the tensors written, with counts ("Q8_0 ×14"). */
  types: string[];
  notes: string[];
}

const TYPE_NUMBER = Object.fromEntries(Object.entries(GGML_TYPES).map(([n, t]) => [t.name, Number(n)]));
function ggufName(hf: string, layers: Record<string, string>): string {
  const global = Object.keys(GLOBAL_NAMES).find((g) => GLOBAL_NAMES[g] === hf);
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf);
  const module = m && Object.keys(layers).find((g) => layers[g] === m[2]);
  if (!m || !module) throw new HfExportError(`GGUF has no tensor for "${hf}"`);
  return `blk.${m[1]}.${module}.${m[3]}`;
}

/** Llama 3.1's rescaling as the per-frequency factors convert_hf_to_gguf.py stores in rope_freqs. */
function ropeFactors(c: ModelConfig): Float32Array | null {
  const s = c.ropeScaling;
  if (!s || s.type === 'linear') return null;
  if (s.type === 'longrope') return Float32Array.from(s.factors);
  const dim = headSize(c);
  const plain = ropeInverseFrequencies(dim, c.ropeBase),
    scaled = ropeInverseFrequencies(dim, c.ropeBase, s);
  return Float32Array.from(plain, (f, i) => f / scaled[i]!);
}

/** llama.cpp's token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte. */
function tokenTypes(j: HfBpeJSON): number[] {
  const types = j.vocab.map(() => 1);
  if (j.mode === 'sentencepiece' && j.byteFallback !== false)
    j.vocab.forEach((t, i) => {
      if (/^<0x[0-9A-F]{2}>$/.test(t)) types[i] = 6;
    });
  for (const t of j.added ?? []) types[t.id] = 4;
  for (const id of j.special) types[id] = 3;
  if (j.unkId !== null && j.unkId !== undefined) types[j.unkId] = 2;
  return types;
}

/**
 * SentencePiece scores that give back these merges: each token scores minus the rank of the first
 * merge that makes it (llama.cpp merges the highest-scoring pair first, and the import derives the
 * merges from the scores the same way). Tokens no merge makes score 0.
 */
function scoresFromMerges(j: HfBpeJSON): number[] {
  const rank = new Map<string, number>();
  j.merges.forEach(([a, b], r) => {
    if (!rank.has(a + b)) rank.set(a + b, r);
  });
  return j.vocab.map((t) => (rank.has(t) ? -1 - rank.get(t)! : 0));
}

function preTokenizerName(j: HfBpeJSON): string {
  const key = (p: Pick<HfBpeJSON, 'splits' | 'normalizer' | 'ignoreMerges'>) =>
    JSON.stringify([p.splits ?? null, p.normalizer ?? null, p.ignoreMerges ?? false]);
  const name = Object.keys(PRE_TOKENIZERS).find((n) => key(PRE_TOKENIZERS[n]!) === key(j));
  if (!name)
    throw new HfExportError(
      `the tokenizer splits text in a way none of llama.cpp's pre-tokenizers that shareformer reads does (${Object.keys(PRE_TOKENIZERS).join(', ')}), so llama.cpp would give other token ids`,
    );
  return name;
}

function tokenizerMetadata(tokenizer: Tokenizer): Array<[string, GgufTyped]> {
  if (!(tokenizer instanceof HfBpeTokenizer))
    throw new HfExportError(
      `the tokenizer is shareformer's ${tokenizer.kind} tokenizer, which llama.cpp has no vocabulary type for (it takes SentencePiece and byte-level BPE vocabularies, as imported from Hugging Face or GGUF)`,
    );
  const j = tokenizer.toJSON();
  if (j.mode !== 'sentencepiece' && j.mode !== 'byte-level')
    throw new HfExportError(`the tokenizer's ${j.mode} mode has no llama.cpp vocabulary type`);
  const spm = j.mode === 'sentencepiece';
  const md: Array<[string, GgufTyped]> = [
    ['tokenizer.ggml.model', { type: 'string', value: spm ? 'llama' : 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: spm ? 'default' : preTokenizerName(j) }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: j.vocab }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: tokenTypes(j) }],
  ];
  if (spm) md.push(['tokenizer.ggml.scores', { type: 'f32s', value: scoresFromMerges(j) }]);
  else md.push(['tokenizer.ggml.merges', { type: 'strings', value: j.merges.map(([a, b]) => `${a} ${b}`) }]);
  if (j.bosId !== null) md.push(['tokenizer.ggml.bos_token_id', { type: 'u32', value: j.bosId }]);
  if (j.eosId !== null) md.push(['tokenizer.ggml.eos_token_id', { type: 'u32', value: j.eosId }]);
  if (spm && j.unkId !== null && j.unkId !== undefined)
    md.push(['tokenizer.ggml.unknown_token_id', { type: 'u32', value: j.unkId }]);
  md.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: j.bosId !== null }]);
  if (spm && j.dummyPrefix === false) md.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }]);
  return md;
}

function modelMetadata(arch: string, c: ModelConfig): Array<[string, GgufTyped]> {
  const u32 = (value: number): GgufTyped => ({ type: 'u32', value });
  const hd = headSize(c);
  const md: Array<[string, GgufTyped]> = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: 'shareformer export' }],
    [`${arch}.context_length`, u32(c.context)],
    [`${arch}.embedding_length`, u32(c.dModel)],
    [`${arch}.block_count`, u32(c.layers)],
    [`${arch}.feed_forward_length`, u32(c.ffnHidden)],
    [`${arch}.attention.head_count`, u32(c.heads)],
    [`${arch}.attention.head_count_kv`, u32(c.kvHeads)],
    [`${arch}.rope.freq_base`, { type: 'f32', value: c.ropeBase }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: c.normEps }],
    [`${arch}.rope.dimension_count`, u32(rotaryDims(c))],
    [`${arch}.vocab_size`, u32(c.vocabSize)],
  ];
  if (hd * c.heads !== c.dModel)
    md.push([`${arch}.attention.key_length`, u32(hd)], [`${arch}.attention.value_length`, u32(hd)]);
  if (c.ropeScaling?.type === 'linear')
    md.push(
      [`${arch}.rope.scaling.type`, { type: 'string', value: 'linear' }],
      [`${arch}.rope.scaling.factor`, { type: 'f32', value: c.ropeScaling.factor }],
    );
  return [...md, ...gemmaMetadata(arch, c)];
}

/** Gemma's keys as Gemma*Model.set_gguf_parameters writes them (what llama.cpp fixes, it does not). */
function gemmaMetadata(arch: string, c: ModelConfig): Array<[string, GgufTyped]> {
  if (!arch.startsWith('gemma')) return [];
  const hd = headSize(c);
  const md: Array<[string, GgufTyped]> = [];
  if (hd * c.heads === c.dModel)
    md.push(
      [`${arch}.attention.key_length`, { type: 'u32', value: hd }],
      [`${arch}.attention.value_length`, { type: 'u32', value: hd }],
    );
  if (arch === 'gemma2')
    md.push(
      [`${arch}.attn_logit_softcapping`, { type: 'f32', value: c.attentionSoftcap }],
      [`${arch}.final_logit_softcapping`, { type: 'f32', value: c.logitSoftcap }],
    );
  if (c.slidingWindow > 0) md.push([`${arch}.attention.sliding_window`, { type: 'u32', value: c.slidingWindow }]);
  return md;
}

/** The GGUF file of this model and tokenizer, its matrices stored as `type`. */
export function exportGguf(lm: TransformerLM, tokenizer: Tokenizer, type: GgufWeightType = 'F16'): GgufExport {
  const c = lm.config;
  // LongRoPE factors (from a GGUF's rope_freqs) are what GGUF stores; the family is the rest's.
  const family = exportFamily(c.ropeScaling?.type === 'longrope' ? { ...c, ropeScaling: null } : c);
  // llama.cpp's architecture names are the Hugging Face families' names here.
  const arch = EXPORTED.includes(family) ? family : undefined;
  if (!arch)
    throw new HfExportError(
      `GGUF export writes llama.cpp's ${EXPORTED.join(', ')} architectures; this model's layout is ${FAMILY_NAME[family]}'s`,
    );
  const notes: string[] = [];
  const tensors: GgufTensorToWrite[] = [];
  const counts = new Map<string, number>();
  const spec = ARCHITECTURES[arch]!;
  const weights = Object.entries(FAMILY_TENSORS[family](lm));
  const tied = !weights.some(([hf]) => hf === 'lm_head.weight');
  const fallbacks = new Map<string, number>();
  for (const [hf, t] of weights) {
    let data = t.data as Float32Array;
    const cols = t.shape.length > 1 ? t.shape[1]! : 1;
    // transformers' rotate-half rows → GGUF's adjacent pairs, as GPT-J's are written.
    if (spec.pairs && /\.(q|k)_proj\.(weight|bias)$/.test(hf))
      data = reorderRotaryRows(data, headSize(c), cols, headSize(c), true);
    if (spec.normShift && hf.endsWith('norm.weight')) data = data.map((v) => v + spec.normShift);
    const name = ggufName(hf, spec.layers);
    const { type: stored, intended } = storedType(type, name, t.shape, c.layers, tied);
    if (stored !== intended)
      fallbacks.set(`${intended} → ${stored}`, (fallbacks.get(`${intended} → ${stored}`) ?? 0) + 1);
    tensors.push({ name, shape: t.shape, type: TYPE_NUMBER[stored]!, data: quantize(stored, data) });
    counts.set(stored, (counts.get(stored) ?? 0) + 1);
  }
  const factors = ropeFactors(c);
  if (factors) {
    tensors.push({ name: 'rope_freqs.weight', shape: [factors.length], type: 0, data: quantize('F32', factors) });
    if (c.ropeScaling?.type === 'llama3')
      notes.push("Llama 3.1's rope scaling is written as rope_freqs factors, as convert_hf_to_gguf.py writes it");
  }
  if (fallbacks.size > 0)
    notes.push(
      `matrices whose rows do not hold whole blocks fall back as llama-quantize's do: ${[...fallbacks].map(([f, n]) => `${f} ×${n}`).join(', ')}`,
    );
  const shares = [lm.plan.attnSet, lm.plan.ffnSet].some((sets) => sets.some((set, i) => set !== i));
  if (shares) notes.push('cross-layer weight sharing is written out layer by layer (GGUF has no shared tensors)');
  const general: Array<[string, GgufTyped]> = [
    ['general.file_type', { type: 'u32', value: FILE_TYPE[type] }],
    // ggml's block formats' version (GGML_QNT_VERSION), which convert_hf_to_gguf.py writes too.
    ['general.quantization_version', { type: 'u32', value: 2 }],
  ];
  const bytes = writeGguf([...modelMetadata(arch, c), ...general, ...tokenizerMetadata(tokenizer)], tensors);
  checkReadBack(bytes, c, factors, arch);
  return { bytes, architecture: arch, types: [...counts].map(([t, n]) => `${t} ×${n}`), notes };
}

/** The file, read as an import reads it, must describe this model (its rope factors as stored). */
function checkReadBack(bytes: Uint8Array, c: ModelConfig, factors: Float32Array | null, arch: string): void {
  const back = openGgufModel(fromBuffers({ 'model.gguf': bytes }, ''), 'model.gguf').config;
  const expected = factors ? { ...c, ropeScaling: { type: 'longrope' as const, factors: [...factors] } } : c;
  sameComputation(expected, back, `GGUF's ${arch} architecture cannot hold this model: the file`);
}
