import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, suiteDir, TINY_RUN } from '../testing/cli.js';

const root = suiteDir('cli');

const SMALL = [...TINY_RUN, '--eval-every', '5', '--eval-windows', '8', '--quiet'];
const stepLosses = (dir: string) =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type !== 'summary')
    .map((r) => [r.type, r.step, r.loss ?? r.val_loss]);

describe('train', () => {
  it('resumes an interrupted run onto a bit-identical loss curve (with dropout and a shared plan)', () => {
    const flags = [...SMALL, '--steps', '12', '--dropout', '0.1', '--share-kv', 'cla:2', '--share-weights', 'all'];
    const whole = join(root, 'whole'),
      parts = join(root, 'parts');
    expect(cli('train', ...flags, '--out', whole).status).toBe(0);
    expect(cli('train', ...flags, '--out', parts, '--stop-at', '7').status).toBe(0);
    const resumed = cli('train', '--resume', parts, '--quiet');
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(stepLosses(parts)).toEqual(stepLosses(whole));
    expect(stepLosses(whole).filter(([t]) => t === 'step')).toHaveLength(12);
  });

  it('refuses to overwrite an existing run unless told to', () => {
    const dir = join(root, 'whole');
    const r = cli('train', ...SMALL, '--steps', '2', '--out', dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /whole already holds a run; continue it with --resume .*whole, or pass --force to start over/,
    );
    expect(cli('train', ...SMALL, '--steps', '2', '--out', join(root, 'forced'), '--force').status).toBe(0);
  });

  it('prints a JSON summary with tokens_per_s, then eval and generate use the checkpoint', () => {
    const out = join(root, 'json');
    const r = cli('train', ...SMALL, '--steps', '4', '--out', out, '--json');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ steps: 4, parameters: expect.any(Number), kv_bytes_per_token: 2 * 2 * 32 * 4 });
    expect(s.tokens_per_s).toBeGreaterThan(0);
    expect(s.final_val_loss).toBeGreaterThan(0);
    const ev = cli('eval', '--checkpoint', out, '--data', 'synthetic:copy', '--json', '--max-windows', '8');
    expect(ev.status).toBe(0);
    expect(JSON.parse(ev.stdout).perplexity).toBeCloseTo(Math.exp(JSON.parse(ev.stdout).loss), 6);
    const gen = cli('generate', '--checkpoint', out, '--prompt', 'abc>', '--max-tokens', '10', '--json', '--seed', '3');
    expect(gen.status).toBe(0);
    const g = JSON.parse(gen.stdout);
    expect(g.new_tokens).toBe(10);
    expect(g.kv_cache_bytes).toBe(g.kv_cache_bytes_analytical);
    expect(g.tokens_per_s).toBeGreaterThan(0);
  });
});

describe('bad input: one clear line, non-zero exit, no stack trace', () => {
  const empty = join(root, 'empty.txt'),
    short = join(root, 'short.txt');
  writeFileSync(empty, '  \n');
  writeFileSync(short, 'just a few words');
  const run = join(root, 'json');
  it.each<[string, string[], RegExp]>([
    [
      'missing data',
      ['train', ...SMALL, '--data', join(root, 'nope.txt'), '--out', join(root, 'x1')],
      /nope\.txt: no such file or directory/,
    ],
    ['empty data', ['train', ...SMALL, '--data', empty, '--out', join(root, 'x2')], /empty\.txt: the text is empty/],
    [
      'text shorter than the context',
      ['train', ...SMALL, '--data', short, '--out', join(root, 'x3')],
      /short\.txt: 16 tokens is too short for context 32/,
    ],
    [
      'unknown sharing strategy',
      ['train', ...SMALL, '--share-weights', 'zigzag:2', '--out', join(root, 'x4')],
      /config\.shareWeights: unknown strategy "zigzag:2"/,
    ],
    [
      'heads not divisible by kvHeads',
      ['train', ...SMALL, '--kv-heads', '3', '--out', join(root, 'x5')],
      /config\.kvHeads: heads 2 is not divisible by kvHeads 3/,
    ],
    [
      'a bad number',
      ['train', ...SMALL, '--steps', 'ten'],
      /option '--steps <n>' argument 'ten' is invalid\. expected an integer ≥ 1/,
    ],
    [
      'missing checkpoint',
      ['generate', '--checkpoint', join(root, 'nothing'), '--prompt', 'a'],
      /nothing: no such directory/,
    ],
  ])('%s', (_name, args, message) => {
    const r = cli(...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('characters never seen in training become the unknown token, counted in the report', () => {
    const unseen = join(root, 'unseen.txt');
    writeFileSync(unseen, 'just a few words, none of them copy-task text. '.repeat(4));
    const ev = cli('eval', '--checkpoint', run, '--data', unseen, '--json');
    expect(ev.status).toBe(0);
    const report = JSON.parse(ev.stdout);
    expect(report.unknown_chars).toBeGreaterThan(0);
    expect(Number.isFinite(report.loss)).toBe(true);
    const gen = cli('generate', '--checkpoint', run, '--prompt', 'xyz!', '--max-tokens', '3');
    expect(gen.status).toBe(0);
    expect(gen.stderr).toMatch(
      /--prompt: \d+ characters? \(.*"x".*\) not in the training text; the model sees the unknown token/,
    );
  });

  it('a corrupt checkpoint is reported and left as it was', () => {
    const model = join(run, 'checkpoint', 'model.safetensors');
    const good = readFileSync(model);
    writeFileSync(model, good.subarray(0, 100));
    const r = cli('generate', '--checkpoint', run, '--prompt', 'abc');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/model\.safetensors: .*the file is damaged/);
    expect(readFileSync(model).length).toBe(100);
    writeFileSync(model, good);
  });
});
