// `shareformer export`: a checkpoint as a Hugging Face model directory (--to hf: the stock family's
// layout that matches the config — GPT-2, GPT-Neo, OPT, GPT-NeoX, Phi, GPT-J, Falcon, StableLM, Cohere, Granite, SmolLM3, OLMo 2, StarCoder2, Llama /
// Mistral, Qwen2 / Qwen3, Gemma 1 / 2 / 3 — which transformers loads unchanged) or as one ONNX file with a KV cache for onnxruntime
// (--to onnx: any sharing plan), or as a GGUF file for llama.cpp (--to gguf: Llama, Qwen2, Qwen3, Gemma layouts).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { writeDurable, writeFileAtomic } from '../io/atomic-dir.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { exportHuggingFace } from '../io/hf/export.js';
import { exportOnnx, ONNX_OPSET } from '../io/onnx/decoder.js';
import { exportGguf, type GgufWeightType } from '../io/gguf/gguf-export.js';

interface ExportOpts {
  checkpoint: string;
  to: 'hf' | 'onnx' | 'gguf';
  out: string;
  ggufType: Lowercase<GgufWeightType>;
  force?: boolean;
  json?: boolean;
}

export function exportCommand(): Command {
  return new Command('export')
    .summary('export a checkpoint to Hugging Face (--to hf), ONNX (--to onnx) or llama.cpp (--to gguf)')
    .description(
      'export a checkpoint for other tools: --to hf writes a Hugging Face model directory in the stock layout that matches the config (GPT-2, GPT-Neo, OPT, GPT-NeoX, Phi, GPT-J, Falcon, Falcon-RW, StableLM, Cohere, Granite, SmolLM3, OLMo, OLMo 2, Nemotron, Cohere2, StarCoder and StarCoder2, BLOOM, MPT, Llama/Mistral, Qwen2/3, GLM-4, Gemma 1/2/3); --to onnx writes one ONNX decoder file with a KV cache, for onnxruntime (any sharing plan); --to gguf writes one GGUF file for llama.cpp (its llama, qwen2, qwen3, gemma, gemma2, gemma3 and smollm3 architectures; weight sharing written out layer by layer)',
    )
    .requiredOption('--checkpoint <run>', 'run directory, checkpoint directory, or a .zip of one')
    .addOption(
      new Option(
        '--to <format>',
        'hf: a Hugging Face directory (config.json, model.safetensors, tokenizer files); onnx: one .onnx file (opset 17) with past_key_values.{i}.key/.value inputs for the layers that produce them; gguf: one .gguf file for llama.cpp',
      )
        .choices(['hf', 'onnx', 'gguf'])
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--out <path>',
      'directory to write (hf) or file to write (onnx, e.g. model.onnx; gguf, e.g. model-q8_0.gguf)',
    )
    .addOption(
      new Option(
        '--gguf-type <type>',
        "gguf: how the matrices are stored (norms and biases stay f32): f16, f32, bf16, or quantized as llama-quantize's presets — q8_0 (about half of f16's bytes), q6_k (0.41), q5_k_m (0.35) and q4_k_m (0.30: 5- and 4-bit k-quants, 6-bit for the head and some layers' V and FFN-down), q4_0 (0.28)",
      )
        .choices(['f32', 'f16', 'bf16', 'q8_0', 'q6_k', 'q5_k_m', 'q4_k_m', 'q4_0'])
        .default('f16'),
    )
    .option('--force', 'write into a directory that is not empty, or over an existing file')
    .option('--json', 'print one JSON object describing the export')
    .action((opts: ExportOpts) => (opts.to === 'onnx' ? toOnnx(opts) : opts.to === 'gguf' ? toGguf(opts) : toHf(opts)));
}

function refuseInt8(count: number, run: string): void {
  if (count > 0)
    throw new Error(`${run} holds int8 weights (shareformer quantize); export the float32 run it was quantized from`);
}

/** protobuf messages are limited to 2 GiB; larger models would need ONNX external data. */
const ONNX_MAX_BYTES = 2 ** 31 - 1;

function toOnnx(opts: ExportOpts): void {
  if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to replace it`);
  const { lm } = loadCheckpoint(opts.checkpoint);
  refuseInt8(lm.quantized.size, opts.checkpoint);
  const weightBytes = [...lm.params.values()].reduce((n, t) => n + 4 * t.size, 0);
  if (weightBytes > ONNX_MAX_BYTES - (64 << 20)) {
    throw new Error(
      `${opts.checkpoint}: ${(weightBytes / 2 ** 30).toFixed(2)} GiB of weights do not fit in one ONNX file (protobuf's limit is 2 GiB; ONNX external data is not written by this exporter)`,
    );
  }
  const out = exportOnnx(lm);
  const parent = dirname(opts.out);
  if (parent && !existsSync(parent)) mkdirSync(parent, { recursive: true });
  writeFileAtomic(opts.out, out.bytes);
  const summary = {
    format: 'onnx',
    opset: ONNX_OPSET,
    out: opts.out,
    bytes: out.bytes.length,
    weight_bytes: weightBytes,
    inputs: out.inputs,
    outputs: out.outputs,
    key_layers: out.keyLayers,
    value_layers: out.valueLayers,
  };
  if (opts.json) console.log(JSON.stringify(summary));
  else {
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    console.log(`onnx (opset ${ONNX_OPSET}): wrote ${opts.out}, ${mb(out.bytes.length)} (weights ${mb(weightBytes)})`);
    console.log(
      `past/present keys for layers ${out.keyLayers.join(', ')}; values for layers ${out.valueLayers.join(', ')} (of ${lm.config.layers})`,
    );
  }
}

function toHf(opts: ExportOpts): void {
  {
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
  }
}

function toGguf(opts: ExportOpts): void {
  if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to replace it`);
  const { lm, tokenizer } = loadCheckpoint(opts.checkpoint);
  refuseInt8(lm.quantized.size, opts.checkpoint);
  const out = exportGguf(lm, tokenizer, opts.ggufType.toUpperCase() as GgufWeightType);
  const parent = dirname(opts.out);
  if (parent && !existsSync(parent)) mkdirSync(parent, { recursive: true });
  writeFileAtomic(opts.out, out.bytes);
  const summary = {
    format: 'gguf',
    architecture: out.architecture,
    out: opts.out,
    bytes: out.bytes.length,
    types: out.types,
    notes: out.notes,
  };
  if (opts.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `gguf (${out.architecture}): wrote ${opts.out}, ${(out.bytes.length / 1e6).toFixed(2)} MB (${out.types.join(', ')})`,
    );
    for (const note of out.notes) console.log(`note: ${note}`);
  }
}
