#!/usr/bin/env node
// The conversion study (issue: make a trained model share): converts trained unshared models
// (independently trained sources) to several plans, measures the calibration loss right after and
// after 5% and 10% of the original steps of uptraining (two uptraining seeds per source), and sets
// it beside the same plans trained from scratch for the original plus the uptraining steps (the
// runs of a sweep). Writes docs/conversion-study-table.md and docs/conversion-study.json; the
// findings are in docs/conversion-study.md. Conversions already in conversion-study.json (same
// source, plan and seed) are reused.
//   node scripts/conversion-study.mjs SOURCE_RUN[,SOURCE_RUN...] DATA SCRATCH_SWEEP_DIR [ORIGINAL_STEPS]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [sourceList, data, sweep, stepsArg] = process.argv.slice(2);
if (!sourceList || !data) {
  console.error(
    'usage: node scripts/conversion-study.mjs SOURCE_RUN[,SOURCE_RUN...] DATA [SCRATCH_SWEEP_DIR] [ORIGINAL_STEPS]',
  );
  process.exit(2);
}
const sources = sourceList.split(',');
const original = Number(stepsArg ?? 2000);
const up = [Math.round(original * 0.05), Math.round(original * 0.1)];
const SEEDS = [1, 2];
const PLANS = [
  { label: 'cycle:3 (mean)', flags: ['--share-weights', 'cycle:3'], scratch: 'share-weights=cycle:3' },
  {
    label: 'cycle:3 + relax-rank 8',
    flags: ['--share-weights', 'cycle:3', '--relax-rank', '8'],
    scratch: 'share-weights=cycle:3,relax-rank=8',
  },
  { label: 'kv-heads 2 (mean-pooled)', flags: ['--kv-heads', '2'], scratch: 'kv-heads=2' },
  { label: 'cla:2', flags: ['--share-kv', 'cla:2'], scratch: 'share-kv=cla:2' },
  // From scratch: the map the search chose on the first source.
  { label: 'K/V map searched, keep 0.5', flags: ['--share-kv', 'search:0.5'], scratch: 'share-kv=[0,0,2,3,0,0]' },
  {
    label: 'attention map searched, keep 0.5',
    flags: ['--share-attention', 'search:0.5'],
    scratch: 'share-attention=[0,1,2,0,1,2]',
  },
];
const out = '/tmp/conversion-study';
mkdirSync(out, { recursive: true });

/** Per plan label, the from-scratch validation losses (every seed) and their steps. */
const scratch = new Map();
// A sweep's finished runs each hold sweep-result.json (its plan, seed, steps and validation loss).
if (sweep && existsSync(join(sweep, 'runs')))
  for (const run of readdirSync(join(sweep, 'runs'))) {
    const file = join(sweep, 'runs', run, 'sweep-result.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const entry = scratch.get(r.plan) ?? { losses: [], steps: r.steps };
    entry.losses.push(r.valLoss);
    scratch.set(r.plan, entry);
  }

const previous = existsSync(join(ROOT, 'docs', 'conversion-study.json'))
  ? JSON.parse(readFileSync(join(ROOT, 'docs', 'conversion-study.json'), 'utf8'))
  : [];
const rows = [];
for (const source of sources)
  for (const plan of PLANS) for (const seed of SEEDS) rows.push(convertOnce(source, plan, seed));

function convertOnce(source, plan, seed) {
  const again = previous.find((r) => r.source === source && r.plan === plan.label && r.seed === seed);
  if (again) return again;
  const started = Date.now();
  {
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
        join(out, `${sources.indexOf(source)}-${rows.length}`),
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
    const row = { source, plan: plan.label, seed, ...s, seconds: (Date.now() - started) / 1000 };
    console.log(
      `${source} ${plan.label} seed ${seed}: ${s.loss_before.toFixed(4)} → ${s.loss_converted.toFixed(4)} → ${s.uptrain_losses.map(([, l]) => l.toFixed(4)).join(' → ')} (${row.seconds.toFixed(0)} s)`,
    );
    return row;
  }
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (xs) => (xs.length > 1 ? `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}` : xs[0].toFixed(4));
const lossAt = (r, step) => (step === 0 ? r.loss_converted : r.uptrain_losses.find(([s]) => s === step)[1]);
/** Per source, the mean over its uptraining seeds: the spread that matters is between sources. */
const perSource = (rs, step) =>
  sources.map((src) => mean(rs.filter((r) => r.source === src).map((r) => lossAt(r, step))));
const scratchSteps = [...scratch.values()][0]?.steps ?? original + up[1];
const lines = [
  '# Converting a trained model to share',
  '',
  `Sources: ${sources.map((src) => `\`${src}\` (calibration loss ${rows.find((r) => r.source === src).loss_before.toFixed(4)})`).join(', ')}; ${rows[0].parameters_before.toLocaleString('en')} unique parameters, ${rows[0].kv_bytes_per_token_before} KV bytes/token. Calibration and uptraining text: \`${data}\` (its validation part, split as each source run split it). Uptraining: ${up[0]} and ${up[1]} steps (5% and 10% of the sources' ${original}), fresh AdamW, batch seeds ${SEEDS.join(' and ')}. ± is the standard deviation over sources of each source's mean over its batch seeds (from scratch: over training seeds). Command: \`node scripts/conversion-study.mjs ${process.argv.slice(2).join(' ')}\`.`,
  '',
  `| plan | unique params | KV bytes/token | right after conversion | after ${up[0]} steps | after ${up[1]} steps | from scratch, ${scratchSteps} steps |`,
  '|---|---|---|---|---|---|---|',
];
for (const plan of PLANS) {
  const rs = rows.filter((r) => r.plan === plan.label);
  const sc = scratch.get(plan.scratch);
  lines.push(
    `| ${plan.label} | ${rs[0].parameters.toLocaleString('en')} | ${rs[0].kv_bytes_per_token} | ${fmt(perSource(rs, 0))} | ${fmt(perSource(rs, up[0]))} | ${fmt(perSource(rs, up[1]))} | ${sc ? `${fmt(sc.losses)} (${sc.losses.length} seed${sc.losses.length > 1 ? 's' : ''})` : '—'} |`,
  );
}
lines.push(
  '',
  `Each source and batch seed, after ${up[1]} steps:`,
  '',
  `| plan | ${sources.flatMap((_, i) => SEEDS.map((seed) => `source ${i + 1} seed ${seed}`)).join(' | ')} |`,
  `|---|${sources.flatMap(() => SEEDS.map(() => '---')).join('|')}|`,
  ...PLANS.map(
    (plan) =>
      `| ${plan.label} | ${sources
        .flatMap((src) =>
          SEEDS.map((seed) =>
            lossAt(
              rows.find((r) => r.source === src && r.plan === plan.label && r.seed === seed),
              up[1],
            ).toFixed(4),
          ),
        )
        .join(' | ')} |`,
  ),
);
const searched = rows
  .filter((r) => r.search)
  .map(
    (r) =>
      `source ${sources.indexOf(r.source) + 1}, ${r.plan}: map [${r.search[0].map.join(', ')}] (${r.search[0].order}; the other order reached ${r.search[0].other.loss.toFixed(4)})`,
  );
lines.push('', ...[...new Set(searched)].map((l) => `- ${l}`), '');
mkdirSync(join(ROOT, 'docs'), { recursive: true });
writeFileSync(join(ROOT, 'docs', 'conversion-study-table.md'), `${lines.join('\n')}\n`);
writeFileSync(join(ROOT, 'docs', 'conversion-study.json'), `${JSON.stringify(rows, null, 1)}\n`);
console.log(lines.join('\n'));
