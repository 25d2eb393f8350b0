// `shareformer bench` (npm run bench): matmul GFLOP/s, training and decoding tokens/s for every
// backend, against PyTorch and TensorFlow.js measured in the same run; writes results.json and
// results.md, ending with the targets of the kernels issue. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
// are unset for this command only. On a Node whose WebAssembly lacks relaxed SIMD by default
// (Node 20), the command re-runs itself with the V8 flag that enables it, so both wasm builds are
// measured: relaxed (what browsers and Node 22+ run) and plain.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { availableBackends, registerBackend, setBackend } from '../backend/backend.js';
import { hasRelaxedSimd, loadWasmBackend } from '../backend/wasm/index.js';
import { nodeWasmThreads } from '../backend/wasm/threads-node.js';
import { registerNodeBackends } from '../backend/node.js';
import { runPytorch, runTfjsWasm, type PytorchResults } from '../bench/baselines.js';
import { decodeTokensPerS, matmulGflops, trainTokensPerS, type BenchModel } from '../bench/measure.js';
import { table } from '../analyze/format.js';
import { clearPool } from '../tensor/pool.js';

const TRAIN: Record<string, BenchModel> = {
  '6x384': { layers: 6, dModel: 384, heads: 6, vocab: 65, context: 256, batch: 8, steps: 4 },
  '4x128': { layers: 4, dModel: 128, heads: 4, vocab: 65, context: 128, batch: 16, steps: 10 },
};
const DECODE_BASE: BenchModel = { layers: 6, dModel: 384, heads: 6, vocab: 65, context: 512, newTokens: 256 };
const DECODE: Record<string, BenchModel> = {
  none: DECODE_BASE,
  'weights all': { ...DECODE_BASE, shareWeights: 'all' },
  'cla:2': { ...DECODE_BASE, shareKv: 'cla:2' },
  'attention group:2': { ...DECODE_BASE, shareAttention: 'group:2' },
};
/** Timed on products only: the reference backend (too slow for the rest) and the one-thread wasm runs. */
const SLOW = new Set(['js', 'wasm-1t', 'wasm-plain-1t']);
/** The reference backend's products are timed only where they finish in seconds. */
const SMALL_PRODUCTS_ONLY = new Set(['js']);
/** Decoding goes through per-row products that wasm copies weights for; timed once, on the default build. */
const NO_DECODE = new Set(['wasm-plain']);
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark backends against PyTorch and TensorFlow.js in the same run (writes results.json and results.md)')
    .option('--out <dir>', 'where to write results.json and results.md', 'bench')
    .option('--quick', 'smaller sizes and fewer steps (a smoke test, not for reporting)')
    .option('--no-pytorch', 'skip the PyTorch baseline')
    .option('--no-tfjs', 'skip the TensorFlow.js baseline')
    .action(async (opts: { out: string; quick?: boolean; pytorch: boolean; tfjs: boolean }) => {
      // The output directory is checked before minutes of measuring, not after.
      try {
        mkdirSync(opts.out, { recursive: true });
      } catch (e) {
        throw new Error(`--out ${opts.out}: cannot create the results directory (${(e as Error).message})`);
      }
      if (!hasRelaxedSimd() && !process.env.SHAREFORMER_BENCH_RELAXED && spawnSync(process.execPath, [RELAXED_FLAG, '-e', '0']).status === 0) {
        console.error(`bench: re-running with ${RELAXED_FLAG} so the relaxed-SIMD wasm build (browsers, Node 22+) is measured too`);
        const child = spawnSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, ...process.argv.slice(1)],
          { stdio: 'inherit', env: { ...process.env, SHAREFORMER_BENCH_RELAXED: '1' } });
        process.exitCode = child.status ?? 1;
        return;
      }
      const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => process.env[k] !== undefined);
      for (const k of unset) delete process.env[k];
      if (unset.length) console.error(`bench: unset ${unset.join(', ')} for this run (they skew OpenBLAS's kernel choice)`);
      const whyNotNative = registerNodeBackends();
      if (whyNotNative) console.error(`bench: ${whyNotNative}`);
      const sizes = opts.quick ? [256, 512] : [256, 512, 1024, 2048];
      const train = opts.quick ? { '4x128': { ...TRAIN['4x128']!, steps: 2 } } : TRAIN;
      const decode = opts.quick ? { none: { ...DECODE_BASE, newTokens: 32 } } : DECODE;
      const seconds = opts.quick ? 0.3 : 1;
      const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, backends: {} as Record<string, unknown> };

      console.error('bench: PyTorch (best of 1 and 2 threads) ...');
      const torch: PytorchResults | { error: string } = opts.pytorch ? runPytorch({ matmul: sizes, train, decode }) : { error: 'skipped (--no-pytorch)' };
      results.pytorch = torch;
      console.error('bench: TensorFlow.js wasm ...');
      const tfjs = opts.tfjs ? await runTfjsWasm(sizes, seconds) : { error: 'skipped (--no-tfjs)' };
      results.tfjsWasm = tfjs;

      const backends = results.backends as Record<string, { matmul: Record<string, number>; train: Record<string, unknown>; decode: Record<string, unknown> }>;
      const measure = (name: string) => {
        setBackend(name);
        console.error(`bench: ${name} backend ...`);
        const r = { matmul: {} as Record<string, number>, train: {} as Record<string, unknown>, decode: {} as Record<string, unknown> };
        for (const n of sizes) if (!SMALL_PRODUCTS_ONLY.has(name) || n <= 512) r.matmul[String(n)] = matmulGflops(n, seconds);
        if (!SLOW.has(name)) {
          // Decoding first, on an empty buffer pool, as `shareformer generate` runs: a pool full of
          // a training run's buffers makes the collector's work per token larger.
          clearPool();
          if (!NO_DECODE.has(name)) for (const [k, m] of Object.entries(decode)) r.decode[k] = decodeTokensPerS(m);
          for (const [k, m] of Object.entries(train)) r.train[k] = trainTokensPerS(m);
          clearPool();
        }
        backends[name] = r;
      };
      for (const name of availableBackends()) measure(name);
      const simd = hasRelaxedSimd() ? 'relaxed' : 'plain';
      results.wasmSimd = simd;
      // The wasm kernel on one thread as well, to show what its worker threads add; and where the
      // default build is the relaxed one, the plain build beside it.
      const extra: Array<[string, ReturnType<typeof loadWasmBackend>]> = [['wasm-1t', loadWasmBackend({ simd })]];
      if (simd === 'relaxed') {
        extra.push(['wasm-plain', loadWasmBackend({ simd: 'plain', threads: nodeWasmThreads() })], ['wasm-plain-1t', loadWasmBackend({ simd: 'plain' })]);
      }
      for (const [name, load] of extra) {
        if (!load.backend) continue;
        registerBackend({ ...load.backend, name });
        measure(name);
      }
      results.peakRssBytes = process.resourceUsage().maxRSS * 1024;

      const t = 'error' in torch ? null : torch;
      const tf = 'error' in tfjs ? null : (tfjs as Record<string, number>);
      const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
      const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
      const wasmNote = simd === 'relaxed'
        ? 'wasm = the relaxed-SIMD build (fused multiply-add, 6×8 tile: browsers and Node 22+ by default; Node 20 with --experimental-wasm-relaxed-simd); wasm-plain = the SIMD128 build Node 20 runs by default'
        : 'wasm = the plain SIMD128 build (this runtime has no relaxed SIMD)';
      const lines: string[] = [`# shareformer bench — ${results.date as string}`, '', `Node ${process.version}; PyTorch: ${t ? t.torch : (torch as { error: string }).error}; TensorFlow.js wasm: ${tf ? '4.x' : (tfjs as { error: string }).error}. Ratios are ours / theirs, measured in this run. ${wasmNote}; -1t = one thread.`, ''];
      lines.push('## matmul (GFLOP/s, n×n·n×n)', '');
      const names = Object.keys(backends);
      // Native is measured against PyTorch (both on OpenBLAS), wasm builds against tfjs-wasm.
      const vsTorch = names.filter((n) => n === 'native'), vsTfjs = names.filter((n) => n.startsWith('wasm'));
      lines.push(table(['n', ...names, 'PyTorch', 'tfjs-wasm', ...vsTorch.map((n) => `${n}/PyTorch`), ...vsTfjs.map((n) => `${n}/tfjs`)],
        sizes.map((n) => [String(n), ...names.map((b) => f1(backends[b]!.matmul[n])), f1(t?.matmul[n]), f1(tf?.[n]),
          ...vsTorch.map((b) => ratio(backends[b]!.matmul[n], t?.matmul[n])), ...vsTfjs.map((b) => ratio(backends[b]!.matmul[n], tf?.[n]))])));
      const peak = Math.max(...names.map((b) => backends[b]!.matmul['1024'] ?? 0));
      lines.push('', '## training (tokens/s)', '');
      const fast = names.filter((n) => !SLOW.has(n));
      lines.push(table(['model', ...fast, 'PyTorch', ...fast.map((n) => `${n}/PyTorch`), ...fast.map((n) => `${n} model GFLOP/s (% of sgemm peak)`)],
        Object.keys(train).map((k) => {
          const ours = fast.map((b) => backends[b]!.train[k] as { tokensPerS: number; modelFlopsPerS: number });
          return [k, ...ours.map((o) => o.tokensPerS.toFixed(0)), t ? t.train[k]!.toFixed(0) : '—', ...ours.map((o) => ratio(o.tokensPerS, t?.train[k])),
            ...ours.map((o) => `${(o.modelFlopsPerS / 1e9).toFixed(1)} (${peak ? ((100 * o.modelFlopsPerS) / 1e9 / peak).toFixed(0) : '—'}%)`)];
        })));
      lines.push('', '## decoding, batch 1, KV cache, 6×384 (tokens/s)', '');
      const decoders = fast.filter((n) => !NO_DECODE.has(n));
      lines.push(table(['plan', ...decoders, 'PyTorch', ...decoders.map((n) => `${n}/PyTorch`), 'KV cache bytes'],
        Object.keys(decode).map((k) => {
          const ours = decoders.map((b) => backends[b]!.decode[k] as { tokensPerS: number; cacheBytes: number });
          return [k, ...ours.map((o) => o.tokensPerS.toFixed(0)), t ? t.decode[k]!.toFixed(0) : '—', ...ours.map((o) => ratio(o.tokensPerS, t?.decode[k])), ours[0] ? String(ours[0].cacheBytes) : '—'];
        })));
      lines.push('', '## targets (issue 4: ratios against PyTorch and tfjs-wasm in this run)', '');
      const mm = (b: string, n: string) => backends[b]?.matmul[n];
      const trainRate = (b: string, k: string) => (backends[b]?.train[k] as { tokensPerS: number } | undefined)?.tokensPerS;
      const decodeRatios = Object.keys(decode).map((k) => ((backends.native?.decode[k] as { tokensPerS: number } | undefined)?.tokensPerS ?? NaN) / (t?.decode[k] ?? NaN));
      const rows: Array<[string, string, number | undefined, number]> = [
        ['native training 6x384 vs PyTorch', 'native', ratioOf(trainRate('native', '6x384'), t?.train['6x384']), 1.0],
        ['native training 4x128 vs PyTorch', 'native', ratioOf(trainRate('native', '4x128'), t?.train['4x128']), 1.5],
        ['native decoding vs PyTorch (worst plan)', 'native', decodeRatios.length ? Math.min(...decodeRatios) : undefined, 2.0],
      ];
      for (const [w, w1] of [['wasm', 'wasm-1t'], ['wasm-plain', 'wasm-plain-1t']] as const) {
        if (!backends[w1]) continue;
        const label = w === 'wasm' ? `wasm (${simd} SIMD)` : 'wasm (plain SIMD)';
        rows.push([`${label} matmul 1024, one thread, vs tfjs-wasm`, w1, ratioOf(mm(w1, '1024'), tf?.['1024']), 1.4]);
        rows.push([`${label} matmul 1024, two threads vs one`, w, ratioOf(mm(w, '1024'), mm(w1, '1024')), 1.7]);
        rows.push([`${label} training 6x384 vs PyTorch`, w, ratioOf(trainRate(w, '6x384'), t?.train['6x384']), 0.25]);
      }
      results.targets = rows.filter((r) => backends[r[1]]).map(([what, backend, measured, goal]) => ({ what, backend, measured: measured ?? null, goal, met: measured === undefined ? null : measured >= goal }));
      lines.push(table(['target', 'backend', 'measured', 'goal', 'met'], rows.filter((r) => backends[r[1]]).map(([what, b, got, goal]) =>
        [what, b, got === undefined || Number.isNaN(got) ? '—' : `${got.toFixed(2)}×`, `≥ ${goal}×`, got === undefined || Number.isNaN(got) ? '—' : got >= goal ? 'yes' : 'no'])));
      lines.push('', `Peak RSS: ${((results.peakRssBytes as number) / 2 ** 20).toFixed(0)} MiB`);
      const md = lines.join('\n') + '\n';
      writeFileSync(join(opts.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
      writeFileSync(join(opts.out, 'results.md'), md);
      console.log(md);
    });
}
