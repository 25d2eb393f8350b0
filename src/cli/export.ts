// `shareformer export --to hf`: a checkpoint as a Hugging Face model directory (GPT-2 or Llama
// layout, config.json, model.safetensors, tokenizer files) that transformers loads unchanged.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { writeDurable } from '../io/atomic-dir.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { exportHuggingFace } from '../io/hf/export.js';

interface ExportOpts {
  checkpoint: string;
  to: 'hf';
  out: string;
  force?: boolean;
  json?: boolean;
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'export a checkpoint for other tools: --to hf writes a Hugging Face model directory (GPT-2 or Llama layout)',
    )
    .requiredOption('--checkpoint <run>', 'run directory or checkpoint directory')
    .addOption(
      new Option('--to <format>', 'hf: a Hugging Face directory (config.json, model.safetensors, tokenizer files)')
        .choices(['hf'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'directory to write')
    .option('--force', 'write into a directory that is not empty')
    .option('--json', 'print one JSON object describing the export')
    .action((opts: ExportOpts) => {
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force) {
        throw new Error(`${opts.out} is not empty; pass --force to write into it`);
      }
      const { lm, tokenizer } = loadCheckpoint(opts.checkpoint);
      const out = exportHuggingFace(lm, tokenizer);
      mkdirSync(opts.out, { recursive: true });
      for (const [file, data] of Object.entries(out.files)) writeDurable(join(opts.out, file), data);
      const summary = {
        architecture: out.architecture,
        out: opts.out,
        files: Object.keys(out.files),
        exported_parameters: out.exportedParameters,
        unique_parameters: out.uniqueParameters,
        notes: out.notes,
      };
      if (opts.json) console.log(JSON.stringify(summary));
      else {
        console.log(
          `${out.architecture}: wrote ${summary.files.join(', ')} to ${opts.out} (${out.exportedParameters.toLocaleString()} parameters)`,
        );
        for (const note of out.notes) console.log(`note: ${note}`);
      }
    });
}
