#!/usr/bin/env node
// Builds the native backend (native/*.c + OpenBLAS) with node-gyp. Runs at `npm install`
// and from `shareformer setup native`. Never fails the install: without a compiler or OpenBLAS the
// library falls back to another backend and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

/** Node's own headers, so node-gyp does not try to download them. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function finish(ok, reason) {
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(
    join(root, 'build', 'native-status.json'),
    `${JSON.stringify({ ok, reason, at: new Date().toISOString() })}\n`,
  );
  if (ok) console.error('shareformer: native backend built (OpenBLAS).');
  else
    console.error(
      `shareformer: native backend not built: ${reason}\n  The library still works (wasm/js backends). Install a C compiler and OpenBLAS (Debian: apt-get install build-essential libopenblas-dev), then run: npx shareformer setup native`,
    );
  process.exit(ok || !strict ? 0 : 1);
}

const gyp = nodeGyp();
if (!gyp) finish(false, 'node-gyp was not found next to npm');
const args = [gyp, 'rebuild', '--release'];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
if (r.status === 0 && existsSync(join(root, 'build', 'Release', 'shareformer_native.node'))) finish(true, null);
const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
const cause =
  /cblas\.h|openblas/i.test(log) && /No such file|cannot find/i.test(log)
    ? 'OpenBLAS (cblas.h / libopenblas) was not found'
    : /not found: (make|g\+\+|cc|gcc)|gyp ERR! stack Error: not found/i.test(log)
      ? 'no C compiler or make was found'
      : `node-gyp failed (${(log.split('\n').find((l) => /error/i.test(l)) ?? 'see the build output').trim()})`;
finish(false, cause);
