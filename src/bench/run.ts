// Node-only: the bench's measurements: every backend's matmul GFLOP/s, training and decoding
// tokens/s, and the PyTorch and TensorFlow.js baselines, in one process, one after another.
import { availableBackends, registerBackend, setBackend } from '../backend/backend.js';
import { registerNodeBackends } from '../backend/node.js';
import { hasRelaxedSimd, loadWasmBackend } from '../backend/wasm/index.js';
import { nodeWasmThreads } from '../backend/wasm/threads-node.js';
import { clearPool } from '../tensor/pool.js';
import { runOnnxruntime, runPytorch, runTfjsWasm } from './baselines.js';
import { decodeTokensPerS, matmulGflops, trainTokensPerS, type BenchModel } from './measure.js';
import { targets, type BackendResults, type BenchResults } from './report.js';

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
const PRODUCTS_ONLY = ['js', 'wasm-1t', 'wasm-plain-1t'];
/** The reference backend's products are timed only where they finish in seconds. */
const SMALL_PRODUCTS_ONLY = new Set(['js']);
/** Decoding goes through per-row products that wasm copies weights for; timed once, on the default build. */
const NO_DECODE = ['wasm-plain'];

interface Plan {
  sizes: number[];
  train: Record<string, BenchModel>;
  decode: Record<string, BenchModel>;
  seconds: number;
}

const planFor = (quick: boolean): Plan =>
  quick
    ? {
        sizes: [256, 512],
        train: { '4x128': { ...TRAIN['4x128']!, steps: 2 } },
        decode: { none: { ...DECODE_BASE, newTokens: 32 } },
        seconds: 0.3,
      }
    : { sizes: [256, 512, 1024, 2048], train: TRAIN, decode: DECODE, seconds: 1 };

function measureBackend(name: string, plan: Plan): BackendResults {
  setBackend(name);
  console.error(`bench: ${name} backend ...`);
  const r: BackendResults = { matmul: {}, train: {}, decode: {} };
  for (const n of plan.sizes)
    if (!SMALL_PRODUCTS_ONLY.has(name) || n <= 512) r.matmul[String(n)] = matmulGflops(n, plan.seconds);
  if (PRODUCTS_ONLY.includes(name)) return r;
  // Decoding first, on an empty buffer pool, as `shareformer generate` runs: a pool full of a
  // training run's buffers makes the collector's work per token larger.
  clearPool();
  if (!NO_DECODE.includes(name)) {
    r.decodeInt8 = {};
    for (const [k, m] of Object.entries(plan.decode)) {
      r.decode[k] = decodeTokensPerS(m);
      const kv8 = decodeTokensPerS(m, 'int8+kv8');
      r.decodeInt8[k] = {
        int8: decodeTokensPerS(m, 'int8').tokensPerS,
        int8Kv8: kv8.tokensPerS,
        cacheBytesKv8: kv8.cacheBytes,
      };
    }
  }
  for (const [k, m] of Object.entries(plan.train)) r.train[k] = trainTokensPerS(m);
  clearPool();
  return r;
}

/** The wasm kernel on one thread as well (what its worker threads add), and the plain build beside a relaxed default. */
function registerWasmVariants(simd: 'relaxed' | 'plain'): string[] {
  const extra: Array<[string, ReturnType<typeof loadWasmBackend>]> = [['wasm-1t', loadWasmBackend({ simd })]];
  if (simd === 'relaxed') {
    extra.push(
      ['wasm-plain', loadWasmBackend({ simd: 'plain', threads: nodeWasmThreads() })],
      ['wasm-plain-1t', loadWasmBackend({ simd: 'plain' })],
    );
  }
  const names: string[] = [];
  for (const [name, load] of extra) {
    if (!load.backend) continue;
    registerBackend({ ...load.backend, name });
    names.push(name);
  }
  return names;
}

export async function runBench(options: {
  quick: boolean;
  pytorch: boolean;
  tfjs: boolean;
  onnxruntime: boolean;
}): Promise<BenchResults> {
  const whyNotNative = registerNodeBackends();
  if (whyNotNative) console.error(`bench: ${whyNotNative}`);
  const plan = planFor(options.quick);
  console.error('bench: PyTorch (best of 1 and 2 threads) ...');
  const pytorch = options.pytorch
    ? runPytorch({ matmul: plan.sizes, train: plan.train, decode: plan.decode })
    : { error: 'skipped (--no-pytorch)' };
  console.error('bench: TensorFlow.js wasm ...');
  const tfjsWasm = options.tfjs ? await runTfjsWasm(plan.sizes, plan.seconds) : { error: 'skipped (--no-tfjs)' };
  console.error('bench: onnxruntime-node decoding ...');
  const onnxruntime = options.onnxruntime ? await runOnnxruntime(plan.decode) : { error: 'skipped (--no-onnxruntime)' };
  const simd = hasRelaxedSimd() ? 'relaxed' : 'plain';
  const backends: Record<string, BackendResults> = {};
  for (const name of [...availableBackends(), ...registerWasmVariants(simd)])
    backends[name] = measureBackend(name, plan);
  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    backends,
    pytorch,
    tfjsWasm,
    onnxruntime,
    wasmSimd: simd,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    sizes: plan.sizes,
    trainModels: Object.keys(plan.train),
    decodePlans: Object.keys(plan.decode),
    productsOnly: PRODUCTS_ONLY,
    noDecode: NO_DECODE,
  };
  results.targets = targets(results);
  return results;
}
