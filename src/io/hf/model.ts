// Opening a Hugging Face model directory: config.json, the safetensors weights (one file, or shards
// listed by model.safetensors.index.json), and the tokenizer (tokenizer.json, or GPT-2's vocab.json
// + merges.txt). Works on any file reader: Node reads files tensor by tensor (files-node.ts), a
// page reads the user's File objects or fetched ArrayBuffers (fromBuffers). Nothing is read until
// asked, and each tensor is read once, so a large file never sits in memory whole.
import { z } from 'zod';
import type { ModelConfig } from '../../model/config.js';
import { parseWith } from '../../schema/validate.js';
import { HfBpeTokenizer, tokenizerFromHfJson, tokenizerFromVocabMerges } from '../../text/hf-bpe.js';
import { headerLength, parseSafetensorsHeader, tensorFromBytes, type TensorEntry } from '../safetensors.js';
import { HfImportError, modelConfigFromHf, type HfFamily } from './config.js';
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

/** Every tensor of every weight file, from the headers alone. */
function locateTensors(reader: HfFileReader): Map<string, Located> {
  let files: string[];
  let claimed: Record<string, string> | null = null;
  if (reader.has('model.safetensors.index.json')) {
    const where = `${reader.source}/model.safetensors.index.json`;
    claimed = parseWith(indexSchema, readJSON(reader, 'model.safetensors.index.json'), where).weight_map;
    files = [...new Set(Object.values(claimed))];
    for (const f of files)
      if (!reader.has(f)) throw new HfImportError(`${where}: lists ${f}, which is not in the directory`);
  } else if (reader.has('model.safetensors')) {
    files = ['model.safetensors'];
  } else {
    const bin = reader.has('pytorch_model.bin')
      ? ' (pytorch_model.bin is a pickle, which shareformer does not load: save the model with safe_serialization=True)'
      : '';
    throw new HfImportError(`${reader.source}: no model.safetensors or model.safetensors.index.json${bin}`);
  }
  const tensors = new Map<string, Located>();
  for (const file of files) {
    const where = `${reader.source}/${file}`;
    const size = reader.size(file);
    const len = headerLength(reader.read(file, 0, Math.min(8, size)), size, where);
    const header = parseSafetensorsHeader(reader.read(file, 8, 8 + len), size, where);
    for (const [name, entry] of header.entries) {
      if (tensors.has(name))
        throw new HfImportError(`${where}: tensor "${name}" is also in ${tensors.get(name)!.file}`);
      if (claimed && claimed[name] !== file) {
        throw new HfImportError(
          `${reader.source}/model.safetensors.index.json: puts "${name}" in ${claimed[name] ?? 'no file'}, but it is in ${file}`,
        );
      }
      tensors.set(name, { ...entry, file, dataStart: header.dataStart });
    }
  }
  if (claimed)
    for (const name of Object.keys(claimed)) {
      if (!tensors.has(name))
        throw new HfImportError(
          `${reader.source}/model.safetensors.index.json: lists "${name}" in ${claimed[name]}, which does not contain it`,
        );
    }
  return tensors;
}

const tokenizerConfigSchema = z.looseObject({
  add_bos_token: z.boolean().optional(),
  bos_token: z.unknown().optional(),
  eos_token: z.unknown().optional(),
});
const tokenText = (t: unknown): string | null =>
  typeof t === 'string'
    ? t
    : typeof (t as { content?: unknown })?.content === 'string'
      ? (t as { content: string }).content
      : null;

function readTokenizer(reader: HfFileReader, family: HfFamily): HfBpeTokenizer {
  // Llama's and Phi-3's SentencePiece tokenizers (LlamaTokenizer) add <s> unless told not to,
  // Gemma's (GemmaTokenizer) <bos>.
  const gemma = family === 'gemma' || family === 'gemma2' || family === 'gemma3';
  const llamaTokenizer = family === 'llama' || family === 'phi3' || gemma;
  let specials: { bos: string | null; eos: string | null } = gemma
    ? { bos: '<bos>', eos: '<eos>' }
    : llamaTokenizer
      ? { bos: '<s>', eos: '</s>' }
      : { bos: null, eos: '<|endoftext|>' };
  if (reader.has('tokenizer_config.json')) {
    const where = `${reader.source}/tokenizer_config.json`;
    const tc = parseWith(tokenizerConfigSchema, readJSON(reader, 'tokenizer_config.json'), where);
    const bos = tokenText(tc.bos_token);
    // GPT-2's and Qwen's tokenizers add nothing; Llama's adds <s> unless add_bos_token is false.
    specials = {
      bos: (tc.add_bos_token ?? llamaTokenizer) ? (bos ?? specials.bos) : null,
      eos: tokenText(tc.eos_token) ?? specials.eos,
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
    );
  }
  throw new HfImportError(`${reader.source}: no tokenizer.json, and no vocab.json + merges.txt`);
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
  const notes: string[] = [];
  const { architecture, family, config, norms } = modelConfigFromHf(
    readJSON(reader, 'config.json'),
    `${reader.source}/config.json`,
  );
  const tensors = locateTensors(reader);
  const plan = planImport(family, config, tensors, reader.source, norms);
  const read0 = readTokenizer(reader, family);
  const tokenizer = padVocabulary(read0, config.vocabSize);
  if (tokenizer !== read0)
    notes.push(
      `vocab_size ${config.vocabSize.toLocaleString('en-US')} exceeds the tokenizer's ${read0.vocabSize.toLocaleString('en-US')} tokens: the ${(config.vocabSize - read0.vocabSize).toLocaleString('en-US')} extra embedding rows get placeholder tokens that no text encodes to`,
    );
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new HfImportError(
      `${reader.source}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  const recipes = new Map(plan.params.map((p) => [p.name, p.recipe]));
  // c_attn feeds Q, K and V in turn: the last tensor read is kept for the next parameter.
  let last: { name: string; tensor: ReturnType<typeof tensorFromBytes> } | null = null;
  const read = (name: string): Float32Array => {
    const recipe = recipes.get(name);
    if (!recipe) throw new HfImportError(`${reader.source}: no parameter "${name}" in this model`);
    if (last?.name !== recipe.from) {
      const t = tensors.get(recipe.from)!;
      last = {
        name: recipe.from,
        tensor: tensorFromBytes(t, reader.read(t.file, t.dataStart + t.begin, t.dataStart + t.end), reader.freshReads),
      };
    }
    return applyRecipe(recipe, last.tensor);
  };
  const dtypes = [...new Set(plan.params.map((p) => tensors.get(p.recipe.from)!.dtype))];
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
