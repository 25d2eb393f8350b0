// `shareformer convert`: a trained checkpoint turned into one with another sharing plan
// (convert/convert.ts), its calibration loss measured before and right after, optionally
// uptrained for a few steps with a fresh optimizer, and written as a new run.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ConvertError, convertModel, type InitMode } from '../convert/convert.js';
import { inspectModel, type PairMatrix } from '../convert/inspect.js';
import { searchSharing, type SearchKind, type SearchResult } from '../convert/search.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { readCorpus } from '../io/corpus.js';
import type { ModelConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import type { TransformerLM } from '../model/transformer.js';
import { Trainer } from '../train/trainer.js';
import {
  calibrationData,
  calibrationLoss,
  uptrainConfig,
  type Calibration,
  type SourceRun,
} from '../convert/uptrain.js';
import { addBackendOption, int, num, selectBackend, strategy } from './options.js';

interface ConvertOpts {
  checkpoint: string;
  out: string;
  data: string;
  init: InitMode;
  shareWeights?: string | number[];
  shareScope?: string;
  kvHeads?: number;
  shareKv?: string | number[];
  shareAttention?: string | number[];
  embedDim?: number;
  tieEmbeddings?: boolean;
  relaxRank?: number;
  calibrationWindows: number;
  searchTolerance: number;
  uptrain?: number;
  uptrainEvalEvery?: number;
  lr?: number;
  batch?: number;
  warmup?: number;
  seed?: number;
  backend?: string;
  force?: boolean;
  json?: boolean;
}

const CHANGES: Array<[keyof ConvertOpts, keyof ModelConfig]> = [
  ['shareWeights', 'shareWeights'],
  ['shareScope', 'shareScope'],
  ['kvHeads', 'kvHeads'],
  ['shareKv', 'shareKv'],
  ['shareAttention', 'shareAttention'],
  ['embedDim', 'embedDim'],
  ['tieEmbeddings', 'tieEmbeddings'],
  ['relaxRank', 'relaxRank'],
];

export function convertCommand(): Command {
  const cmd = new Command('convert')
    .summary('give a trained model another sharing plan (mean-initialised sets, pooled K/V heads, …)')
    .description(
      'turn a trained checkpoint into one with another sharing plan: a shared set starts as the mean of its layers (--init mean) or its first layer; --kv-heads mean-pools K/V heads in groups; layers that now read another layer’s K/V or attention drop those projections; --embed-dim factorizes the embedding by truncated SVD. Prints the calibration loss before and right after, and after --uptrain steps',
    )
    .requiredOption('--checkpoint <run>', 'the trained run (directory, checkpoint directory or .zip)')
    .requiredOption('--out <dir>', 'run directory to write the converted model to')
    .requiredOption('--data <file>', 'calibration and uptraining text (a file, a directory, or synthetic:NAME)')
    .option(
      '--share-weights <strategy>',
      'none | all | sequence:M | cycle:M | cycle-rev:M | repeat:K | [array]',
      strategy,
    )
    .addOption(
      new Option('--share-scope <scope>', 'what --share-weights shares').choices(['block', 'attention', 'ffn']),
    )
    .option('--kv-heads <n>', 'K/V heads: must divide the source’s (each is the mean of a group)', int(1))
    .option(
      '--share-kv <strategy>',
      'none | cla:K | yoco:K | [array] | search:B (keep a fraction B of the K/V producers, chosen on the calibration text)',
      strategy,
    )
    .option(
      '--share-attention <strategy>',
      'none | group:K | [array] | search:B (the same for attention weights)',
      strategy,
    )
    .option('--embed-dim <n>', 'factorized embedding width (0: full)', int(0))
    .option('--tie-embeddings', 'the output head reuses the input embedding')
    .option('--no-tie-embeddings', 'a separate output head (a copy of the embedding when the source was tied)')
    .option(
      '--relax-rank <r>',
      'relaxed sharing: each layer keeps a rank-r delta, the truncated SVD of its residual to the shared weight',
      int(0),
    )
    .addOption(new Option('--init <how>', 'a shared set starts as').choices(['mean', 'first']).default('mean'))
    .option('--calibration-windows <n>', 'validation windows the calibration loss averages', int(1), 64)
    .option(
      '--search-tolerance <r>',
      'search:B accepts a replacement while the calibration loss stays within this fraction of the source’s',
      num((n) => n >= 0, 'a non-negative number'),
      0.05,
    )
    .option('--uptrain <steps>', 'continue training the converted model (fresh optimizer, its own schedule)', int(1))
    .option('--uptrain-eval-every <n>', 'also measure the calibration loss every N uptraining steps', int(1))
    .option(
      '--lr <rate>',
      'uptraining peak learning rate (default: the source run’s minimum)',
      num((n) => n > 0, 'a positive number'),
    )
    .option('--batch <n>', 'uptraining sequences per step (default: the source run’s)', int(1))
    .option('--warmup <n>', 'uptraining warmup steps (default 5%)', int(0))
    .option('--seed <n>', 'uptraining batches (default: the source run’s seed)', int(0))
    .option('--force', 'replace a run already in --out')
    .option(
      '--json',
      'print one JSON object: loss_before, loss_converted, loss_uptrained, parameters, kv_bytes_per_token',
    );
  return addBackendOption(cmd).action((opts: ConvertOpts) => runConvert(opts));
}

function runConvert(opts: ConvertOpts): void {
  selectBackend(opts.backend, Boolean(opts.json));
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force)
    throw new Error(`${opts.out} is not empty; pass --force to replace it`);
  const ckpt = loadCheckpoint(opts.checkpoint);
  const changes: Partial<ModelConfig> = {};
  const searches: Array<[SearchKind, number]> = [];
  for (const [flag, field] of CHANGES) {
    const value = opts[flag];
    const search = typeof value === 'string' ? /^search:(.+)$/.exec(value) : null;
    if (search) searches.push([field === 'shareKv' ? 'kv' : 'attention', searchFraction(flag, search[1]!)]);
    else if (value !== undefined && value !== ckpt.lm.config[field])
      (changes as Record<string, unknown>)[field] = value;
  }
  if (Object.keys(changes).length === 0 && searches.length === 0)
    throw new Error(
      'convert: no change to the sharing plan given (e.g. --share-weights cycle:3, --kv-heads 2, --share-kv cla:2)',
    );
  const data = calibration(opts, ckpt.lm, ckpt.tokenizer.encode.bind(ckpt.tokenizer), ckpt.meta);
  const before = measure(ckpt.lm, data);
  const say = (line: string) => !opts.json && console.error(line);
  let converted: ReturnType<typeof convertModel>;
  const found: SearchResult[] = [];
  try {
    for (const [kind, keep] of searches) {
      const result = search(ckpt.lm, kind, keep, changes, data, opts.searchTolerance);
      found.push(result);
      (changes as Record<string, unknown>)[kind === 'kv' ? 'shareKv' : 'shareAttention'] = result.map;
      reportSearch(result, say);
    }
    converted = convertModel(ckpt.lm, changes, { init: opts.init });
  } catch (e) {
    throw e instanceof ConvertError ? new Error(`convert ${opts.checkpoint}: ${e.message}`) : e;
  }
  const { lm, notes } = converted;
  const after = measure(lm, data);
  for (const n of notes) say(`convert: ${n}`);
  say(
    `calibration loss: ${before.toFixed(4)} before, ${after.toFixed(4)} right after conversion (${data.windows} windows of ${opts.data})`,
  );
  let uptrained: number | null = null;
  let train = ckpt.meta.train;
  const curve: Array<[number, number]> = [];
  if (opts.uptrain) {
    train = uptrainConfig(ckpt.meta.train, {
      steps: opts.uptrain,
      ...(opts.lr !== undefined && { lr: opts.lr }),
      ...(opts.warmup !== undefined && { warmup: opts.warmup }),
      ...(opts.batch !== undefined && { batch: opts.batch }),
      ...(opts.seed !== undefined && { seed: opts.seed }),
    });
    const trainer = new Trainer(lm, data.split, train, data.charsPerToken);
    while (!trainer.done) {
      trainer.trainStep();
      if (opts.uptrainEvalEvery && trainer.step % opts.uptrainEvalEvery === 0 && !trainer.done) {
        curve.push([trainer.step, measure(lm, data)]);
        say(`calibration loss after ${trainer.step} uptraining steps: ${curve.at(-1)![1].toFixed(4)}`);
      }
    }
    uptrained = measure(lm, data);
    curve.push([trainer.step, uptrained]);
    say(`calibration loss after ${opts.uptrain} uptraining steps: ${uptrained.toFixed(4)}`);
  }
  const dir = join(opts.out, 'checkpoint');
  saveCheckpoint(dir, { lm, tokenizer: ckpt.tokenizer, meta: { data: ckpt.meta.data, train } });
  const summary = {
    out: opts.out,
    changes,
    loss_before: before,
    loss_converted: after,
    ...(uptrained !== null && { loss_uptrained: uptrained, uptrain_steps: opts.uptrain, uptrain_losses: curve }),
    ...(found.length > 0 && {
      search: found.map((f) => ({
        kind: f.kind,
        keep: f.keep,
        order: f.order,
        map: f.map,
        loss: f.loss,
        steps: f.steps,
        other: f.other,
      })),
    }),
    parameters_before: ckpt.lm.parameterCount().total,
    parameters: lm.parameterCount().total,
    kv_bytes_per_token_before: kvBytesPerToken(ckpt.lm.config),
    kv_bytes_per_token: kvBytesPerToken(lm.config),
  };
  if (opts.json) console.log(JSON.stringify(summary));
  else
    console.log(
      `converted: ${summary.parameters_before.toLocaleString()} → ${summary.parameters.toLocaleString()} unique parameters, KV ${summary.kv_bytes_per_token_before} → ${summary.kv_bytes_per_token} bytes/token; written to ${dir}`,
    );
}

/** The calibration windows: the validation part of --data, split as the source run split its text. */
function calibration(
  opts: ConvertOpts,
  lm: TransformerLM,
  encode: (text: string) => Int32Array,
  meta: SourceRun,
): Calibration {
  const corpus = readCorpus(opts.data);
  let tokens: Int32Array;
  try {
    tokens = encode(corpus.text);
  } catch (e) {
    throw new Error(`${corpus.source}: ${(e as Error).message}`);
  }
  return calibrationData(tokens, corpus.text.length, lm.config.context, meta, {
    label: corpus.source,
    windows: opts.calibrationWindows,
    ...(opts.batch !== undefined && { batch: opts.batch }),
  });
}

const measure = calibrationLoss;

function searchFraction(flag: string, text: string): number {
  const b = Number(text);
  if (!Number.isFinite(b) || b <= 0 || b > 1)
    throw new Error(
      `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} search:${text}: B is the fraction of layers that keep their own, 0 < B ≤ 1`,
    );
  return b;
}

/** Ranks layer pairs by their calibration activations, then searches (convert/search.ts). */
function search(
  lm: TransformerLM,
  kind: SearchKind,
  keep: number,
  base: Partial<ModelConfig>,
  data: Calibration,
  tolerance: number,
): SearchResult {
  const r = inspectModel(lm, data.batches);
  const similarity: PairMatrix =
    kind === 'kv'
      ? r.keys.cka.map((row, i) =>
          row.map((k, j) => (k === null || r.values.cka[i]![j] === null ? null : (k + r.values.cka[i]![j]!) / 2)),
        )
      : r.attentionJs.map((row) => row.map((js) => (js === null ? null : -js)));
  return searchSharing(lm, kind, { keep, similarity, base, tolerance, loss: (m) => measure(m, data) });
}

function reportSearch(r: SearchResult, say: (line: string) => void): void {
  const what = r.kind === 'kv' ? 'K/V' : 'attention';
  say(
    `search ${what}, keep ${r.keep}: ${r.order} reached ${r.loss.toFixed(4)} (${r.other.order}: ${r.other.loss.toFixed(4)}), from ${r.baseLoss.toFixed(4)}`,
  );
  for (const s of r.steps)
    say(
      `  layer ${s.consumer} reads layer ${s.producer}'s ${what}: calibration loss ${s.loss.toFixed(4)}${s.forced ? ' (above the tolerance; the budget needs it)' : ''}`,
    );
  say(`  map: [${r.map.join(', ')}]`);
}
