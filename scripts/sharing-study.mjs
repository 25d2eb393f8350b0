#!/usr/bin/env node
// The sharing study's numbers (docs/sharing-study.md): reads a `shareformer sweep` directory (its
// finished runs, so a study still running can be looked at), evaluates each run on its whole
// validation split (the sweep's final evaluation reads 64 windows, 8 of the ~108 held-out
// passages), times each run's decoding again on this machine, in rounds and as a median (run it on a
// quiet machine), and tests each published direction seed by seed against the seed spread. Writes
// docs/sharing-study-table.md, docs/sharing-study.json and the charts in docs/sharing-study/.
// Runs the sweep has trained but not yet measured are read too, so a study can be looked at while
// it runs (with --quick their decoding speed shows as 0). SWEEP_DIR may be the records the study
// keeps in the repository (docs/sharing-study/records, see study-records.mjs): runs without a
// checkpoint have their decoding timed on a fresh model of the plan.
//   node scripts/sharing-study.mjs SWEEP_DIR DATA [--quick] [--tag NAME]
//   (--quick: neither of the two; --tag: write sharing-study-NAME-table.md, …-NAME.json and NAME-*.svg,
//   for a second sweep such as the half-budget one)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectNodeBackend } from '../dist/backend/node.js';
import { timedDecoding } from '../dist/bench/measure.js';
import { chartSvg } from '../dist/cli/render.js';
import { loadCheckpoint } from '../dist/io/checkpoint.js';
import { calibrationData, calibrationEval } from '../dist/convert/uptrain.js';
import { curveSpec, paretoSpec, summarize } from '../dist/sweep/report.js';
import { pairedDifference, spread, tCritical95 } from '../dist/sweep/stats.js';
import { decodingModel } from '../dist/sweep/decoding.js';
import { planConfigFile, runDir } from '../dist/sweep/layout.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [sweep, data, ...flags] = process.argv.slice(2);
if (!sweep || !data) {
  console.error('usage: node scripts/sharing-study.mjs SWEEP_DIR DATA [--quick] [--tag NAME]');
  process.exit(2);
}
const SEEDS = 3;
const DECODE_TOKENS = 120; // within the context of 128: no sliding window in the timing
const DECODE_ROUNDS = 7;

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

/**
 * A run the sweep has trained but not yet measured (with --jobs, it measures every run at the
 * end): its record from the trainer's summary, the plan's config file and its log, so a study
 * still running can be read. Its decoding speed is 0 until this script times it.
 */
function trainedOnly(dir) {
  const m = /-seed(\d+)$/.exec(dir);
  const seed = Number(m?.[1]);
  const plan = m && PLANS.find((p) => runDir(sweep, p, seed) === dir);
  const file = join(dir, 'sweep-trained.json');
  if (!plan || !existsSync(file)) return null;
  const { summary, validation } = JSON.parse(readFileSync(file, 'utf8'));
  const curve = readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"type":"eval"'))
    .map((l) => JSON.parse(l))
    .map((e) => ({ step: e.step, valLoss: e.val_loss }));
  return {
    plan,
    seed,
    dir,
    config: JSON.parse(readFileSync(planConfigFile(sweep, plan), 'utf8')),
    valLoss: validation?.loss ?? summary.final_val_loss,
    valBpc: validation?.bitsPerChar ?? summary.val_bpc,
    ...(validation ? { valWindows: validation.windows, valLoss64Windows: summary.final_val_loss } : {}),
    parameters: summary.parameters,
    kvBytesPerToken: summary.kv_bytes_per_token,
    trainTokensPerS: summary.tokens_per_s,
    decodeTokensPerS: 0,
    steps: summary.steps,
    seconds: summary.seconds,
    curve,
  };
}

const runs = readdirSync(join(sweep, 'runs'))
  .map((d) => join(sweep, 'runs', d))
  .map((dir) => {
    const f = join(dir, 'sweep-result.json');
    return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : trainedOnly(dir);
  })
  .filter((r) => r && PLANS.includes(r.plan));
// Training loss over the last 100 steps beside the validation loss: a plan that only looks better
// by overfitting less would show it in the gap between the two.
for (const r of runs) {
  // One loss per step: a resumed run logs again the steps after its last checkpoint.
  const byStep = new Map(
    readFileSync(join(r.dir, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"step"'))
      .map((l) => JSON.parse(l))
      .filter((e) => e.step > r.steps - 100)
      .map((e) => [e.step, e.loss]),
  );
  r.trainLoss = [...byStep.values()].reduce((a, b) => a + b, 0) / byStep.size;
  // One point per step (a run resumed after it had finished evaluates its last step again).
  r.curve = [...new Map((r.curve ?? []).map((p) => [p.step, p])).values()].sort((a, b) => a.step - b.step);
}
const plans = PLANS.filter((p) => runs.some((r) => r.plan === p));

const quick = flags.includes('--quick');
const tag = flags.includes('--tag') ? flags[flags.indexOf('--tag') + 1] : null;
const named = (base, ext) => `${base}${tag ? `-${tag}` : ''}${ext}`;
if (!quick) selectNodeBackend('native');
// The whole validation split of each run (its seed chose which passages were held out), kept
// beside the run so a rerun reads it back; sweeps since 2026-11-30 record it themselves.
const text = readFileSync(data, 'utf8');
for (const r of runs) {
  if (r.valWindows) continue; // a sweep that already evaluated the whole split
  r.valLoss64Windows = r.valLoss;
  const file = join(r.dir, 'full-validation.json');
  if (!existsSync(file) && quick) continue;
  if (!existsSync(file)) {
    const { lm, tokenizer, meta } = loadCheckpoint(r.dir);
    const cal = calibrationData(tokenizer.encode(text), text.length, lm.config.context, meta, {
      label: data,
      windows: Number.MAX_SAFE_INTEGER,
    });
    const e = calibrationEval(lm, cal);
    writeFileSync(file, `${JSON.stringify({ loss: e.loss, bitsPerChar: e.bitsPerChar, windows: cal.windows })}\n`);
    console.error(`${r.plan} seed ${r.seed}: validation ${e.loss.toFixed(4)} over ${cal.windows} windows`);
  }
  const full = JSON.parse(readFileSync(file, 'utf8'));
  Object.assign(r, { valLoss: full.loss, valBpc: full.bitsPerChar, valWindows: full.windows });
}

if (!quick) {
  const { backend } = selectNodeBackend('native');
  const prompt = Array.from(readFileSync(data, 'utf8').slice(0, 16)).slice(0, 8).join('');
  // Decoding at this size is bound by memory bandwidth, which a shared machine's neighbours move by
  // ±30% from one second to the next: time every run once per round, round after round, so that
  // drift lands on every plan alike, and keep each run's median over the rounds.
  const models = runs.map((r) => decodingModel(r.dir, r.config, r.seed, 'char', text));
  const timings = runs.map(() => []);
  for (let round = 0; round < DECODE_ROUNDS; round++)
    for (const [i, { lm, tokenizer }] of models.entries())
      timings[i].push(timedDecoding(lm, tokenizer, prompt, DECODE_TOKENS, { repeats: 3 }).tokensPerS);
  runs.forEach((r, i) => {
    const sorted = timings[i].sort((a, b) => a - b);
    r.decodeTokensPerSDuringSweep = r.decodeTokensPerS;
    r.decodeTokensPerS = sorted[sorted.length >> 1];
    console.error(
      `${r.plan} seed ${r.seed}: ${r.decodeTokensPerS.toFixed(0)} decoding tokens/s (${backend.name}; rounds ${sorted.map((t) => t.toFixed(0)).join(', ')})`,
    );
  });
}

const summaries = summarize(plans, runs);
const byPlan = new Map(summaries.map((s) => [s.plan, s]));
const losses = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.valLoss));
const trainLosses = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.trainLoss));
/** Change of the curve's validation loss over its last stretch (−: still improving). */
const lastStretch = (plan) =>
  spread(
    runs
      .filter((r) => r.plan === plan && r.curve?.length > 1)
      .map((r) => r.curve[r.curve.length - 1].valLoss - r.curve[r.curve.length - 2].valLoss),
  );
const speeds = (plan) => spread(runs.filter((r) => r.plan === plan).map((r) => r.decodeTokensPerS));

const bySeed = (plan) => new Map(runs.filter((r) => r.plan === plan).map((r) => [r.seed, r.valLoss]));
/** Plan a against plan b seed by seed (runs of one seed share split, batches and validation text). */
function compare(a, b) {
  const d = pairedDifference(bySeed(a), bySeed(b));
  return { diff: d.mean, sd: d.std, n: d.n, t: d.t, beyond: d.beyond };
}
/** Decoding speeds differ by timing noise, not by seed: unpaired, z = difference / standard error. */
function compareSpeeds(a, b) {
  const d = a.mean - b.mean;
  const se = a.n > 1 && b.n > 1 ? Math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n) : null;
  return { diff: d, z: se ? d / se : null };
}
/** "holds" when the paired difference has the expected sign beyond Student's 95% value. */
function verdict(c, expectPositive) {
  if (c.t === null) return 'one seed: no spread yet';
  const right = expectPositive ? c.diff > 0 : c.diff < 0;
  if (!c.beyond) return right ? 'same direction, within the spread' : 'opposite direction, within the spread';
  return right ? 'holds' : 'does not hold (opposite, beyond the spread)';
}
const f4 = (x) => (x >= 0 ? '+' : '') + x.toFixed(4);
const tNum = (t) => (Number.isFinite(t) ? t.toFixed(1) : t > 0 ? '∞' : '−∞');
const zText = (c) =>
  c.t !== undefined
    ? c.t === null
      ? ''
      : ` ± ${c.sd.toFixed(4)} over ${c.n} seeds, t = ${tNum(c.t)}`
    : c.z === null
      ? ''
      : `, z = ${c.z.toFixed(1)}`;
const has = (...ps) => ps.every((p) => byPlan.has(p));
/** Loss of predicting each character by its frequency alone: the floor any model should beat. */
const unigram = (() => {
  const counts = new Map();
  const text = Array.from(readFileSync(data, 'utf8'));
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  return -[...counts.values()].reduce((h, n) => h + (n / text.length) * Math.log(n / text.length), 0);
})();

const directions = [];
const ALL = 'share-weights=all',
  ATTN = 'share-weights=all,share-scope=attention',
  FFN = 'share-weights=all,share-scope=ffn',
  DEEP = 'layers=12,share-weights=cycle:6',
  GROUP = 'share-attention=group:2';
const pct = (c, base = 'none') => `${((100 * c.diff) / losses(base).mean).toFixed(2)}%`;
if (has('none', FFN, ATTN)) {
  const c = compare(FFN, ATTN);
  directions.push({
    claim: 'ALBERT: sharing the FFN costs more than sharing attention',
    evidence: `all/ffn − all/attention = ${f4(c.diff)} nats${zText(c)}`,
    verdict: verdict(c, true),
  });
}
if (has('none', ALL)) {
  const kept = (unigram - losses(ALL).mean) / (unigram - losses('none').mean);
  const c = compare(ALL, 'none');
  directions.push({
    claim: 'ALBERT: all layers shared keeps most of the quality at a fraction of the parameters',
    evidence: `${byPlan.get(ALL).vsBaseline.parameters.toFixed(2)}× the parameters; ${f4(c.diff)} nats${zText(c)} (${pct(c)}); keeps ${(100 * kept).toFixed(1)}% of the baseline's gain over character frequencies alone (${unigram.toFixed(3)} nats)`,
    verdict: `${c.t === null ? 'one seed: ' : ''}${kept > 0.9 ? 'holds' : 'does not hold'}`,
  });
}
if (has('none', 'tie-embeddings=true,embed-dim=64')) {
  const c = compare('tie-embeddings=true,embed-dim=64', 'none');
  directions.push({
    claim: 'ALBERT: a factorized (and here tied) embedding costs little',
    evidence: `E = 64, tied: ${byPlan.get('tie-embeddings=true,embed-dim=64').vsBaseline.parameters.toFixed(2)}× the parameters; ${f4(c.diff)} nats${zText(c)} (${pct(c)})`,
    verdict: `${c.t === null ? 'one seed: ' : ''}${
      Math.abs(c.diff) / losses('none').mean < 0.01
        ? 'holds (within 1%)'
        : c.diff < 0
          ? 'holds (better)'
          : 'does not hold (beyond 1%)'
    }`,
  });
}
if (has('none', 'kv-heads=2', 'kv-heads=1')) {
  const a = compare('kv-heads=2', 'none'),
    b = compare('kv-heads=1', 'kv-heads=2');
  const order = a.diff >= 0 && b.diff >= 0;
  directions.push({
    claim: 'GQA: grouped K/V heads land between multi-head and multi-query',
    evidence: `MHA ${losses('none').mean.toFixed(4)}, GQA-2 ${losses('kv-heads=2').mean.toFixed(4)} (${f4(a.diff)}${zText(a)}), MQA ${losses('kv-heads=1').mean.toFixed(4)} (${f4(b.diff)} from GQA${zText(b)})`,
    verdict:
      a.t === null || b.t === null
        ? 'one seed: no spread yet'
        : order
          ? a.beyond && b.beyond
            ? 'holds'
            : 'in that order, within the spread'
          : (a.diff < 0 && a.beyond) || (b.diff < 0 && b.beyond)
            ? 'does not hold (out of order beyond the spread)'
            : 'not in that order, but within the spread',
  });
}
if (has('none', 'share-kv=cla:2')) {
  const c = compare('share-kv=cla:2', 'none');
  directions.push({
    claim: 'CLA: sharing K/V between pairs of layers stays close to the baseline at half the KV cache',
    evidence: `${byPlan.get('share-kv=cla:2').vsBaseline.kvBytes.toFixed(2)}× KV bytes; ${f4(c.diff)} nats${zText(c)} (${pct(c)})`,
    verdict: `${c.t === null ? 'one seed: ' : ''}${Math.abs(c.diff) / losses('none').mean < 0.01 ? 'holds (within 1%)' : 'does not hold (beyond 1%)'}`,
  });
}
if (has('none', 'share-kv=cla:2', 'kv-heads=2')) {
  // Brandon et al. compare CLA with GQA/MQA at equal KV memory: the accuracy a KV budget buys.
  const c = compare('share-kv=cla:2', 'kv-heads=2');
  const kv = (p) => byPlan.get(p).vsBaseline.kvBytes;
  const dominated = kv('kv-heads=2') <= kv('share-kv=cla:2') && c.diff > 0;
  directions.push({
    claim:
      'CLA: a better loss for its KV cache than grouping K/V heads (Brandon et al.: a Pareto improvement over GQA/MQA)',
    evidence: `cla:2 at ${kv('share-kv=cla:2').toFixed(2)}× KV bytes − GQA-2 at ${kv('kv-heads=2').toFixed(2)}× = ${f4(c.diff)} nats${zText(c)}${
      has('share-kv=cla:3')
        ? (
            () => {
              const e = compare('share-kv=cla:3', 'kv-heads=2');
              return `; at the same ${kv('share-kv=cla:3').toFixed(2)}×, cla:3 − GQA-2 = ${f4(e.diff)}${zText(e)}`;
            }
          )()
        : ''
    }`,
    verdict:
      c.t === null
        ? 'one seed: no spread yet'
        : dominated
          ? c.beyond
            ? 'does not hold (GQA-2 holds less and loses less, beyond the spread)'
            : 'not shown (GQA-2 holds less and loses less, within the spread)'
          : c.diff < 0 && c.beyond
            ? 'holds'
            : 'not shown (within the spread)',
  });
}
if (has('none', 'share-kv=cla:2', 'share-kv=cla:3')) {
  const c = compare('share-kv=cla:3', 'share-kv=cla:2');
  directions.push({
    claim: 'CLA: sharing across three layers costs more than across two (Brandon et al.)',
    evidence: `cla:3 − cla:2 = ${f4(c.diff)} nats${zText(c)}`,
    verdict: verdict(c, true),
  });
}
if (has('none', 'share-weights=cycle:3', 'share-weights=cycle-rev:3', 'share-weights=sequence:3')) {
  const a = compare('share-weights=sequence:3', 'share-weights=cycle:3'),
    b = compare('share-weights=sequence:3', 'share-weights=cycle-rev:3');
  directions.push({
    claim: 'Takase & Kiyono: at equal parameters, cycle and cycle-rev beat sequence',
    evidence: `sequence:3 − cycle:3 = ${f4(a.diff)}${zText(a)}; sequence:3 − cycle-rev:3 = ${f4(b.diff)}${zText(b)}`,
    verdict:
      a.t === null || b.t === null
        ? 'one seed: no spread yet'
        : a.diff > 0 && b.diff > 0
          ? a.beyond && b.beyond
            ? 'holds'
            : 'same direction, within the spread for at least one'
          : 'does not hold',
  });
}
if (has('none', DEEP)) {
  const c = compare(DEEP, 'none');
  const p = byPlan.get(DEEP).vsBaseline.parameters;
  directions.push({
    claim: 'Takase & Kiyono: deeper with cycle sharing beats shallow unshared at equal parameters',
    evidence: `12 layers cycle:6 (${p.toFixed(2)}× the parameters) − 6 layers unshared = ${f4(c.diff)} nats${zText(c)}`,
    verdict: verdict(c, false),
  });
}
if (has('none', GROUP)) {
  const s = speeds(GROUP),
    n = speeds('none');
  const c = compareSpeeds(s, n);
  const l = compare(GROUP, 'none');
  directions.push({
    claim: 'Xiao et al.: sharing attention weights speeds decoding (they report 1.3×) at little cost',
    evidence: quick
      ? `decoding not timed yet (--quick); loss ${f4(l.diff)}${zText(l)}`
      : `${(s.mean / n.mean).toFixed(2)}× decoding tokens/s (${s.mean.toFixed(0)} against ${n.mean.toFixed(0)}${zText(c)}); loss ${f4(l.diff)}${zText(l)}`,
    verdict: quick
      ? 'speed not timed yet'
      : s.mean / n.mean >= 1.3
        ? 'holds'
        : s.mean > n.mean && c.z !== null && c.z > 2
          ? 'faster, but below 1.3×'
          : 'does not hold',
  });
}

const pm = (s, d) => (s.n > 1 ? `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}` : s.mean.toFixed(d));
const lines = [
  '| plan | d × layers | unique params | × | KV bytes/token | × | val loss | bits/char | Δ vs none | t | train loss | last 250 steps | decoding tok/s | × |',
  `|${'---|'.repeat(14)}`,
  ...summaries.map((s) => {
    const c = compare(s.plan, 'none');
    const sp = speeds(s.plan);
    return `| ${s.plan} | ${s.dModel} × ${s.layers} | ${s.parameters.toLocaleString('en')} | ${(s.vsBaseline?.parameters ?? 1).toFixed(2)}× | ${s.kvBytesPerToken.toLocaleString('en')} | ${(s.vsBaseline?.kvBytes ?? 1).toFixed(2)}× | ${pm(s.valLoss, 4)} | ${pm(s.valBpc, 3)} | ${s.vsBaseline ? `${f4(c.diff)}${c.t === null ? '' : ` ± ${c.sd.toFixed(4)}`}` : '—'} | ${s.vsBaseline && c.t !== null ? `${tNum(c.t)}${c.beyond ? ' *' : ''}` : '—'} | ${pm(trainLosses(s.plan), 4)} | ${f4(lastStretch(s.plan).mean)} | ${quick ? '—' : pm(sp, 0)} | ${quick ? '—' : `${(sp.mean / speeds('none').mean).toFixed(2)}×`} |`;
  }),
  '',
  `Seeds per plan: ${[...new Set(summaries.map((s) => s.runs))].join(', ')}. Validation loss: nats per character over ${runs.some((r) => !r.valWindows) ? "the sweep's 64 evaluation windows of 128 of each run's validation split (--quick, for runs not yet evaluated on the whole split)" : `each run's whole validation split (${[...new Set(runs.map((r) => r.valWindows ?? 64))].join(', ')} windows of 128; which passages are held out depends on the seed)`}. Δ vs none: the mean over seeds of each seed's difference from the unshared run of the same seed (same split, batches and validation text) ± its standard deviation; t = Δ / (sd / √seeds), * when |t| exceeds Student's two-sided 95% value (${tCritical95(2).toFixed(2)} for 3 seeds). Train loss: mean over the last 100 steps (each a batch of 16 × 128 tokens). Last 250 steps: how much the 64-window validation loss still moved over the last 250 steps (mean over seeds): near 0 when training has flattened. Decoding: ${quick ? 'not timed yet (--quick; it is timed on a quiet machine when the study is complete)' : `batch 1, KV cache, ${DECODE_TOKENS} tokens after an 8-character prompt, the median over ${DECODE_ROUNDS} rounds, each timing every run in turn (the median of 3 after a warm-up), native backend, measured by this script`}.`,
  '',
  '| published direction | here | verdict |',
  '|---|---|---|',
  ...directions.map((d) => `| ${d.claim} | ${d.evidence} | ${d.verdict} |`),
  '',
];
mkdirSync(join(ROOT, 'docs', 'sharing-study'), { recursive: true });
writeFileSync(join(ROOT, 'docs', named('sharing-study', '-table.md')), `${lines.join('\n')}\n`);
writeFileSync(
  join(ROOT, 'docs', named('sharing-study', '.json')),
  `${JSON.stringify({ plans: summaries, directions, runs }, null, 1)}\n`,
);
const specs = {
  'loss-vs-parameters': paretoSpec(summaries, 'parameters'),
  'loss-vs-kv-bytes': paretoSpec(summaries, 'kvBytesPerToken'),
  // Decoding is timed only without --quick: no chart of speeds not measured.
  'loss-vs-decoding-speed': quick ? null : paretoSpec(summaries, 'decodeTokensPerS'),
  'validation-curves': curveSpec(plans, runs),
};
for (const [name, spec] of Object.entries(specs))
  if (spec)
    writeFileSync(join(ROOT, 'docs', 'sharing-study', `${tag ? `${tag}-` : ''}${name}.svg`), await chartSvg(spec));
// The write-up's generated parts, between its markers: how far the study is, and the results.
const doc = join(ROOT, 'docs', 'sharing-study.md');
if (!tag && existsSync(doc)) {
  const total = PLANS.length * SEEDS;
  // Where the runs trained: a seed's trajectory depends on the CPU's float rounding.
  const machines = new Map();
  for (const r of runs) {
    const f = join(r.dir, 'machine.json');
    const m = existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
    const key = m ? `${m.cpu} (${m.simd}, ${m.cores} cores)` : 'unrecorded';
    machines.set(key, (machines.get(key) ?? 0) + 1);
  }
  const where = `Trained on ${[...machines].map(([k, n]) => `${k}: ${n} run${n > 1 ? 's' : ''}`).join('; ')}.`;
  const status =
    runs.length < total
      ? `**In progress: ${runs.length} of ${total} runs trained** (${PLANS.length} plans × ${SEEDS} seeds; seeds per plan so far: ${plans.map((p) => runs.filter((r) => r.plan === p).length).join(', ')}). The numbers below are the runs trained so far and change as the rest land; a verdict needs every seed.`
      : `All ${total} runs trained (${PLANS.length} plans × ${SEEDS} seeds).`;
  const statusLine = `${status} ${where}`;
  const charts = Object.entries(specs)
    .filter(([, spec]) => spec)
    .map(([name]) => `![${name.replace(/-/g, ' ')}](sharing-study/${name}.svg)`);
  const results = ['## Results', '', ...lines, ...charts.flatMap((c) => [c, ''])];
  const fill = (text, marker, body) =>
    text.replace(
      new RegExp(`<!-- study:${marker} -->[\\s\\S]*<!-- /study:${marker} -->`),
      `<!-- study:${marker} -->\n${body.trimEnd()}\n<!-- /study:${marker} -->`,
    );
  writeFileSync(doc, fill(fill(readFileSync(doc, 'utf8'), 'status', statusLine), 'results', results.join('\n')));
}
console.log(lines.join('\n'));
