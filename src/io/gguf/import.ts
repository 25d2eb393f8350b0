// A GGUF file into shareformer in memory, for pages that hold it as bytes (<input type=file>,
// downloads); the command line writes a checkpoint instead (cli/import.ts), one tensor at a time.
import type { Checkpoint, CheckpointOrigin } from '../checkpoint-files.js';
import { TransformerLM } from '../../model/transformer.js';
import { importedMeta } from '../hf/import.js';
import { fromBuffers } from '../hf/model.js';
import { openGgufModel } from './gguf-model.js';

/** The one .gguf file among `files`, if there is exactly one. */
export function ggufFileName(files: ReadonlyMap<string, Uint8Array>): string | null {
  const names = [...files.keys()].filter((f) => f.endsWith('.gguf'));
  return names.length === 1 ? names[0]! : null;
}

/** The GGUF file `file` of `files` as the checkpoint `shareformer import` would write, in memory. */
export function ggufCheckpoint(
  files: ReadonlyMap<string, Uint8Array>,
  file: string,
): { checkpoint: Checkpoint & { origin: CheckpointOrigin }; notes: string[] } {
  // Messages name the file alone: a page has no directory to name.
  const model = openGgufModel(fromBuffers(Object.fromEntries(files), ''), file);
  const lm = new TransformerLM(model.config, null);
  lm.loadWeights(new Map(model.plan.params.map((p) => [p.name, model.read(p.name)])), file);
  return {
    checkpoint: {
      lm,
      tokenizer: model.tokenizer,
      meta: importedMeta(file, model.tokenizer),
      origin: { format: 'gguf', architecture: model.architecture, path: file, dtypes: model.dtypes },
    },
    notes: model.notes,
  };
}
