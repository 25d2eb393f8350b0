// Hugging Face models into shareformer, in memory: for pages and libraries that hold the files as
// ArrayBuffers (downloads, <input type=file>). The command line writes a checkpoint instead
// (cli/import.ts), one tensor at a time.
import { TransformerLM } from '../../model/transformer.js';
import type { HfBpeTokenizer } from '../../text/hf-bpe.js';
import { fromBuffers, openHfModel, type HfFileReader } from './model.js';

export interface ImportedModel {
  lm: TransformerLM;
  tokenizer: HfBpeTokenizer;
  architecture: string;
  /** What the import changed on the way in (a context cut to a sliding window). */
  notes: string[];
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
  return { lm, tokenizer: model.tokenizer, architecture: model.architecture, notes: model.notes };
}
