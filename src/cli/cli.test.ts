// The shareformer command as a user runs it: help, the verify job, and clear errors for bad input.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/shareformer.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('shareformer CLI', () => {
  it('lists its commands in --help', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: shareformer/);
    expect(r.stdout).toMatch(/verify \[options\]/);
  });

  it('verify passes every PyTorch check and reports them as JSON', () => {
    const out = JSON.parse(execFileSync(process.execPath, [BIN, 'verify', '--json'], { encoding: 'utf8' }));
    expect(out.passed).toBe(true);
    expect(out.checks.length).toBeGreaterThan(150);
    expect(out.checks.every((c: { diff: number; tolerance: number }) => c.diff <= c.tolerance)).toBe(true);
  });

  it('demo: every model learns the task and is scored on problems it never saw', () => {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--json'], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.plan)).toEqual([
      'baseline (no sharing)',
      'weights all (ALBERT)',
      'MQA (1 KV head)',
      'CLA:2 + 2 KV heads',
      'attention group:2',
    ]);
    for (const row of rows) {
      expect(row.held_out_exact, row.plan).toBeGreaterThanOrEqual(0.9);
      expect(row.learned_at_step, row.plan).not.toBeNull();
      expect(row.held_out_problems).toBe(200);
    }
    expect(rows[1].parameters).toBeLessThan(0.6 * rows[0].parameters);
    expect(rows[2].kv_bytes_per_token).toBe(rows[0].kv_bytes_per_token / 4);
    expect(rows[3].kv_bytes_per_token).toBe(rows[0].kv_bytes_per_token / 4);
  });

  it('demo without a terminal prints a line per model as it finishes, then the table', () => {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--steps', '25'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const done = lines.filter((l) => l.startsWith('done: '));
    expect(done).toHaveLength(5);
    const table = lines.findIndex((l) => l.startsWith('plan '));
    expect(table).toBeGreaterThan(lines.indexOf(done[4]!));
    expect(r.stdout).toMatch(
      /what each kind of sharing buys and costs here:\n {2}weights all \(ALBERT\): 0\.5\d× the parameters/,
    );
    expect(r.stdout).toMatch(/shareformer sweep --data FILE/);
    // The commands it suggests next work as printed (those that need no file of the user's).
    const next = lines
      .filter((l) => l.startsWith('  shareformer ') && !l.includes(' FILE'))
      .map((l) => l.trim().split(/ {3}\(/)[0]!);
    expect(next.length).toBeGreaterThanOrEqual(2);
    for (const command of next) {
      const args = [...command.slice('shareformer '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
      const run = cli(...args);
      expect(run.status, `${command}\n${run.stderr}`).toBe(0);
    }
  });

  it('rejects a malformed SHAREFORMER_THREADS instead of quietly using the default', () => {
    const r = spawnSync(process.execPath, [BIN, 'verify'], {
      encoding: 'utf8',
      env: { ...process.env, SHAREFORMER_THREADS: 'two' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/SHAREFORMER_THREADS=two: expected a whole number of threads from 1 to 64/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('rejects an unknown command and an unknown backend with one clear line and a non-zero exit', () => {
    const unknown = cli('trian');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command 'trian'/);
    const backend = cli('verify', '--backend', 'cuda');
    expect(backend.status).not.toBe(0);
    expect(backend.stderr).toMatch(/argument 'cuda' is invalid.*Allowed choices are native, wasm, js/);
    expect(backend.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
