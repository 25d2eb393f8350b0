// `shareformer quantize`: a trained checkpoint as weight-only int8 (symmetric, one float32 scale
// per output channel; embeddings too; norms, biases and the embedding projection stay float32),
// written as a new run that eval, generate and the library load; about a quarter of the file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadCheckpoint, resolveCheckpointDir, saveCheckpoint } from '../io/checkpoint.js';

interface QuantizeOpts {
  checkpoint: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function quantizeCommand(): Command {
  return new Command('quantize')
    .summary('write a checkpoint with int8 weights (a quarter of the size)')
    .description(
      'write a checkpoint with int8 weights (per output channel; embeddings too; norms and biases stay float32) that eval and generate run without a float32 copy',
    )
    .requiredOption('--checkpoint <run>', 'the float32 run to quantize')
    .requiredOption('--out <dir>', 'run directory to write')
    .option('--force', 'replace a run already in --out')
    .option('--json', 'print one JSON object describing the result')
    .action((opts: QuantizeOpts) => {
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force)
        throw new Error(`${opts.out} is not empty; pass --force to replace it`);
      const ckpt = loadCheckpoint(opts.checkpoint);
      if (ckpt.lm.quantized.size > 0) throw new Error(`${opts.checkpoint} already holds int8 weights`);
      const before = statSync(join(resolveCheckpointDir(opts.checkpoint), 'model.safetensors')).size;
      ckpt.lm.quantizeWeights();
      const dir = join(opts.out, 'checkpoint');
      saveCheckpoint(dir, {
        lm: ckpt.lm,
        tokenizer: ckpt.tokenizer,
        meta: ckpt.meta,
        ...(ckpt.origin && { origin: ckpt.origin }),
      });
      const after = statSync(join(dir, 'model.safetensors')).size;
      const summary = {
        out: opts.out,
        int8_tensors: ckpt.lm.quantized.size,
        float32_tensors: ckpt.lm.params.size,
        bytes_before: before,
        bytes_after: after,
        ratio: after / before,
      };
      if (opts.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `int8: ${summary.int8_tensors} matrices quantized (${summary.float32_tensors} tensors stay float32); model.safetensors ${(before / 1e6).toFixed(2)} MB → ${(after / 1e6).toFixed(2)} MB (${(100 * summary.ratio).toFixed(0)}%) in ${dir}`,
        );
    });
}
