// The playground in a real browser (Debian's Chromium driven by playwright-core), served from the
// built site as a static host would serve it. Fails on any console error; screenshots go to
// test-output/playground/ (not committed).
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGgufHeader } from '../src/io/gguf/gguf-file.js';
import { exportOnnx } from '../src/io/onnx/decoder.js';
import { TransformerLM } from '../src/model/transformer.js';
import { noGrad } from '../src/tensor/tensor.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runThreadsProbe } from './browser/threads-probe-page.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'playground');
const BIN = join(ROOT, 'bin', 'shareformer.js');
const why = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
  : null;
if (why) console.warn(`playground browser tests skipped: ${why}`);

async function serve(isolated: boolean): Promise<{ server: PreviewServer; url: string }> {
  // Without the config file the server sends no COOP/COEP headers: a host that was not set up for threads.
  const server = await preview({
    ...(isolated
      ? { configFile: join(ROOT, 'playground', 'vite.config.ts') }
      : { configFile: false as const, root: join(ROOT, 'playground'), build: { outDir: 'dist' } }),
    preview: { port: 0, strictPort: false },
    logLevel: 'silent',
  });
  return { server, url: server.resolvedUrls!.local[0]!.replace(/\/$/, '') };
}

/** The built site is missing or older than a source file of the page or the library (a stale build fails for no reason). */
function siteIsStale(): boolean {
  const built = join(ROOT, 'playground', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  const sources = Math.max(
    newest(join(ROOT, 'src')),
    newest(join(ROOT, 'playground', 'src')),
    statSync(join(ROOT, 'playground', 'index.html')).mtimeMs,
  );
  return sources > statSync(built).mtimeMs;
}

describe.skipIf(why !== null)('playground in Chromium', () => {
  let browser: Browser;
  let site: { server: PreviewServer; url: string };
  const errors: string[] = [];

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${path}: ${e.message}`));
    await page.goto(`${site.url}${path}`);
    await page.waitForFunction(() => document.querySelector('[data-testid=backend]')?.textContent?.includes('backend'));
    return page;
  }

  beforeAll(async () => {
    if (process.env.CI || siteIsStale())
      execFileSync('npm', ['run', 'build:playground'], { cwd: ROOT, stdio: 'ignore' });
    mkdirSync(SHOTS, { recursive: true });
    site = await serve(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.server.close();
    expect(errors).toEqual([]);
  });

  it('trains a 30-step run from a URL: the validation loss falls, on wasm with 2 threads', async () => {
    const page = await open('/?layers=2&d-model=64&share-kv=cla:2&steps=30&autostart');
    await expect.poll(() => page.getByTestId('backend').textContent()).toMatch(/^wasm backend, 2 threads/);
    await page.getByTestId('val-loss').filter({ hasText: /\d/ }).waitFor({ timeout: 90_000 });
    const final = Number(await page.getByTestId('val-loss').textContent());
    const initial = Number(await page.getByTestId('val-loss').getAttribute('data-initial'));
    expect(initial).toBeGreaterThan(3.5); // ln 65 ≈ 4.17 before training
    expect(final).toBeLessThan(initial - 0.5);
    expect(await page.getByTestId('runs').locator('tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'trained.png'), fullPage: true });
    await page.close();
  });

  it('shows the plan’s own error beside the field and refuses to train it', async () => {
    const page = await open('/?layers=4&share-kv=cla:5');
    await expect.poll(() => page.locator('[data-error-for=share-kv]').textContent()).toMatch(/shareKv|cla/);
    expect(await page.getByTestId('train').isDisabled()).toBe(true);
    await page.getByTestId('field-share-kv').fill('cla:2');
    await expect.poll(() => page.locator('[data-error-for=share-kv]').textContent()).toBe('');
    expect(await page.getByTestId('analysis').textContent()).toMatch(/KV cache per token/);
    expect(await page.getByTestId('diagram').textContent()).toMatch(/K\/V ← L0/);
    expect(page.url()).toContain('share-kv=cla%3A2');
    await page.close();
  });

  it('pauses, resumes and stops a run from the buttons; a stopped run still reports its validation loss', async () => {
    const page = await open('/?layers=2&d-model=32&heads=2&steps=2000');
    await page.getByTestId('train').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/step [1-9]\d*\/2000/);
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/paused at step (\d+)/);
    const at = Number(/paused at step (\d+)/.exec((await page.getByTestId('status').textContent())!)![1]);
    await page.waitForTimeout(300);
    expect(await page.getByTestId('status').textContent()).toMatch(new RegExp(`paused at step ${at}$`));
    await page.getByTestId('pause').click(); // now labelled Resume
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/step \d+\/2000, loss/);
    await page.getByTestId('stop').click();
    await page.getByTestId('val-loss').filter({ hasText: /\d/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('status').textContent()).toMatch(/stopped at step/);
    expect(await page.locator('[data-testid=runs] tbody tr td:nth-child(6)').textContent()).toBe('stopped');
    await page.close();
  });

  it('analyzes a real model from a link: cla:2 halves Llama-2-7B’s KV cache at 32k tokens', async () => {
    const page = await open('/?mode=analyze&preset=llama-2-7b&compare=share-kv=cla:2&analyze-context=32768');
    const rows = await page.getByTestId('rm-table').locator('tbody tr').allTextContents();
    expect(rows.find((r) => r.startsWith('KV cache at 32,768 tokens'))).toMatch(/8\.00 GiB16\.0 GiB0\.50×$/);
    await page.getByTestId('rm-plan').fill('kv-heads=5');
    await expect.poll(() => page.locator('#rm-error').textContent()).toMatch(/kvHeads/);
    await page.close();
  });

  it('overlays a second run, generates with a KV gauge, and downloads a checkpoint the CLI reads', async () => {
    const page = await open('/?layers=2&d-model=32&heads=2&steps=20&autostart');
    const done = (n: number) =>
      page.waitForFunction(
        (k) =>
          document.querySelectorAll('[data-testid=runs] tbody tr').length === k &&
          !/step|training/.test(
            document.querySelector('[data-testid=runs] tbody tr:last-child td:nth-child(6)')?.textContent ?? 'step',
          ),
        n,
        { timeout: 90_000 },
      );
    await done(1);
    await page.getByTestId('field-share-kv').fill('cla:2');
    await page.getByTestId('train').click();
    await done(2);
    const legend = await page.locator('#chart .u-legend').textContent();
    expect(legend).toMatch(/#1 no sharing train/);
    expect(legend).toMatch(/#2 share-kv=cla:2 val/);
    await page.getByTestId('gen-run').selectOption({ label: '#2 share-kv=cla:2' });
    await page.getByTestId('gen-prompt').fill('KING');
    await page.locator('#gen-tokens').fill('40');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('gen-output').textContent())!.length).toBeGreaterThan(10);
    expect(await page.getByTestId('kv-gauge').textContent()).toMatch(/reads L0/);
    await page.screenshot({ path: join(SHOTS, 'overlay-generate.png'), fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid^=download-]').last().click(),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'playground-'));
    const zip = join(dir, download.suggestedFilename());
    await download.saveAs(zip);
    const r = spawnSync(
      process.execPath,
      [BIN, 'generate', '--checkpoint', zip, '--prompt', 'KING', '--max-tokens', '20'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(10);
    // Runs outlive a reload: the table comes back from IndexedDB and a run generates from its stored files.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^=download-]').length === 2);
    await page.reload();
    await page.waitForFunction(() =>
      /backend/.test(document.querySelector('[data-testid=backend]')?.textContent ?? ''),
    );
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs] tbody tr').length === 2);
    await page.getByTestId('gen-run').selectOption({ label: '#1 no sharing' });
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('gen-output').textContent()).not.toMatch(/failed/);
    await page.close();
  });

  it('converts a trained run to the plan’s sharing and uptrains it, as shareformer convert does', async () => {
    const page = await open('/?layers=2&d-model=32&heads=2&steps=20&autostart');
    const status = (row: number) =>
      page.locator(`[data-testid=runs] tbody tr:nth-child(${row}) td:nth-child(6)`).textContent();
    await expect.poll(() => status(1), { timeout: 90_000 }).toBe('finished');
    await page.getByTestId('field-share-kv').fill('cla:2');
    await page.getByTestId('convert-from').selectOption({ label: '#1 no sharing' });
    await page.getByTestId('convert-steps').fill('10');
    await page.getByTestId('convert').click();
    await expect
      .poll(() => status(2), { timeout: 90_000 })
      .toMatch(/^finished \(from #1: \d\.\d{3} → \d\.\d{3} converted\)$/);
    const row = await page.locator('[data-testid=runs] tbody tr:nth-child(2)').textContent();
    expect(row).toMatch(/^#2 share-kv=cla:2 ← #1/);
    const kv = await page.locator('[data-testid=runs] tbody tr td:nth-child(3)').allTextContents();
    expect(kv[1]).not.toBe(kv[0]); // cla:2 holds half the K/V bytes of its source
    expect(Number(await page.getByTestId('val-loss').textContent())).toBeGreaterThan(0);
    // On the chart the uptraining continues where its source stopped (step 20), from the loss
    // right after conversion.
    const saved = (await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('shareformer-playground');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction('runs').objectStore('runs').getAll();
            all.onsuccess = () => resolve(all.result);
          };
        }),
    )) as Array<{
      label: string;
      train: Array<[number, number]>;
      val: Array<[number, number]>;
      conversion?: { after: number };
    }>;
    const converted = saved.find((r) => r.conversion)!;
    expect(converted.val[0]).toEqual([20, converted.conversion!.after]);
    expect(converted.train.map(([step]) => step)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    await page.screenshot({ path: join(SHOTS, 'converted.png'), fullPage: true });
    await page.close();
  });

  it('opens a checkpoint the CLI wrote, and names the damaged file when one is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'playground-cli-'));
    const run = join(dir, 'run');
    execFileSync(process.execPath, [
      BIN,
      'train',
      '--data',
      'synthetic:addition',
      '--steps',
      '5',
      '--layers',
      '2',
      '--d-model',
      '16',
      '--heads',
      '2',
      '--context',
      '16',
      '--share-weights',
      'all',
      '--out',
      run,
      '--quiet',
    ]);
    const ckpt = join(run, 'checkpoint', readdirSync(join(run, 'checkpoint')).find((d) => !d.startsWith('.')) ?? '');
    const source = existsSync(join(run, 'checkpoint', 'config.json')) ? join(run, 'checkpoint') : ckpt;
    const files = readdirSync(source)
      .filter((f) => /\.(json|safetensors)$/.test(f))
      .map((f) => join(source, f));
    const page = await open('/');
    await page.getByTestId('open-checkpoint').setInputFiles(files);
    await page.waitForFunction(() => /opened/.test(document.querySelector('[data-testid=runs]')?.textContent ?? ''));
    await page.getByTestId('gen-prompt').fill('12+');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    const broken = join(dir, 'config.json');
    writeFileSync(broken, readFileSync(join(source, 'config.json'), 'utf8').slice(0, 40));
    await page
      .getByTestId('open-checkpoint')
      .setInputFiles([broken, ...files.filter((f) => !f.endsWith('config.json'))]);
    await expect
      .poll(() => page.getByTestId('open-error').textContent())
      .toMatch(/^uploaded checkpoint\/config\.json: not valid JSON/);
    await page.close();
  });

  it("opens a Hugging Face model directory's files as an imported run that generates, and says what the import changed", async () => {
    const dir = fileURLToPath(new URL('../fixtures/hf/phi3-bf16/', import.meta.url));
    const files = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) =>
      join(dir, f),
    );
    const page = await open('/');
    await page.getByTestId('open-checkpoint').setInputFiles(files);
    await page.waitForFunction(() =>
      /Phi3ForCausalLM \(uploaded checkpoint\).*opened/.test(
        document.querySelector('[data-testid=runs]')?.textContent ?? '',
      ),
    );
    await expect
      .poll(() => page.getByTestId('open-note').textContent())
      .toMatch(/^Phi3ForCausalLM: vocab_size 400 exceeds the tokenizer's 384 tokens: the 16 extra embedding rows/);
    // Its whole architecture, the fields the plan builder has no input for included.
    await page.locator('[data-testid^=details-opened]').click();
    const config = await page.locator('[data-testid^=config-opened]').textContent();
    expect(config).toMatch(/vocabSize 400/);
    expect(config).toMatch(/positions rope/);
    expect(config).toMatch(/slidingWindow 16/);
    expect(config).toMatch(/norm rmsnorm/);
    await page.getByTestId('runs').screenshot({ path: join(SHOTS, 'opened-model-config.png') });
    await page.getByTestId('gen-prompt').fill('ROMEO');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('gen-output').textContent()).toMatch(/^ROMEO/);
    // Its window of 16 bounds the cache to 16 positions and a stride of 2, as it would the model
    // without GQA, so the gauge's ratio is GQA's alone: 2 KV heads for 4.
    expect(await page.getByTestId('kv-gauge').textContent()).toMatch(/allocated for 18 positions .*— 0\.50×/);
    // Gemma 3: five windowed layers hold 9 positions, the global one all of them — in the model
    // without sharing too, so the ratio is MQA's alone (1 KV head for 4).
    const gemma = fileURLToPath(new URL('../fixtures/hf/gemma3-bf16/', import.meta.url));
    await page
      .getByTestId('open-checkpoint')
      .setInputFiles(
        ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => join(gemma, f)),
      );
    await page.waitForFunction(() =>
      /Gemma3ForCausalLM \(uploaded checkpoint\).*opened/.test(
        document.querySelector('[data-testid=runs]')?.textContent ?? '',
      ),
    );
    await page.getByTestId('gen-prompt').fill(' soft, what light');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    const gauge = await page.getByTestId('kv-gauge').textContent();
    expect(gauge).toMatch(/windowed layers hold 9\); without sharing .* — 0\.25×/);
    expect(gauge).toMatch(/L0.*· 9 positions/);
    await page.getByTestId('kv-gauge').screenshot({ path: join(SHOTS, 'gemma3-kv-gauge.png') });
    await page.close();
  });

  it("opens a Llama directory whose tokenizer is SentencePiece's tokenizer.model, and generates from it", async () => {
    const dir = fileURLToPath(new URL('../fixtures/hf/llama-spm/', import.meta.url));
    const files = ['config.json', 'model.safetensors', 'tokenizer.model', 'tokenizer_config.json'].map((f) =>
      join(dir, f),
    );
    const page = await open('/');
    await page.getByTestId('open-checkpoint').setInputFiles(files);
    await page.waitForFunction(() =>
      /LlamaForCausalLM \(uploaded checkpoint\).*opened/.test(
        document.querySelector('[data-testid=runs]')?.textContent ?? '',
      ),
    );
    await page.getByTestId('gen-prompt').fill('ROMEO: soft');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('gen-output').textContent()).toMatch(/^ROMEO: soft./s);
    await page.close();
  });

  it('opens a GGUF file from llama.cpp as an imported run, says what the import did, and generates', async () => {
    const file = fileURLToPath(new URL('../fixtures/gguf/llama-spm.gguf', import.meta.url));
    const page = await open('/');
    await page.getByTestId('open-checkpoint').setInputFiles([file]);
    await page.waitForFunction(() =>
      /LlamaForCausalLM \(llama-spm\.gguf\).*opened/.test(
        document.querySelector('[data-testid=runs]')?.textContent ?? '',
      ),
    );
    await expect
      .poll(() => page.getByTestId('open-note').textContent())
      .toMatch(
        /^LlamaForCausalLM: read from GGUF \(llama\): F32 ×21, dequantized to float32; query and key rows put back/,
      );
    await page.getByTestId('gen-prompt').fill('ROMEO: soft');
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=gen-output][data-done=true]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('gen-output').textContent()).toMatch(/^ROMEO: soft./s);
    // Back out as GGUF: the same tensors, the matrices in F16, and it imports to the same model.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid^=gguf-opened]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^shareformer-run-\d+-f16\.gguf$/);
    const saved = join(SHOTS, 'downloaded-f16.gguf');
    await download.saveAs(saved);
    await expect
      .poll(() => page.getByTestId('export-note').textContent())
      .toMatch(/^GGUF: 0\.\d+ MB \(F16 ×16, F32 ×5\)$/);
    const bytes = new Uint8Array(readFileSync(saved));
    const original = new Uint8Array(readFileSync(file));
    const names = (b: Uint8Array) => [...readGgufHeader((s, e) => b.slice(s, e), b.length, 'x').tensors.keys()].sort();
    expect(names(bytes)).toEqual(names(original));
    await page.close();
  });

  it('says it runs single-threaded, and why, when the page is not cross-origin isolated', async () => {
    const plain = await serve(false);
    const saved = site;
    site = plain;
    try {
      const page = await open('/?layers=1&d-model=32&heads=2&steps=5&autostart');
      await expect
        .poll(() => page.getByTestId('backend').textContent())
        .toMatch(/wasm backend, 1 thread — single-threaded: the page is not cross-origin isolated/);
      await page.getByTestId('val-loss').filter({ hasText: /\d/ }).waitFor({ timeout: 60_000 });
      // A run trained here has the page's character tokenizer, which llama.cpp has no type for.
      await page.locator('[data-testid^=gguf-]').first().click();
      await expect
        .poll(() => page.getByTestId('export-error').textContent())
        .toMatch(/^GGUF: .*(tokenizer is shareformer's char tokenizer|layout is GPT-2's)/);
      await page.close();
    } finally {
      site = saved;
      await plain.server.close();
    }
  });

  it("splits matrix products across 2 wasm threads in a Worker: each thread's rows right", async () => {
    const results = await runThreadsProbe(browser, [1, 2], (m) => errors.push(`threads probe: ${m}`));
    expect(results.map((r) => r.threads)).toEqual([1, 2]);
    // Every sampled row, the second thread's band included, matches a plain dot product: the
    // worker computed its rows (one that never ran leaves them zero, or join() waiting). The
    // speed-up is a benchmark's to show (scripts/playground-speed.mjs), not a timed test's.
    for (const r of results) expect(r.worst).toBeLessThan(1e-4);
  }, 120_000);

  it('runs an exported ONNX decoder in onnxruntime-web as the README shows: same greedy tokens as shareformer', async () => {
    const ORT = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
    // GQA + CLA + relaxed sharing: past inputs only for producer layers, deltas in the graph.
    const lm = new TransformerLM(
      {
        vocabSize: 40,
        layers: 4,
        dModel: 32,
        heads: 4,
        kvHeads: 2,
        context: 32,
        shareKv: 'cla:2',
        shareWeights: 'cycle:2',
        relaxRank: 2,
      },
      5,
    );
    for (const [name, t] of lm.params) if (name.endsWith('.B')) t.data.set(t.data.map((_, i) => 0.05 * Math.sin(i)));
    const model = exportOnnx(lm).bytes;
    // shareformer's greedy continuation of [12, 7, 30], recomputed from scratch at every step.
    const expected: number[] = [];
    const seq = [12, 7, 30];
    noGrad(() => {
      for (let step = 0; step < 20; step++) {
        const logits = lm.forward(Int32Array.from(seq), 1).data.slice(-40);
        const next = logits.indexOf(Math.max(...logits));
        expected.push(next);
        seq.push(next);
      }
    });
    const page = `<!doctype html><script src="/ort/ort.min.js"></script>
<script type="module">
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create('model.onnx');
  const i64 = (v) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const meta = { kvHeads: 2, headSize: 8, vocab: 40 };
  let ids = [12, 7, 30], past = {}, length = 0;
  const out = [];
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.')))
    past[name] = new ort.Tensor('float32', new Float32Array(0), [1, meta.kvHeads, 0, meta.headSize]);
  for (let step = 0; step < 20; step++) {
    const res = await session.run({
      input_ids: i64(ids), attention_mask: i64(Array(length + ids.length).fill(1)),
      position_ids: i64(ids.map((_, i) => length + i)), ...past,
    });
    length += ids.length;
    const last = res.logits.data.slice(-meta.vocab);
    ids = [last.indexOf(Math.max(...last))];
    out.push(ids[0]);
    past = Object.fromEntries(Object.entries(res).filter(([k]) => k.startsWith('present.'))
      .map(([k, v]) => [k.replace('present.', 'past_key_values.'), v]));
  }
  window.result = { ids: out, inputs: session.inputNames };
</script>`;
    const server = createServer((req, res) => {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      const url = req.url ?? '/';
      if (url === '/') res.setHeader('Content-Type', 'text/html').end(page);
      else if (url === '/model.onnx') res.setHeader('Content-Type', 'application/octet-stream').end(model);
      else if (url.startsWith('/ort/') && existsSync(join(ORT, url.slice(5)))) {
        const type = url.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        res.setHeader('Content-Type', type).end(readFileSync(join(ORT, url.slice(5))));
      } else res.writeHead(404).end();
    }).listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const tab = await browser.newPage();
      tab.on('pageerror', (e) => errors.push(`onnxruntime-web page: ${e.message}`));
      await tab.goto(`http://localhost:${(server.address() as { port: number }).port}/`);
      await tab.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 60_000 });
      const result = (await tab.evaluate('window.result')) as { ids: number[]; inputs: string[] };
      await tab.close();
      expect(result.inputs.filter((n) => n.startsWith('past_key_values.'))).toEqual([
        'past_key_values.0.key',
        'past_key_values.0.value',
        'past_key_values.2.key',
        'past_key_values.2.value',
      ]);
      expect(result.ids).toEqual(expected);
    } finally {
      server.close();
    }
  }, 120_000);
});
