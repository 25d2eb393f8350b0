// Hugging Face tensor names and layouts ↔ shareformer parameters. GPT-2 stores Conv1D weights
// transposed ([in, out]) and Q, K, V fused in c_attn; Llama, Qwen2 and Qwen3 store [out, in] like
// shareformer (Qwen2 with Q/K/V biases, Qwen3 with q_norm / k_norm per layer); Phi-3 stores Llama's
// matrices with Q, K, V fused in qkv_proj and the gate and up projections in gate_up_proj; Gemma 3
// stores four norms per layer whose gain is 1 + the stored weight (shareformer keeps the gain);
// GPT-NeoX fuses Q, K, V head by head (each head's query, key and value rows in turn); Phi-2's one
// LayerNorm per layer fills both of shareformer's, and its head has a bias; GPT-J has Phi's shape
// under GPT-2's prefix and rotates adjacent pairs of each query and key head, which shareformer's
// rotate-half kernels compute after a permutation of those rows; OPT keeps two padding rows before
// its position table; GPT-Neo keeps each layer's causal (or local) mask as a buffer; InternLM2
// fuses Q/K/V key/value group by group, as Falcon does; GLM-4 rotates half of each head in
// adjacent pairs, as GPT-J does.
// Both layouts people have are accepted: as published on the Hub (GPT-2 without the
// `transformer.` prefix, with the causal-mask buffers `h.N.attn.bias`, which are not parameters)
// and as `save_pretrained` writes them (`transformer.` / `model.` prefixes, `lm_head.weight` when
// untied). Runs in browsers: it names tensors and reshapes arrays, it reads no files.
import { headSize, rotaryDims, type ModelConfig } from '../../model/config.js';
import { parameterLayout } from '../../model/parameters.js';
import { toFloat32, type Dtype, type StoredTensor } from '../safetensors.js';
import { BAICHUAN2_VOCAB, HfImportError, type HfFamily } from './config.js';

/** Where one shareformer parameter comes from: a tensor, maybe transposed, maybe a block of its rows. */
export interface Recipe {
  /** The tensor; empty for a parameter the files do not store (see `fill`). */
  from: string;
  /** No tensor: every element is this value (OLMo's LayerNorms have no gains: 1). */
  fill?: number;
  /** Conv1D weights are [in, out]: transpose to [out, in]. */
  transpose: boolean;
  /** After transposing, rows [start, end) (or elements of a vector) of a fused tensor: one of Q, K, V in c_attn. */
  rows?: [number, number];
  /** The fused tensor's rows as config.json implies them (checked, so a block never reads its neighbour's rows). */
  fusedRows?: number;
  /** What the fused tensor holds, for messages: "Q/K/V", "gate/up". */
  fused?: string;
  /** Gemma's RMSNorm multiplies by 1 + weight: the gain is the stored value plus one. */
  plusOne?: boolean;
  /**
   * GPT-NeoX's fused Q/K/V holds `parts` blocks of `size` rows per head, head after head: this
   * parameter is block `part` of every head (rows then spans the parameter's own rows). Falcon's
   * holds each key/value group's query heads, then its key and value: `heads` counts the groups
   * and the queries take `span` blocks of each.
   */
  perHead?: { heads: number; size: number; part: number; parts: number; span?: number };
  /**
   * GPT-J rotates dimensions (2i, 2i + 1) of a head's first `rotated`; shareformer rotates (i, i + rotated/2)
   * at the same frequency. Taking row 2i of each head to row i and row 2i + 1 to row rotated/2 + i
   * turns one into the other (scores q·k are unchanged by permuting q and k alike).
   */
  pairsToHalves?: { size: number; rotated: number };
  /** Stored with more dimensions than the parameter (Command R+'s [heads, head size] gains): same elements, in order. */
  flatten?: boolean;
  /**
   * LongRoPE's attention factor, which transformers applies to cos and sin: the first `rotated` rows
   * of each head (`size` rows) multiplied by `factor` — the same rotation of a scaled query or key.
   */
  scaleRotated?: { size: number; rotated: number; factor: number };
  /** Baichuan 2's NormHead: each row divided by its Euclidean length (torch's F.normalize, eps 1e-12). */
  unitRows?: boolean;
  /** Tensors whose elements follow `from`'s in the parameter (StableLM 2 12B's one LayerNorm per head: norms.1, norms.2, …). */
  also?: string[];
}

/** Tensors in Hugging Face files that are buffers, not parameters. */
const BUFFERS = [
  /(^|\.)h\.\d+\.attn\.(bias|masked_bias)$/,
  /(^|\.)layers\.\d+\.attention\.(bias|masked_bias)$/,
  /\.rotary_emb\.inv_freq$/,
  /(^|\.)h\.\d+\.attn\.attention\.(bias|masked_bias)$/,
];

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
}

/**
 * The prefix the file uses (Hub GPT-2: none; save_pretrained: `transformer.`; Llama: `model.`;
 * Gemma 3's multimodal checkpoints: `language_model.model.`, or `model.language_model.` since
 * transformers 4.52).
 */
function prefixOf(family: HfFamily, names: Iterable<string>): string {
  const list = [...names];
  const candidates =
    family === 'gpt2' ||
    family === 'gpt_neo' ||
    family === 'gptj' ||
    family === 'falcon' ||
    family === 'bloom' ||
    family === 'mpt' ||
    family === 'gpt_bigcode' ||
    family === 'exaone'
      ? ['transformer.']
      : family === 'gpt_neox'
        ? ['gpt_neox.']
        : family === 'opt'
          ? ['model.decoder.', 'decoder.']
          : ['model.language_model.', 'language_model.model.', 'model.'];
  return candidates.find((c) => list.some((n) => n.startsWith(c))) ?? '';
}

/** A Gemma 3 multimodal checkpoint's vision tower and projector: not part of the text model. */
const VISION = /^(model\.)?(vision_tower|multi_modal_projector)\./;

function gpt2Recipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const d = c.dModel;
  const direct = (from: string, transpose = false): Recipe => ({ from: p + from, transpose });
  if (name === 'embed.weight') return direct('wte.weight');
  if (name === 'pos.weight') return direct('wpe.weight');
  if (name === 'norm.weight') return direct('ln_f.weight');
  if (name === 'norm.bias') return direct('ln_f.bias');
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const [, layer, part, kind] = m as unknown as [string, string, string, 'weight' | 'bias'];
  const h = `h.${layer}.`;
  const qkv = { 'attn.q': 0, 'attn.k': 1, 'attn.v': 2 } as Record<string, number>;
  if (part in qkv)
    return {
      from: `${p}${h}attn.c_attn.${kind}`,
      transpose: kind === 'weight',
      rows: [qkv[part]! * d, (qkv[part]! + 1) * d],
      fusedRows: 3 * d,
      fused: 'Q/K/V',
    };
  const map: Record<string, string> = {
    norm1: 'ln_1',
    norm2: 'ln_2',
    'attn.o': 'attn.c_proj',
    'ffn.up': 'mlp.c_fc',
    'ffn.down': 'mlp.c_proj',
  };
  const from = map[part];
  return from ? direct(`${h}${from}.${kind}`, kind === 'weight' && part !== 'norm1' && part !== 'norm2') : null;
}

/** GPT-Neo: GPT-2's prefix, ln_1 / ln_2 and wpe; attn.attention's separate projections; mlp.c_fc / c_proj as [out, in]. */
function gptNeoRecipe(name: string, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('wte.weight');
  if (name === 'pos.weight') return direct('wpe.weight');
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`ln_f.${name.slice(5)}`);
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const map: Record<string, string> = {
    norm1: 'ln_1',
    norm2: 'ln_2',
    'attn.q': 'attn.attention.q_proj',
    'attn.k': 'attn.attention.k_proj',
    'attn.v': 'attn.attention.v_proj',
    'attn.o': 'attn.attention.out_proj',
    'ffn.up': 'mlp.c_fc',
    'ffn.down': 'mlp.c_proj',
  };
  const from = map[m[2]!];
  return from ? direct(`h.${m[1]}.${from}.${m[3]}`) : null;
}

/**
 * OPT: fairseq's names under decoder. (the Hub's files) or model.decoder. (save_pretrained); its
 * position table's first two rows are the padding offset no unpadded position reads, so the
 * parameter is the rows after them.
 */
function optRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('embed_tokens.weight');
  if (name === 'pos.weight')
    return {
      ...direct('embed_positions.weight'),
      rows: [OPT_POSITION_OFFSET, OPT_POSITION_OFFSET + c.context],
      fusedRows: OPT_POSITION_OFFSET + c.context,
      fused: 'position table (max_position_embeddings + the 2 rows of its padding offset)',
    };
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`final_layer_norm.${name.slice(5)}`);
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const map: Record<string, string> = {
    norm1: 'self_attn_layer_norm',
    norm2: 'final_layer_norm',
    'attn.q': 'self_attn.q_proj',
    'attn.k': 'self_attn.k_proj',
    'attn.v': 'self_attn.v_proj',
    'attn.o': 'self_attn.out_proj',
    'ffn.up': 'fc1',
    'ffn.down': 'fc2',
  };
  const from = map[m[2]!];
  return from ? direct(`layers.${m[1]}.${from}.${m[3]}`) : null;
}

/** Rows before position 0 in OPT's learned position table (fairseq's padding_idx + 1). */
export const OPT_POSITION_OFFSET = 2;

/** Q, K or V (part 0, 1, 2) of a tensor fusing them head by head (GPT-NeoX, BLOOM). */
function perHeadQkv(from: string, c: ModelConfig, part: number): Recipe {
  const hd = headSize(c);
  return {
    from,
    transpose: false,
    rows: [0, c.heads * hd],
    fusedRows: 3 * c.heads * hd,
    fused: 'Q/K/V (per head)',
    perHead: { heads: c.heads, size: hd, part, parts: 3 },
  };
}

const QKV_PART = { 'attn.q': 0, 'attn.k': 1, 'attn.v': 2 } as Record<string, number>;

/** GPT-NeoX: its own names; Q, K, V fused head by head in query_key_value (weights and biases). */
function neoxRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('embed_in.weight');
  if (name === 'norm.weight') return direct('final_layer_norm.weight');
  if (name === 'norm.bias') return direct('final_layer_norm.bias');
  if (name === 'head.weight') return { from: 'embed_out.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const [, layer, part, kind] = m as unknown as [string, string, string, string];
  if (part in QKV_PART) return perHeadQkv(`${p}layers.${layer}.attention.query_key_value.${kind}`, c, QKV_PART[part]!);
  const map: Record<string, string> = {
    norm1: 'input_layernorm',
    norm2: 'post_attention_layernorm',
    'attn.o': 'attention.dense',
    'ffn.up': 'mlp.dense_h_to_4h',
    'ffn.down': 'mlp.dense_4h_to_h',
  };
  const from = map[part];
  return from ? direct(`layers.${layer}.${from}.${kind}`) : null;
}

/** BLOOM: word_embeddings and its LayerNorm, h.N, ln_f; Q, K, V fused head by head as GPT-NeoX's. */
function bloomRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('word_embeddings.weight');
  if (name.startsWith('embed.norm.')) return direct(`word_embeddings_layernorm.${name.slice('embed.norm.'.length)}`);
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`ln_f.${name.slice(5)}`);
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const [, layer, part, kind] = m as unknown as [string, string, string, string];
  if (part in QKV_PART) return perHeadQkv(`${p}h.${layer}.self_attention.query_key_value.${kind}`, c, QKV_PART[part]!);
  const map: Record<string, string> = {
    norm1: 'input_layernorm',
    norm2: 'post_attention_layernorm',
    'attn.o': 'self_attention.dense',
    'ffn.up': 'mlp.dense_h_to_4h',
    'ffn.down': 'mlp.dense_4h_to_h',
  };
  const from = map[part];
  return from ? direct(`h.${layer}.${from}.${kind}`) : null;
}

/**
 * GPTBigCode: GPT-2's names with nn.Linear layers ([out, in], no transposing); c_attn holds the
 * queries, then one key and one value head under multi_query, or Q/K/V head by head without.
 */
function bigcodeRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const r = gpt2Recipe(name, c, p);
  if (!r) return null;
  const m = /^layers\.\d+\.attn\.([qkv])\.(weight|bias)$/.exec(name);
  if (!m) return { ...r, transpose: false };
  const part = QKV_PART[`attn.${m[1]}`]!;
  if (c.kvHeads !== 1) return perHeadQkv(r.from, c, part);
  const d = c.dModel,
    hd = headSize(c);
  const rows: [number, number] = part === 0 ? [0, d] : [d + (part - 1) * hd, d + part * hd];
  return { from: r.from, transpose: false, rows, fusedRows: d + 2 * hd, fused: 'Q/K/V (multi-query)' };
}

/** MPT: wte, blocks.N, norm_f; Q, K, V stacked in Wqkv; no biases; the head is wte. */
function mptRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('wte.weight');
  if (name === 'norm.weight') return direct('norm_f.weight');
  const m = /^layers\.(\d+)\.(.+)\.weight$/.exec(name);
  if (!m) return null;
  const [, layer, part] = m as unknown as [string, string, string];
  const d = c.dModel;
  if (part in QKV_PART) {
    const k = QKV_PART[part]!;
    return {
      ...direct(`blocks.${layer}.attn.Wqkv.weight`),
      rows: [k * d, (k + 1) * d],
      fusedRows: 3 * d,
      fused: 'Q/K/V',
    };
  }
  const map: Record<string, string> = {
    norm1: 'norm_1',
    norm2: 'norm_2',
    'attn.o': 'attn.out_proj',
    'ffn.up': 'ffn.up_proj',
    'ffn.down': 'ffn.down_proj',
  };
  const from = map[part];
  return from ? direct(`blocks.${layer}.${from}.weight`) : null;
}

/** Phi-1.5 / Phi-2: one input_layernorm per layer for both of shareformer's norms; dense, fc1, fc2; lm_head with a bias. */
function phiRecipe(name: string, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('embed_tokens.weight');
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`final_layernorm.${name.slice(5)}`);
  if (name === 'head.weight' || name === 'head.bias') return { from: `lm_head.${name.slice(5)}`, transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const map: Record<string, string> = {
    norm1: 'input_layernorm',
    norm2: 'input_layernorm',
    'attn.q': 'self_attn.q_proj',
    'attn.k': 'self_attn.k_proj',
    'attn.v': 'self_attn.v_proj',
    'attn.o': 'self_attn.dense',
    'ffn.up': 'mlp.fc1',
    'ffn.down': 'mlp.fc2',
  };
  const from = map[m[2]!];
  return from ? direct(`layers.${m[1]}.${from}.${m[3]}`) : null;
}

/** GPT-J: GPT-2's prefix and ln_1, Phi's parallel block without attention biases, Q and K rows permuted. */
function gptjRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('wte.weight');
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`ln_f.${name.slice(5)}`);
  if (name === 'head.weight' || name === 'head.bias') return { from: `lm_head.${name.slice(5)}`, transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const map: Record<string, string> = {
    norm1: 'ln_1',
    norm2: 'ln_1',
    'attn.q': 'attn.q_proj',
    'attn.k': 'attn.k_proj',
    'attn.v': 'attn.v_proj',
    'attn.o': 'attn.out_proj',
    'ffn.up': 'mlp.fc_in',
    'ffn.down': 'mlp.fc_out',
  };
  const from = map[m[2]!];
  if (!from) return null;
  const r = direct(`h.${m[1]}.${from}.${m[3]}`);
  return m[2] === 'attn.q' || m[2] === 'attn.k' ? { ...r, pairsToHalves: pairsToHalves(c) } : r;
}

/**
 * Falcon: word_embeddings, ln_f; Q/K/V fused group by group in self_attention.query_key_value (each
 * key/value group's query heads, its key head, its value head: all queries then one key and value
 * under multi_query, head by head without); its norms named by the layer's shape.
 */
const QKV = { 'attn.q': 0, 'attn.k': 1, 'attn.v': 2 } as Record<string, number>;

/**
 * Q, K or V (`part`) from a tensor fused key/value group by group — each group's query heads, then
 * its key head and its value head (Falcon's query_key_value, InternLM2's wqkv).
 */
function groupedQkv(tensor: Recipe, c: ModelConfig, part: string): Recipe {
  const hd = headSize(c),
    group = c.heads / c.kvHeads;
  const which = QKV[part]!;
  return {
    ...tensor,
    rows: [0, (which === 0 ? c.heads : c.kvHeads) * hd],
    fusedRows: (c.heads + 2 * c.kvHeads) * hd,
    fused: 'Q/K/V (per key/value group)',
    perHead: {
      heads: c.kvHeads,
      size: hd,
      part: which === 0 ? 0 : group + which - 1,
      parts: group + 2,
      span: which === 0 ? group : 1,
    },
  };
}

/**
 * A family whose tensors are Llama's under other names: the embedding, final norm and head, and a
 * table from each layer's parameter to its name under `layer` + the layer index.
 */
function renamedRecipe(
  name: string,
  p: string,
  names: { embed: string; norm: string; head: string; layer: string },
  table: Record<string, string>,
): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct(names.embed);
  if (name === 'norm.weight') return direct(names.norm);
  if (name === 'head.weight') return { from: names.head, transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.weight$/.exec(name);
  const from = m && table[m[2]!];
  return from ? direct(`${names.layer}${m[1]}.${from}.weight`) : null;
}

/** InternLM2: tok_embeddings, attention.wqkv fused by key/value group, feed_forward.w1 / w3 / w2, output. */
function internlm2Recipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const qkv = /^layers\.(\d+)\.(attn\.[qkv])\.weight$/.exec(name);
  if (qkv) return groupedQkv({ from: `${p}layers.${qkv[1]}.attention.wqkv.weight`, transpose: false }, c, qkv[2]!);
  return renamedRecipe(
    name,
    p,
    { embed: 'tok_embeddings.weight', norm: 'norm.weight', head: 'output.weight', layer: 'layers.' },
    {
      norm1: 'attention_norm',
      norm2: 'ffn_norm',
      'attn.o': 'attention.wo',
      'ffn.gate': 'feed_forward.w1',
      'ffn.up': 'feed_forward.w3',
      'ffn.down': 'feed_forward.w2',
    },
  );
}

/**
 * GLM-4: Llama's names with Q/K/V biases, gate over up in gate_up_proj (as Phi-3), query and key rows
 * (and biases) in adjacent-pair order on the rotated part of each head (as GPT-J), and for Glm4 the
 * norms after attention and MLP.
 */
function glmRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  if (/^layers\.\d+\.ffn\.(gate|up)\.weight$/.test(name)) return phi3Recipe(name, c, p);
  const post = /^layers\.(\d+)\.(postnorm1|postnorm2)\.weight$/.exec(name);
  if (post)
    return {
      from: `${p}layers.${post[1]}.${post[2] === 'postnorm1' ? 'post_self_attn_layernorm' : 'post_mlp_layernorm'}.weight`,
      transpose: false,
    };
  const r = llamaRecipe(name, p);
  const qk = /^layers\.\d+\.attn\.[qk]\.(weight|bias)$/.exec(name);
  return r && qk ? { ...r, pairsToHalves: pairsToHalves(c), ...(qk[1] === 'bias' && { flatten: true }) } : r;
}

/** Nemotron: Llama's names, LayerNorm1P's gains stored minus one (Gemma's convention) with biases, up/down MLP. */
function nemotronRecipe(name: string, p: string): Recipe | null {
  if (name === 'norm.bias') return { from: `${p}norm.bias`, transpose: false };
  const r = llamaRecipe(name, p);
  return r && /(^|\.)norm[12]?\.weight$/.test(name) ? { ...r, plusOne: true } : r;
}

/** OLMo (1): Llama's names; its LayerNorms have no parameters, so their gains are ones. */
function olmoRecipe(name: string, p: string): Recipe | null {
  if (/(^|\.)norm[12]?\.weight$/.test(name)) return { from: '', transpose: false, fill: 1 };
  return llamaRecipe(name, p);
}

/** EXAONE: GPT-2-like names for Llama's tensors (wte, h.N.ln_1, attn.attention.*, mlp.c_fc_0 / c_fc_1 / c_proj, ln_f). */
function exaoneRecipe(name: string, p: string): Recipe | null {
  return renamedRecipe(
    name,
    p,
    { embed: 'wte.weight', norm: 'ln_f.weight', head: 'lm_head.weight', layer: 'h.' },
    {
      norm1: 'ln_1',
      norm2: 'ln_2',
      'attn.q': 'attn.attention.q_proj',
      'attn.k': 'attn.attention.k_proj',
      'attn.v': 'attn.attention.v_proj',
      'attn.o': 'attn.attention.out_proj',
      'ffn.gate': 'mlp.c_fc_0',
      'ffn.up': 'mlp.c_fc_1',
      'ffn.down': 'mlp.c_proj',
    },
  );
}

/** Baichuan: Llama's names, Q/K/V stacked in self_attn.W_pack, Baichuan 2's head normalized row by row. */
function baichuanRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  if (name === 'head.weight')
    return { from: 'lm_head.weight', transpose: false, ...(c.vocabSize === BAICHUAN2_VOCAB && { unitRows: true }) };
  const m = /^layers\.(\d+)\.attn\.([qkv])\.weight$/.exec(name);
  if (!m) return llamaRecipe(name, p);
  const d = c.dModel,
    at = 'qkv'.indexOf(m[2]!);
  return {
    from: `${p}layers.${m[1]}.self_attn.W_pack.weight`,
    transpose: false,
    rows: [at * d, (at + 1) * d],
    fusedRows: 3 * d,
    fused: 'Q/K/V',
  };
}

function falconRecipe(name: string, c: ModelConfig, p: string, norms: 1 | 2): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('word_embeddings.weight');
  if (name === 'norm.weight' || name === 'norm.bias') return direct(`ln_f.${name.slice(5)}`);
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const [, layer, part, kind] = m as unknown as [string, string, string, string];
  if (part in QKV) return groupedQkv(direct(`h.${layer}.self_attention.query_key_value.${kind}`), c, part);
  const [one, two] = !c.parallelBlocks
    ? ['input_layernorm', 'post_attention_layernorm']
    : norms === 2
      ? ['ln_attn', 'ln_mlp']
      : ['input_layernorm', 'input_layernorm'];
  const map: Record<string, string> = {
    norm1: one!,
    norm2: two!,
    'attn.o': 'self_attention.dense',
    'ffn.up': 'mlp.dense_h_to_4h',
    'ffn.down': 'mlp.dense_4h_to_h',
  };
  const from = map[part];
  return from ? direct(`h.${layer}.${from}.${kind}`) : null;
}

/** StableLM: Llama's names, LayerNorm biases (model.norm's too), one input_layernorm for parallel layers. */
function stablelmRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  if (name === 'norm.bias') return { from: `${p}norm.bias`, transpose: false };
  // StableLM 2 12B: a LayerNorm per query and key head, each its own module (norms.h), one parameter here.
  const qk = /^layers\.(\d+)\.attn\.(q|k)norm\.weight$/.exec(name);
  if (qk) {
    const n = qk[2] === 'q' ? c.heads : c.kvHeads;
    const [first, ...rest] = Array.from(
      { length: n },
      (_, h) => `${p}layers.${qk[1]}.self_attn.${qk[2]}_layernorm.norms.${h}.weight`,
    );
    return { from: first!, transpose: false, flatten: true, also: rest };
  }
  const m = /^layers\.(\d+)\.norm2\.(weight|bias)$/.exec(name);
  if (m && c.parallelBlocks) return { from: `${p}layers.${m[1]}.input_layernorm.${m[2]}`, transpose: false };
  return llamaRecipe(name, p);
}

/** Cohere: Llama's names, one input_layernorm per layer for both norms, Q and K rows permuted as GPT-J's. */
function cohereRecipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const m = /^layers\.(\d+)\.(norm2|attn\.q|attn\.k|attn\.qnorm|attn\.knorm)\.weight$/.exec(name);
  if (m?.[2] === 'norm2') return { from: `${p}layers.${m[1]}.input_layernorm.weight`, transpose: false };
  const r = llamaRecipe(name, p);
  // Command R+'s head norms: [heads, head size] gains, their dimensions in pair order as the rows'.
  const norms = m?.[2]?.endsWith('norm') ?? false;
  return r && m ? { ...r, pairsToHalves: pairsToHalves(c), ...(norms && { flatten: true }) } : r;
}

/** The rows GPT-J's rotary pairs span in each head. */
const pairsToHalves = (c: ModelConfig) => ({ size: headSize(c), rotated: rotaryDims(c) });

/**
 * Row `i` of a head in rotate-half order is row `pairRow(i)` in adjacent-pair order (rows past
 * `rotated` stay where they are).
 */
export function pairRow(i: number, rotated: number): number {
  if (i >= rotated) return i;
  const half = rotated / 2;
  return i < half ? 2 * i : 2 * (i - half) + 1;
}

/**
 * Each head's rows (`size` rows of `width`) from GPT-J's and Cohere's adjacent-pair order into the
 * rotate-half order the kernels compute (import), or back (`toPairs`, export).
 */
export function reorderRotaryRows(m: Float32Array, size: number, width: number, rotated: number, toPairs = false) {
  const out = new Float32Array(m.length);
  for (let h = 0; h < m.length / (size * width); h++)
    for (let i = 0; i < size; i++) {
      const half = (h * size + i) * width,
        pair = (h * size + pairRow(i, rotated)) * width;
      const [from, to] = toPairs ? [half, pair] : [pair, half];
      out.set(m.subarray(from, from + width), to);
    }
  return out;
}

function llamaRecipe(name: string, p: string): Recipe | null {
  const direct = (from: string): Recipe => ({ from: p + from, transpose: false });
  if (name === 'embed.weight') return direct('embed_tokens.weight');
  if (name === 'norm.weight') return direct('norm.weight');
  if (name === 'head.weight') return { from: 'lm_head.weight', transpose: false };
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const map: Record<string, string> = {
    norm1: 'input_layernorm',
    norm2: 'post_attention_layernorm',
    'attn.q': 'self_attn.q_proj',
    'attn.k': 'self_attn.k_proj',
    'attn.v': 'self_attn.v_proj',
    'attn.o': 'self_attn.o_proj',
    'attn.qnorm': 'self_attn.q_norm',
    'attn.knorm': 'self_attn.k_norm',
    'ffn.gate': 'mlp.gate_proj',
    'ffn.up': 'mlp.up_proj',
    'ffn.down': 'mlp.down_proj',
  };
  const from = map[m[2]!];
  return from ? direct(`layers.${m[1]}.${from}.${m[3]}`) : null;
}

/** StarCoder2: Llama's names for attention and norms (with biases), mlp.c_fc / c_proj for the MLP. */
function starcoder2Recipe(name: string, p: string): Recipe | null {
  if (name === 'norm.bias') return { from: `${p}norm.bias`, transpose: false };
  const m = /^layers\.(\d+)\.ffn\.(up|down)\.(weight|bias)$/.exec(name);
  if (!m) return llamaRecipe(name, p);
  return { from: `${p}layers.${m[1]}.mlp.${m[2] === 'up' ? 'c_fc' : 'c_proj'}.${m[3]}`, transpose: false };
}

/** OLMo 2: Llama's names, with its two norms after attention and after the MLP. */
function olmo2Recipe(name: string, p: string): Recipe | null {
  const m = /^layers\.(\d+)\.(postnorm1|postnorm2)\.weight$/.exec(name);
  if (!m) return llamaRecipe(name, p);
  const norm = m[2] === 'postnorm1' ? 'post_attention_layernorm' : 'post_feedforward_layernorm';
  return { from: `${p}layers.${m[1]}.${norm}.weight`, transpose: false };
}

/** Phi-3: Llama's names, but Q/K/V in one qkv_proj and the gate above the up projection in gate_up_proj. */
function phi3Recipe(name: string, c: ModelConfig, p: string): Recipe | null {
  const m = /^layers\.(\d+)\.(attn\.[qkv]|ffn\.gate|ffn\.up)\.weight$/.exec(name);
  if (!m) return llamaRecipe(name, p);
  const hd = headSize(c),
    q = c.heads * hd,
    kv = c.kvHeads * hd,
    f = c.ffnHidden;
  const block = (tensor: string, rows: [number, number], fusedRows: number, fused: string): Recipe => ({
    from: `${p}layers.${m[1]}.${tensor}.weight`,
    transpose: false,
    rows,
    fusedRows,
    fused,
  });
  const qkv = 'self_attn.qkv_proj',
    gateUp = 'mlp.gate_up_proj';
  const width = q + 2 * kv;
  switch (m[2]) {
    case 'attn.q':
      return block(qkv, [0, q], width, 'Q/K/V');
    case 'attn.k':
      return block(qkv, [q, q + kv], width, 'Q/K/V');
    case 'attn.v':
      return block(qkv, [q + kv, width], width, 'Q/K/V');
    case 'ffn.gate':
      return block(gateUp, [0, f], 2 * f, 'gate/up');
    default:
      return block(gateUp, [f, 2 * f], 2 * f, 'gate/up');
  }
}

/** Gemma 2 and 3: Llama's names and four norms per layer, each a gain of 1 + the stored weight. */
function gemmaRecipe(name: string, p: string): Recipe | null {
  const norms: Record<string, string> = {
    norm1: 'input_layernorm',
    postnorm1: 'post_attention_layernorm',
    norm2: 'pre_feedforward_layernorm',
    postnorm2: 'post_feedforward_layernorm',
  };
  const m = /^layers\.(\d+)\.(norm1|postnorm1|norm2|postnorm2)\.weight$/.exec(name);
  const r = m ? { from: `${p}layers.${m[1]}.${norms[m[2]!]}.weight`, transpose: false } : llamaRecipe(name, p);
  if (!r) return null;
  const gain = m || name === 'norm.weight' || /\.attn\.(q|k)norm\.weight$/.test(name);
  return gain ? { ...r, plusOne: true } : r;
}

/** Gemma (1): Llama's names, each norm a gain of 1 + the stored weight. */
function gemma1Recipe(name: string, p: string): Recipe | null {
  const r = llamaRecipe(name, p);
  return r && /(^|\.)norm[12]?\.weight$/.test(name) ? { ...r, plusOne: true } : r;
}

/** Each family's name for messages and help text. */
export const FAMILY_NAME: Record<HfFamily, string> = {
  gpt2: 'GPT-2',
  bloom: 'BLOOM',
  gpt_bigcode: 'GPTBigCode',
  mpt: 'MPT',
  gpt_neo: 'GPT-Neo',
  opt: 'OPT',
  gpt_neox: 'GPT-NeoX',
  phi: 'Phi',
  gptj: 'GPT-J',
  falcon: 'Falcon',
  stablelm: 'StableLM',
  cohere: 'Cohere',
  granite: 'Granite',
  smollm3: 'SmolLM3',
  olmo2: 'OLMo 2',
  starcoder2: 'StarCoder2',
  llama: 'Llama',
  qwen2: 'Qwen2',
  qwen3: 'Qwen3',
  phi3: 'Phi-3',
  gemma: 'Gemma',
  gemma2: 'Gemma 2',
  gemma3: 'Gemma 3',
  internlm2: 'InternLM2',
  baichuan: 'Baichuan',
  glm: 'GLM',
  glm4: 'GLM-4-0414',
  exaone: 'EXAONE',
  olmo: 'OLMo',
  nemotron: 'Nemotron',
  cohere2: 'Cohere2',
};

type RecipeOf = (name: string, c: ModelConfig, prefix: string, norms: 1 | 2) => Recipe | null;

/** Each family's tensor names; Llama's serve Mistral, Qwen2, Qwen3, Granite and SmolLM3. */
const FAMILY_RECIPE: Record<HfFamily, RecipeOf> = {
  gpt2: gpt2Recipe,
  bloom: bloomRecipe,
  gpt_bigcode: bigcodeRecipe,
  mpt: mptRecipe,
  gpt_neo: (name, _c, p) => gptNeoRecipe(name, p),
  opt: optRecipe,
  gpt_neox: neoxRecipe,
  phi: (name, _c, p) => phiRecipe(name, p),
  gptj: gptjRecipe,
  falcon: falconRecipe,
  stablelm: stablelmRecipe,
  cohere: cohereRecipe,
  phi3: phi3Recipe,
  internlm2: internlm2Recipe,
  baichuan: baichuanRecipe,
  glm: glmRecipe,
  glm4: glmRecipe,
  exaone: (name, _c, p) => exaoneRecipe(name, p),
  olmo: (name, _c, p) => olmoRecipe(name, p),
  nemotron: (name, _c, p) => nemotronRecipe(name, p),
  cohere2: cohereRecipe,
  gemma: (name, _c, p) => gemma1Recipe(name, p),
  gemma2: (name, _c, p) => gemmaRecipe(name, p),
  gemma3: (name, _c, p) => gemmaRecipe(name, p),
  llama: (name, _c, p) => llamaRecipe(name, p),
  qwen2: (name, _c, p) => llamaRecipe(name, p),
  qwen3: (name, _c, p) => llamaRecipe(name, p),
  granite: (name, _c, p) => llamaRecipe(name, p),
  smollm3: (name, _c, p) => llamaRecipe(name, p),
  olmo2: (name, _c, p) => olmo2Recipe(name, p),
  starcoder2: (name, _c, p) => starcoder2Recipe(name, p),
};

export interface ImportPlan {
  /** Each shareformer parameter, in layout order, with its recipe and shape. */
  params: Array<{ name: string; shape: number[]; recipe: Recipe }>;
  /** Hugging Face tensors not used: buffers, and a tied lm_head. */
  ignored: string[];
}

/**
 * Matches the files' tensors to the config's parameters: every parameter must come from a tensor
 * of the right shape, and every tensor must be used or be a known buffer. Errors name the tensor.
 */
export function planImport(
  family: HfFamily,
  config: ModelConfig,
  tensors: Map<string, TensorInfo>,
  source: string,
  norms: 1 | 2 = 2,
  rotaryScale = 1,
): ImportPlan {
  const p = prefixOf(family, tensors.keys());
  const used = new Set<string>();
  const scaleRotated = { size: headSize(config), rotated: rotaryDims(config), factor: rotaryScale };
  const params = parameterLayout(config).map(({ name, shape }) => {
    const found = FAMILY_RECIPE[family](name, config, p, norms);
    if (!found) throw new HfImportError(`${source}: no Hugging Face tensor corresponds to shareformer's "${name}"`);
    const scaled = rotaryScale !== 1 && /\.attn\.[qk]\.(weight|bias)$/.test(name);
    const recipe = scaled ? { ...found, scaleRotated } : found;
    if (recipe.fill !== undefined) return { name, shape, recipe };
    const infos = [recipe.from, ...(recipe.also ?? [])].map((from) => {
      const info = tensors.get(from);
      if (!info)
        throw new HfImportError(`${source}: missing tensor "${from}" (needed for ${name} ${JSON.stringify(shape)})`);
      checkDtype(from, info.dtype, source);
      used.add(from);
      return info;
    });
    if (recipe.also) checkParts(recipe, infos, shape, source);
    else checkShape(recipe, infos[0]!, shape, source);
    return { name, shape, recipe };
  });
  const ignored: string[] = [];
  const extra: string[] = [];
  for (const name of tensors.keys()) {
    if (used.has(name)) continue;
    const tiedHead = config.tieEmbeddings && /^((language_model\.)?lm_head|embed_out)\.weight$/.test(name);
    const vision = family === 'gemma3' && VISION.test(name);
    if (tiedHead || vision || BUFFERS.some((re) => re.test(name))) ignored.push(name);
    else extra.push(name);
  }
  if (extra.length > 0) {
    throw new HfImportError(
      `${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra
        .slice(0, 5)
        .map((n) => `"${n}"`)
        .join(
          ', ',
        )}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''} (not part of a ${FAMILY_NAME[family]} model with this config.json)`,
    );
  }
  return { params, ignored };
}

function checkShape(r: Recipe, info: TensorInfo, shape: number[], source: string): void {
  let stored = r.transpose ? [...info.shape].reverse() : [...info.shape];
  if (r.flatten) stored = [stored.reduce((a, b) => a * b, 1)];
  if (r.rows) stored = [r.rows[1] - r.rows[0], ...stored.slice(1)];
  const wholeRows = !r.rows || (r.transpose ? info.shape[info.shape.length - 1] : info.shape[0]) === r.fusedRows;
  if (stored.join() !== shape.join() || !wholeRows) {
    throw new HfImportError(
      `${source}: tensor "${r.from}" has shape [${info.shape.join(', ')}], but config.json implies ${r.rows ? `a fused ${r.fused} of ${r.fusedRows} rows for ` : ''}[${(r.transpose && !r.rows ? [...shape].reverse() : shape).join(', ')}]`,
    );
  }
}

/** Parts that together fill a parameter: as many elements in all as it has. */
function checkParts(r: Recipe, infos: TensorInfo[], shape: number[], source: string): void {
  const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const total = infos.reduce((n, info) => n + count(info.shape), 0);
  if (total !== count(shape))
    throw new HfImportError(
      `${source}: tensors "${r.from}" and the ${r.also!.length} after it hold ${total} values, but config.json implies [${shape.join(', ')}]`,
    );
}

function checkDtype(name: string, dtype: Dtype, source: string): void {
  if (!['F32', 'F16', 'BF16', 'F64'].includes(dtype)) {
    throw new HfImportError(
      `${source}: tensor "${name}" has dtype ${dtype}; only floating-point weights (F32, F16, BF16, F64) can be imported`,
    );
  }
}

/** Applies a recipe to the stored tensor: float32, transposed and sliced as shareformer stores it. */
/** Each row of a [rows, width] matrix over its length, as torch.nn.functional.normalize (eps 1e-12). */
function unitRows(data: Float32Array, width: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let at = 0; at < data.length; at += width) {
    const row = data.subarray(at, at + width);
    let sum = 0;
    for (const x of row) sum += x * x;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let i = 0; i < width; i++) out[at + i] = row[i]! * scale;
  }
  return out;
}

export function applyRecipe(r: Recipe, t: StoredTensor): Float32Array {
  if (!r.scaleRotated) return extract(r, t);
  // A copy: the extracted rows may be the stored tensor's own array, which a fused Q/K/V read reuses.
  const out = extract(r, t).slice();
  const { size, rotated, factor } = r.scaleRotated;
  const width = t.shape.length > 1 ? t.shape[r.transpose ? 0 : 1]! : 1;
  for (let row = 0; row < out.length / width; row++)
    if (row % size < rotated) for (let i = row * width; i < (row + 1) * width; i++) out[i]! *= factor;
  return out;
}

function extract(r: Recipe, t: StoredTensor): Float32Array {
  const data = toFloat32(t, r.from);
  if (r.plusOne) return data.map((w) => w + 1);
  if (r.unitRows) return unitRows(data, t.shape[1]!);
  if (r.pairsToHalves) {
    const width = r.flatten ? 1 : t.shape[1]!;
    return reorderRotaryRows(data, r.pairsToHalves.size, width, r.pairsToHalves.rotated);
  }
  if (r.perHead) {
    // Rows [(h·parts + part)·size, +span·size) of each head (or group) h, in order.
    const { heads, size, part, parts, span = 1 } = r.perHead;
    const width = t.shape.length > 1 ? t.shape[1]! : 1,
      block = span * size * width;
    const out = new Float32Array(heads * block);
    for (let h = 0; h < heads; h++) {
      const from = (h * parts + part) * size * width;
      out.set(data.subarray(from, from + block), h * block);
    }
    return out;
  }
  if (!r.transpose) {
    // The tensor was read for this parameter alone: its float32 data is used as it is.
    if (!r.rows) return data;
    const width = t.shape.length > 1 ? t.shape[1]! : 1;
    return data.slice(r.rows[0] * width, r.rows[1] * width);
  }
  // [in, out] → rows [r0, r1) of [out, in].
  const [inDim, outDim] = [t.shape[0]!, t.shape[1] ?? 1];
  if (t.shape.length === 1) return data.slice(r.rows?.[0] ?? 0, r.rows?.[1] ?? data.length);
  const [r0, r1] = r.rows ?? [0, outDim];
  const out = new Float32Array((r1 - r0) * inDim);
  for (let i = 0; i < inDim; i++) {
    const row = i * outDim;
    for (let o = r0; o < r1; o++) out[(o - r0) * inDim + i] = data[row + o]!;
  }
  return out;
}
