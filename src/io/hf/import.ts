// Hugging Face models into shareformer, in memory: for pages and libraries that hold the files as
// ArrayBuffers (downloads, <input type=file>). The command line writes a checkpoint instead
// (cli/import.ts), one tensor at a time.
import type { Checkpoint, CheckpointMeta, CheckpointOrigin } from '../checkpoint-files.js';
import { TransformerLM } from '../../model/transformer.js';
import type { HfBpeTokenizer } from '../../text/hf-bpe.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { DEFAULT_TRAIN } from '../../train/trainer.js';
import { fromBuffers, openHfModel, type HfFileReader } from './model.js';

export interface ImportedModel {
  lm: TransformerLM;
  tokenizer: HfBpeTokenizer;
  architecture: string;
  /** Stored dtypes of the weights (widened to float32). */
  dtypes: string[];
  /** What the import had to add on the way in (placeholder tokens for a padded embedding). */
  notes: string[];
}

/** The metadata of an imported checkpoint: no text trained it here, so the training fields are the defaults. */
export function importedMeta(from: string, tokenizer: Tokenizer): CheckpointMeta {
  return {
    data: { source: `huggingface:${from}`, tokenizer: tokenizer.kind, charsPerToken: 1, valFraction: 0.1 },
    train: DEFAULT_TRAIN,
  };
}

/** Whether these files are a Hugging Face model directory (a config.json with "architectures"), not a shareformer checkpoint. */
export function isHuggingFaceDirectory(files: ReadonlyMap<string, Uint8Array>): boolean {
  const config = files.get('config.json');
  if (!config) return false;
  try {
    const j = JSON.parse(new TextDecoder().decode(config)) as Record<string, unknown>;
    return Array.isArray(j.architectures) && j.format === undefined;
  } catch {
    return false;
  }
}

/** A Hugging Face directory's files as the checkpoint `shareformer import` would write, in memory. */
export function huggingFaceCheckpoint(
  files: ReadonlyMap<string, Uint8Array>,
  from: string,
): { checkpoint: Checkpoint & { origin: CheckpointOrigin }; notes: string[] } {
  const m = importHuggingFace(fromBuffers(Object.fromEntries(files), from));
  return {
    checkpoint: {
      lm: m.lm,
      tokenizer: m.tokenizer,
      meta: importedMeta(from, m.tokenizer),
      origin: { format: 'huggingface', architecture: m.architecture, path: from, dtypes: m.dtypes },
    },
    notes: m.notes,
  };
}

/** Builds the model from a Hugging Face directory's files (config.json, safetensors, tokenizer). */
export function importHuggingFace(files: HfFileReader | Record<string, ArrayBuffer | Uint8Array>): ImportedModel {
  const reader =
    'read' in files && typeof files.read === 'function'
      ? (files as HfFileReader)
      : fromBuffers(files as Record<string, ArrayBuffer | Uint8Array>);
  const model = openHfModel(reader);
  const lm = new TransformerLM(model.config, null);
  lm.loadWeights(new Map(model.plan.params.map((p) => [p.name, model.read(p.name)])), reader.source);
  return {
    lm,
    tokenizer: model.tokenizer,
    architecture: model.architecture,
    dtypes: model.dtypes,
    notes: model.notes,
  };
}
