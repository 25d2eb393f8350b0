// Node-only: a directory replaced atomically, so that any sequence of kills leaves the newest
// complete version readable. A version is written to `<dir>.tmp-<pid>`, synced, and renamed to
// `<dir>.new`; from then on it is complete, and the swap `<dir>` → `<dir>.old`, `<dir>.new` →
// `<dir>` finishes it. Readers take `<dir>.new`, else `<dir>`, else `<dir>.old`: each exists only
// while complete. The next write (or `recoverDir`) finishes an interrupted swap before it starts.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Called before every file-system step of a write with the step's name. Tests use it to inject a
 * kill or a full disk at each step; it must not be used to change what is written.
 */
export type FsStepHook = (step: string) => void;

const noHook: FsStepHook = () => {};

/** The complete version a reader should use, or null if there is none. */
export function completeVersion(dir: string): string | null {
  for (const candidate of [`${dir}.new`, dir, `${dir}.old`]) if (existsSync(candidate)) return candidate;
  return null;
}

/** Writes every byte (writeSync may write fewer than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes a file and flushes it to disk before returning. */
export function writeDurable(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file whole or not at all: a temporary beside it, flushed, then renamed over it. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeDurable(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path) || '.');
}

export function syncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* directories cannot be synced on every platform; the renames are still atomic */
  }
}

/** Temporary directories left by writes that were killed before they completed. */
function staleTemporaries(dir: string): string[] {
  const prefix = `${basename(dir)}.tmp-`;
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .filter((f) => f.startsWith(prefix))
    .map((f) => join(parent, f));
}

function finishSwap(dir: string, hook: FsStepHook): void {
  const parent = dirname(dir);
  if (existsSync(dir)) {
    hook('remove stale .old');
    rmSync(`${dir}.old`, { recursive: true, force: true });
    hook('rename dir to .old');
    renameSync(dir, `${dir}.old`);
  }
  hook('rename .new to dir');
  renameSync(`${dir}.new`, dir);
  syncDir(parent);
  hook('remove .old');
  rmSync(`${dir}.old`, { recursive: true, force: true });
}

/**
 * Brings `dir` to a clean state after any interrupted write: finishes a swap, restores `<dir>`
 * from `<dir>.old` when only that is left, and removes stale temporary directories.
 */
export function recoverDir(dir: string, hook: FsStepHook = noHook): void {
  for (const tmp of staleTemporaries(dir)) {
    hook('remove stale temporary');
    rmSync(tmp, { recursive: true, force: true });
  }
  if (existsSync(`${dir}.new`)) finishSwap(dir, hook);
  else if (!existsSync(dir) && existsSync(`${dir}.old`)) {
    hook('restore .old');
    renameSync(`${dir}.old`, dir);
  } else if (existsSync(`${dir}.old`)) {
    hook('remove .old');
    rmSync(`${dir}.old`, { recursive: true, force: true });
  }
}

/**
 * Replaces `dir` with a new version whose files `fill(tmp)` writes. If `fill` fails (a full disk,
 * say), its partial directory is removed and the previous version stays.
 */
export function replaceDir(dir: string, fill: (tmp: string) => void, hook: FsStepHook = noHook): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverDir(dir, hook);
  const tmp = `${dir}.tmp-${process.pid}`;
  hook('create temporary');
  mkdirSync(tmp);
  try {
    fill(tmp);
    syncDir(tmp);
  } catch (e) {
    if (!(e instanceof SimulatedKill)) rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  hook('rename temporary to .new');
  renameSync(tmp, `${dir}.new`);
  syncDir(parent);
  finishSwap(dir, hook);
}

/** Thrown by test hooks to stop a write as a kill would: nothing is cleaned up after it. */
export class SimulatedKill extends Error {
  constructor(step: string) {
    super(`simulated kill before "${step}"`);
    this.name = 'SimulatedKill';
  }
}
