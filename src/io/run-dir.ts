// Node-only: a training run's directory. A lock file held for the run's lifetime keeps a second
// run out (and says who holds it); the JSONL log is appended a whole line at a time and, when a
// run resumes, cut back to the checkpoint's step so that no step is logged twice.
import {
  closeSync,
  existsSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/.lock` (created exclusively); a lock left by a dead process on this host is taken over. */
export function lockRunDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, '.lock');
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify(info)}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
        process.removeListener('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new RunDirError(`${path}: cannot create the lock file (${(e as Error).message})`);
    }
    let holder: Partial<LockInfo> = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      /* a lock being written right now, or damaged: treat as held */
    }
    const stale = holder.host === info.host && typeof holder.pid === 'number' && !isAlive(holder.pid);
    if (!stale) {
      throw new RunDirError(
        `${dir} is in use by another run (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.started ?? '?'}: ${holder.command ?? '?'}); wait for it to finish, or remove ${path} if that process is gone`,
      );
    }
    rmSync(path, { force: true }); // its owner died without releasing it
  }
  throw new RunDirError(`${path}: another run took the lock at the same moment`);
}

/** An append-only JSONL log that never keeps a partial line: a failed write is cut back off. */
export class RunLog {
  private readonly fd: number;

  constructor(
    readonly path: string,
    fresh: boolean,
  ) {
    this.fd = openSync(path, fresh ? 'w' : 'a');
  }

  append(record: object): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    const size = fstatSync(this.fd).size;
    try {
      let off = 0;
      while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
    } catch (e) {
      try {
        ftruncateSync(this.fd, size);
      } catch {
        /* the line could not be cut back; the reader skips a line that does not parse */
      }
      const code = (e as NodeJS.ErrnoException).code;
      throw new RunDirError(
        `${this.path}: cannot append (${code === 'ENOSPC' ? 'the disk is full' : (e as Error).message})`,
      );
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Keeps the log records of steps up to `step` (a resumed run replays the steps after its
 * checkpoint, so their records would appear twice) and drops a partial last line.
 */
export function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let rec: { step?: unknown };
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof rec.step !== 'number' || rec.step <= step) kept.push(line);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, kept.map((l) => `${l}\n`).join(''));
  closeSync(fd);
  renameSync(tmp, path);
}
