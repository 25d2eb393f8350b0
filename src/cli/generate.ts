// `shareformer generate`: streams text from a checkpoint with the KV cache; --stats reports the
// cache bytes measured against the analytical figure, and tokens per second.
import { Command, Option } from 'commander';
import { loadCheckpoint } from '../io/checkpoint.js';
import { generate } from '../generate/generate.js';
import { kvCacheBytesPerLayer } from '../model/parameters.js';
import type { StorageDtype } from '../tensor/precision.js';
import { TokenizerError, type Tokenizer } from '../text/tokenizer.js';
import { addBackendOption, int, num, selectBackend } from './options.js';

interface GenerateOpts {
  checkpoint: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  kvDtype: StorageDtype;
  stats?: boolean;
  json?: boolean;
  backend?: string;
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .summary('generate text from a checkpoint with a KV cache (continues past the context)')
    .description(
      'generate text from a checkpoint, streaming, with a KV cache that grows in chunks; past the context a sliding window continues (RoPE models drop the oldest eighth of the cache; learned-position models re-encode the last seven eighths, as nanoGPT crops), and a prompt longer than the context keeps its last tokens',
    )
    .requiredOption(
      '--checkpoint <dir>',
      'run directory, checkpoint directory, or a .zip of one (as the playground downloads)',
    )
    .requiredOption('--prompt <text>', 'text to continue')
    .option('--max-tokens <n>', 'new tokens (may exceed the context: the window slides)', int(0), 200)
    .option(
      '--temperature <t>',
      'sampling temperature; 0 = greedy',
      num((n) => n >= 0, 'a number ≥ 0'),
      0.8,
    )
    .option('--top-k <k>', 'sample among the k most likely tokens (0 = all)', int(0), 0)
    .option(
      '--top-p <p>',
      'nucleus sampling threshold (1 = off)',
      num((n) => n > 0 && n <= 1, 'a number in (0, 1]'),
      1,
    )
    .option('--seed <n>', 'sampling seed', int(0), 0)
    .addOption(
      new Option('--kv-dtype <dtype>', 'KV-cache storage precision (int8: a scale per head and position)')
        .choices(['fp32', 'fp16', 'bf16', 'int8'])
        .default('fp32'),
    )
    .option('--stats', 'report KV-cache bytes and tokens/s on stderr')
    .option('--json', 'print one JSON object (text and stats) instead of streaming');
  addBackendOption(cmd);
  return cmd.action((opts: GenerateOpts) => {
    selectBackend(opts.backend, Boolean(opts.json) || !opts.stats);
    const { lm, tokenizer } = loadCheckpoint(opts.checkpoint);
    warnUnknown(tokenizer, opts.prompt);
    let result: ReturnType<typeof generate>;
    try {
      result = generate(lm, tokenizer, opts.prompt, {
        maxTokens: opts.maxTokens,
        temperature: opts.temperature,
        topK: opts.topK,
        topP: opts.topP,
        seed: opts.seed,
        kvDtype: opts.kvDtype,
        ...(!opts.json && { onText: (t: string) => process.stdout.write(t) }),
      });
    } catch (e) {
      if (e instanceof TokenizerError) throw new Error(`--prompt: ${e.message}`);
      throw e;
    }
    const s = result.stats;
    if (s.croppedPromptTokens > 0)
      console.error(
        `notice: the prompt is ${s.promptTokens + s.croppedPromptTokens} tokens and the context ${lm.config.context}; its first ${s.croppedPromptTokens} were cut`,
      );
    // Each layer's own entries for the positions allocated to it (bounded windowed layers hold fewer).
    const analytical = kvCacheBytesPerLayer(lm.config, opts.kvDtype, lm.plan).reduce(
      (n, perPosition, i) => n + perPosition * s.cacheLayerPositions[i]!,
      0,
    );
    const bounded = Math.min(...s.cacheLayerPositions);
    const held = bounded < s.cachePositions ? `; windowed layers hold ${bounded}` : '';
    if (opts.json) {
      console.log(
        JSON.stringify({
          prompt: opts.prompt,
          text: result.text,
          prompt_tokens: s.promptTokens,
          new_tokens: s.newTokens,
          cropped_prompt_tokens: s.croppedPromptTokens,
          window_moves: s.windowMoves,
          window_mode: s.windowMode,
          kv_cache_positions: s.cachePositions,
          kv_cache_layer_positions: s.cacheLayerPositions,
          kv_dtype: opts.kvDtype,
          kv_cache_bytes: s.cacheBytes,
          kv_cache_bytes_analytical: analytical,
          kv_bytes_per_token: s.cacheBytesPerToken,
          prefill_s: s.prefillSeconds,
          decode_s: s.decodeSeconds,
          tokens_per_s: s.tokensPerS,
        }),
      );
      return;
    }
    process.stdout.write('\n');
    if (opts.stats) {
      console.error(
        `KV cache: ${s.cacheBytes.toLocaleString()} bytes measured for ${s.cachePositions} allocated positions${held} (${held ? '' : `${s.cacheBytesPerToken.toLocaleString()} bytes/token; `}analytical ${analytical.toLocaleString()})${s.windowMoves ? `; the window moved ${s.windowMoves} times past the context (${s.windowMode})` : ''}`,
      );
      console.error(
        `prompt ${s.promptTokens} tokens in ${(s.prefillSeconds * 1000).toFixed(0)} ms; ${s.newTokens} new tokens at ${s.tokensPerS.toFixed(1)} tokens/s`,
      );
    }
  });
}

/** Prompt characters the tokenizer never saw become its unknown token; the user should know. */
function warnUnknown(tokenizer: Tokenizer, prompt: string): void {
  if (tokenizer.unknownId === undefined) return;
  let ids: Int32Array;
  try {
    ids = tokenizer.encode(prompt);
  } catch {
    return; // generate() reports it
  }
  const chars = Array.from(prompt).filter((_, i) => ids[i] === tokenizer.unknownId);
  if (chars.length > 0) {
    console.error(
      `--prompt: ${chars.length} character${chars.length > 1 ? 's' : ''} (${[...new Set(chars)].map((c) => JSON.stringify(c)).join(' ')}) not in the training text; the model sees the unknown token`,
    );
  }
}
