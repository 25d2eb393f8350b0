// `shareformer import`: a Hugging Face model directory (GPT-2, Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 3 …)
// or a GGUF file (llama.cpp's: llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3, smollm3) → a shareformer checkpoint that eval, generate, train --init-from and analyze --checkpoint use as
// they are.
// Weights are read and written one tensor at a time.
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { completeVersion } from '../io/atomic-dir.js';
import { saveWeightsCheckpoint } from '../io/checkpoint.js';
import { directoryReader } from '../io/hf/files-node.js';
import { openHfModel, type HfModel } from '../io/hf/model.js';
import { openGgufModel } from '../io/gguf/gguf-model.js';
import { FAMILY_NAME } from '../io/hf/tensors.js';
import { lockRunDir } from '../io/run-dir.js';
import { importedMeta } from '../io/hf/import.js';
import { blockText, capsText, rotaryText, windowText } from '../analyze/format.js';

interface ImportOpts {
  from: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      `import a Hugging Face model directory (${[...new Set(Object.values(FAMILY_NAME))].join(', ')}; safetensors or pytorch_model.bin; tokenizer.json, vocab.json + merges.txt or SentencePiece's tokenizer.model), or a GGUF file from llama.cpp (llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3, smollm3; quantized weights dequantized), as a shareformer checkpoint`,
    )
    .requiredOption(
      '--from <path>',
      "Hugging Face model directory (config.json, model.safetensors or pytorch_model.bin (or shards + index), tokenizer files: tokenizer.json, vocab.json + merges.txt, or tokenizer.model), or a GGUF file (llama.cpp's llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3 or smollm3; F32, F16, BF16, Q4_0 … Q8_0 and the k-quants Q2_K … Q6_K, dequantized to float32)",
    )
    .requiredOption('--out <run>', 'run directory to write (its checkpoint/ holds the model)')
    .option('--force', 'replace a checkpoint already in --out')
    .option('--json', 'print one JSON object describing the import')
    .action((opts: ImportOpts) => runImport(opts));
}

/** A GGUF file is read from its directory by name; anything else must be a model directory. */
function openSource(from: string): { reader: ReturnType<typeof directoryReader>; gguf: boolean; open(): HfModel } {
  const file = (() => {
    try {
      return statSync(from).isFile();
    } catch {
      return false;
    }
  })();
  if (!file) {
    if (from.endsWith('.gguf')) throw new Error(`${from}: no such file`);
    const reader = directoryReader(from);
    return { reader, gguf: false, open: () => openHfModel(reader) };
  }
  if (!from.endsWith('.gguf'))
    throw new Error(`${from}: a file, but not a .gguf one (a Hugging Face model is imported from its directory)`);
  const reader = directoryReader(dirname(from));
  return { reader, gguf: true, open: () => openGgufModel(reader, basename(from)) };
}

function runImport(opts: ImportOpts): void {
  const started = performance.now();
  const { reader, gguf, open } = openSource(opts.from);
  const release = lockRunDir(opts.out);
  try {
    const ckptDir = join(opts.out, 'checkpoint');
    if (!opts.force && completeVersion(ckptDir))
      throw new Error(`${opts.out} already holds a checkpoint; pass --force to replace it`);
    const model = open();
    const { config, tokenizer } = model;
    saveWeightsCheckpoint(ckptDir, {
      config,
      tokenizer,
      meta: importedMeta(opts.from, tokenizer),
      origin: {
        format: gguf ? 'gguf' : 'huggingface',
        architecture: model.architecture,
        path: opts.from,
        dtypes: model.dtypes,
      },
      read: model.read,
    });
    const parameters = model.plan.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    const summary = {
      architecture: model.architecture,
      layers: config.layers,
      d_model: config.dModel,
      heads: config.heads,
      kv_heads: config.kvHeads,
      context: config.context,
      vocab: config.vocabSize,
      parameters,
      dtypes: model.dtypes,
      files: model.files,
      ignored_tensors: model.plan.ignored.length,
      notes: model.notes,
      tokenizer: tokenizer.toJSON().mode,
      out: opts.out,
      seconds: (performance.now() - started) / 1000,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    };
    if (opts.json) console.log(JSON.stringify(summary));
    else {
      const r = config.ropeScaling;
      const rope = !r
        ? ''
        : r.type === 'linear'
          ? `, RoPE positions interpolated ×${r.factor}${config.ropeLocalBase ? ' in the full-attention layers' : ''}`
          : r.type === 'longrope'
            ? ", LongRoPE's short factors"
            : `, RoPE rescaled as Llama 3.1 (×${r.factor} beyond ${r.originalContext.toLocaleString()})`;
      const width = config.headDim ? ` of ${config.headDim}` : '';
      const qkv = `${config.qkvBias && !config.bias ? ', Q/K/V biases' : ''}${config.qkNorm && !config.qkNormFull ? ', query/key head norms' : ''}${rotaryText(config)}${windowText(config)}${config.embedScale ? ', scaled embeddings' : ''}${config.embedNorm ? ', a LayerNorm on the embeddings' : ''}${config.positions === 'alibi' ? ', ALiBi' : ''}${config.postNorms ? ', norms after attention and FFN' : ''}${config.ffn === 'relu' ? ', a ReLU MLP' : config.ffn === 'relu2' ? ', a squared-ReLU MLP' : ''}${blockText(config)}${capsText(config)}`;
      console.log(
        `${model.architecture}: ${config.layers} layers, d ${config.dModel}, ${config.heads} heads${width} / ${config.kvHeads} KV heads${qkv}, context ${config.context.toLocaleString()}${rope}, vocabulary ${config.vocabSize}; ${parameters.toLocaleString()} parameters (${model.dtypes.join(', ')} → F32) from ${model.files.join(', ')}`,
      );
      for (const note of model.notes) console.log(`note: ${note}`);
      if (model.plan.ignored.length)
        console.log(
          `ignored ${model.plan.ignored.length} tensors that are not parameters (${model.plan.ignored.slice(0, 2).join(', ')}${model.plan.ignored.length > 2 ? ', ...' : ''})`,
        );
      console.log(`tokenizer: ${tokenizer.describe()}, ${tokenizer.vocabSize.toLocaleString()} tokens`);
      console.log(
        `wrote ${ckptDir} in ${summary.seconds.toFixed(1)} s (peak memory ${(summary.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB)`,
      );
      console.log(
        `next: shareformer generate --checkpoint ${opts.out} --prompt "..."   or   shareformer train --init-from ${opts.out} --data FILE --out RUN`,
      );
    }
  } finally {
    release();
    reader.close();
  }
}
