// `shareformer bench` (npm run bench): matmul GFLOP/s, training and decoding tokens/s for every
// backend, against PyTorch and TensorFlow.js measured in the same run; writes results.json and
// results.md. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for this command only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { availableBackends, registerBackend, setBackend } from '../backend/backend.js';
import { loadWasmBackend } from '../backend/wasm/index.js';
import { registerNodeBackends } from '../backend/node.js';
import { runPytorch, runTfjsWasm, type PytorchResults } from '../bench/baselines.js';
import { decodeTokensPerS, matmulGflops, trainTokensPerS, type BenchModel } from '../bench/measure.js';
import { table } from '../analyze/format.js';

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
/** The reference backend is for correctness; it is timed only where it finishes in seconds. */
const SLOW = new Set(['js', 'wasm-1t']);

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark backends against PyTorch and TensorFlow.js in the same run (writes results.json and results.md)')
    .option('--out <dir>', 'where to write results.json and results.md', 'bench')
    .option('--quick', 'smaller sizes and fewer steps (a smoke test, not for reporting)')
    .option('--no-pytorch', 'skip the PyTorch baseline')
    .option('--no-tfjs', 'skip the TensorFlow.js baseline')
    .action(async (opts: { out: string; quick?: boolean; pytorch: boolean; tfjs: boolean }) => {
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
      for (const name of availableBackends()) {
        setBackend(name);
        console.error(`bench: ${name} backend ...`);
        const r = { matmul: {} as Record<string, number>, train: {} as Record<string, unknown>, decode: {} as Record<string, unknown> };
        for (const n of sizes) if (!SLOW.has(name) || n <= 512) r.matmul[String(n)] = matmulGflops(n, seconds);
        if (!SLOW.has(name)) {
          for (const [k, m] of Object.entries(train)) r.train[k] = trainTokensPerS(m);
          for (const [k, m] of Object.entries(decode)) r.decode[k] = decodeTokensPerS(m);
        }
        backends[name] = r;
      }
      // The wasm kernel on one thread as well, to show what its worker threads add.
      const single = loadWasmBackend().backend;
      if (single) {
        registerBackend({ ...single, name: 'wasm-1t' });
        setBackend('wasm-1t');
        console.error('bench: wasm backend, one thread ...');
        backends['wasm-1t'] = { matmul: Object.fromEntries(sizes.map((n) => [String(n), matmulGflops(n, seconds)])), train: {}, decode: {} };
      }
      results.peakRssBytes = process.resourceUsage().maxRSS * 1024;

      const t = 'error' in torch ? null : torch;
      const tf = 'error' in tfjs ? null : (tfjs as Record<string, number>);
      const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
      const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
      const lines: string[] = [`# shareformer bench — ${results.date as string}`, '', `Node ${process.version}; PyTorch: ${t ? t.torch : (torch as { error: string }).error}; TensorFlow.js wasm: ${tf ? '4.x' : (tfjs as { error: string }).error}. Ratios are ours / theirs, measured in this run.`, ''];
      lines.push('## matmul (GFLOP/s, n×n·n×n)', '');
      const names = Object.keys(backends);
      lines.push(table(['n', ...names, 'PyTorch', 'tfjs-wasm', ...names.map((n) => `${n}/PyTorch`), ...names.map((n) => `${n}/tfjs`)],
        sizes.map((n) => [String(n), ...names.map((b) => f1(backends[b]!.matmul[n])), f1(t?.matmul[n]), f1(tf?.[n]),
          ...names.map((b) => ratio(backends[b]!.matmul[n], t?.matmul[n])), ...names.map((b) => ratio(backends[b]!.matmul[n], tf?.[n]))])));
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
      lines.push(table(['plan', ...fast, 'PyTorch', ...fast.map((n) => `${n}/PyTorch`), 'KV cache bytes'],
        Object.keys(decode).map((k) => {
          const ours = fast.map((b) => backends[b]!.decode[k] as { tokensPerS: number; cacheBytes: number });
          return [k, ...ours.map((o) => o.tokensPerS.toFixed(0)), t ? t.decode[k]!.toFixed(0) : '—', ...ours.map((o) => ratio(o.tokensPerS, t?.decode[k])), ours[0] ? String(ours[0].cacheBytes) : '—'];
        })));
      lines.push('', `Peak RSS: ${((results.peakRssBytes as number) / 2 ** 20).toFixed(0)} MiB`);
      const md = lines.join('\n') + '\n';
      mkdirSync(opts.out, { recursive: true });
      writeFileSync(join(opts.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
      writeFileSync(join(opts.out, 'results.md'), md);
      console.log(md);
    });
}
