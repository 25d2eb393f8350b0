// Test support for command-line suites: the built `shareformer` binary run in a child process,
// and a temporary directory removed after the suite.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/shareformer.js', import.meta.url));

/** A model and data small enough for a command to run in a second: 2 layers, d 32, 2 heads, context 32, batch 4, on synthetic:copy. */
export const TINY_RUN = [
  '--data',
  'synthetic:copy',
  '--layers',
  '2',
  '--d-model',
  '32',
  '--heads',
  '2',
  '--context',
  '32',
  '--batch',
  '4',
];

/** Runs the command to completion; stdout and stderr as text. */
export const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

/** Starts the command in the background (for signals and kills). */
export const startCli = (...args: string[]) =>
  spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

/** A fresh temporary directory, removed when the calling suite ends. */
export function suiteDir(prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), `shareformer-${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
