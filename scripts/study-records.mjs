#!/usr/bin/env node
// Keeps a long sweep's finished runs in the repository, so a study that needs more machine time
// than one machine lives survives moving to a new one. `save` copies each trained and evaluated
// run's sweep-trained.json, and the part of its log.jsonl that the sweep's report and the study
// read (every evaluation, the last 100 steps), with the plans' configs, into RECORDS (default
// docs/sharing-study/records); `restore` puts them back into a sweep directory, where rerunning the
// sweep skips them as trained. Checkpoints stay behind (≈ 10 MB a run): the sweep and the study
// time decoding on a fresh model of the plan when a run has none.
//   node scripts/study-records.mjs save|restore SWEEP_DIR [RECORDS]
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [verb, sweep, records = fileURLToPath(new URL('../docs/sharing-study/records', import.meta.url))] =
  process.argv.slice(2);
if (!['save', 'restore'].includes(verb) || !sweep) {
  console.error('usage: node scripts/study-records.mjs save|restore SWEEP_DIR [RECORDS]');
  process.exit(2);
}
const TAIL_STEPS = 100;

/** The machine a run trained on: CPU model, SIMD width OpenBLAS can use, cores, Node. */
function machine() {
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const simd = /\bavx512f\b/.test(flags) ? 'AVX-512' : /\bavx2\b/.test(flags) ? 'AVX2' : 'other';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    simd,
    cores: cpus().length,
    node: process.version,
    saved: new Date().toISOString().slice(0, 10),
  };
}

/** A run is kept once the sweep has trained it and evaluated its whole validation split. */
const evaluated = (dir) => {
  const f = join(dir, 'sweep-trained.json');
  return existsSync(f) && JSON.parse(readFileSync(f, 'utf8')).validation !== undefined;
};

/** The log without the steps the study does not read: evaluations and the last TAIL_STEPS steps. */
function thinLog(text, steps) {
  return text
    .split('\n')
    .filter((l) => l && (!l.startsWith('{"type":"step"') || JSON.parse(l).step > steps - TAIL_STEPS))
    .map((l) => `${l}\n`)
    .join('');
}

function copyPlans(from, to) {
  mkdirSync(join(to, 'plans'), { recursive: true });
  for (const f of readdirSync(join(from, 'plans'))) copyFileSync(join(from, 'plans', f), join(to, 'plans', f));
}

const [from, to] = verb === 'save' ? [sweep, records] : [records, sweep];
copyPlans(from, to);
let copied = 0;
for (const run of readdirSync(join(from, 'runs'))) {
  const src = join(from, 'runs', run),
    dst = join(to, 'runs', run);
  if (!evaluated(src) || evaluated(dst)) continue;
  mkdirSync(dst, { recursive: true });
  const trained = readFileSync(join(src, 'sweep-trained.json'), 'utf8');
  const log = readFileSync(join(src, 'log.jsonl'), 'utf8');
  // Restoring over a half-trained run replaces its log and checkpoint-less state with the record's.
  writeFileSync(join(dst, 'log.jsonl'), verb === 'save' ? thinLog(log, JSON.parse(trained).summary.steps) : log);
  writeFileSync(join(dst, 'sweep-trained.json'), trained);
  // Float rounding differs between CPUs (OpenBLAS picks kernels by SIMD width), so a seed's run on
  // another machine follows another trajectory: each record says where it trained.
  if (verb === 'save' && !existsSync(join(src, 'machine.json')))
    writeFileSync(join(dst, 'machine.json'), `${JSON.stringify(machine())}\n`);
  else if (existsSync(join(src, 'machine.json'))) copyFileSync(join(src, 'machine.json'), join(dst, 'machine.json'));
  copied++;
  console.error(`${verb === 'save' ? 'kept' : 'restored'} ${run}`);
}
console.error(`${copied} run(s) ${verb === 'save' ? `kept in ${records}` : `restored into ${sweep}`}`);
