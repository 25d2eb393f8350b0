// Training runs under faults: Ctrl-C saves and exits, a second Ctrl-C exits at once, kills in a row
// lose nothing and never repeat a logged step, two runs cannot share a directory, a diverging run
// stops at the step that diverged, and changed data or impossible sizes are refused up front.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, suiteDir, startCli, TINY_RUN } from '../testing/cli.js';
import { loadCheckpoint } from '../io/checkpoint.js';

const root = suiteDir('faults');

const start = startCli;
const SMALL = [...TINY_RUN, '--eval-every', '0', '--eval-windows', '4', '--backend', 'js'];
const records = (dir: string) =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const stepRecords = (dir: string) => records(dir).filter((r) => r.type === 'step');

/** Resolves with the exit code (or signal) and stderr once the child exits. */
const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
/** Waits until the run has logged at least `n` steps. */
const untilSteps = async (dir: string, n: number) => {
  for (let i = 0; i < 600; i++) {
    if (existsSync(join(dir, 'log.jsonl')) && readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n').length > n)
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${dir}: no ${n} steps logged in 30 s`);
};

describe('Ctrl-C', () => {
  it('saves and exits with 130 within a step or two, and the run resumes', async () => {
    const dir = join(root, 'sigint');
    const p = start('train', ...SMALL, '--steps', '100000', '--out', dir);
    const done = exited(p);
    await untilSteps(dir, 3);
    const sentAt = performance.now();
    p.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(performance.now() - sentAt).toBeLessThan(5_000);
    expect(r.stderr).toMatch(/interrupted at step (\d+); checkpoint saved\. Continue with: shareformer train --resume/);
    const saved = loadCheckpoint(dir, { trainer: true }).trainer!.step;
    expect(saved).toBe(stepRecords(dir).length);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  }, 60_000);

  it('a second Ctrl-C exits at once without saving, leaving the last checkpoint loadable', async () => {
    const dir = join(root, 'sigint2');
    const p = start('train', ...SMALL, '--steps', '100000', '--checkpoint-every', '2', '--out', dir);
    const done = exited(p);
    await untilSteps(dir, 4);
    p.kill('SIGINT');
    p.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(() => loadCheckpoint(dir)).not.toThrow();
  }, 60_000);
});

describe('kills in a row', () => {
  it('resume after each SIGKILL onto the uninterrupted loss curve, never logging a step twice', async () => {
    const flags = [...SMALL, '--steps', '40', '--checkpoint-every', '1', '--dropout', '0.1', '--share-kv', 'cla:2'];
    const whole = join(root, 'whole'),
      killed = join(root, 'killed');
    expect(cli('train', ...flags, '--quiet', '--out', whole).status).toBe(0);
    let p = start('train', ...flags, '--out', killed);
    for (let round = 0; round < 4; round++) {
      const done = exited(p);
      await untilSteps(killed, 5 + 6 * round);
      p.kill('SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
      p = start('train', '--resume', killed);
    }
    expect((await exited(p)).code).toBe(0);
    const steps = stepRecords(killed).map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(stepRecords(killed).map((r) => r.loss)).toEqual(stepRecords(whole).map((r) => r.loss));
  }, 120_000);
});

describe('one run per directory', () => {
  it('a second run on the same --out is refused and told who holds it', async () => {
    const dir = join(root, 'locked');
    const p = start('train', ...SMALL, '--steps', '100000', '--out', dir);
    const done = exited(p);
    await untilSteps(dir, 1);
    const second = cli('train', ...SMALL, '--steps', '5', '--out', dir, '--force');
    expect(second.status).not.toBe(0);
    expect(second.stderr).toMatch(
      new RegExp(`locked is in use by another run \\(pid ${p.pid} on .*, since .*: .*train`),
    );
    p.kill('SIGINT');
    expect((await done).code).toBe(130);
  }, 60_000);
});

describe('a diverging run', () => {
  it('stops at the step whose loss is not finite, keeps the last finite state, exits non-zero', () => {
    const dir = join(root, 'nan');
    const r = cli('train', ...SMALL, '--steps', '20', '--lr', '1e9', '--warmup', '0', '--out', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /shareformer: step (\d+): the loss is \S+ and the gradient norm \S+; training diverged .* holds step \d+, the last finite state; lower --lr \(now 1000000000\)/,
    );
    const step = Number(/step (\d+): the loss/.exec(r.stderr)![1]);
    const ckpt = loadCheckpoint(dir, { trainer: true });
    expect(ckpt.trainer!.step).toBe(step - 1);
    expect(ckpt.lm.parameters().every((p) => p.data.every(Number.isFinite))).toBe(true);
  });

  it('eval refuses a checkpoint whose weights are not finite, naming the tensor', () => {
    const dir = join(root, 'nanweights');
    expect(cli('train', ...SMALL, '--steps', '2', '--quiet', '--out', dir).status).toBe(0);
    const file = join(dir, 'checkpoint', 'model.safetensors');
    const bytes = readFileSync(file);
    bytes.writeFloatLE(NaN, bytes.length - 4); // the last value of the last tensor
    writeFileSync(file, bytes);
    const r = cli('eval', '--checkpoint', dir, '--data', 'synthetic:copy');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/model\.safetensors: tensor "[\w.]+" holds NaN at index \d+; the weights are not finite/);
  });
});

describe('refused before anything is allocated', () => {
  it('resuming on data that changed', () => {
    const data = join(root, 'text.txt');
    writeFileSync(data, 'the quick brown fox jumps over the lazy dog. '.repeat(40));
    const dir = join(root, 'changed');
    expect(
      cli('train', ...SMALL, '--data', data, '--steps', '4', '--stop-at', '2', '--quiet', '--out', dir).status,
    ).toBe(0);
    writeFileSync(data, 'the quick brown fox jumps over the lazy cat. '.repeat(40));
    const r = cli('train', '--resume', dir, '--quiet');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /text\.txt changed since the checkpoint was saved \(SHA-256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\)/,
    );
  });

  it('a batch that cannot fit in memory, with the estimate', () => {
    const started = performance.now();
    const r = cli(
      'train',
      ...SMALL,
      '--context',
      '512',
      '--batch',
      '200000',
      '--steps',
      '1',
      '--out',
      join(root, 'huge'),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /training this model with --batch 200000 needs about [\d.]+ (GiB|TiB), but only [\d.]+ GiB is available; lower --batch/,
    );
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('an unknown key in --config', () => {
    const cfg = join(root, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ layers: 2, learningRate: 0.1 }));
    const r = cli('train', ...SMALL, '--config', cfg, '--out', join(root, 'cfg'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--config .*cfg\.json: unknown field "learningRate" \(known: .*lr/);
  });

  it('a config.json with 10^8 vocabulary or a million layers, at once', () => {
    const dir = join(root, 'sizes');
    expect(cli('train', ...SMALL, '--steps', '1', '--quiet', '--out', dir).status).toBe(0);
    const path = join(dir, 'checkpoint', 'config.json');
    const original = readFileSync(path, 'utf8');
    for (const [field, value] of [
      ['vocabSize', 1e8],
      ['layers', 1e6],
      ['normEps', '0.1'],
    ] as const) {
      const c = JSON.parse(original);
      c.model[field] = value;
      writeFileSync(path, JSON.stringify(c));
      const started = performance.now();
      const r = cli('eval', '--checkpoint', dir, '--data', 'synthetic:copy');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`config\\.json: model: config\\.${field}: `));
      expect(performance.now() - started).toBeLessThan(10_000);
    }
  });
});
