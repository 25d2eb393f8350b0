// `shareformer eval`: loss, perplexity and bits per character of a checkpoint on a text.
import { Command, Option } from 'commander';
import { loadCheckpoint } from '../io/checkpoint.js';
import { withContext } from '../model/context.js';
import { readCorpus } from '../io/corpus.js';
import { evalBatches } from '../train/data.js';
import { evaluate } from '../train/trainer.js';
import type { StorageDtype } from '../tensor/precision.js';
import { TokenizerError } from '../text/tokenizer.js';
import { addBackendOption, int, selectBackend } from './options.js';

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('evaluate a checkpoint on a text: loss, perplexity, bits per character')
    .requiredOption(
      '--checkpoint <dir>',
      'run directory, checkpoint directory, or a .zip of one (as the playground downloads)',
    )
    .requiredOption('--data <source>', 'text file, directory of text files, or synthetic:NAME')
    .option('--batch <n>', 'sequences per forward pass', int(1), 8)
    .option('--max-windows <n>', 'evaluate at most this many context-length windows', int(1), 512)
    .option(
      '--context <n>',
      "windows of n tokens: shorter than the trained context for any model, longer for RoPE and ALiBi models (ALiBi's train short, test long)",
      int(1),
    )
    .addOption(
      new Option(
        '--kv-dtype <dtype>',
        'attend through a KV cache stored in this precision, as generate --kv-dtype decodes (int8: a scale per head and position)',
      )
        .choices(['fp32', 'fp16', 'bf16', 'int8'])
        .default('fp32'),
    )
    .option('--json', 'print one JSON object');
  addBackendOption(cmd);
  return cmd.action(
    (opts: {
      checkpoint: string;
      data: string;
      batch: number;
      maxWindows: number;
      context?: number;
      kvDtype: StorageDtype;
      json?: boolean;
      backend?: string;
    }) => {
      selectBackend(opts.backend, Boolean(opts.json));
      const loaded = loadCheckpoint(opts.checkpoint);
      const { tokenizer } = loaded;
      const trained = loaded.lm.config.context;
      const lm = opts.context ? withContext(loaded.lm, opts.context, opts.checkpoint, true) : loaded.lm;
      const corpus = readCorpus(opts.data);
      let tokens: Int32Array;
      try {
        tokens = tokenizer.encode(corpus.text);
      } catch (e) {
        if (e instanceof TokenizerError) throw new Error(`${corpus.source}: ${e.message}`);
        throw e;
      }
      const context = lm.config.context;
      if (tokens.length < context + 1)
        throw new Error(
          `${corpus.source}: ${tokens.length} tokens is shorter than one window of context ${context} + 1`,
        );
      const batches = evalBatches([tokens], context, opts.batch, opts.maxWindows);
      const started = performance.now();
      const r = evaluate(lm, batches, corpus.text.length / tokens.length, opts.kvDtype);
      const seconds = (performance.now() - started) / 1000;
      // Characters the tokenizer never saw in training all map to its unknown token: say how many.
      let unknown = 0;
      if (tokenizer.unknownId !== undefined) for (const t of tokens) if (t === tokenizer.unknownId) unknown++;
      const out = {
        loss: r.loss,
        perplexity: r.perplexity,
        bits_per_char: r.bitsPerChar,
        tokens: r.tokens,
        tokens_per_s: r.tokens / seconds,
        unknown_chars: unknown,
        kv_dtype: opts.kvDtype,
        context,
        trained_context: trained,
        data: corpus.source,
      };
      if (opts.json) console.log(JSON.stringify(out));
      else {
        console.log(
          `${corpus.source}: ${r.tokens.toLocaleString()} tokens in ${batches.length} batches of context ${context}${context !== trained ? ` (trained at ${trained})` : ''}`,
        );
        if (unknown > 0)
          console.log(
            `${unknown.toLocaleString()} characters (${((100 * unknown) / tokens.length).toFixed(2)}%) were not in the training text; they count as the unknown token`,
          );
        console.log(
          `loss ${r.loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(3)}  bits/char ${r.bitsPerChar.toFixed(4)}  (${Math.round(out.tokens_per_s)} tokens/s)`,
        );
      }
    },
  );
}
