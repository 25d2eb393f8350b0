#!/usr/bin/env node
// Fuzzes checkpoint loading: corrupts one file of a valid checkpoint at a time (random bytes,
// truncation, JSON values of the wrong type or size, duplicated keys) and loads it with the
// trainer state. Every outcome must be a load or a clear error that names the file; anything else
// (a raw TypeError, a crash, a load taking seconds) is counted and printed. Needs `npm run build`.
// Usage: node scripts/fuzz-checkpoints.mjs [iterations=10000] [seed=1]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer, DEFAULT_TRAIN, Rng, TransformerLM, loadCheckpoint, saveCheckpoint } from '../dist/node.js';

const iterations = Number(process.argv[2] ?? 10_000);
const rng = new Rng(Number(process.argv[3] ?? 1));
const root = mkdtempSync(join(tmpdir(), 'shareformer-fuzz-'));
const clean = join(root, 'clean');

const tokenizer = CharTokenizer.fromText('abcdefgh \n');
const lm = new TransformerLM(
  {
    vocabSize: tokenizer.vocabSize,
    layers: 4,
    dModel: 16,
    heads: 2,
    context: 8,
    shareKv: 'cla:2',
    shareWeights: 'cycle:2',
  },
  1,
);
const names = [...lm.params.keys()];
const trainer = {
  step: 3,
  tokensSeen: 30,
  sampler: { s: [1, 2, 3, 4], spare: null },
  dropout: { s: [5, 6, 7, 8], spare: 0.5 },
  optimizer: {
    names,
    steps: names.map(() => 3),
    m: lm.parameters().map((p) => new Float32Array(p.size)),
    v: lm.parameters().map((p) => new Float32Array(p.size)),
  },
};
saveCheckpoint(clean, {
  lm,
  tokenizer,
  meta: { data: { source: 'fuzz', tokenizer: 'char', charsPerToken: 1, valFraction: 0.1 }, train: DEFAULT_TRAIN },
  trainer,
});
const FILES = ['config.json', 'trainer.json', 'tokenizer.json', 'model.safetensors', 'optimizer.safetensors'];

const WEIRD = [null, true, -1, 0, 1e8, 1e300, 0.5, '', 'x', '0.1', [], [null], {}, { a: 1 }, -0, 2 ** 53, [0, 0, 0, 0]];
const pick = (a) => a[rng.int(a.length)];

/** Replaces one value somewhere in a JSON document with something of the wrong type or size. */
function mutateJSON(value) {
  if (value === null || typeof value !== 'object') return pick(WEIRD);
  const keys = Object.keys(value);
  if (keys.length === 0 || rng.uniform() < 0.15) return pick(WEIRD);
  const key = pick(keys);
  const copy = Array.isArray(value) ? [...value] : { ...value };
  if (rng.uniform() < 0.1 && !Array.isArray(copy)) delete copy[key];
  else copy[key] = mutateJSON(value[key]);
  return copy;
}

function corruptBytes(bytes, safetensors) {
  const b = Buffer.from(bytes);
  const mode = rng.int(safetensors ? 4 : 2);
  if (mode === 0) return b.subarray(0, rng.int(b.length));
  if (mode === 1) for (let i = 0, n = 1 + rng.int(8); i < n; i++) b[rng.int(b.length)] = rng.int(256);
  if (mode === 2) {
    // Inside the header of a safetensors file (JSON), where the checks are.
    const len = Math.min(Number(b.readBigUInt64LE(0)), b.length - 8);
    for (let i = 0, n = 1 + rng.int(4); i < n; i++)
      b[8 + rng.int(Math.max(1, len))] = pick([
        0x22,
        0x2c,
        0x7b,
        0x7d,
        0x5b,
        0x5d,
        0x30,
        0x39,
        0x2d,
        0x20,
        rng.int(256),
      ]);
  }
  if (mode === 3) {
    const len = Number(b.readBigUInt64LE(0));
    const header = JSON.parse(b.subarray(8, 8 + len).toString('utf8'));
    const text = Buffer.from(
      JSON.stringify(mutateJSON(header)).replace(/^\{"([^"]+)":(\{[^}]*\}),/, (m, k, v) =>
        rng.uniform() < 0.3 ? `{"${k}":${v},"${k}":${v},` : m,
      ),
    );
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(text.length));
    return Buffer.concat([out, text, b.subarray(8 + len)]);
  }
  return b;
}

const counts = { loaded: 0, clearError: 0, unclear: 0, slow: 0 };
const unclear = new Map();
let slowest = 0;
for (let i = 0; i < iterations; i++) {
  const dir = join(root, 'case');
  rmSync(dir, { recursive: true, force: true });
  cpSync(clean, dir, { recursive: true });
  const file = pick(FILES);
  const path = join(dir, file);
  const bytes = readFileSync(path);
  const damaged =
    file.endsWith('.json') && rng.uniform() < 0.7
      ? Buffer.from(JSON.stringify(mutateJSON(JSON.parse(bytes.toString('utf8')))))
      : corruptBytes(bytes, file.endsWith('.safetensors'));
  writeFileSync(path, damaged);
  const t0 = performance.now();
  try {
    loadCheckpoint(dir, { trainer: true });
    counts.loaded++;
  } catch (e) {
    const clear =
      /Error$/.test(e.name) &&
      e.name !== 'TypeError' &&
      e.name !== 'RangeError' &&
      FILES.some((f) => e.message.includes(f));
    if (clear) counts.clearError++;
    else {
      counts.unclear++;
      const key = `${file}: ${e.name}: ${e.message.slice(0, 160)}`;
      unclear.set(key, (unclear.get(key) ?? 0) + 1);
    }
  }
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  if (ms > 2000) counts.slow++;
}
rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify({ iterations, ...counts, slowestMs: Math.round(slowest) }));
for (const [k, n] of [...unclear].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${n}× ${k}`);
process.exit(counts.unclear + counts.slow > 0 ? 1 : 0);
