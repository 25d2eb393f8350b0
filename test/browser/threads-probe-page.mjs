// Runs test/browser/threads-probe.ts in Chromium: bundles it, serves it from a cross-origin-isolated
// page (so SharedArrayBuffer and wasm threads exist) and runs it once per entry of `threads`, each in
// its own module Worker, one after another. Shared by test/playground.test.ts (each thread's rows
// right) and scripts/playground-speed.mjs (what the second thread gains).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PROBE = fileURLToPath(new URL('threads-probe.ts', import.meta.url));

/**
 * @param {import('playwright-core').Browser} browser
 * @param {number[]} threads wasm threads of each run, in order
 * @param {(message: string) => void} [onPageError]
 * @returns {Promise<{ threads: number; notice: string | null; gflops: number; worst: number }[]>}
 */
export async function runThreadsProbe(browser, threads, onPageError) {
  const dir = mkdtempSync(join(tmpdir(), 'threads-probe-'));
  await build({
    entryPoints: [PROBE],
    bundle: true,
    format: 'esm',
    outfile: join(dir, 'probe.js'),
    logLevel: 'silent',
  });
  const html = `<script type="module">
    const run = (t) => new Promise((r) => { const w = new Worker('./probe.js', { type: 'module' }); w.onmessage = (e) => { r(e.data); w.terminate(); }; w.postMessage(t); });
    window.results = (async () => { const out = []; for (const t of ${JSON.stringify(threads)}) out.push(await run(t)); return out; })();
  </script>`;
  const server = createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (req.url === '/probe.js')
      res.setHeader('Content-Type', 'text/javascript').end(readFileSync(join(dir, 'probe.js')));
    else if (req.url === '/') res.setHeader('Content-Type', 'text/html').end(html);
    else res.writeHead(204).end();
  }).listen(0);
  await new Promise((r) => server.once('listening', r));
  try {
    const tab = await browser.newPage();
    if (onPageError) tab.on('pageerror', (e) => onPageError(e.message));
    await tab.goto(`http://localhost:${server.address().port}/`);
    const results = await tab.evaluate('window.results');
    await tab.close();
    return results;
  } finally {
    server.close();
  }
}
