// `shareformer inspect` and `shareformer convert` end to end: a trained run converted to other plans, its calibration loss
// before, right after and after uptraining, the result loadable by eval; bad requests write nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'shareformer.js');
const DATA = join(ROOT, 'data', 'shakespeare-excerpt.txt');
const dir = mkdtempSync(join(tmpdir(), 'shareformer-convert-'));
const SRC = join(dir, 'src');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
/** `shareformer convert` of `checkpoint` on the excerpt into dir/out; the run, and its JSON summary when asked. */
const convert = (checkpoint: string, out: string, ...flags: string[]) =>
  run('convert', '--checkpoint', checkpoint, '--out', join(dir, out), '--data', DATA, ...flags);
function convertJson(checkpoint: string, out: string, ...flags: string[]) {
  const r = convert(checkpoint, out, ...flags, '--json');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  execFileSync(process.execPath, [
    BIN,
    'train',
    '--data',
    DATA,
    '--layers',
    '4',
    '--d-model',
    '32',
    '--heads',
    '4',
    '--context',
    '32',
    '--steps',
    '150',
    '--batch',
    '8',
    '--out',
    SRC,
    '--quiet',
    '--backend',
    'js',
  ]);
}, 120_000);

describe('shareformer inspect', () => {
  it('compares every pair of layers as JSON and draws the heatmaps', () => {
    const chart = join(dir, 'inspect.svg');
    const r = run('inspect', '--checkpoint', SRC, '--data', DATA, '--windows', '8', '--json', '--chart', chart);
    expect(r.status, r.stderr).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.layers).toBe(4);
    expect(x.tokens).toBe(8 * 32);
    for (const m of [x.keys.cka, x.values.cka, x.attentionJs, x.weights.mean])
      expect(m.map((row: unknown[]) => row.length)).toEqual([4, 4, 4, 4]);
    expect(x.heads.map((h: { layer: number }) => h.layer)).toEqual([0, 1, 2, 3]);
    expect(readFileSync(chart, 'utf8')).toMatch(/^<svg[\s\S]*keys: linear CKA/);
  });
});

describe('shareformer convert', () => {
  it('converts to CLA with fewer KV bytes, reports the losses, and uptraining recovers part of the gap', () => {
    const s = convertJson(SRC, 'cla', '--share-kv', 'cla:2', '--uptrain', '40');
    expect(s.kv_bytes_per_token).toBe(s.kv_bytes_per_token_before / 2);
    expect(s.parameters).toBeLessThan(s.parameters_before);
    expect(s.loss_converted).toBeGreaterThan(s.loss_before);
    expect(s.loss_uptrained).toBeLessThan(s.loss_converted);
    const ev = run('eval', '--checkpoint', join(dir, 'cla'), '--data', DATA, '--json');
    expect(ev.status, ev.stderr).toBe(0);
  });

  it('shares weights with the sets’ means, printing what it did', () => {
    const r = convert(SRC, 'cycle', '--share-weights', 'cycle:2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/attention set 0: mean of layers 0, 2/);
    expect(r.stderr).toMatch(/calibration loss: \d\.\d{4} before, \d\.\d{4} right after conversion/);
  });

  it('searches a K/V map on the calibration text that keeps half the producers', () => {
    const s = convertJson(SRC, 'search', '--share-kv', 'search:0.5');
    expect(s.kv_bytes_per_token).toBe(s.kv_bytes_per_token_before / 2);
    expect(s.search[0].map.filter((p: number, l: number) => p === l)).toHaveLength(2);
    expect(s.changes.shareKv).toEqual(s.search[0].map);
    expect(s.loss_converted).toBeCloseTo(s.search[0].loss, 10);
    expect(convert(SRC, 'x', '--share-kv', 'search:2').stderr).toMatch(
      /--share-kv search:2: B is the fraction of layers that keep their own, 0 < B ≤ 1/,
    );
  });

  it('converts a model imported from Hugging Face (GPT-2 layout, BPE tokenizer) too', () => {
    const imported = join(dir, 'hf');
    expect(run('import', '--from', join(ROOT, 'fixtures', 'hf', 'gpt2-hub'), '--out', imported).status).toBe(0);
    const s = convertJson(imported, 'hf-cla', '--share-kv', 'cla:2');
    expect(s.kv_bytes_per_token).toBe(s.kv_bytes_per_token_before / 2);
    expect(Number.isFinite(s.loss_converted)).toBe(true);
  });

  it('refuses what cannot be reached, names the rule, and writes nothing', () => {
    const out = join(dir, 'refused');
    const bad = convert(SRC, 'refused', '--kv-heads', '3');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/kvHeads/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(out)).toBe(false);
    expect(convert(SRC, 'refused').stderr).toMatch(/no change to the sharing plan/);
    const tiny = join(dir, 'tiny.txt');
    writeFileSync(tiny, 'To be, or not');
    expect(run('convert', '--checkpoint', SRC, '--out', out, '--data', tiny, '--share-kv', 'cla:2').stderr).toMatch(
      /tiny\.txt: \d+ tokens are too few for a calibration window/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
