// `shareformer analyze`: parameters, memory, KV cache and FLOPs of a preset or config with any
// sharing flags, from the config alone; side-by-side plans with --compare, charts with --chart.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openGgufModel } from '../io/gguf/gguf-model.js';
import { directoryReader } from '../io/hf/files-node.js';
import { isHuggingFaceDirectory } from '../io/hf/import.js';
import { openHfModel } from '../io/hf/model.js';
import { Command, Option } from 'commander';
import { analyze, scalingTable, type Dtype } from '../analyze/analyze.js';
import { analyzerChart, costChart, kvChart, parametersChart, type PlanCurve } from '../analyze/charts.js';
import { fmtBytes, fmtFlops, fmtInt, formatAnalysis, table } from '../analyze/format.js';
import { ANALYZER_PRESETS, analyzerPreset, type AnalyzerPreset } from '../analyze/presets.js';
import { readCheckpointConfig } from '../io/checkpoint.js';
import { parsePlan, planConfig } from '../analyze/plans.js';
import { resolveConfig, type ModelConfig } from '../model/config.js';
import { addModelOptions, int, modelConfigFrom, readConfigFile } from './options.js';
import { renderChart } from './render.js';

interface AnalyzeOpts extends Record<string, unknown> {
  preset?: string;
  config?: string;
  context?: number;
  batch: number;
  dtype: Dtype;
  kvDtype?: Dtype;
  json?: boolean;
  compare?: string[];
  chart?: string;
  checkpoint?: string;
}

export function analyzeCommand(): Command {
  const cmd = new Command('analyze').description(
    'parameters, weight and KV-cache memory, FLOPs and training memory of any config and sharing plan (nothing is instantiated)',
  );
  addModelOptions(cmd, `a published or built-in configuration: ${Object.keys(ANALYZER_PRESETS).join(', ')}`);
  // Here --context is the length analysed (KV cache, FLOPs); the model keeps its published context.
  const contextOption = cmd.options.find((o) => o.long === '--context');
  if (contextOption)
    contextOption.description =
      "sequence length for the KV-cache, FLOP and memory figures (default: the model's context)";
  cmd
    .option('--batch <n>', 'sequences, for the KV cache and training memory', int(1), 1)
    .addOption(
      new Option('--dtype <type>', "bytes per value of the KV cache (and --kv-dtype's default)")
        .choices(['fp32', 'fp16', 'bf16', 'int8'])
        .default('fp32'),
    )
    .addOption(
      new Option(
        '--kv-dtype <type>',
        'KV-cache storage as `generate --kv-dtype` keeps it (int8: one float32 scale per head and position)',
      ).choices(['fp32', 'fp16', 'bf16', 'int8']),
    )
    .option(
      '--compare <plans...>',
      'plans side by side, as separate arguments or one list separated by ";": "none" or KEY=VALUE[,KEY=VALUE] with keys share-weights, share-kv, kv-heads, share-attention, ...',
    )
    .option(
      '--chart <file>',
      'write charts (.svg, or .png): KV cache vs context, parameters vs depth, attention vs linear cost',
    )
    .option(
      '--checkpoint <path>',
      'a run or checkpoint directory, a Hugging Face model directory or a GGUF file: its model, from config.json or the GGUF metadata (weights are not read)',
    )
    .option('--json', 'print every figure as JSON');
  return cmd.action(async (opts: AnalyzeOpts) => {
    if (!opts.preset && !opts.config && !opts.checkpoint)
      throw new Error(
        `analyze needs --preset NAME, --config FILE or --checkpoint PATH (presets: ${Object.keys(ANALYZER_PRESETS).join(', ')})`,
      );
    const preset: AnalyzerPreset = opts.preset
      ? analyzerPreset(opts.preset)
      : opts.checkpoint
        ? modelAt(opts.checkpoint)
        : { description: opts.config!, config: {} };
    const file = opts.config ? readConfigFile(opts.config) : {};
    const base = modelConfigFrom({ ...opts, context: undefined }, file, preset.config);
    const config = resolveConfig(base);
    const name = opts.preset ?? opts.checkpoint ?? opts.config!;
    const context = opts.context ?? config.context;
    const options = { context, batch: opts.batch, dtype: opts.dtype, kvDtype: opts.kvDtype ?? opts.dtype };
    // Separate arguments or one list separated by ";", as sweep --plans takes it.
    const texts = (opts.compare ?? []).flatMap((t) => t.split(';').map((p) => p.trim())).filter(Boolean);
    const plans: PlanCurve[] = texts.map((text) => {
      const plan = parsePlan(text);
      return { label: plan.label, config: planConfig(base, plan, '--compare') };
    });
    const lengthsFor = (max: number) =>
      [max / 8, max / 4, max / 2, max, max * 2, max * 4].map(Math.round).filter((t) => t >= 1);

    if (plans.length > 0) {
      const results = plans.map((p) => ({ label: p.label, a: analyze(p.config, options, preset.encoder) }));
      if (opts.json)
        console.log(
          JSON.stringify({
            preset: name,
            context,
            batch: opts.batch,
            dtype: opts.dtype,
            plans: results.map((r) => ({ label: r.label, ...r.a })),
          }),
        );
      else {
        console.log(
          `${name} — ${preset.description}; context ${fmtInt(context)}, batch ${opts.batch}, KV cache in ${opts.dtype}\n`,
        );
        const first = results[0]!.a;
        console.log(
          table(
            [
              'plan',
              'parameters',
              `weights ${opts.dtype}`,
              'KV bytes/token',
              `KV at ${fmtInt(context)}`,
              'vs first',
              'FLOPs/token',
              'training FLOPs/token',
            ],
            results.map(({ label, a }) => [
              label,
              fmtInt(a.parameters.total),
              fmtBytes(a.weightBytes[opts.dtype]),
              fmtInt(a.kvCache.bytesPerToken),
              fmtBytes(a.kvCache.bytes),
              `×${(a.kvCache.bytes / first.kvCache.bytes).toFixed(2)}`,
              fmtFlops(a.flops.forwardPerToken.total),
              fmtFlops(a.flops.trainingPerToken),
            ]),
          ),
        );
      }
    } else {
      const a = analyze(config, options, preset.encoder);
      const scaling = scalingTable(config, lengthsFor(context), preset.encoder !== undefined);
      if (opts.json) console.log(JSON.stringify({ preset: name, ...a, scaling }));
      else console.log(formatAnalysis(`${name} — ${preset.description}`, a, scaling));
    }

    if (opts.chart) {
      const curves = plans.length > 0 ? plans : defaultPlans(base, config);
      const bytes = { fp32: 4, fp16: 2, bf16: 2, int8: 1 }[opts.dtype];
      const spec = analyzerChart(`${name}: what sharing buys`, [
        kvChart(curves, context, bytes, opts.batch),
        parametersChart(config, ['none', 'cycle:4', 'repeat:2', 'sequence:2', 'all']),
        costChart(config, context, preset.encoder !== undefined),
      ]);
      await renderChart(spec, opts.chart);
      if (!opts.json) console.error(`chart written to ${opts.chart}`);
    }
  });
}

/** Plans for the KV chart when --compare gives none: the config itself and the usual alternatives. */
function defaultPlans(base: Partial<ModelConfig>, config: ModelConfig): PlanCurve[] {
  const out: PlanCurve[] = [{ label: 'as configured', config }];
  const add = (label: string, over: Partial<ModelConfig>) => {
    try {
      out.push({ label, config: resolveConfig({ ...base, ...over }) });
    } catch {
      /* not valid for this model */
    }
  };
  add('MHA, no sharing', { kvHeads: config.heads, shareKv: 'none', shareAttention: 'none' });
  if (config.heads % 4 === 0) add(`GQA ${config.heads / 4} KV heads`, { kvHeads: config.heads / 4 });
  add('cla:2', { shareKv: 'cla:2' });
  add('attention group:2', { shareAttention: 'group:2' });
  return out;
}

/** The model a path holds, from its config alone: a GGUF file, a Hugging Face directory, or a run. */
function modelAt(path: string): AnalyzerPreset {
  if (path.endsWith('.gguf') && existsSync(path) && statSync(path).isFile()) {
    const reader = directoryReader(dirname(path));
    try {
      return { description: `GGUF ${path}`, config: openGgufModel(reader, basename(path)).config };
    } finally {
      reader.close();
    }
  }
  const hfConfig = join(path, 'config.json');
  if (existsSync(hfConfig) && isHuggingFaceDirectory(new Map([['config.json', readFileSync(hfConfig)]]))) {
    const reader = directoryReader(path);
    try {
      return { description: `Hugging Face ${path}`, config: openHfModel(reader).config };
    } finally {
      reader.close();
    }
  }
  return { description: `checkpoint ${path}`, config: readCheckpointConfig(path) };
}
