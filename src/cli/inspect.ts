// `shareformer inspect`: how alike a trained model's layers are on calibration text — the
// evidence for what to share (convert) — as a table, heatmaps (--chart) or JSON.
import { Command } from 'commander';
import { inspectionChart } from '../convert/inspect-chart.js';
import { inspectModel, type Inspection, type PairMatrix } from '../convert/inspect.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { readCorpus } from '../io/corpus.js';
import { evalBatches, splitTokens } from '../train/data.js';
import { addBackendOption, int, selectBackend } from './options.js';
import { renderChart } from './render.js';

interface InspectOpts {
  checkpoint: string;
  data: string;
  windows: number;
  chart?: string;
  json?: boolean;
  backend?: string;
}

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .summary('how alike the layers of a trained model are (what to share)')
    .description(
      'compare every pair of layers of a trained model on calibration text: cosine similarity of their weights, linear CKA and cosine of the keys and values they compute, Jensen–Shannon divergence of their attention maps, and how alike the K/V heads inside each layer are',
    )
    .requiredOption('--checkpoint <run>', 'the trained run (directory, checkpoint directory or .zip)')
    .requiredOption('--data <file>', 'calibration text (its validation part, split as the run split its text)')
    .option('--windows <n>', 'calibration windows of the context length', int(1), 16)
    .option('--chart <file>', 'write the heatmaps (.svg or .png)')
    .option('--json', 'print the matrices as one JSON object');
  return addBackendOption(cmd).action(async (opts: InspectOpts) => {
    selectBackend(opts.backend, Boolean(opts.json));
    const ckpt = loadCheckpoint(opts.checkpoint);
    if (ckpt.lm.quantized.size > 0) throw new Error(`${opts.checkpoint} holds int8 weights; inspect the float32 run`);
    const corpus = readCorpus(opts.data);
    const tokens = ckpt.tokenizer.encode(corpus.text);
    const context = ckpt.lm.config.context;
    if (tokens.length < 2 * (context + 1))
      throw new Error(
        `${corpus.source}: ${tokens.length} tokens are too few for a calibration window of ${context + 1}`,
      );
    const split = splitTokens(tokens, context, {
      valFraction: ckpt.meta.data.valFraction,
      seed: ckpt.meta.train.seed,
      source: corpus.source,
    });
    const r = inspectModel(ckpt.lm, evalBatches(split.val, context, 4, opts.windows));
    if (opts.json) console.log(JSON.stringify(r));
    else printInspection(r);
    if (opts.chart) {
      await renderChart(inspectionChart(r, opts.checkpoint), opts.chart);
      if (!opts.json) console.error(`heatmaps written to ${opts.chart}`);
    }
  });
}

const cell = (v: number | null, digits = 2) => (v === null ? '   –' : v.toFixed(digits).padStart(4));

function printMatrix(title: string, m: PairMatrix, digits = 2): void {
  console.log(`\n${title}`);
  console.log(`      ${m.map((_, j) => `L${j}`.padStart(5)).join('')}`);
  for (const [i, row] of m.entries())
    console.log(`${`L${i}`.padStart(5)} ${row.map((v) => ` ${cell(v, digits)}`).join('')}`);
}

function printInspection(r: Inspection): void {
  console.log(`${r.layers} layers, ${r.tokens.toLocaleString('en')} calibration tokens`);
  printMatrix('weights: mean cosine similarity over the matrices both layers own', r.weights.mean ?? []);
  printMatrix('keys: linear CKA (1 = the same up to rotation and scale)', r.keys.cka);
  printMatrix('values: linear CKA', r.values.cka);
  printMatrix('attention maps: Jensen–Shannon divergence (nats; 0 = identical, ln 2 = disjoint)', r.attentionJs, 3);
  const pairs: Array<[number, number, number]> = [];
  for (const [i, row] of r.keys.cka.entries())
    for (const [j, v] of row.entries()) if (j < i && v !== null) pairs.push([i, j, v]);
  pairs.sort((a, b) => b[2] - a[2]);
  if (pairs.length)
    console.log(
      `\nmost alike K activations: ${pairs
        .slice(0, 4)
        .map(([i, j, v]) => `L${j}–L${i} ${v.toFixed(2)}`)
        .join(', ')}; least alike: ${pairs
        .slice(-2)
        .map(([i, j, v]) => `L${j}–L${i} ${v.toFixed(2)}`)
        .join(', ')}`,
    );
  for (const h of r.heads) {
    const off = h.keys.flatMap((row, i) => row.filter((_, j) => j > i));
    console.log(
      `layer ${h.layer}: K heads' CKA ${Math.min(...off).toFixed(2)}–${Math.max(...off).toFixed(2)} (mean ${(off.reduce((a, b) => a + b, 0) / off.length).toFixed(2)})`,
    );
  }
}
