// Opening a Hugging Face model directory: config.json, the weights (safetensors, or PyTorch's
// pytorch_model.bin read without unpickling code — one file, or shards listed by their index), and the tokenizer (tokenizer.json, or GPT-2's vocab.json
// + merges.txt, or SentencePiece's tokenizer.model). Works on any file reader: Node reads files tensor by tensor (files-node.ts), a
// page reads the user's File objects or fetched ArrayBuffers (fromBuffers). Nothing is read until
// asked, and each tensor is read once, so a large file never sits in memory whole.
import { z } from 'zod';
import type { ModelConfig } from '../../model/config.js';
import { parseWith } from '../../schema/validate.js';
import {
  HfBpeTokenizer,
  tokenizerFromHfJson,
  tokenizerFromVocabMerges,
  type SpecialTokens,
} from '../../text/hf-bpe.js';
import { headerLength, parseSafetensorsHeader, tensorFromBytes, toFloat32, type TensorEntry } from '../safetensors.js';
import { readTorchCheckpoint, TorchPickleError } from '../torch-pickle.js';
import { tokenizerFromSentencePiece } from '../../text/sentencepiece-model.js';
import { configNotes, HfImportError, modelConfigFromHf, type HfFamily } from './config.js';
import { applyRecipe, planImport, type ImportPlan } from './tensors.js';

/** Synchronous access to the files of a model directory. */
export interface HfFileReader {
  /** For messages: the directory or a name for the set of files. */
  readonly source: string;
  has(file: string): boolean;
  size(file: string): number;
  read(file: string, start: number, end: number): Uint8Array;
  /** True when every read returns a new buffer of its own (tensors then use it without a copy). */
  readonly freshReads?: boolean;
}

export function readText(reader: HfFileReader, file: string): string {
  return new TextDecoder().decode(reader.read(file, 0, reader.size(file)));
}

function readJSON(reader: HfFileReader, file: string): unknown {
  try {
    return JSON.parse(readText(reader, file));
  } catch (e) {
    throw new HfImportError(`${reader.source}/${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Files in memory (a page's downloads or uploads): name → bytes. */
export function fromBuffers(files: Record<string, ArrayBuffer | Uint8Array>, source = 'model files'): HfFileReader {
  const bytes = new Map(Object.entries(files).map(([k, v]) => [k, v instanceof Uint8Array ? v : new Uint8Array(v)]));
  return {
    source,
    has: (f) => bytes.has(f),
    size: (f) => bytes.get(f)?.length ?? 0,
    read: (f, start, end) => bytes.get(f)!.subarray(start, end),
  };
}

interface Located extends TensorEntry {
  file: string;
  dataStart: number;
}

const indexSchema = z.looseObject({ weight_map: z.record(z.string(), z.string()) });

/** The weight files: safetensors (one, or shards by their index), else PyTorch's pytorch_model.bin the same way. */
function weightFiles(reader: HfFileReader): {
  files: string[];
  index: string | null;
  claimed: Record<string, string> | null;
} {
  for (const [index, single] of [
    ['model.safetensors.index.json', 'model.safetensors'],
    ['pytorch_model.bin.index.json', 'pytorch_model.bin'],
  ] as const) {
    if (reader.has(index)) {
      const where = `${reader.source}/${index}`;
      const claimed = parseWith(indexSchema, readJSON(reader, index), where).weight_map;
      const files = [...new Set(Object.values(claimed))];
      for (const f of files)
        if (!reader.has(f)) throw new HfImportError(`${where}: lists ${f}, which is not in the directory`);
      return { files, index, claimed };
    }
    if (reader.has(single)) return { files: [single], index: null, claimed: null };
  }
  throw new HfImportError(
    `${reader.source}: no model.safetensors, pytorch_model.bin or an index of their shards (model.safetensors.index.json, pytorch_model.bin.index.json)`,
  );
}

/** A weight file's tensors as byte ranges: a safetensors header, or a PyTorch zip's pickled state dict. */
function tensorsOf(reader: HfFileReader, file: string): Array<[string, TensorEntry & { dataStart: number }]> {
  const where = `${reader.source}/${file}`;
  const size = reader.size(file);
  if (file.endsWith('.bin')) {
    try {
      const read = (start: number, end: number) => reader.read(file, start, end);
      return [...readTorchCheckpoint(read, size, where)].map(([n, e]) => [n, { ...e, dataStart: 0 }]);
    } catch (e) {
      if (e instanceof TorchPickleError) throw new HfImportError(e.message);
      throw e;
    }
  }
  const len = headerLength(reader.read(file, 0, Math.min(8, size)), size, where);
  const header = parseSafetensorsHeader(reader.read(file, 8, 8 + len), size, where);
  return [...header.entries].map(([n, e]) => [n, { ...e, dataStart: header.dataStart }]);
}

/** Every tensor of every weight file, from the headers alone. */
function locateTensors(reader: HfFileReader): Map<string, Located> {
  const { files, index, claimed } = weightFiles(reader);
  const tensors = new Map<string, Located>();
  for (const file of files) {
    const where = `${reader.source}/${file}`;
    for (const [name, entry] of tensorsOf(reader, file)) {
      if (tensors.has(name))
        throw new HfImportError(`${where}: tensor "${name}" is also in ${tensors.get(name)!.file}`);
      if (claimed && claimed[name] !== file) {
        throw new HfImportError(
          `${reader.source}/${index}: puts "${name}" in ${claimed[name] ?? 'no file'}, but it is in ${file}`,
        );
      }
      tensors.set(name, { ...entry, file });
    }
  }
  if (claimed)
    for (const name of Object.keys(claimed)) {
      if (!tensors.has(name))
        throw new HfImportError(
          `${reader.source}/${index}: lists "${name}" in ${claimed[name]}, which does not contain it`,
        );
    }
  return tensors;
}

const tokenizerConfigSchema = z.looseObject({
  add_bos_token: z.boolean().optional(),
  bos_token: z.unknown().optional(),
  eos_token: z.unknown().optional(),
  unk_token: z.unknown().optional(),
  pad_token: z.unknown().optional(),
});
const tokenText = (t: unknown): string | null =>
  typeof t === 'string'
    ? t
    : typeof (t as { content?: unknown })?.content === 'string'
      ? (t as { content: string }).content
      : null;

function readTokenizer(reader: HfFileReader, family: HfFamily): HfBpeTokenizer {
  // Llama's, Phi-3's, InternLM2's and Baichuan's SentencePiece tokenizers add <s> unless told not to,
  // Gemma's (GemmaTokenizer) <bos>.
  const gemma = family === 'gemma' || family === 'gemma2' || family === 'gemma3';
  const llamaTokenizer = ['llama', 'phi3', 'internlm2', 'baichuan'].includes(family) || gemma;
  // OPT's GPT2Tokenizer starts every text with </s>, which also ends it.
  let specials: SpecialTokens = gemma
    ? { bos: '<bos>', eos: '<eos>' }
    : llamaTokenizer
      ? { bos: '<s>', eos: '</s>' }
      : family === 'opt'
        ? { bos: '</s>', eos: '</s>', others: ['<pad>'] }
        : { bos: null, eos: '<|endoftext|>' };
  if (reader.has('tokenizer_config.json')) {
    const where = `${reader.source}/tokenizer_config.json`;
    const tc = parseWith(tokenizerConfigSchema, readJSON(reader, 'tokenizer_config.json'), where);
    const bos = tokenText(tc.bos_token);
    // GPT-2's and Qwen's tokenizers add nothing; Llama's adds <s> unless add_bos_token is false.
    specials = {
      bos: (tc.add_bos_token ?? (llamaTokenizer || family === 'opt')) ? (bos ?? specials.bos ?? null) : null,
      eos: tokenText(tc.eos_token) ?? specials.eos ?? null,
      others: [tc.unk_token, tc.pad_token].map(tokenText).filter((t): t is string => t !== null),
    };
  }
  if (reader.has('tokenizer.json'))
    return tokenizerFromHfJson(readJSON(reader, 'tokenizer.json'), `${reader.source}/tokenizer.json`, specials);
  if (reader.has('vocab.json') && reader.has('merges.txt')) {
    return tokenizerFromVocabMerges(
      readJSON(reader, 'vocab.json'),
      readText(reader, 'merges.txt'),
      reader.source,
      specials,
      reader.has('added_tokens.json') ? readJSON(reader, 'added_tokens.json') : undefined,
    );
  }
  // Many Llama-family checkpoints ship only SentencePiece's own model, as transformers' slow tokenizer reads it.
  if (reader.has('tokenizer.model'))
    return tokenizerFromSentencePiece(
      reader.read('tokenizer.model', 0, reader.size('tokenizer.model')),
      `${reader.source}/tokenizer.model`,
      specials,
    );
  throw new HfImportError(`${reader.source}: no tokenizer.json, vocab.json + merges.txt or tokenizer.model`);
}

/**
 * Models often pad the embedding past the tokenizer (to a multiple of 64, say): the extra rows get
 * placeholder tokens that text never encodes to, so ids and rows stay one to one.
 */
function padVocabulary(tokenizer: HfBpeTokenizer, size: number): HfBpeTokenizer {
  const j = tokenizer.toJSON();
  if (j.vocab.length >= size) return tokenizer;
  const extra = Array.from({ length: size - j.vocab.length }, (_, i) => j.vocab.length + i);
  return new HfBpeTokenizer({
    ...j,
    vocab: [...j.vocab, ...extra.map((id) => `<|padding ${id}|>`)],
    special: [...j.special, ...extra],
  });
}

export interface HfModel {
  architecture: string;
  family: HfFamily;
  config: ModelConfig;
  /** What the import had to add on the way in, and why the model still computes the same. */
  notes: string[];
  tokenizer: HfBpeTokenizer;
  plan: ImportPlan;
  /** Stored dtypes of the weights, for the summary. */
  dtypes: string[];
  files: string[];
  /** The parameter `name` as shareformer stores it (float32, [out, in]). */
  read(name: string): Float32Array;
}

/** Opens a model directory: everything is checked before any weight is read. */
export function openHfModel(reader: HfFileReader): HfModel {
  if (!reader.has('config.json'))
    throw new HfImportError(`${reader.source}: no config.json (is this a Hugging Face model directory?)`);
  const json = readJSON(reader, 'config.json');
  const { architecture, family, config, norms, rotaryScale } = modelConfigFromHf(json, `${reader.source}/config.json`);
  const notes = configNotes(json);
  const tensors = locateTensors(reader);
  const plan = planImport(family, config, tensors, reader.source, norms, rotaryScale);
  const read0 = readTokenizer(reader, family);
  const tokenizer = padVocabulary(read0, config.vocabSize);
  if (tokenizer !== read0) {
    const extra = config.vocabSize - read0.vocabSize;
    notes.push(
      `vocab_size ${config.vocabSize.toLocaleString('en-US')} exceeds the tokenizer's ${read0.vocabSize.toLocaleString('en-US')} tokens: the ${extra.toLocaleString('en-US')} extra embedding ${extra === 1 ? 'row gets a placeholder token' : 'rows get placeholder tokens'} that no text encodes to`,
    );
  }
  if (family === 'olmo')
    notes.push(
      "OLMo's LayerNorms have no gains or biases: imported as gains of 1, which fine-tuning here may move (an export as OlmoForCausalLM needs them still 1)",
    );
  if (family === 'opt')
    notes.push(
      "embed_positions' first 2 rows (OPT's padding offset: position t reads row t + 2, so no unpadded position reads them) are left out; an export writes them as zeros",
    );
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new HfImportError(
      `${reader.source}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  const recipes = new Map(plan.params.map((p) => [p.name, p.recipe]));
  const sizes = new Map(plan.params.map((p) => [p.name, p.shape.reduce((a, b) => a * b, 1)]));
  // c_attn feeds Q, K and V in turn: the last tensor read is kept for the next parameter.
  let last: { name: string; tensor: ReturnType<typeof tensorFromBytes> } | null = null;
  const read = (name: string): Float32Array => {
    const recipe = recipes.get(name);
    if (!recipe) throw new HfImportError(`${reader.source}: no parameter "${name}" in this model`);
    if (recipe.fill !== undefined) return new Float32Array(sizes.get(name)!).fill(recipe.fill);
    if (recipe.also) {
      // A parameter made of several tensors (one norm per head): each read and laid end to end.
      const parts = [recipe.from, ...recipe.also].map((from) => {
        const t = tensors.get(from)!;
        const stored = tensorFromBytes(
          t,
          reader.read(t.file, t.dataStart + t.begin, t.dataStart + t.end),
          reader.freshReads,
        );
        return toFloat32(stored, from);
      });
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
      return out;
    }
    if (last?.name !== recipe.from) {
      const t = tensors.get(recipe.from)!;
      last = {
        name: recipe.from,
        tensor: tensorFromBytes(t, reader.read(t.file, t.dataStart + t.begin, t.dataStart + t.end), reader.freshReads),
      };
    }
    return applyRecipe(recipe, last.tensor);
  };
  const dtypes = [
    ...new Set(plan.params.flatMap((p) => (p.recipe.fill === undefined ? [tensors.get(p.recipe.from)!.dtype] : []))),
  ];
  return {
    architecture,
    family,
    config,
    notes,
    tokenizer,
    plan,
    dtypes,
    files: [...new Set([...tensors.values()].map((t) => t.file))],
    read,
  };
}
