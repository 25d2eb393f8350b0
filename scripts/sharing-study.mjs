#!/usr/bin/env node
// The sharing study's numbers (docs/sharing-study.md): reads a `shareformer sweep` directory (its
// finished runs, so a study still running can be looked at), times each run's decoding again on
// this machine, warm and as a median (run it on a quiet machine), and tests each published
// direction with its effect against the seed spread. Writes docs/sharing-study-table.md,
// docs/sharing-study.json and the charts in docs/sharing-study/.
//   node scripts/sharing-study.mjs SWEEP_DIR DATA [--no-decode]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectNodeBackend } from '../dist/backend/node.js';
import { timedDecoding } from '../dist/bench/measure.js';
import { chartSvg } from '../dist/cli/render.js';
import { loadCheckpoint } from '../dist/io/checkpoint.js';
import { curveSpec, paretoSpec, summarize } from '../dist/sweep/report.js';
import { spread } from '../dist/sweep/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [sweep, data, ...flags] = process.argv.slice(2);
if (!sweep || !data) {
  console.error('usage: node scripts/sharing-study.mjs SWEEP_DIR DATA [--no-decode]');
  process.exit(2);
}
const DECODE_TOKENS = 120; // within the context of 128: no sliding window in the timing

/** The study's plans, in its order (the first is the baseline). */
const PLANS = [
  'none',
  'share-weights=all',
  'share-weights=cycle:3',
  'share-weights=cycle-rev:3',
  'share-weights=sequence:3',
  'share-weights=all,share-scope=attention',
  'share-weights=all,share-scope=ffn',
  'kv-heads=2',
  'kv-heads=1',
  'share-kv=cla:2',
  'share-kv=cla:3',
  'share-kv=yoco:3',
  'share-attention=group:2',
  'tie-embeddings=true,embed-dim=64',
  'layers=12,share-weights=cycle:6',
];

const runs = readdirSync(join(sweep, 'runs'))
  .map((d) => join(sweep, 'runs', d, 'sweep-result.json'))
  .filter((f) => existsSync(f))
  .map((f) => JSON.parse(readFileSync(f, 'utf8')))
  .filter((r) => PLANS.includes(r.plan));
// Training loss over the last 100 steps beside the validation loss: a plan that only looks better
// by overfitting less would show it in the gap between the two.
for (const r of runs) {
  const steps = readFileSync(join(r.dir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.step > r.steps - 100);
  r.trainLoss = steps.reduce((a, e) => a + e.loss, 0) / steps.length;
}
const plans = PLANS.filter((p) => runs.some((r) => r.plan === p));

if (!flags.includes('--no-decode')) {
  const { backend } = selectNodeBackend('native');
  const prompt = Array.from(readFileSync(data, 'utf8').slice(0, 16)).slice(0, 8).join('');
  for (const r of runs) {
    const { lm, tokenizer } = loadCheckpoint(r.dir);
    r.decodeTokensPerSDuringSweep = r.decodeTokensPerS;
    r.decodeTokensPerS = timedDecoding(lm, tokenizer, prompt, DECODE_TOKENS, { repeats: 5 }).tokensPerS;
    console.error(`${r.plan} seed ${r.seed}: ${r.decodeTokensPerS.toFixed(0)} decoding tokens/s (${backend.name})`);
  }
}

const summaries = summarize(plans, runs);
const byPlan = new Map(summaries.map((s) => [s.plan, s]));
const losses = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.valLoss));
const trainLosses = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.trainLoss));
const speeds = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.decodeTokensPerS));

/** a − b with its standard error and z = difference / standard error (null with one seed on either side). */
function compare(a, b) {
  const d = a.mean - b.mean;
  const se = a.n > 1 && b.n > 1 ? Math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n) : null;
  return { diff: d, se, z: se ? d / se : null };
}
/** "holds" when the difference has the expected sign beyond twice its standard error. */
function verdict(c, expectPositive) {
  if (c.z === null) return 'one seed: no spread yet';
  const right = expectPositive ? c.diff > 0 : c.diff < 0;
  if (Math.abs(c.z) <= 2) return right ? 'same direction, within the spread' : 'opposite direction, within the spread';
  return right ? 'holds' : 'does not hold (opposite, beyond the spread)';
}
const f4 = (x) => (x >= 0 ? '+' : '') + x.toFixed(4);
const zText = (c) => (c.z === null ? '' : `, z = ${c.z.toFixed(1)}`);
const has = (...ps) => ps.every((p) => byPlan.has(p));
/** Loss of predicting each character by its frequency alone: the floor any model should beat. */
const unigram = (() => {
  const counts = new Map();
  const text = Array.from(readFileSync(data, 'utf8'));
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  return -[...counts.values()].reduce((h, n) => h + (n / text.length) * Math.log(n / text.length), 0);
})();

const directions = [];
if (has('none', 'share-weights=all,share-scope=ffn', 'share-weights=all,share-scope=attention')) {
  const c = compare(losses('share-weights=all,share-scope=ffn'), losses('share-weights=all,share-scope=attention'));
  directions.push({
    claim: 'ALBERT: sharing the FFN costs more than sharing attention',
    evidence: `all/ffn − all/attention = ${f4(c.diff)} nats${zText(c)}`,
    verdict: verdict(c, true),
  });
}
if (has('none', 'share-weights=all')) {
  const none = losses('none'),
    all = losses('share-weights=all');
  const kept = (unigram - all.mean) / (unigram - none.mean);
  const c = compare(all, none);
  directions.push({
    claim: 'ALBERT: all layers shared keeps most of the quality at a fraction of the parameters',
    evidence: `${byPlan.get('share-weights=all').vsBaseline.parameters.toFixed(2)}× the parameters; ${f4(c.diff)} nats${zText(c)}; keeps ${(100 * kept).toFixed(1)}% of the baseline's gain over character frequencies alone (${unigram.toFixed(3)} nats)`,
    verdict: kept > 0.9 ? 'holds' : 'does not hold',
  });
}
if (has('none', 'kv-heads=2', 'kv-heads=1')) {
  const mha = losses('none'),
    gqa = losses('kv-heads=2'),
    mqa = losses('kv-heads=1');
  const a = compare(gqa, mha),
    b = compare(mqa, gqa);
  const order = mha.mean <= gqa.mean && gqa.mean <= mqa.mean;
  const clear = a.z !== null && b.z !== null && a.z > 2 && b.z > 2;
  directions.push({
    claim: 'GQA: grouped K/V heads land between multi-head and multi-query',
    evidence: `MHA ${mha.mean.toFixed(4)}, GQA-2 ${gqa.mean.toFixed(4)} (${f4(a.diff)}${zText(a)}), MQA ${mqa.mean.toFixed(4)} (${f4(b.diff)} from GQA${zText(b)})`,
    verdict: order ? (clear ? 'holds' : 'in that order, within the spread') : 'not in that order',
  });
}
if (has('none', 'share-kv=cla:2')) {
  const c = compare(losses('share-kv=cla:2'), losses('none'));
  directions.push({
    claim: 'CLA: sharing K/V between pairs of layers stays close to the baseline at half the KV cache',
    evidence: `${byPlan.get('share-kv=cla:2').vsBaseline.kvBytes.toFixed(2)}× KV bytes; ${f4(c.diff)} nats${zText(c)} (${((100 * c.diff) / losses('none').mean).toFixed(2)}%)`,
    verdict: Math.abs(c.diff) / losses('none').mean < 0.01 ? 'holds (within 1%)' : 'does not hold',
  });
}
if (has('none', 'layers=12,share-weights=cycle:6')) {
  const c = compare(losses('layers=12,share-weights=cycle:6'), losses('none'));
  const p = byPlan.get('layers=12,share-weights=cycle:6').vsBaseline.parameters;
  directions.push({
    claim: 'Takase & Kiyono: deeper with cycle sharing beats shallow unshared at equal parameters',
    evidence: `12 layers cycle:6 (${p.toFixed(2)}× the parameters) − 6 layers unshared = ${f4(c.diff)} nats${zText(c)}`,
    verdict: verdict(c, false),
  });
}
if (has('none', 'share-attention=group:2')) {
  const s = speeds('share-attention=group:2'),
    n = speeds('none');
  const c = compare(s, n);
  const l = compare(losses('share-attention=group:2'), losses('none'));
  directions.push({
    claim: 'Xiao et al.: sharing attention weights speeds decoding (they report 1.3×)',
    evidence: `${(s.mean / n.mean).toFixed(2)}× decoding tokens/s (${s.mean.toFixed(0)} against ${n.mean.toFixed(0)}${zText(c)}); loss ${f4(l.diff)}${zText(l)}`,
    verdict: s.mean / n.mean >= 1.3 ? 'holds' : s.mean > n.mean && c.z > 2 ? 'faster, but below 1.3×' : 'does not hold',
  });
}

const pm = (s, d) => (s.n > 1 ? `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}` : s.mean.toFixed(d));
const lines = [
  '| plan | d × layers | unique params | × | KV bytes/token | × | val loss | bits/char | Δ vs none | z | train loss | decoding tok/s | × |',
  `|${'---|'.repeat(13)}`,
  ...summaries.map((s) => {
    const c = compare(losses(s.plan), losses('none'));
    const sp = speeds(s.plan);
    return `| ${s.plan} | ${s.dModel} × ${s.layers} | ${s.parameters.toLocaleString('en')} | ${(s.vsBaseline?.parameters ?? 1).toFixed(2)}× | ${s.kvBytesPerToken.toLocaleString('en')} | ${(s.vsBaseline?.kvBytes ?? 1).toFixed(2)}× | ${pm(s.valLoss, 4)} | ${pm(s.valBpc, 3)} | ${s.vsBaseline ? f4(c.diff) : '—'} | ${s.vsBaseline && c.z !== null ? c.z.toFixed(1) : '—'} | ${pm(trainLosses(s.plan), 4)} | ${pm(sp, 0)} | ${(sp.mean / speeds('none').mean).toFixed(2)}× |`;
  }),
  '',
  `Seeds per plan: ${[...new Set(summaries.map((s) => s.runs))].join(', ')}. z = difference / its standard error (sample standard deviations over seeds); |z| > 2 is beyond the seed spread. Train loss: mean over the last 100 steps (each a batch of 16 × 128 tokens). Decoding: batch 1, KV cache, ${DECODE_TOKENS} tokens after an 8-character prompt, median of 5 timed runs after a warm-up, native backend, measured by this script.`,
  '',
  '| published direction | here | verdict |',
  '|---|---|---|',
  ...directions.map((d) => `| ${d.claim} | ${d.evidence} | ${d.verdict} |`),
  '',
];
mkdirSync(join(ROOT, 'docs', 'sharing-study'), { recursive: true });
writeFileSync(join(ROOT, 'docs', 'sharing-study-table.md'), `${lines.join('\n')}\n`);
writeFileSync(
  join(ROOT, 'docs', 'sharing-study.json'),
  `${JSON.stringify({ plans: summaries, directions, runs }, null, 1)}\n`,
);
const specs = {
  'loss-vs-parameters': paretoSpec(summaries, 'parameters'),
  'loss-vs-kv-bytes': paretoSpec(summaries, 'kvBytesPerToken'),
  'loss-vs-decoding-speed': paretoSpec(summaries, 'decodeTokensPerS'),
  'validation-curves': curveSpec(plans, runs),
};
for (const [name, spec] of Object.entries(specs))
  if (spec) writeFileSync(join(ROOT, 'docs', 'sharing-study', `${name}.svg`), await chartSvg(spec));
console.log(lines.join('\n'));
