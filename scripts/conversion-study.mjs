#!/usr/bin/env node
// The conversion study (issue: make a trained model share): converts one trained unshared model to
// several plans, measures the calibration loss right after and after 5% and 10% of the original
// steps of uptraining (two uptraining seeds), and sets it beside the same plans trained from
// scratch (the runs of a sweep). Writes docs/conversion-study-table.md and docs/conversion-study.json; the
// findings are in docs/conversion-study.md.
//   node scripts/conversion-study.mjs SOURCE_RUN DATA SWEEP_DIR [ORIGINAL_STEPS]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [source, data, sweep, stepsArg] = process.argv.slice(2);
if (!source || !data) {
  console.error('usage: node scripts/conversion-study.mjs SOURCE_RUN DATA [SWEEP_DIR] [ORIGINAL_STEPS]');
  process.exit(2);
}
const original = Number(stepsArg ?? 2000);
const up = [Math.round(original * 0.05), Math.round(original * 0.1)];
const SEEDS = [1, 2];
const PLANS = [
  { label: 'cycle:3 (mean)', flags: ['--share-weights', 'cycle:3'], scratch: 'share-weights=cycle:3' },
  { label: 'cycle:3 + relax-rank 8', flags: ['--share-weights', 'cycle:3', '--relax-rank', '8'], scratch: null },
  { label: 'kv-heads 2 (mean-pooled)', flags: ['--kv-heads', '2'], scratch: 'kv-heads=2' },
  { label: 'cla:2', flags: ['--share-kv', 'cla:2'], scratch: 'share-kv=cla:2' },
  { label: 'K/V map searched, keep 0.5', flags: ['--share-kv', 'search:0.5'], scratch: null },
  { label: 'attention map searched, keep 0.5', flags: ['--share-attention', 'search:0.5'], scratch: null },
];
const out = '/tmp/conversion-study';
mkdirSync(out, { recursive: true });

const scratch = new Map();
// A sweep's finished runs each hold sweep-result.json (its plan, seed and validation loss).
if (sweep && existsSync(join(sweep, 'runs')))
  for (const run of readdirSync(join(sweep, 'runs'))) {
    const file = join(sweep, 'runs', run, 'sweep-result.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    scratch.set(`${r.plan} ${r.seed}`, r.valLoss);
  }

const rows = [];
for (const plan of PLANS)
  for (const seed of SEEDS) {
    const started = Date.now();
    const json = execFileSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'shareformer.js'),
        'convert',
        '--checkpoint',
        source,
        '--data',
        data,
        '--out',
        join(out, `${rows.length}`),
        '--force',
        ...plan.flags,
        '--uptrain',
        String(up[1]),
        '--uptrain-eval-every',
        String(up[0]),
        '--seed',
        String(seed),
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const s = JSON.parse(json.trim().split('\n').at(-1));
    const row = {
      plan: plan.label,
      seed,
      ...s,
      seconds: (Date.now() - started) / 1000,
      scratch: plan.scratch ? (scratch.get(`${plan.scratch} 1`) ?? null) : null,
    };
    rows.push(row);
    console.log(
      `${plan.label} seed ${seed}: ${s.loss_before.toFixed(4)} → ${s.loss_converted.toFixed(4)} → ${s.uptrain_losses.map(([, l]) => l.toFixed(4)).join(' → ')} (${row.seconds.toFixed(0)} s)`,
    );
  }

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (xs) => `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}`;
const lines = [
  '# Converting a trained model to share',
  '',
  `Source: \`${source}\` (its calibration loss ${rows[0].loss_before.toFixed(4)}; ${rows[0].parameters_before.toLocaleString('en')} unique parameters, ${rows[0].kv_bytes_per_token_before} KV bytes/token). Calibration and uptraining text: \`${data}\` (its validation part, split as the source run split it). Uptraining: ${up[0]} and ${up[1]} steps (5% and 10% of the source's ${original}), fresh AdamW, seeds ${SEEDS.join(' and ')} for the batches (± is the spread over them). Command: \`node scripts/conversion-study.mjs ${process.argv.slice(2).join(' ')}\`.`,
  '',
  `| plan | unique params | KV bytes/token | right after conversion | after ${up[0]} steps | after ${up[1]} steps | trained from scratch (${original} steps, seed 1) |`,
  '|---|---|---|---|---|---|---|',
];
for (const plan of PLANS) {
  const rs = rows.filter((r) => r.plan === plan.label);
  const at = (step) => rs.map((r) => r.uptrain_losses.find(([s]) => s === step)[1]);
  lines.push(
    `| ${plan.label} | ${rs[0].parameters.toLocaleString('en')} | ${rs[0].kv_bytes_per_token} | ${rs[0].loss_converted.toFixed(4)} | ${fmt(at(up[0]))} | ${fmt(at(up[1]))} | ${rs[0].scratch === null ? '—' : rs[0].scratch.toFixed(4)} |`,
  );
}
const searched = rows
  .filter((r) => r.search)
  .map(
    (r) =>
      `${r.plan}: map [${r.search[0].map.join(', ')}] (${r.search[0].order}; the other order reached ${r.search[0].other.loss.toFixed(4)})`,
  );
lines.push('', ...[...new Set(searched)].map((l) => `- ${l}`), '');
mkdirSync(join(ROOT, 'docs'), { recursive: true });
writeFileSync(join(ROOT, 'docs', 'conversion-study-table.md'), `${lines.join('\n')}\n`);
writeFileSync(join(ROOT, 'docs', 'conversion-study.json'), `${JSON.stringify(rows, null, 1)}\n`);
console.log(lines.join('\n'));
