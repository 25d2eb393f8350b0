// The run directory's lock and log: a second holder is refused with the first one's identity, a
// lock left by a dead process is taken over, a log append that fails leaves no partial line, and a
// resumed run's log is cut back to the checkpoint's step.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockRunDir, RunLog, truncateLog } from './run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'shareformer-rundir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the run lock', () => {
  it('refuses a second holder, naming the first, and is released', () => {
    const dir = join(root, 'run');
    const release = lockRunDir(dir);
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`run is in use by another run \\(pid ${process.pid} on `));
    release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    lockRunDir(dir)();
  });

  it('takes over a lock whose process is gone', () => {
    const dir = join(root, 'stale');
    lockRunDir(dir)();
    writeFileSync(
      join(dir, '.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'then', command: 'x' }),
    );
    const release = lockRunDir(dir);
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
    release();
  });
});

describe('the log', () => {
  it('a failed append (a full disk) says so and names the file', () => {
    const log = new RunLog('/dev/full', false);
    expect(() => log.append({ step: 1 })).toThrow(/\/dev\/full: cannot append \(the disk is full\)/);
    log.close();
  });

  it('a resumed run keeps only the records up to its checkpoint, and drops a torn last line', () => {
    const path = join(root, 'log.jsonl');
    const lines = [1, 2, 3, 4].map((step) => JSON.stringify({ type: 'step', step }));
    writeFileSync(path, `${lines.join('\n')}\n{"type":"st`);
    truncateLog(path, 2);
    expect(readFileSync(path, 'utf8')).toBe(`${lines.slice(0, 2).join('\n')}\n`);
  });
});
