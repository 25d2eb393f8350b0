// The model a sweep run's decoding speed is timed on. Node-only (reads the run directory).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../io/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { buildTokenizer, type Tokenizer, type TokenizerKind } from '../text/tokenizer.js';

/**
 * The run's trained model or, for a run kept as records only (sweep-trained.json and log.jsonl,
 * as a study longer than one machine's life keeps its finished runs in a repository), a fresh model
 * of its plan with the tokenizer the run trained: decoding does the same work whatever the weights.
 */
export function decodingModel(
  dir: string,
  config: Partial<ModelConfig>,
  seed: number,
  tokenizer: TokenizerKind,
  text: string,
): { lm: TransformerLM; tokenizer: Tokenizer; fresh: boolean } {
  if (existsSync(join(dir, 'checkpoint'))) return { ...loadCheckpoint(dir), fresh: false };
  const tok = buildTokenizer(tokenizer, text);
  return { lm: new TransformerLM({ ...config, vocabSize: tok.vocabSize }, seed), tokenizer: tok, fresh: true };
}
