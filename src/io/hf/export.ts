// shareformer → Hugging Face: the GPT-2, GPT-Neo, OPT, GPT-NeoX, Phi, GPT-J, Falcon, StableLM, Cohere, Llama, Mistral, Qwen2, Qwen3, GLM-4, Gemma 2 or Gemma 3 layout
// that matches the config, with a config.json a Hugging Face user loads unchanged (GPT2LMHeadModel,
// LlamaForCausalLM, …, Gemma3ForCausalLM) and the tokenizer files. The stock classes have one set of weights per layer and every layer computes
// its own keys, values and attention, so cross-layer weight sharing is exported by writing each
// layer's tensors (the files grow; the caller is told by how much), while K/V sharing, attention
// sharing and factorized embeddings, which they cannot express, are refused with the reason.
// Runs in browsers: it returns the files' contents.
import { headSize, layerRotates, layerWindow, rotaryDims, scoreScale, type ModelConfig } from '../../model/config.js';
import { withLowRankDelta } from '../../model/parameters.js';
import type { TransformerLM } from '../../model/transformer.js';
import { HfBpeTokenizer } from '../../text/hf-bpe.js';
import { ByteTokenizer, CharTokenizer, type Tokenizer } from '../../text/tokenizer.js';
import { writeSafetensors, type TensorToWrite } from '../safetensors.js';
import { FAMILY_ARCHITECTURE, HfImportError, modelConfigFromHf, type HfFamily } from './config.js';
import { OPT_POSITION_OFFSET, reorderRotaryRows } from './tensors.js';
import { byteLevelTokenizerJson, charTokenizerJson, hfTokenizerFiles } from './tokenizer-files.js';

export class HfExportError extends HfImportError {
  constructor(message: string) {
    super(message);
    this.name = 'HfExportError';
  }
}

/** The class a family exports as: Llama's with a sliding window is Mistral's (the same computation with one in every layer). */
const architectureOf = (family: HfFamily, c: ModelConfig): string =>
  family === 'llama' && c.slidingWindow > 0 ? 'MistralForCausalLM' : FAMILY_ARCHITECTURE[family];

/**
 * GeGLU, post-norms and scaled embeddings are Gemma's: Gemma 3 with head norms, Gemma 2 without —
 * whose transformers before 4.53 alternate local and global layers whatever layer_types says, and
 * give every layer one RoPE base.
 */
function gemmaFamily(c: ModelConfig): HfFamily {
  const name = !c.postNorms ? 'GemmaForCausalLM' : c.qkNorm ? 'Gemma3ForCausalLM' : 'Gemma2ForCausalLM';
  const need = {
    'ffn geglu': c.ffn === 'geglu',
    'embed-scale': c.embedScale,
    rmsnorm: c.norm === 'rmsnorm',
    rope: c.positions === 'rope',
    'no biases': !c.bias && !c.qkvBias,
  };
  const missing = Object.entries(need).flatMap(([k, ok]) => (ok ? [] : [k]));
  if (missing.length > 0)
    throw new HfExportError(
      `GeGLU, post-norms and scaled embeddings export as ${name}, which has all of ${Object.keys(need).join(', ')}; this model lacks ${missing.join(', ')}`,
    );
  if (!c.postNorms) {
    const extra = {
      'head norms': c.qkNorm,
      'a sliding window': c.slidingWindow > 0,
      'soft-capping': c.attentionSoftcap > 0 || c.logitSoftcap > 0,
      'a score scalar': c.attentionScalar > 0 && c.attentionScalar !== headSize(c),
      'rope scaling': c.ropeScaling !== null,
    };
    const has = Object.entries(extra).flatMap(([k, on]) => (on ? [k] : []));
    if (has.length > 0)
      throw new HfExportError(
        `a Gemma-style model without post-norms exports as GemmaForCausalLM (Gemma 1), which has none of ${Object.keys(extra).join(', ')}; this model has ${has.join(', ')} (with --post-norms it goes out as Gemma 2 or 3)`,
      );
    return 'gemma';
  }
  if (c.qkNorm) return 'gemma3';
  if (c.ropeLocalBase > 0 || c.ropeScaling)
    throw new HfExportError(
      'a Gemma-style model without head norms exports as Gemma2ForCausalLM, whose layers all rotate at one unscaled RoPE base; this one has ropeLocalBase or ropeScaling (Gemma3ForCausalLM has both, with --qk-norm)',
    );
  if (c.slidingWindow > 0 && (c.fullAttentionEvery !== 2 || c.fullAttentionFirst))
    throw new HfExportError(
      `a Gemma-style model without head norms exports as Gemma2ForCausalLM, whose local and global layers alternate from a local one (--full-attention-every 2); this one has ${c.fullAttentionEvery ? `full attention every ${c.fullAttentionEvery} layers${c.fullAttentionFirst ? ', from the first' : ''}` : 'every layer windowed'}`,
    );
  return 'gemma2';
}

/** Which stock architecture can hold this config, or why none can. */
export function exportFamily(c: ModelConfig): HfFamily {
  const plan = `--share-kv ${JSON.stringify(c.shareKv)}, --share-attention ${JSON.stringify(c.shareAttention)}`;
  if (c.shareKv !== 'none' && !(Array.isArray(c.shareKv) && c.shareKv.every((v, i) => v === i))) {
    throw new HfExportError(
      `Hugging Face's stock causal-LM classes (GPT-2, GPT-NeoX, Llama, Qwen, Gemma, Falcon, …) have every layer compute its own keys and values; this model's layers share them across layers (${plan}), which those classes cannot express. Keep it as a shareformer checkpoint, or export to a runtime that takes the plan`,
    );
  }
  if (c.shareAttention !== 'none' && !(Array.isArray(c.shareAttention) && c.shareAttention.every((v, i) => v === i))) {
    throw new HfExportError(
      `Hugging Face's stock classes have every layer compute its own attention probabilities; this model reuses them across layers (${plan}), which they cannot express`,
    );
  }
  if (c.ropeScaling?.type === 'longrope')
    throw new HfExportError(
      "LongRoPE was imported for the original context only (its short factors; the long ones are not kept), so no config.json written from it would extend the context as the original's does: keep it as a shareformer checkpoint, or export the original model's files",
    );
  if (c.embedDim > 0)
    throw new HfExportError(
      `the factorized embedding (embedDim ${c.embedDim}) has no place in a stock Hugging Face layout (each has one token-embedding matrix of the model's width)`,
    );
  // ALiBi scaled with the scores is Falcon-RW's; else BLOOM's (with biases and a LayerNorm on the
  // embeddings, which only BLOOM has) or MPT's.
  if (c.positions === 'alibi' && c.alibiScale !== 1) return falconFamily(c);
  if (c.embedNorm || (c.positions === 'alibi' && c.bias)) return bloomFamily(c);
  if (c.positions === 'alibi') return mptFamily(c);
  // A LayerNorm per query and key head is StableLM 2 12B's (LayerNorm biases) or Command R+'s.
  if (c.qkLayerNorm) return c.normBias ? stablelmFamily(c) : cohereFamily(c);
  // A ReLU MLP is OPT's; unscaled scores, or an output bias without Q/K/V ones, GPT-Neo's.
  if (c.ffn === 'relu') return optFamily(c);
  if (c.ffn === 'relu2') return nemotronFamily(c);
  // Learned positions with one K/V head are GPTBigCode's (StarCoder, SantaCoder).
  if (c.positions === 'learned' && c.kvHeads === 1) return bigcodeFamily(c);
  if (c.attentionOutBias || (c.attentionScalar === 1 && c.norm === 'layernorm')) return gptNeoFamily(c);
  // μP's multipliers on a Llama layout are Granite's, and so are scaled scores or logits there.
  const scaled = c.logitScale !== 1 || (c.attentionScalar > 0 && c.attentionScalar !== headSize(c));
  const llamaScaled = c.norm === 'rmsnorm' && c.ffn === 'swiglu' && scaled;
  if (c.embedMultiplier !== 1 || c.residualMultiplier !== 1 || llamaScaled) return graniteFamily(c);
  // GPT-J's class has no attention biases (and a biased head), and GPT-NeoX's with attention_bias
  // false; GPT-J's unless its layout cannot hold the model (exportHuggingFace also looks at the norms).
  if (c.bias && !c.attentionBias) {
    if (gptjHolds(c)) return 'gptj';
    try {
      return neoxFamily(c);
    } catch (e) {
      throw new HfExportError(
        `biases without attention biases (--no-attention-bias) export as GPTJForCausalLM or as GPTNeoXForCausalLM with attention_bias false; neither holds this model. ${(e as Error).message}`,
      );
    }
  }
  // Scaled logits are Cohere's; SwiGLU on LayerNorms is StableLM's with norm biases, Cohere's without.
  if (c.logitScale !== 1) return cohereFamily(c);
  // LayerNorms without biases in sequence are OLMo's (whose norms have no gains either); in
  // parallel, Cohere's. Every other stock class with LayerNorm gives it a bias.
  if (c.norm === 'layernorm' && !c.normBias && !c.parallelBlocks && c.ffn === 'swiglu') return olmoFamily(c);
  if (c.norm === 'layernorm' && !c.normBias) return cohereFamily(c);
  if (c.ffn === 'swiglu' && c.norm === 'layernorm') return c.normBias ? stablelmFamily(c) : cohereFamily(c);
  // Falcon's is the one with biases on its LayerNorms and none on its linear layers.
  if (c.norm === 'layernorm' && c.normBias && !c.bias) return falconFamily(c);
  if (c.headBias) return phiFamily(c);
  // Norms only after attention and the FFN, or query/key norms over whole projections, are OLMo 2's.
  if (!c.preNorms || c.qkNormFull) return olmo2Family(c);
  // Part of each head rotated under RMSNorm and SwiGLU is GLM-4's.
  if (c.norm === 'rmsnorm' && c.ffn === 'swiglu' && c.positions === 'rope' && c.ropeDims > 0) return glmFamily(c);
  const gemma = c.ffn === 'geglu' || c.postNorms || c.embedScale;
  if (gemma) {
    if (c.parallelBlocks)
      throw new HfExportError('Gemma has no parallel blocks (--parallel-blocks exports as GPTNeoXForCausalLM only)');
    return gemmaFamily(c);
  }
  // LayerNorm, rope and a GELU MLP in sequence with grouped K/V heads or a window are StarCoder2's.
  const sequentialNeox = c.norm === 'layernorm' && c.positions === 'rope' && c.ffn === 'gelu' && !c.parallelBlocks;
  if (sequentialNeox && (c.kvHeads !== c.heads || c.slidingWindow > 0)) return starcoder2Family(c);
  const neox = c.parallelBlocks || c.ropeDims > 0 || c.geluExact;
  const neoxLayout = c.norm === 'layernorm' && c.positions === 'rope' && c.ffn === 'gelu' && c.bias;
  if (neox || neoxLayout) return neoxFamily(c);
  if (c.attentionSoftcap > 0 || c.logitSoftcap > 0)
    throw new HfExportError(
      'soft-capped scores or logits (--attention-softcap, --logit-softcap) export as Gemma2ForCausalLM (or Gemma3ForCausalLM) only, which need GeGLU, post-norms and scaled embeddings',
    );
  if (c.attentionScalar > 0 && c.attentionScalar !== headSize(c))
    throw new HfExportError(
      `scores scaled by 1/√${c.attentionScalar} (--attention-scalar) export as Gemma3ForCausalLM only (its query_pre_attn_scalar), which needs GeGLU, post-norms, scaled embeddings and head norms`,
    );
  if (c.fullAttentionEvery > 0 || c.ropeLocalBase > 0)
    throw new HfExportError(
      'full-attention layers between windowed ones (--full-attention-every, ropeLocalBase) export as Gemma3ForCausalLM only, which needs GeGLU, post-norms, scaled embeddings and head norms',
    );
  const gpt2Heads = c.kvHeads === c.heads && !c.qkNorm && headSize(c) * c.heads === c.dModel;
  if (c.norm === 'layernorm' && c.positions === 'learned' && c.ffn === 'gelu' && c.bias && gpt2Heads) return 'gpt2';
  if (c.slidingWindow > 0 && (c.norm !== 'rmsnorm' || c.qkvBias || c.qkNorm))
    throw new HfExportError(
      `a sliding window (${c.slidingWindow}) exports as MistralForCausalLM, which needs Llama's layout (rmsnorm, rope, swiglu, no biases, no head norms)`,
    );
  if (c.norm === 'rmsnorm' && c.positions === 'rope' && c.ffn === 'swiglu' && !c.bias) {
    if (c.qkNorm && c.qkvBias)
      throw new HfExportError(
        'Qwen3ForCausalLM norms query and key heads but has no Q/K/V-only biases, and Qwen2ForCausalLM has no head norms: no stock class holds --qk-norm with --qkv-bias',
      );
    if (c.noRopeEvery > 0) {
      requireLayout(
        'NoPE layers (--nope-every) export as SmolLM3ForCausalLM',
        { 'rope over whole heads': c.ropeDims === 0, 'heads of dModel / heads': headSize(c) * c.heads === c.dModel },
        { 'head norms': c.qkNorm, 'Q/K/V biases': c.qkvBias, 'a sliding window': c.slidingWindow > 0 },
      );
      return 'smollm3';
    }
    return c.qkNorm ? 'qwen3' : c.qkvBias ? 'qwen2' : 'llama';
  }
  if (c.qkNorm)
    throw new HfExportError(`--qk-norm exports as Qwen3ForCausalLM, which needs rmsnorm, rope, swiglu and no biases`);
  throw new HfExportError(
    `no stock architecture matches norm ${c.norm}, positions ${c.positions}, ffn ${c.ffn}, bias ${c.bias}, kvHeads ${c.kvHeads}/${c.heads}, heads of ${headSize(c)} on d ${c.dModel}${c.qkNorm ? ', head norms' : ''}: GPT-2 needs layernorm, learned, gelu, biases, as many K/V heads as heads, heads of dModel / heads and no head norms; Llama (Qwen2 with --qkv-bias, Qwen3 with --qk-norm) needs rmsnorm, rope, swiglu and no biases`,
  );
}

/** BLOOM's: ALiBi, the embedding LayerNorm, LayerNorms and linear layers with biases, a 4·d tanh-GELU MLP, MHA. */
function bloomFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'ALiBi and an embedding LayerNorm (--embed-norm) export as BloomForCausalLM',
    {
      alibi: c.positions === 'alibi',
      'an embedding LayerNorm': c.embedNorm,
      'layernorm with biases': c.norm === 'layernorm' && c.normBias,
      'ffn gelu in its tanh form, 4 · dModel wide': c.ffn === 'gelu' && !c.geluExact && c.ffnHidden === 4 * c.dModel,
      'biases everywhere': c.bias && c.attentionBias,
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      'parallel blocks': c.parallelBlocks,
      'post-norms': c.postNorms || !c.preNorms,
      'scaled embeddings': c.embedScale || c.embedMultiplier !== 1,
      'scaled block outputs or logits': c.residualMultiplier !== 1 || c.logitScale !== 1,
      'a biased output head': c.headBias,
    },
  );
  return 'bloom';
}

/** MPT's (transformers' MptForCausalLM): ALiBi, LayerNorms without biases, no biases, a 4·d exact-GELU MLP, MHA, tied. */
function mptFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'ALiBi without biases exports as MptForCausalLM',
    {
      alibi: c.positions === 'alibi',
      'layernorm without biases': c.norm === 'layernorm' && !c.normBias,
      'exact GELU, 4 · dModel wide': c.ffn === 'gelu' && c.geluExact && c.ffnHidden === 4 * c.dModel,
      'no biases': !c.bias && !c.qkvBias,
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
      'the head tied to the embedding': c.tieEmbeddings,
    },
    {
      'head norms': c.qkNorm,
      'a sliding window': c.slidingWindow > 0,
      'soft-capping': c.attentionSoftcap > 0 || c.logitSoftcap > 0,
      'parallel blocks': c.parallelBlocks,
      'post-norms': c.postNorms || !c.preNorms,
      'scaled embeddings': c.embedScale || c.embedMultiplier !== 1,
      'scaled block outputs or logits': c.residualMultiplier !== 1 || c.logitScale !== 1,
      'a biased output head': c.headBias,
    },
  );
  return 'mpt';
}

/** GPTBigCode's: GPT-2's block with one K/V head (or one per head), scaled scores or not, exact or tanh GELU, tied. */
function bigcodeFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'learned positions with one K/V head export as GPTBigCodeForCausalLM',
    {
      'layernorm with biases': c.norm === 'layernorm' && c.normBias,
      learned: c.positions === 'learned',
      'ffn gelu': c.ffn === 'gelu',
      'biases everywhere': c.bias && c.attentionBias,
      'one K/V head, or one per head': c.kvHeads === 1 || c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
      'the head tied to the embedding': c.tieEmbeddings,
    },
    {
      'head norms': c.qkNorm,
      'a sliding window': c.slidingWindow > 0,
      'soft-capping': c.attentionSoftcap > 0 || c.logitSoftcap > 0,
      'a score scalar other than 1 or the head size': ![0, 1, headSize(c)].includes(c.attentionScalar),
      'parallel blocks': c.parallelBlocks,
      'post-norms': c.postNorms || !c.preNorms,
      'scaled embeddings': c.embedScale || c.embedMultiplier !== 1,
      'scaled block outputs or logits': c.residualMultiplier !== 1 || c.logitScale !== 1,
      'a biased output head': c.headBias,
    },
  );
  return 'gpt_bigcode';
}

/** What neither GPT-NeoX's nor Phi's class computes. */
const parallelExtras = (c: ModelConfig) => ({
  'head norms': c.qkNorm,
  'a sliding window': c.slidingWindow > 0,
  'soft-capping': c.attentionSoftcap > 0 || c.logitSoftcap > 0,
  'a score scalar': c.attentionScalar > 0 && c.attentionScalar !== headSize(c),
});

/** Refuses, naming what the class needs and lacks and what it cannot hold, unless the model fits. */
function requireLayout(what: string, need: Record<string, boolean>, extra: Record<string, boolean>): void {
  const missing = Object.entries(need).flatMap(([k, ok]) => (ok ? [] : [k]));
  const has = Object.entries(extra).flatMap(([k, on]) => (on ? [k] : []));
  if (missing.length === 0 && has.length === 0) return;
  const why = [
    ...(missing.length ? [`lacks ${missing.join(', ')}`] : []),
    ...(has.length ? [`has ${has.join(', ')}`] : []),
  ];
  throw new HfExportError(
    `${what}, which has ${Object.keys(need).join(', ')} and none of ${Object.keys(extra).join(', ')}; this model ${why.join(' and ')}`,
  );
}

/**
 * Granite's: Llama's layout (RMSNorm, rope, SwiGLU, heads of dModel / heads) with multipliers on
 * embeddings, block outputs, scores and logits, and biases on every projection or none.
 */
function graniteFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'embedding or residual multipliers, or scaled scores or logits on a Llama layout, export as GraniteForCausalLM',
    {
      rmsnorm: c.norm === 'rmsnorm',
      rope: c.positions === 'rope',
      'ffn swiglu': c.ffn === 'swiglu',
      'biases on every projection or none': c.bias ? c.attentionBias : !c.qkvBias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      'a score scalar': false,
      'parallel blocks': c.parallelBlocks,
      'partial rotary': c.ropeDims > 0,
      'post-norms': c.postNorms,
      'scaled embeddings (√d)': c.embedScale,
      'a biased output head': c.headBias,
    },
  );
  return 'granite';
}

/** StarCoder2's: LayerNorm with biases, rope over whole heads, a GELU MLP, GQA, a window in every layer or none. */
function starcoder2Family(c: ModelConfig): HfFamily {
  requireLayout(
    'LayerNorm, rope and a GELU MLP with grouped K/V heads or a sliding window export as Starcoder2ForCausalLM',
    {
      'LayerNorm biases': c.normBias,
      'biases on every linear layer or none': c.bias ? c.attentionBias : !c.qkvBias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      'a sliding window': false,
      'partial rotary': c.ropeDims > 0,
      'NoPE layers': c.noRopeEvery > 0,
      'full-attention layers between windowed ones': c.fullAttentionEvery > 0,
      'a biased output head': c.headBias,
    },
  );
  return 'starcoder2';
}

/** Nemotron's: LayerNorm with biases, a squared-ReLU MLP, rope, no linear biases. */
function nemotronFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'a squared-ReLU MLP exports as NemotronForCausalLM',
    {
      'layernorm with biases': c.norm === 'layernorm' && c.normBias,
      rope: c.positions === 'rope',
      'no linear biases': !c.bias && !c.qkvBias,
      'norms before attention and the FFN only': c.preNorms && !c.postNorms,
      'rope unscaled or linear': c.ropeScaling === null || c.ropeScaling.type === 'linear',
    },
    {
      ...parallelExtras(c),
      'parallel blocks': c.parallelBlocks,
      'scaled embeddings': c.embedScale,
      'a biased output head': c.headBias,
    },
  );
  return 'nemotron';
}

/** OLMo's: Llama's layout with LayerNorms that have no parameters (olmoTensors checks the gains are still 1). */
function olmoFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'LayerNorms without biases before a SwiGLU export as OlmoForCausalLM',
    {
      rope: c.positions === 'rope',
      'no biases': !c.bias && !c.qkvBias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
      'norms before attention and the FFN only': c.preNorms && !c.postNorms,
    },
    {
      ...parallelExtras(c),
      'partial rotary': c.ropeDims > 0,
      'scaled embeddings': c.embedScale,
      'a biased output head': c.headBias,
    },
  );
  return 'olmo';
}

/**
 * GLM-4's: Llama's layout (RMSNorm, SwiGLU) rotating part of each head (in adjacent pairs there,
 * permuted on the way out), with Q/K/V biases or none; norms after attention and the MLP too are
 * GLM-4-0414's (Glm4ForCausalLM).
 */
function glmFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'RMSNorm, SwiGLU and rope on part of each head export as GlmForCausalLM (Glm4ForCausalLM with post-norms)',
    {
      'no biases but Q/K/V ones': !c.bias,
      'norms before attention and the FFN': c.preNorms,
    },
    {
      ...parallelExtras(c),
      'parallel blocks': c.parallelBlocks,
      'scaled embeddings': c.embedScale,
      'rope scaling': c.ropeScaling !== null,
      'NoPE layers': c.noRopeEvery > 0,
      'a biased output head': c.headBias,
    },
  );
  return c.postNorms ? 'glm4' : 'glm';
}

/** OLMo 2's: Llama's layout with RMSNorms after attention and the MLP only and query/key norms over whole projections. */
function olmo2Family(c: ModelConfig): HfFamily {
  requireLayout(
    'norms only after attention and the FFN (--no-pre-norms), or query/key norms over whole projections (--qk-norm-full), export as Olmo2ForCausalLM',
    {
      rmsnorm: c.norm === 'rmsnorm',
      rope: c.positions === 'rope',
      'ffn swiglu': c.ffn === 'swiglu',
      'no biases': !c.bias && !c.qkvBias,
      'post-norms only': c.postNorms && !c.preNorms,
      'query/key norms over whole projections': c.qkNorm && c.qkNormFull,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      'head norms': false,
      'parallel blocks': c.parallelBlocks,
      'partial rotary': c.ropeDims > 0,
      'NoPE layers': c.noRopeEvery > 0,
      'scaled embeddings': c.embedScale || c.embedMultiplier !== 1,
      'residual multipliers': c.residualMultiplier !== 1,
      'scaled logits': c.logitScale !== 1,
    },
  );
  return 'olmo2';
}

/**
 * GPT-Neo's: GPT-2's block with separate projections, no Q/K/V biases and an output one, scores
 * q·k unscaled, each layer global or windowed (attention_types spells out any pattern).
 */
function gptNeoFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'unscaled scores (--attention-scalar 1) or an output bias without Q/K/V ones (--attention-out-bias) export as GPTNeoForCausalLM',
    {
      layernorm: c.norm === 'layernorm',
      'LayerNorm biases': c.normBias,
      'learned positions': c.positions === 'learned',
      'ffn gelu': c.ffn === 'gelu',
      'unscaled scores': c.attentionScalar === 1,
      'an output bias without Q/K/V ones': c.bias && !c.attentionBias && c.attentionOutBias,
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      'head norms': c.qkNorm,
      'soft-capping': c.attentionSoftcap > 0 || c.logitSoftcap > 0,
      'parallel blocks': c.parallelBlocks,
      'a biased output head': c.headBias,
      'scaled logits': c.logitScale !== 1,
      'post-norms': c.postNorms,
      'scaled embeddings': c.embedScale,
      'embedding or residual multipliers': c.embedMultiplier !== 1 || c.residualMultiplier !== 1,
    },
  );
  return 'gpt_neo';
}

/**
 * A ReLU MLP is OPT's: sequential blocks on LayerNorms with biases at eps 1e-5 (its nn.LayerNorm
 * default, which config.json cannot change), learned positions, one K/V head per head, biases on
 * every linear layer or on none (enable_bias).
 */
function optFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'a ReLU MLP exports as OPTForCausalLM',
    {
      layernorm: c.norm === 'layernorm',
      'LayerNorm biases': c.normBias,
      'LayerNorm eps 1e-5': c.normEps === 1e-5,
      'learned positions': c.positions === 'learned',
      'biases on every linear layer or none': c.bias ? c.attentionBias : !c.qkvBias,
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      'parallel blocks': c.parallelBlocks,
      'a biased output head': c.headBias,
      'scaled logits': c.logitScale !== 1,
      'embedding or residual multipliers': c.embedMultiplier !== 1 || c.residualMultiplier !== 1,
    },
  );
  return 'opt';
}

/** A biased output head is Phi's (Phi-1.5, Phi-2): parallel blocks on one LayerNorm, rope, a GELU MLP, biases. */
function phiFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'a biased output head (headBias) exports as PhiForCausalLM',
    {
      'parallel blocks': c.parallelBlocks,
      layernorm: c.norm === 'layernorm',
      rope: c.positions === 'rope',
      'ffn gelu': c.ffn === 'gelu',
      biases: c.bias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    { ...parallelExtras(c), 'tied embeddings': c.tieEmbeddings },
  );
  return 'phi';
}

/** Whether GPT-J's class holds this layout (its one LayerNorm per layer is checked on the weights). */
function gptjHolds(c: ModelConfig): boolean {
  try {
    gptjFamily(c);
    return true;
  } catch (e) {
    if (e instanceof HfExportError) return false;
    throw e;
  }
}

/**
 * Biases on the FFN and norms but not the attention are GPT-J's: parallel blocks on one LayerNorm,
 * rope at base 10,000 (whole or partial), a GELU MLP, a biased head (zeros when the model has none).
 */
function gptjFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'biases without attention biases (--no-attention-bias) export as GPTJForCausalLM',
    {
      'parallel blocks': c.parallelBlocks,
      layernorm: c.norm === 'layernorm',
      rope: c.positions === 'rope',
      'rope base 10000': c.ropeBase === 10000,
      'ffn gelu': c.ffn === 'gelu',
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    { ...parallelExtras(c), 'rope scaling': c.ropeScaling !== null, 'Q/K/V biases': c.qkvBias },
  );
  return 'gptj';
}

/** SwiGLU on LayerNorms is StableLM's: LayerNorm biases, rope (a part of each head or all), Q/K/V biases or none. */
function stablelmFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'SwiGLU with LayerNorm exports as StableLmForCausalLM',
    {
      rope: c.positions === 'rope',
      'LayerNorm biases': c.normBias,
      'no linear biases but Q/K/V ones': !c.bias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    { ...parallelExtras(c), 'head norms': c.qkNorm && !c.qkLayerNorm, 'a biased output head': c.headBias },
  );
  return 'stablelm';
}

/** Cohere's: parallel SwiGLU blocks on one LayerNorm without bias, rope over whole heads, scaled logits. */
function cohereFamily(c: ModelConfig): HfFamily {
  // Windowed layers with every Nth full and unrotated are Command R7B's class.
  const cohere2 =
    c.slidingWindow > 0 && c.fullAttentionEvery > 1 && c.noRopeEvery === c.fullAttentionEvery && !c.fullAttentionFirst;
  requireLayout(
    'scaled logits, or SwiGLU on LayerNorms without bias, export as CohereForCausalLM',
    {
      'parallel blocks': c.parallelBlocks,
      layernorm: c.norm === 'layernorm',
      'ffn swiglu': c.ffn === 'swiglu',
      rope: c.positions === 'rope',
      'no biases': !c.bias && !c.normBias && !c.qkvBias,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    {
      ...parallelExtras(c),
      // Command R+'s per-head LayerNorms are Cohere's; a shared RMSNorm per head is not.
      'head norms': c.qkNorm && !(c.qkLayerNorm && !cohere2),
      // Cohere2ForCausalLM's windows: three in four layers, the fourth full without rotary embeddings.
      'a sliding window': c.slidingWindow > 0 && !cohere2,
      'NoPE layers': c.noRopeEvery > 0 && !cohere2,
      'partial rotary': c.ropeDims > 0,
      'a biased output head': c.headBias,
    },
  );
  return cohere2 ? 'cohere2' : 'cohere';
}

/** Falcon-RW's ALiBi: slopes scaled by 1/√(head size), as its scores are after the bias is added. */
const falconAlibi = (c: ModelConfig) => Math.abs(c.alibiScale * Math.sqrt(headSize(c)) - 1) < 1e-9;

/** LayerNorm biases without linear ones are Falcon's: rope over whole heads, a GELU MLP, MQA, GQA or MHA. */
function falconFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'LayerNorm biases without linear ones (--no-bias --norm-bias), or ALiBi scaled with the scores, export as FalconForCausalLM',
    {
      'rope, or ALiBi scaled by 1/√(head size) (Falcon-RW)':
        c.positions === 'rope' || (c.positions === 'alibi' && falconAlibi(c)),
      'LayerNorm biases': c.norm === 'layernorm' && c.normBias,
      'ffn gelu': c.ffn === 'gelu',
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
      // Sequential layers exist only in Falcon's first layout, which has one K/V head or one per head.
      'parallel blocks or 1 or heads K/V heads': c.parallelBlocks || c.kvHeads === 1 || c.kvHeads === c.heads,
    },
    {
      ...parallelExtras(c),
      'partial rotary': c.ropeDims > 0,
      'Q/K/V biases alone': c.qkvBias && !c.bias,
      'biases on the MLP only': c.bias && !c.attentionBias,
      'an embedding LayerNorm': c.embedNorm,
      'a biased output head': c.headBias,
    },
  );
  return 'falcon';
}

/**
 * GPT-NeoX's layout: LayerNorm with biases, rope (maybe partial), a GELU MLP, biases everywhere,
 * one K/V head per head; parallel blocks or not, exact or tanh GELU.
 */
function neoxFamily(c: ModelConfig): HfFamily {
  requireLayout(
    'parallel blocks, partial rotary, exact GELU or LayerNorm with rope export as GPTNeoXForCausalLM',
    {
      layernorm: c.norm === 'layernorm',
      rope: c.positions === 'rope',
      'ffn gelu': c.ffn === 'gelu',
      biases: c.bias,
      'as many K/V heads as heads': c.kvHeads === c.heads,
      'heads of dModel / heads': headSize(c) * c.heads === c.dModel,
    },
    parallelExtras(c),
  );
  return 'gpt_neox';
}

const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
};
const concat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/**
 * Layer i's matrix as it computes with it: its set's weight plus its relaxation delta B·A. Hugging
 * Face's layouts have no place for the delta, so a relaxed model exports merged (and unshared).
 */
function layerMatrix(lm: TransformerLM, i: number, matrix: string): Float32Array {
  const set = matrix.startsWith('attn') ? lm.plan.attnSet[i] : lm.plan.ffnSet[i];
  const w = lm.params.get(`layers.${set}.${matrix}.weight`)!.data;
  const a = lm.params.get(`relax.${i}.${matrix}.A`),
    b = lm.params.get(`relax.${i}.${matrix}.B`);
  return a && b ? withLowRankDelta(w, a.data, b.data, a.shape[0]!) : w;
}

function gpt2Tensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'transformer.wte.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
    'transformer.wpe.weight': { shape: [c.context, d], data: w('pos.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      h = `transformer.h.${i}`;
    t[`${h}.ln_1.weight`] = { shape: [d], data: w(`${a}.norm1.weight`) };
    t[`${h}.ln_1.bias`] = { shape: [d], data: w(`${a}.norm1.bias`) };
    const qkv = ['q', 'k', 'v'].map((p) => layerMatrix(lm, i, `attn.${p}`));
    t[`${h}.attn.c_attn.weight`] = { shape: [d, 3 * d], data: transpose(concat(qkv), 3 * d, d) };
    t[`${h}.attn.c_attn.bias`] = { shape: [3 * d], data: concat(['q', 'k', 'v'].map((p) => w(`${a}.attn.${p}.bias`))) };
    t[`${h}.attn.c_proj.weight`] = { shape: [d, d], data: transpose(layerMatrix(lm, i, 'attn.o'), d, d) };
    t[`${h}.attn.c_proj.bias`] = { shape: [d], data: w(`${a}.attn.o.bias`) };
    t[`${h}.ln_2.weight`] = { shape: [d], data: w(`${m}.norm2.weight`) };
    t[`${h}.ln_2.bias`] = { shape: [d], data: w(`${m}.norm2.bias`) };
    t[`${h}.mlp.c_fc.weight`] = { shape: [d, f], data: transpose(layerMatrix(lm, i, 'ffn.up'), f, d) };
    t[`${h}.mlp.c_fc.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
    t[`${h}.mlp.c_proj.weight`] = { shape: [f, d], data: transpose(layerMatrix(lm, i, 'ffn.down'), d, f) };
    t[`${h}.mlp.c_proj.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
  }
  t['transformer.ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['transformer.ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/** Q, K and V rows (or biases: width 1) fused head by head, each head's query, key and value in turn (GPT-NeoX, BLOOM). */
function fusedByHead(c: ModelConfig, parts: Float32Array[], width: number): Float32Array {
  const hd = headSize(c),
    out = new Float32Array(3 * c.heads * hd * width),
    block = hd * width;
  for (let h = 0; h < c.heads; h++)
    for (const [k, p] of parts.entries()) out.set(p.subarray(h * block, (h + 1) * block), (3 * h + k) * block);
  return out;
}

/** BLOOM's names, as bigscience's files hold them (no prefix); Q, K, V fused head by head as GPT-NeoX's. */
function bloomTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'word_embeddings.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
    'word_embeddings_layernorm.weight': { shape: [d], data: w('embed.norm.weight') },
    'word_embeddings_layernorm.bias': { shape: [d], data: w('embed.norm.bias') },
  };
  const qkv = ['q', 'k', 'v'];
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      h = `h.${i}`;
    for (const kind of ['weight', 'bias'] as const) {
      t[`${h}.input_layernorm.${kind}`] = { shape: [d], data: w(`${a}.norm1.${kind}`) };
      t[`${h}.post_attention_layernorm.${kind}`] = { shape: [d], data: w(`${m}.norm2.${kind}`) };
    }
    const matrices = qkv.map((p) => layerMatrix(lm, i, `attn.${p}`));
    t[`${h}.self_attention.query_key_value.weight`] = { shape: [3 * d, d], data: fusedByHead(c, matrices, d) };
    const biases = qkv.map((p) => w(`${a}.attn.${p}.bias`));
    t[`${h}.self_attention.query_key_value.bias`] = { shape: [3 * d], data: fusedByHead(c, biases, 1) };
    for (const [hf, ours, set, rows, cols] of [
      ['self_attention.dense', 'attn.o', a, d, d],
      ['mlp.dense_h_to_4h', 'ffn.up', m, f, d],
      ['mlp.dense_4h_to_h', 'ffn.down', m, d, f],
    ] as const) {
      t[`${h}.${hf}.weight`] = { shape: [rows, cols], data: layerMatrix(lm, i, ours) };
      t[`${h}.${hf}.bias`] = { shape: [rows], data: w(`${set}.${ours}.bias`) };
    }
  }
  t['ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/** GPTBigCode's names (GPT-2's, with [out, in] Linear weights); c_attn: queries then one key and value head, or head by head. */
function bigcodeTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden,
    rows = d + 2 * c.kvHeads * headSize(c);
  const w = (name: string) => lm.params.get(name)!.data;
  const fuse = (parts: Float32Array[], width: number) =>
    c.kvHeads === 1 ? concat(parts) : fusedByHead(c, parts, width);
  const t: Record<string, TensorToWrite> = {
    'transformer.wte.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
    'transformer.wpe.weight': { shape: [c.context, d], data: w('pos.weight') },
  };
  const qkv = ['q', 'k', 'v'];
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      h = `transformer.h.${i}`;
    for (const kind of ['weight', 'bias'] as const) {
      t[`${h}.ln_1.${kind}`] = { shape: [d], data: w(`${a}.norm1.${kind}`) };
      t[`${h}.ln_2.${kind}`] = { shape: [d], data: w(`${m}.norm2.${kind}`) };
    }
    const weights = qkv.map((p) => layerMatrix(lm, i, `attn.${p}`));
    t[`${h}.attn.c_attn.weight`] = { shape: [rows, d], data: fuse(weights, d) };
    t[`${h}.attn.c_attn.bias`] = {
      shape: [rows],
      data: fuse(
        qkv.map((p) => w(`${a}.attn.${p}.bias`)),
        1,
      ),
    };
    for (const [hf, ours, set, r, cols] of [
      ['attn.c_proj', 'attn.o', a, d, d],
      ['mlp.c_fc', 'ffn.up', m, f, d],
      ['mlp.c_proj', 'ffn.down', m, d, f],
    ] as const) {
      t[`${h}.${hf}.weight`] = { shape: [r, cols], data: layerMatrix(lm, i, ours) };
      t[`${h}.${hf}.bias`] = { shape: [r], data: w(`${set}.${ours}.bias`) };
    }
  }
  t['transformer.ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['transformer.ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  return t;
}

/** StarCoder's config.json fields (transformers' GPTBigCodeConfig). */
function bigcodeConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['GPTBigCodeForCausalLM'],
    model_type: 'gpt_bigcode',
    activation_function: c.geluExact ? 'gelu' : 'gelu_pytorch_tanh',
    n_embd: c.dModel,
    n_layer: c.layers,
    n_head: c.heads,
    n_positions: c.context,
    n_inner: c.ffnHidden,
    layer_norm_epsilon: c.normEps,
    multi_query: c.kvHeads === 1,
    scale_attn_weights: c.attentionScalar !== 1,
    attention_softmax_in_fp32: true,
    scale_attention_softmax_in_fp32: true,
    attn_pdrop: 0,
    embd_pdrop: 0,
    resid_pdrop: 0,
    ...closing(c, ids),
  };
}

/** MPT's names; Q, K, V stacked in Wqkv; no biases, the head tied to wte. */
function mptTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'transformer.wte.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      b = `transformer.blocks.${i}`;
    t[`${b}.norm_1.weight`] = { shape: [d], data: w(`${a}.norm1.weight`) };
    t[`${b}.norm_2.weight`] = { shape: [d], data: w(`${m}.norm2.weight`) };
    const qkv = ['q', 'k', 'v'].map((p) => layerMatrix(lm, i, `attn.${p}`));
    t[`${b}.attn.Wqkv.weight`] = { shape: [3 * d, d], data: concat(qkv) };
    t[`${b}.attn.out_proj.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.o') };
    t[`${b}.ffn.up_proj.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${b}.ffn.down_proj.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
  }
  t['transformer.norm_f.weight'] = { shape: [d], data: w('norm.weight') };
  return t;
}

/** transformers' MptConfig fields (MosaicML's class reads the same ones). */
function mptConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  const scaled = c.attentionScalar > 0 && c.attentionScalar !== headSize(c);
  return {
    architectures: ['MptForCausalLM'],
    model_type: 'mpt',
    d_model: c.dModel,
    n_heads: c.heads,
    n_layers: c.layers,
    expansion_ratio: c.ffnHidden / c.dModel,
    max_seq_len: c.context,
    layer_norm_epsilon: c.normEps,
    no_bias: true,
    norm_type: 'low_precision_layernorm',
    learned_pos_emb: false,
    logit_scale: null,
    attn_config: {
      alibi: true,
      alibi_bias_max: 8,
      attn_type: 'multihead_attention',
      attn_pdrop: 0,
      clip_qkv: null,
      qk_ln: false,
      softmax_scale: scaled ? 1 / Math.sqrt(c.attentionScalar) : null,
      prefix_lm: false,
    },
    ...closing(c, ids),
  };
}

/** bloom-560m's config.json fields (BLOOM has no position limit: the context goes out as seq_length). */
function bloomConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['BloomForCausalLM'],
    model_type: 'bloom',
    hidden_size: c.dModel,
    n_layer: c.layers,
    n_head: c.heads,
    layer_norm_epsilon: c.normEps,
    apply_residual_connection_post_layernorm: false,
    hidden_dropout: 0,
    attention_dropout: 0,
    pretraining_tp: 1,
    slow_but_exact: false,
    seq_length: c.context,
    ...closing(c, ids),
  };
}

/** GPT-NeoX's names; Q, K, V fused head by head (each head's query, key and value rows in turn). */
function neoxTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const byHead = (parts: Float32Array[], width: number) => fusedByHead(c, parts, width);
  const t: Record<string, TensorToWrite> = {
    'gpt_neox.embed_in.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      l = `gpt_neox.layers.${i}`;
    t[`${l}.input_layernorm.weight`] = { shape: [d], data: w(`${a}.norm1.weight`) };
    t[`${l}.input_layernorm.bias`] = { shape: [d], data: w(`${a}.norm1.bias`) };
    const qkv = ['q', 'k', 'v'];
    t[`${l}.attention.query_key_value.weight`] = {
      shape: [3 * d, d],
      data: byHead(
        qkv.map((p) => layerMatrix(lm, i, `attn.${p}`)),
        d,
      ),
    };
    t[`${l}.attention.dense.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.o') };
    // attention_bias false: none on query_key_value and dense.
    if (c.attentionBias) {
      t[`${l}.attention.query_key_value.bias`] = {
        shape: [3 * d],
        data: byHead(
          qkv.map((p) => w(`${a}.attn.${p}.bias`)),
          1,
        ),
      };
      t[`${l}.attention.dense.bias`] = { shape: [d], data: w(`${a}.attn.o.bias`) };
    }
    t[`${l}.post_attention_layernorm.weight`] = { shape: [d], data: w(`${m}.norm2.weight`) };
    t[`${l}.post_attention_layernorm.bias`] = { shape: [d], data: w(`${m}.norm2.bias`) };
    t[`${l}.mlp.dense_h_to_4h.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${l}.mlp.dense_h_to_4h.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
    t[`${l}.mlp.dense_4h_to_h.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
    t[`${l}.mlp.dense_4h_to_h.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
  }
  t['gpt_neox.final_layer_norm.weight'] = { shape: [d], data: w('norm.weight') };
  t['gpt_neox.final_layer_norm.bias'] = { shape: [d], data: w('norm.bias') };
  t['embed_out.weight'] = { shape: [c.vocabSize, d], data: w(c.tieEmbeddings ? 'embed.weight' : 'head.weight') };
  return t;
}

/** rotary_pct such that transformers' int(head size · rotary_pct) gives back the rotated dimensions. */
function rotaryFraction(c: ModelConfig): number {
  const r = rotaryDims(c),
    hd = headSize(c);
  let pct = r / hd;
  while (Math.floor(hd * pct) < r) pct *= 1 + Number.EPSILON;
  return pct;
}

/** Whether layer i's norm1 and norm2 hold the same values (one LayerNorm in the exported file). */
function normsEqual(lm: TransformerLM, i: number, kind: 'weight' | 'bias'): boolean {
  const one = lm.params.get(`layers.${lm.plan.attnSet[i]}.norm1.${kind}`)!.data,
    two = lm.params.get(`layers.${lm.plan.ffnSet[i]}.norm2.${kind}`)!.data;
  return one.every((v, k) => v === two[k]);
}

/** Layer i's one LayerNorm of a class with one per parallel block: norm1 and norm2 must be equal. */
function oneNorm(lm: TransformerLM, i: number, kind: 'weight' | 'bias', cls: string, instead: string): Float32Array {
  if (!normsEqual(lm, i, kind))
    throw new HfExportError(
      `${cls} has one LayerNorm per layer for attention and MLP; layer ${i}'s norm1.${kind} and norm2.${kind} differ (${instead})`,
    );
  return lm.params.get(`layers.${lm.plan.attnSet[i]}.norm1.${kind}`)!.data;
}

/** Whether every layer's two norms are equal (one LayerNorm in GPT-J's and Phi's files). */
function oneNormPerLayer(lm: TransformerLM): boolean {
  const kinds = lm.config.normBias ? (['weight', 'bias'] as const) : (['weight'] as const);
  return Array.from({ length: lm.config.layers }, (_, i) => i).every((i) =>
    kinds.every((kind) => normsEqual(lm, i, kind)),
  );
}

/**
 * GPT-J's names; its query and key rows go back to adjacent-pair order (the inverse of the
 * import's permutation), and its head bias is zero when the model has none.
 */
function gptjTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    hd = headSize(c),
    rotated = rotaryDims(c),
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const toPairs = (m: Float32Array) => reorderRotaryRows(m, hd, d, rotated, true);
  const t: Record<string, TensorToWrite> = {
    'transformer.wte.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const m = `layers.${lm.plan.ffnSet[i]}`,
      h = `transformer.h.${i}`;
    for (const kind of ['weight', 'bias'] as const)
      t[`${h}.ln_1.${kind}`] = {
        shape: [d],
        data: oneNorm(lm, i, kind, 'GPTJForCausalLM', 'no stock class holds two norms without attention biases'),
      };
    t[`${h}.attn.q_proj.weight`] = { shape: [d, d], data: toPairs(layerMatrix(lm, i, 'attn.q')) };
    t[`${h}.attn.k_proj.weight`] = { shape: [d, d], data: toPairs(layerMatrix(lm, i, 'attn.k')) };
    t[`${h}.attn.v_proj.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.v') };
    t[`${h}.attn.out_proj.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.o') };
    t[`${h}.mlp.fc_in.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${h}.mlp.fc_in.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
    t[`${h}.mlp.fc_out.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
    t[`${h}.mlp.fc_out.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
  }
  t['transformer.ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['transformer.ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w(c.tieEmbeddings ? 'embed.weight' : 'head.weight') };
  t['lm_head.bias'] = { shape: [c.vocabSize], data: c.headBias ? w('head.bias') : new Float32Array(c.vocabSize) };
  return t;
}

/** GPT-Neo's names: GPT-2's prefix and norms, attn.attention's separate projections, nn.Linear MLP. */
function gptNeoTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'transformer.wte.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
    'transformer.wpe.weight': { shape: [c.context, d], data: w('pos.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      h = `transformer.h.${i}`;
    for (const kind of ['weight', 'bias'] as const) {
      t[`${h}.ln_1.${kind}`] = { shape: [d], data: w(`${a}.norm1.${kind}`) };
      t[`${h}.ln_2.${kind}`] = { shape: [d], data: w(`${m}.norm2.${kind}`) };
    }
    for (const p of ['q', 'k', 'v'] as const)
      t[`${h}.attn.attention.${p}_proj.weight`] = { shape: [d, d], data: layerMatrix(lm, i, `attn.${p}`) };
    t[`${h}.attn.attention.out_proj.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.o') };
    t[`${h}.attn.attention.out_proj.bias`] = { shape: [d], data: w(`${a}.attn.o.bias`) };
    t[`${h}.mlp.c_fc.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${h}.mlp.c_fc.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
    t[`${h}.mlp.c_proj.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
    t[`${h}.mlp.c_proj.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
  }
  t['transformer.ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['transformer.ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/** The fields every config.json ends with: the vocabulary, the head's tying, the dtype written, the token ids. */
const closing = (c: ModelConfig, ids: Record<string, unknown>) => ({
  vocab_size: c.vocabSize,
  tie_word_embeddings: c.tieEmbeddings,
  torch_dtype: 'float32',
  ...ids,
});

/** Granite 3's config.json: Llama's fields, its four multipliers, and one switch each for attention and MLP biases. */
function graniteConfig(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const { head_dim: _, ...sizes } = llamaSizes(c);
  return {
    architectures: ['GraniteForCausalLM'],
    model_type: 'granite',
    hidden_act: 'silu',
    ...sizes,
    rope_scaling,
    attention_bias: c.bias,
    mlp_bias: c.bias,
    embedding_multiplier: c.embedMultiplier,
    residual_multiplier: c.residualMultiplier,
    attention_multiplier: 1 / Math.sqrt(c.attentionScalar || headSize(c)),
    logits_scaling: 1 / c.logitScale,
    ...closing(c, ids),
  };
}

/** StarCoder2-7B's config.json fields. */
function starcoder2Config(
  c: ModelConfig,
  rope_scaling: unknown,
  ids: Record<string, unknown>,
): Record<string, unknown> {
  const { head_dim: _, rms_norm_eps: __, ...sizes } = llamaSizes(c);
  return {
    architectures: ['Starcoder2ForCausalLM'],
    model_type: 'starcoder2',
    hidden_act: c.geluExact ? 'gelu' : 'gelu_pytorch_tanh',
    ...sizes,
    norm_epsilon: c.normEps,
    rope_scaling,
    sliding_window: c.slidingWindow || null,
    use_bias: c.bias,
    embedding_dropout: 0,
    residual_dropout: 0,
    attention_dropout: 0,
    ...closing(c, ids),
  };
}

/** OLMo 2's config.json: Llama's fields (no head_dim: OLMo 2's heads are hidden_size / heads). */
function olmo2Config(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const { head_dim: _, ...sizes } = llamaSizes(c);
  return {
    architectures: ['Olmo2ForCausalLM'],
    model_type: 'olmo2',
    hidden_act: 'silu',
    ...sizes,
    rope_scaling,
    attention_bias: false,
    ...closing(c, ids),
  };
}

/** SmolLM3-3B's config.json: Llama's fields and each layer's RoPE mark spelled out. */
function smolLM3Config(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const { head_dim: _, ...sizes } = llamaSizes(c);
  return {
    architectures: ['SmolLM3ForCausalLM'],
    model_type: 'smollm3',
    hidden_act: 'silu',
    ...sizes,
    rope_scaling,
    attention_bias: false,
    mlp_bias: false,
    no_rope_layers: Array.from({ length: c.layers }, (_, i) => (layerRotates(c, i) ? 1 : 0)),
    no_rope_layer_interval: c.noRopeEvery,
    use_sliding_window: false,
    sliding_window: null,
    ...closing(c, ids),
  };
}

/** GPT-Neo's config.json: every layer's kind spelled out (attention_types as one group, and attention_layers). */
function gptNeoConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  const kinds = Array.from({ length: c.layers }, (_, i) => (layerWindow(c, i) > 0 ? 'local' : 'global'));
  return {
    architectures: ['GPTNeoForCausalLM'],
    model_type: 'gpt_neo',
    activation_function: c.geluExact ? 'gelu' : 'gelu_new',
    hidden_size: c.dModel,
    num_layers: c.layers,
    num_heads: c.heads,
    intermediate_size: c.ffnHidden,
    max_position_embeddings: c.context,
    attention_types: [[kinds, 1]],
    attention_layers: kinds,
    // Read only by local layers; GPT-Neo's default when there are none.
    window_size: c.slidingWindow || 256,
    layer_norm_epsilon: c.normEps,
    embed_dropout: 0,
    resid_dropout: 0,
    attention_dropout: 0,
    ...closing(c, ids),
  };
}

/** OPT's names under model.decoder.; the position table gets back the 2 rows of its padding offset, as zeros. */
function optTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    f = c.ffnHidden,
    p = 'model.decoder.';
  const w = (name: string) => lm.params.get(name)!.data;
  const positions = new Float32Array((OPT_POSITION_OFFSET + c.context) * d);
  positions.set(w('pos.weight'), OPT_POSITION_OFFSET * d);
  const t: Record<string, TensorToWrite> = {
    [`${p}embed_tokens.weight`]: { shape: [c.vocabSize, d], data: w('embed.weight') },
    [`${p}embed_positions.weight`]: { shape: [OPT_POSITION_OFFSET + c.context, d], data: positions },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      l = `${p}layers.${i}`;
    const linear = (name: string, from: string, set: string, shape: [number, number]) => {
      t[`${l}.${name}.weight`] = { shape, data: layerMatrix(lm, i, from) };
      if (c.bias) t[`${l}.${name}.bias`] = { shape: [shape[0]], data: w(`${set}.${from}.bias`) };
    };
    for (const kind of ['weight', 'bias'] as const) {
      t[`${l}.self_attn_layer_norm.${kind}`] = { shape: [d], data: w(`${a}.norm1.${kind}`) };
      t[`${l}.final_layer_norm.${kind}`] = { shape: [d], data: w(`${m}.norm2.${kind}`) };
    }
    for (const [name, from] of [
      ['q_proj', 'attn.q'],
      ['k_proj', 'attn.k'],
      ['v_proj', 'attn.v'],
      ['out_proj', 'attn.o'],
    ] as const)
      linear(`self_attn.${name}`, from, a, [d, d]);
    linear('fc1', 'ffn.up', m, [f, d]);
    linear('fc2', 'ffn.down', m, [d, f]);
  }
  t[`${p}final_layer_norm.weight`] = { shape: [d], data: w('norm.weight') };
  t[`${p}final_layer_norm.bias`] = { shape: [d], data: w('norm.bias') };
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/** OPT-125M's config.json fields. */
function optConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['OPTForCausalLM'],
    model_type: 'opt',
    activation_function: 'relu',
    hidden_size: c.dModel,
    word_embed_proj_dim: c.dModel,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    ffn_dim: c.ffnHidden,
    max_position_embeddings: c.context,
    do_layer_norm_before: true,
    _remove_final_layer_norm: false,
    enable_bias: c.bias,
    layer_norm_elementwise_affine: true,
    dropout: 0,
    attention_dropout: 0,
    activation_dropout: 0,
    layerdrop: 0,
    ...closing(c, ids),
  };
}

/** How a Falcon goes out: its first layout (Falcon-7B) when it can hold the model, else new_decoder_architecture. */
function falconShape(lm: TransformerLM): { newArch: boolean; norms: 1 | 2 } {
  const c = lm.config;
  const equal = (kind: string) =>
    Array.from({ length: c.layers }, (_, i) => i).every((i) => {
      const one = lm.params.get(`layers.${lm.plan.attnSet[i]}.norm1.${kind}`)!.data,
        two = lm.params.get(`layers.${lm.plan.ffnSet[i]}.norm2.${kind}`)!.data;
      return one.every((v, k) => v === two[k]);
    });
  const norms = c.parallelBlocks && equal('weight') && equal('bias') ? 1 : 2;
  const firstLayout = !c.parallelBlocks || (norms === 1 && (c.kvHeads === 1 || c.kvHeads === c.heads));
  return { newArch: !firstLayout, norms };
}

/** Falcon's names; Q/K/V fused group by group (each key/value group's query heads, its key, its value). */
function falconTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    hd = headSize(c),
    f = c.ffnHidden,
    group = c.heads / c.kvHeads;
  const { norms } = falconShape(lm);
  const w = (name: string) => lm.params.get(name)!.data;
  const [one, two] = !c.parallelBlocks
    ? ['input_layernorm', 'post_attention_layernorm']
    : norms === 2
      ? ['ln_attn', 'ln_mlp']
      : ['input_layernorm', null];
  const t: Record<string, TensorToWrite> = {
    'transformer.word_embeddings.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  const block = hd * d;
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      h = `transformer.h.${i}`;
    for (const kind of ['weight', 'bias'] as const) {
      t[`${h}.${one}.${kind}`] = { shape: [d], data: w(`${a}.norm1.${kind}`) };
      if (two) t[`${h}.${two}.${kind}`] = { shape: [d], data: w(`${m}.norm2.${kind}`) };
    }
    // Each key/value group's query heads, then its key and its value (block: one head's rows).
    const byGroup = ([q, k, v]: Float32Array[], block: number) => {
      const fused = new Float32Array((c.heads + 2 * c.kvHeads) * block);
      for (let g = 0; g < c.kvHeads; g++) {
        const at = g * (group + 2) * block;
        fused.set(q!.subarray(g * group * block, (g + 1) * group * block), at);
        fused.set(k!.subarray(g * block, (g + 1) * block), at + group * block);
        fused.set(v!.subarray(g * block, (g + 1) * block), at + (group + 1) * block);
      }
      return fused;
    };
    const rows = (c.heads + 2 * c.kvHeads) * hd;
    const qkv = ['q', 'k', 'v'];
    t[`${h}.self_attention.query_key_value.weight`] = {
      shape: [rows, d],
      data: byGroup(
        qkv.map((p) => layerMatrix(lm, i, `attn.${p}`)),
        block,
      ),
    };
    t[`${h}.self_attention.dense.weight`] = { shape: [d, d], data: layerMatrix(lm, i, 'attn.o') };
    t[`${h}.mlp.dense_h_to_4h.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${h}.mlp.dense_4h_to_h.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
    // Falcon-RW's bias: true puts one on every linear layer.
    if (c.bias) {
      const biases = qkv.map((p) => w(`${a}.attn.${p}.bias`));
      t[`${h}.self_attention.query_key_value.bias`] = { shape: [rows], data: byGroup(biases, hd) };
      t[`${h}.self_attention.dense.bias`] = { shape: [d], data: w(`${a}.attn.o.bias`) };
      t[`${h}.mlp.dense_h_to_4h.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
      t[`${h}.mlp.dense_4h_to_h.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
    }
  }
  t['transformer.ln_f.weight'] = { shape: [d], data: w('norm.weight') };
  t['transformer.ln_f.bias'] = { shape: [d], data: w('norm.bias') };
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/** Falcon's config.json: Falcon-7B's fields, or Falcon-40B's with new_decoder_architecture. */
function falconConfig(lm: TransformerLM, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const c = lm.config,
    { newArch, norms } = falconShape(lm);
  return {
    architectures: ['FalconForCausalLM'],
    model_type: 'falcon',
    activation: c.geluExact ? 'gelu' : 'gelu_new',
    hidden_size: c.dModel,
    ffn_hidden_size: c.ffnHidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_kv_heads: c.kvHeads,
    new_decoder_architecture: newArch,
    multi_query: c.kvHeads === 1,
    parallel_attn: c.parallelBlocks,
    ...(newArch && { num_ln_in_parallel_attn: norms }),
    alibi: c.positions === 'alibi',
    bias: c.bias,
    max_position_embeddings: c.context,
    layer_norm_epsilon: c.normEps,
    rope_theta: c.ropeBase,
    rope_scaling,
    ...closing(c, ids),
  };
}

/** GPT-J-6B's config.json fields. */
function gptjConfig(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['GPTJForCausalLM'],
    model_type: 'gptj',
    activation_function: c.geluExact ? 'gelu' : 'gelu_new',
    n_embd: c.dModel,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: c.ffnHidden,
    n_positions: c.context,
    rotary_dim: rotaryDims(c),
    layer_norm_epsilon: c.normEps,
    attn_pdrop: 0,
    embd_pdrop: 0,
    resid_pdrop: 0,
    ...closing(c, ids),
  };
}

/**
 * Phi's names: one input_layernorm per layer, which both of shareformer's norms must equal (an
 * imported Phi has them equal; a model trained with two norms exports as GPT-NeoX, without the head bias).
 */
function phiTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    kv = c.kvHeads * headSize(c),
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'model.embed_tokens.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      l = `model.layers.${i}`;
    for (const kind of ['weight', 'bias'] as const)
      t[`${l}.input_layernorm.${kind}`] = {
        shape: [d],
        data: oneNorm(lm, i, kind, 'PhiForCausalLM', 'without --head-bias such a model exports as GPTNeoXForCausalLM'),
      };
    const rows = { q: d, k: kv, v: kv, o: d } as Record<string, number>;
    for (const [p, proj] of [
      ['q', 'q_proj'],
      ['k', 'k_proj'],
      ['v', 'v_proj'],
      ['o', 'dense'],
    ] as const) {
      t[`${l}.self_attn.${proj}.weight`] = { shape: [rows[p]!, d], data: layerMatrix(lm, i, `attn.${p}`) };
      t[`${l}.self_attn.${proj}.bias`] = { shape: [rows[p]!], data: w(`${a}.attn.${p}.bias`) };
    }
    t[`${l}.mlp.fc1.weight`] = { shape: [f, d], data: layerMatrix(lm, i, 'ffn.up') };
    t[`${l}.mlp.fc1.bias`] = { shape: [f], data: w(`${m}.ffn.up.bias`) };
    t[`${l}.mlp.fc2.weight`] = { shape: [d, f], data: layerMatrix(lm, i, 'ffn.down') };
    t[`${l}.mlp.fc2.bias`] = { shape: [d], data: w(`${m}.ffn.down.bias`) };
  }
  t['model.final_layernorm.weight'] = { shape: [d], data: w('norm.weight') };
  t['model.final_layernorm.bias'] = { shape: [d], data: w('norm.bias') };
  t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  t['lm_head.bias'] = { shape: [c.vocabSize], data: w('head.bias') };
  return t;
}

/** Phi-2's config.json. */
function phiConfig(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['PhiForCausalLM'],
    model_type: 'phi',
    hidden_act: c.geluExact ? 'gelu' : 'gelu_new',
    hidden_size: c.dModel,
    intermediate_size: c.ffnHidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    max_position_embeddings: c.context,
    layer_norm_eps: c.normEps,
    rope_theta: c.ropeBase,
    rope_scaling,
    partial_rotary_factor: rotaryFraction(c),
    qk_layernorm: false,
    vocab_size: c.vocabSize,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    ...ids,
  };
}

/** Pythia's config.json, in transformers 4's fields (transformers 5 reads them too). */
function neoxConfig(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['GPTNeoXForCausalLM'],
    model_type: 'gpt_neox',
    hidden_act: c.geluExact ? 'gelu' : 'gelu_new',
    hidden_size: c.dModel,
    intermediate_size: c.ffnHidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    max_position_embeddings: c.context,
    layer_norm_eps: c.normEps,
    rotary_emb_base: c.ropeBase,
    rotary_pct: rotaryFraction(c),
    rope_scaling,
    use_parallel_residual: c.parallelBlocks,
    attention_bias: c.attentionBias,
    ...closing(c, ids),
  };
}

/** The MLP's Hugging Face names against shareformer's: Llama's gated three, StarCoder2's two. */
const LLAMA_MLP = [
  ['mlp.gate_proj', 'ffn.gate'],
  ['mlp.up_proj', 'ffn.up'],
  ['mlp.down_proj', 'ffn.down'],
] as const;
/** Nemotron's ungated MLP. */
const NEMOTRON_MLP = [
  ['mlp.up_proj', 'ffn.up'],
  ['mlp.down_proj', 'ffn.down'],
] as const;

const STARCODER2_MLP = [
  ['mlp.c_fc', 'ffn.up'],
  ['mlp.c_proj', 'ffn.down'],
] as const;

/**
 * Llama's names, which most decoder families since share: every bias the model holds (Qwen2's on
 * Q/K/V, Granite's and StarCoder2's everywhere, LayerNorms' in StableLM and StarCoder2) is written
 * under the weight's name.
 */
function llamaTensors(
  lm: TransformerLM,
  mlp: ReadonlyArray<readonly [string, string]> = LLAMA_MLP,
): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    hd = headSize(c),
    qw = c.heads * hd,
    kv = c.kvHeads * hd,
    f = c.ffnHidden;
  const w = (name: string) => lm.params.get(name)!.data;
  const t: Record<string, TensorToWrite> = {
    'model.embed_tokens.weight': { shape: [c.vocabSize, d], data: w('embed.weight') },
  };
  const vector = (hf: string, ours: string) => {
    if (lm.params.has(ours)) t[hf] = { shape: [d], data: w(ours) };
  };
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      l = `model.layers.${i}`;
    for (const kind of ['weight', 'bias'] as const) {
      // Llama's norms precede attention and the MLP; OLMo 2's follow them.
      if (c.preNorms) {
        vector(`${l}.input_layernorm.${kind}`, `${a}.norm1.${kind}`);
        vector(`${l}.post_attention_layernorm.${kind}`, `${m}.norm2.${kind}`);
      } else {
        vector(`${l}.post_attention_layernorm.${kind}`, `${a}.postnorm1.${kind}`);
        vector(`${l}.post_feedforward_layernorm.${kind}`, `${m}.postnorm2.${kind}`);
      }
    }
    const projections: [string, string, string, number, number][] = [
      ['self_attn.q_proj', 'attn.q', a, qw, d],
      ['self_attn.k_proj', 'attn.k', a, kv, d],
      ['self_attn.v_proj', 'attn.v', a, kv, d],
      ['self_attn.o_proj', 'attn.o', a, d, qw],
      ...mlp.map(([hf, ours]): [string, string, string, number, number] =>
        ours === 'ffn.down' ? [hf, ours, m, d, f] : [hf, ours, m, f, d],
      ),
    ];
    for (const [hf, ours, set, rows, cols] of projections) {
      t[`${l}.${hf}.weight`] = { shape: [rows, cols], data: layerMatrix(lm, i, ours) };
      if (lm.params.has(`${set}.${ours}.bias`))
        t[`${l}.${hf}.bias`] = { shape: [rows], data: w(`${set}.${ours}.bias`) };
    }
    if (c.qkNorm) {
      // Qwen3's gains span one head, OLMo 2's a whole projection, Command R+'s [heads, head size].
      const [qn, kn] = c.qkNormFull
        ? [[qw], [kv]]
        : c.qkLayerNorm
          ? [
              [c.heads, hd],
              [c.kvHeads, hd],
            ]
          : [[hd], [hd]];
      t[`${l}.self_attn.q_norm.weight`] = { shape: qn!, data: w(`${a}.attn.qnorm.weight`) };
      t[`${l}.self_attn.k_norm.weight`] = { shape: kn!, data: w(`${a}.attn.knorm.weight`) };
    }
  }
  vector('model.norm.weight', 'norm.weight');
  vector('model.norm.bias', 'norm.bias');
  if (!c.tieEmbeddings) t['lm_head.weight'] = { shape: [c.vocabSize, d], data: w('head.weight') };
  return t;
}

/**
 * StableLM's names: Llama's with the LayerNorms' biases; parallel layers have one input_layernorm,
 * which both of shareformer's norms must equal.
 */
function stablelmTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const t = llamaTensors(lm);
  // StableLM 2 12B: its per-head LayerNorms are modules of their own, norms.0 … norms.{n-1}.
  const hd = headSize(lm.config);
  if (lm.config.qkNorm)
    for (let i = 0; i < lm.config.layers; i++)
      for (const p of ['q', 'k'] as const) {
        const l = `model.layers.${i}.self_attn`,
          gains = t[`${l}.${p}_norm.weight`]!.data;
        delete t[`${l}.${p}_norm.weight`];
        for (let h = 0; h < gains.length / hd; h++)
          t[`${l}.${p}_layernorm.norms.${h}.weight`] = { shape: [hd], data: gains.subarray(h * hd, (h + 1) * hd) };
      }
  if (lm.config.parallelBlocks)
    for (let i = 0; i < lm.config.layers; i++)
      for (const kind of ['weight', 'bias'] as const) {
        oneNorm(lm, i, kind, 'StableLmForCausalLM', 'use_parallel_residual reads one input_layernorm');
        delete t[`model.layers.${i}.post_attention_layernorm.${kind}`];
      }
  return t;
}

/**
 * Cohere's names: Llama's with one input_layernorm per layer (both norms must equal it) and the
 * query and key rows back in adjacent-pair order.
 */
function cohereTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    hd = headSize(c);
  const t = llamaTensors(lm);
  const toPairs = (m: Float32Array) => reorderRotaryRows(m, hd, c.dModel, hd, true);
  for (let i = 0; i < c.layers; i++) {
    const l = `model.layers.${i}`;
    delete t[`${l}.post_attention_layernorm.weight`];
    oneNorm(lm, i, 'weight', 'CohereForCausalLM', 'its parallel block reads one input_layernorm');
    t[`${l}.self_attn.q_proj.weight`]!.data = toPairs(layerMatrix(lm, i, 'attn.q'));
    t[`${l}.self_attn.k_proj.weight`]!.data = toPairs(layerMatrix(lm, i, 'attn.k'));
    // The head norms' gains follow their heads' dimensions back into pair order.
    if (c.qkNorm)
      for (const [hf, ours] of [
        ['q_norm', 'qnorm'],
        ['k_norm', 'knorm'],
      ] as const) {
        const gains = lm.params.get(`layers.${lm.plan.attnSet[i]}.attn.${ours}.weight`)!.data;
        t[`${l}.self_attn.${hf}.weight`]!.data = reorderRotaryRows(gains, hd, 1, hd, true);
      }
  }
  return t;
}

/** Nemotron's names: Llama's with LayerNorm biases, the gains written minus one (LayerNorm1P), up/down MLP. */
function nemotronTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const t = llamaTensors(lm, NEMOTRON_MLP);
  for (const [name, tensor] of Object.entries(t))
    if (/(layernorm|^model\.norm)\.weight$/.test(name)) tensor.data = (tensor.data as Float32Array).map((g) => g - 1);
  return t;
}

/** OLMo's names: Llama's without any norm tensor — its LayerNorms have no gains, so this model's must all be 1. */
function olmoTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  for (const [name, p] of lm.params)
    if (/(^|\.)(norm[12]?|postnorm[12])\.weight$/.test(name) && p.data.some((g) => g !== 1))
      throw new HfExportError(
        `OlmoForCausalLM's LayerNorms have no gains, but this model's ${name} is not all 1 (trained here?): it has no stock class that holds it`,
      );
  const t = llamaTensors(lm);
  for (const name of Object.keys(t)) if (/layernorm|^model\.norm\./.test(name)) delete t[name];
  return t;
}

/** GLM-4's names: Llama's, gate over up in gate_up_proj, the rotated query and key rows in adjacent pairs, Glm4's post-norms. */
function glmTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    hd = headSize(c),
    rotated = rotaryDims(c);
  const t = llamaTensors(lm);
  const toPairs = (m: Float32Array, width: number) => reorderRotaryRows(m, hd, width, rotated, true);
  for (let i = 0; i < c.layers; i++) {
    const l = `model.layers.${i}`,
      a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`;
    for (const p of ['q', 'k']) {
      t[`${l}.self_attn.${p}_proj.weight`]!.data = toPairs(layerMatrix(lm, i, `attn.${p}`), c.dModel);
      const bias = t[`${l}.self_attn.${p}_proj.bias`];
      if (bias) bias.data = toPairs(lm.params.get(`${a}.attn.${p}.bias`)!.data, 1);
    }
    const gate = t[`${l}.mlp.gate_proj.weight`]!,
      up = t[`${l}.mlp.up_proj.weight`]!;
    const fused = new Float32Array(gate.data.length + up.data.length);
    fused.set(gate.data as Float32Array);
    fused.set(up.data as Float32Array, gate.data.length);
    t[`${l}.mlp.gate_up_proj.weight`] = { shape: [2 * c.ffnHidden, c.dModel], data: fused };
    delete t[`${l}.mlp.gate_proj.weight`];
    delete t[`${l}.mlp.up_proj.weight`];
    if (c.postNorms) {
      t[`${l}.post_self_attn_layernorm.weight`] = {
        shape: [c.dModel],
        data: lm.params.get(`${a}.postnorm1.weight`)!.data,
      };
      t[`${l}.post_mlp_layernorm.weight`] = { shape: [c.dModel], data: lm.params.get(`${m}.postnorm2.weight`)!.data };
    }
  }
  return t;
}

/** GLM-4's and GLM-4-0414's config.json fields. */
function glmConfig(family: 'glm' | 'glm4', c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: [FAMILY_ARCHITECTURE[family]],
    model_type: family,
    hidden_act: 'silu',
    ...llamaSizes(c),
    attention_bias: c.qkvBias,
    partial_rotary_factor: rotaryDims(c) / headSize(c),
    ...closing(c, ids),
  };
}

/** Aya 23's config.json fields. */
function cohereConfig(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const { rms_norm_eps: _, head_dim: __, ...sizes } = llamaSizes(c);
  return {
    architectures: ['CohereForCausalLM'],
    model_type: 'cohere',
    hidden_act: 'silu',
    ...sizes,
    layer_norm_eps: c.normEps,
    logit_scale: c.logitScale,
    rope_scaling,
    attention_bias: false,
    use_qk_norm: c.qkLayerNorm,
    ...closing(c, ids),
  };
}

/** StableLM 2's config.json. */
function stablelmConfig(c: ModelConfig, rope_scaling: unknown, ids: Record<string, unknown>): Record<string, unknown> {
  const { rms_norm_eps: _, head_dim: __, ...sizes } = llamaSizes(c);
  return {
    architectures: ['StableLmForCausalLM'],
    model_type: 'stablelm',
    hidden_act: 'silu',
    ...sizes,
    layer_norm_eps: c.normEps,
    partial_rotary_factor: rotaryFraction(c),
    rope_scaling,
    use_qkv_bias: c.qkvBias,
    qk_layernorm: c.qkLayerNorm,
    use_parallel_residual: c.parallelBlocks,
    ...closing(c, ids),
  };
}

/**
 * Gemma's names: Llama's, each norm stored as its gain minus one — Gemma 1's two per layer, Gemma
 * 2's and 3's four (and Gemma 3's head norms).
 */
function gemmaTensors(lm: TransformerLM): Record<string, TensorToWrite> {
  const c = lm.config,
    d = c.dModel,
    hd = headSize(c);
  const t = llamaTensors(lm);
  const gain = (name: string) => lm.params.get(name)!.data.map((g) => g - 1);
  for (let i = 0; i < c.layers; i++) {
    const a = `layers.${lm.plan.attnSet[i]}`,
      m = `layers.${lm.plan.ffnSet[i]}`,
      l = `model.layers.${i}`;
    t[`${l}.input_layernorm.weight`] = { shape: [d], data: gain(`${a}.norm1.weight`) };
    if (!c.postNorms) {
      // Gemma 1: Llama's second norm, before the FFN, under Llama's name.
      t[`${l}.post_attention_layernorm.weight`] = { shape: [d], data: gain(`${m}.norm2.weight`) };
      continue;
    }
    t[`${l}.post_attention_layernorm.weight`] = { shape: [d], data: gain(`${a}.postnorm1.weight`) };
    t[`${l}.pre_feedforward_layernorm.weight`] = { shape: [d], data: gain(`${m}.norm2.weight`) };
    t[`${l}.post_feedforward_layernorm.weight`] = { shape: [d], data: gain(`${m}.postnorm2.weight`) };
    if (!c.qkNorm) continue;
    t[`${l}.self_attn.q_norm.weight`] = { shape: [hd], data: gain(`${a}.attn.qnorm.weight`) };
    t[`${l}.self_attn.k_norm.weight`] = { shape: [hd], data: gain(`${a}.attn.knorm.weight`) };
  }
  t['model.norm.weight'] = { shape: [d], data: gain('norm.weight') };
  return t;
}

/** The sizes, heads, norm epsilon and RoPE base every Llama-family config.json states alike. */
const llamaSizes = (c: ModelConfig) => ({
  hidden_size: c.dModel,
  intermediate_size: c.ffnHidden,
  num_hidden_layers: c.layers,
  num_attention_heads: c.heads,
  num_key_value_heads: c.kvHeads,
  head_dim: headSize(c),
  max_position_embeddings: c.context,
  rms_norm_eps: c.normEps,
  rope_theta: c.ropeBase,
});

/**
 * Gemma 2's and 3's config.json: layer_types spell out which layers are windowed (all of them when
 * fullAttentionEvery is 0); Gemma 3 adds its local RoPE base and rope scaling, Gemma 2 keeps
 * gemma-2-2b's cache_implementation.
 */
function gemmaConfig(
  family: 'gemma2' | 'gemma3',
  c: ModelConfig,
  rope_scaling: unknown,
  ids: Record<string, unknown>,
): Record<string, unknown> {
  const types = Array.from({ length: c.layers }, (_, i) =>
    c.slidingWindow > 0 && layerWindow(c, i) > 0 ? 'sliding_attention' : 'full_attention',
  );
  const gemma3 = family === 'gemma3';
  return {
    architectures: [FAMILY_ARCHITECTURE[family]],
    model_type: gemma3 ? 'gemma3_text' : 'gemma2',
    hidden_activation: 'gelu_pytorch_tanh',
    ...llamaSizes(c),
    query_pre_attn_scalar: c.attentionScalar || headSize(c),
    ...(gemma3 && { rope_local_base_freq: c.ropeLocalBase || c.ropeBase, rope_scaling }),
    sliding_window: c.slidingWindow || c.context,
    layer_types: types,
    attention_bias: false,
    attn_logit_softcapping: c.attentionSoftcap || null,
    final_logit_softcapping: c.logitSoftcap || null,
    ...(gemma3 ? { use_bidirectional_attention: false } : { cache_implementation: 'hybrid' }),
    ...closing(c, ids),
  };
}

/** Gemma 1's config.json, as gemma-2b's lays it out (hidden_activation spelled out). */
function gemma1Config(c: ModelConfig, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['GemmaForCausalLM'],
    model_type: 'gemma',
    hidden_act: 'gelu_pytorch_tanh',
    hidden_activation: 'gelu_pytorch_tanh',
    ...llamaSizes(c),
    attention_bias: false,
    ...closing(c, ids),
  };
}

function hfConfig(family: HfFamily, lm: TransformerLM, tokenizer: Tokenizer): Record<string, unknown> {
  const c = lm.config;
  const ids = { bos_token_id: tokenizer.bosId ?? tokenizer.eosId ?? null, eos_token_id: tokenizer.eosId ?? null };
  if (family === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      activation_function: 'gelu_new',
      n_embd: c.dModel,
      n_layer: c.layers,
      n_head: c.heads,
      n_positions: c.context,
      n_ctx: c.context,
      n_inner: c.ffnHidden,
      vocab_size: c.vocabSize,
      layer_norm_epsilon: c.normEps,
      scale_attn_weights: true,
      scale_attn_by_inverse_layer_idx: false,
      reorder_and_upcast_attn: false,
      attn_pdrop: 0,
      embd_pdrop: 0,
      resid_pdrop: 0,
      tie_word_embeddings: c.tieEmbeddings,
      torch_dtype: 'float32',
      ...ids,
    };
  }
  const r = c.ropeScaling;
  // exportFamily refused LongRoPE already.
  const rope_scaling =
    r &&
    r.type !== 'longrope' &&
    (r.type === 'linear'
      ? { rope_type: 'linear', factor: r.factor }
      : {
          rope_type: r.type,
          factor: r.factor,
          low_freq_factor: r.lowFreqFactor,
          high_freq_factor: r.highFreqFactor,
          original_max_position_embeddings: r.originalContext,
        });
  if (family === 'glm' || family === 'glm4') return glmConfig(family, c, ids);
  if (family === 'nemotron') {
    const { rms_norm_eps: _, ...sizes } = llamaSizes(c);
    return {
      architectures: ['NemotronForCausalLM'],
      model_type: 'nemotron',
      hidden_act: 'relu2',
      ...sizes,
      norm_eps: c.normEps,
      partial_rotary_factor: rotaryDims(c) / headSize(c),
      rope_scaling,
      attention_bias: false,
      mlp_bias: false,
      ...closing(c, ids),
    };
  }
  if (family === 'olmo') {
    const { rms_norm_eps: _, head_dim: __, ...sizes } = llamaSizes(c);
    return {
      architectures: ['OlmoForCausalLM'],
      model_type: 'olmo',
      hidden_act: 'silu',
      ...sizes,
      rope_scaling,
      attention_bias: false,
      clip_qkv: null,
      ...closing(c, ids),
    };
  }
  if (family === 'gemma3' || family === 'gemma2') return gemmaConfig(family, c, rope_scaling, ids);
  if (family === 'gpt_neox') return neoxConfig(c, rope_scaling, ids);
  if (family === 'bloom') return bloomConfig(c, ids);
  if (family === 'mpt') return mptConfig(c, ids);
  if (family === 'gpt_bigcode') return bigcodeConfig(c, ids);
  if (family === 'phi') return phiConfig(c, rope_scaling, ids);
  if (family === 'gptj') return gptjConfig(c, ids);
  if (family === 'opt') return optConfig(c, ids);
  if (family === 'gpt_neo') return gptNeoConfig(c, ids);
  if (family === 'granite') return graniteConfig(c, rope_scaling, ids);
  if (family === 'smollm3') return smolLM3Config(c, rope_scaling, ids);
  if (family === 'olmo2') return olmo2Config(c, rope_scaling, ids);
  if (family === 'starcoder2') return starcoder2Config(c, rope_scaling, ids);
  if (family === 'falcon') return falconConfig(lm, rope_scaling, ids);
  if (family === 'stablelm') return stablelmConfig(c, rope_scaling, ids);
  if (family === 'cohere') return cohereConfig(c, rope_scaling, ids);
  if (family === 'cohere2') {
    const { use_qk_norm: _, ...cohere } = cohereConfig(c, rope_scaling, ids);
    return {
      ...cohere,
      architectures: ['Cohere2ForCausalLM'],
      model_type: 'cohere2',
      sliding_window: c.slidingWindow,
      layer_types: Array.from({ length: c.layers }, (_, i) =>
        (i + 1) % c.fullAttentionEvery ? 'sliding_attention' : 'full_attention',
      ),
    };
  }
  if (family === 'gemma') return gemma1Config(c, ids);
  const llamaOnly = { rope_scaling, attention_bias: false, mlp_bias: false };
  const windowed = family === 'llama' && c.slidingWindow > 0;
  const qwenOnly = {
    rope_scaling,
    ...(family === 'qwen3' && { attention_bias: false }),
    use_sliding_window: false,
    sliding_window: null,
    max_window_layers: c.layers,
  };
  return {
    architectures: [architectureOf(family, c)],
    model_type: windowed ? 'mistral' : family,
    hidden_act: 'silu',
    ...llamaSizes(c),
    ...(family === 'llama' ? llamaOnly : qwenOnly),
    ...(windowed && { sliding_window: c.slidingWindow }),
    ...closing(c, ids),
  };
}

/** Each family's tensors; Llama's names serve Mistral, Qwen2, Qwen3, Granite and SmolLM3 (Phi-3 goes out as Mistral). */
export const FAMILY_TENSORS: Record<HfFamily, (lm: TransformerLM) => Record<string, TensorToWrite>> = {
  gpt2: gpt2Tensors,
  gpt_neo: gptNeoTensors,
  opt: optTensors,
  gpt_neox: neoxTensors,
  phi: phiTensors,
  gptj: gptjTensors,
  falcon: falconTensors,
  stablelm: stablelmTensors,
  cohere: cohereTensors,
  gemma: gemmaTensors,
  gemma2: gemmaTensors,
  gemma3: gemmaTensors,
  llama: llamaTensors,
  qwen2: llamaTensors,
  qwen3: llamaTensors,
  phi3: llamaTensors,
  // Never chosen by exportFamily: an imported InternLM2 goes out as LlamaForCausalLM.
  internlm2: llamaTensors,
  // Likewise: a Baichuan with rotary embeddings goes out as LlamaForCausalLM, its NormHead applied.
  baichuan: llamaTensors,
  glm: glmTensors,
  glm4: glmTensors,
  // Never chosen: an imported EXAONE goes out as LlamaForCausalLM.
  exaone: llamaTensors,
  olmo: olmoTensors,
  nemotron: nemotronTensors,
  cohere2: cohereTensors,
  granite: llamaTensors,
  smollm3: llamaTensors,
  olmo2: llamaTensors,
  starcoder2: (lm) => llamaTensors(lm, STARCODER2_MLP),
  bloom: bloomTensors,
  mpt: mptTensors,
  gpt_bigcode: bigcodeTensors,
};

export interface HfExport {
  family: HfFamily;
  architecture: string;
  /** File name → contents. */
  files: Record<string, Uint8Array | string>;
  /** Parameters in the exported files, and unique ones in the model (they differ under weight sharing). */
  exportedParameters: number;
  uniqueParameters: number;
  notes: string[];
}

/** The files of a Hugging Face model directory for this model and tokenizer. */
export function exportHuggingFace(lm: TransformerLM, tokenizer: Tokenizer): HfExport {
  let family = exportFamily(lm.config);
  // GPT-J's one ln_1 cannot hold two different norms; GPT-NeoX (attention_bias false) can.
  if (family === 'gptj' && !oneNormPerLayer(lm)) family = neoxFamily(lm.config);
  const tensors = FAMILY_TENSORS[family](lm);
  const exportedParameters = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
  const uniqueParameters = lm.parameterCount().total;
  const notes: string[] = [];
  if (family === 'opt')
    notes.push(
      "embed_positions' first 2 rows (OPT's padding offset, which no unpadded position reads) are written as zeros",
    );
  // Other differences (GPT-J's zero head bias, Phi's one norm for two, OPT's offset rows) are not sharing.
  const shares = [lm.plan.attnSet, lm.plan.ffnSet].some((sets) => sets.some((set, i) => set !== i));
  if (shares && exportedParameters > uniqueParameters) {
    notes.push(
      `cross-layer weight sharing (${JSON.stringify(lm.config.shareWeights)}, scope ${lm.config.shareScope}) is written out layer by layer: ${exportedParameters.toLocaleString()} parameters in the files for ${uniqueParameters.toLocaleString()} unique ones (${(exportedParameters / uniqueParameters).toFixed(2)}×)`,
    );
  }
  const config = hfConfig(family, lm, tokenizer);
  sameModelOnImport(lm.config, config);
  const files: Record<string, Uint8Array | string> = {
    'config.json': `${JSON.stringify(config, null, 2)}\n`,
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
  Object.assign(files, tokenizerFiles(tokenizer, notes));
  return {
    family,
    architecture: architectureOf(family, lm.config),
    files,
    exportedParameters,
    uniqueParameters,
    notes,
  };
}

/**
 * What a config computes, with each choice in one canonical form (a window as wide as the context
 * is none; the score factor rather than the scalar that gives it; the head's width and rotated
 * dimensions rather than their 0 defaults; fields that only matter beside others dropped).
 * Sharing is left out: the export writes it out layer by layer or refuses it.
 */
function computation(c: ModelConfig): Record<string, unknown> {
  const { shareWeights, shareScope, shareKv, shareAttention, relaxRank, dropout, ...rest } = c;
  const {
    slidingWindow,
    fullAttentionEvery,
    fullAttentionFirst,
    attentionScalar,
    headDim,
    ropeDims,
    ropeLocalBase,
    headBias,
    normBias,
    qkvBias,
    attentionBias,
    attentionOutBias,
    geluExact,
    ropeBase,
    ropeScaling,
    ...plain
  } = rest;
  const rope = c.positions === 'rope';
  const windows = Array.from({ length: c.layers }, (_, i) => {
    const w = layerWindow(c, i);
    return w >= c.context ? 0 : w;
  });
  return {
    ...plain,
    windows,
    scoreScale: scoreScale(c),
    headSize: headSize(c),
    ...(rope && {
      ropeBase,
      ropeScaling,
      rotated: rotaryDims(c),
      localBase: windows.some((w) => w > 0) ? ropeLocalBase || ropeBase : 0,
    }),
    ...(c.norm === 'layernorm' && { normBias }),
    ...(c.bias && { attentionBias }),
    ...(c.bias && !c.attentionBias && { attentionOutBias }),
    ...((!c.bias || !c.attentionBias) && { qkvBias }),
    ...((c.ffn === 'gelu' || c.ffn === 'geglu') && { geluExact }),
  };
}

/**
 * The config.json written must import as this model: a layout the family's writer does not hold
 * is an error here, not a different model in the files. GPT-J's class always has a head bias
 * (written as zeros when the model has none), so a missing one is the one difference allowed.
 */
export function sameModelOnImport(c: ModelConfig, config: Record<string, unknown>): void {
  const back = modelConfigFromHf(config, 'config.json').config;
  sameComputation(c, back, `${String((config.architectures as string[])[0])} cannot hold this model: its config.json`);
}

/**
 * Throws, naming each field, unless `back` (an export read back) computes what `c` does; `what`
 * says who cannot hold the model and what was read back.
 */
export function sameComputation(c: ModelConfig, back: ModelConfig, what: string): void {
  const ours = computation(c),
    theirs = computation(back);
  const same = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number'
      ? Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b))
      : JSON.stringify(a) === JSON.stringify(b);
  const keys = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])];
  const differ = keys.filter((k) => !same(ours[k], theirs[k]));
  if (c.headBias && !back.headBias) differ.push('headBias');
  if (differ.length > 0)
    throw new HfExportError(
      `${what} would import with ${differ.map((k) => `${k} ${JSON.stringify(theirs[k] ?? back[k as keyof ModelConfig])} (this model: ${JSON.stringify(ours[k] ?? c[k as keyof ModelConfig])})`).join(', ')}`,
    );
}

function tokenizerFiles(tokenizer: Tokenizer, notes: string[]): Record<string, string> {
  if (tokenizer instanceof HfBpeTokenizer) return hfTokenizerFiles(tokenizer.toJSON());
  if (tokenizer instanceof CharTokenizer)
    return { 'tokenizer.json': charTokenizerJson(tokenizer.chars, tokenizer.unknown) };
  if (tokenizer instanceof ByteTokenizer && tokenizer.kind === 'byte')
    return { 'tokenizer.json': byteLevelTokenizerJson() };
  notes.push(
    "the tokenizer (shareformer's own byte-level BPE, whose pre-tokenization differs from GPT-2's) is not written as Hugging Face files; shareformer-tokenizer.json holds it",
  );
  return { 'shareformer-tokenizer.json': `${JSON.stringify(tokenizer.toJSON())}\n` };
}
