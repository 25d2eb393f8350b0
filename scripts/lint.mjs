#!/usr/bin/env node
// Formatting and lint checks for every language in the repository: Biome for TypeScript and
// JSON (format and lint), clang-format for the C of native/, black for the Python. Run by
// `npm test`. A formatter that is not installed is reported and skipped (CI installs them all);
// `--fix` rewrites files instead of checking them.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const fix = process.argv.includes('--fix');
const cSources = readdirSync('native')
  .filter((f) => /\.[ch]$/.test(f))
  .map((f) => join('native', f));
const python = ['python'];

const checks = [
  { tool: 'biome', cmd: 'npx', args: fix ? ['biome', 'check', '--write', '.'] : ['biome', 'ci', '.'] },
  {
    tool: 'clang-format',
    cmd: 'clang-format',
    args: fix ? ['-i', ...cSources] : ['--dry-run', '-Werror', ...cSources],
    install: 'apt-get install clang-format',
  },
  {
    tool: 'black',
    cmd: 'black',
    args: fix ? ['-q', '-l', '120', ...python] : ['--check', '-q', '-l', '120', ...python],
    install: 'apt-get install black',
  },
];

let failed = false;
for (const { tool, cmd, args, install } of checks) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error?.code === 'ENOENT') {
    console.error(`lint: ${tool} is not installed, so its files were not checked (${install})`);
    continue;
  }
  if (r.status !== 0) {
    console.error(`lint: ${tool} found problems${fix ? '' : ' (npm run lint:fix rewrites the formatting)'}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
