#!/usr/bin/env node
// The shareformer command. The TypeScript sources compile to dist/ on `npm ci` / `npm install`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('shareformer: dist/ is missing. Run `npm run build` (or `npm ci`) in the package directory first.');
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
