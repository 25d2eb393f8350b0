// The bench's report: the tables of results.md (matmul, training, decoding, each against PyTorch
// and TensorFlow.js measured in the same run) and the kernels' targets with whether each is met.
import { table } from '../analyze/format.js';
import type { OnnxruntimeResults, PytorchResults } from './baselines.js';

export interface BackendResults {
  matmul: Record<string, number>;
  train: Record<string, { tokensPerS: number; modelFlopsPerS: number }>;
  decode: Record<string, { tokensPerS: number; cacheBytes: number }>;
  /** Decoding with int8 weights, and with int8 weights and an int8 KV cache (absent in older results). */
  decodeInt8?: Record<string, { int8: number; int8Kv8: number; cacheBytesKv8: number }>;
}

export interface BenchResults {
  date: string;
  node: string;
  backends: Record<string, BackendResults>;
  pytorch: PytorchResults | { error: string };
  tfjsWasm: Record<string, number> | { error: string };
  /** Absent in results written before the onnxruntime baseline existed. */
  onnxruntime?: OnnxruntimeResults | { error: string };
  wasmSimd: 'relaxed' | 'plain';
  peakRssBytes: number;
  sizes: number[];
  trainModels: string[];
  decodePlans: string[];
  /** Backends timed on products only, and those whose decoding is not timed. */
  productsOnly: string[];
  noDecode: string[];
  targets?: Target[];
}

export interface Target {
  what: string;
  backend: string;
  measured: number | null;
  goal: number;
  met: boolean | null;
}

const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`;
const ratioOf = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a / b;
const torchOf = (r: BenchResults) => ('error' in r.pytorch ? null : r.pytorch);
const ortOf = (r: BenchResults) => (r.onnxruntime && !('error' in r.onnxruntime) ? r.onnxruntime : null);
const tfjsOf = (r: BenchResults) => ('error' in r.tfjsWasm ? null : (r.tfjsWasm as Record<string, number>));

/** The kernels issue's goals, as ratios against the baselines of this run. */
export function targets(r: BenchResults): Target[] {
  const b = r.backends,
    t = torchOf(r),
    tf = tfjsOf(r);
  const mm = (name: string, n: string) => b[name]?.matmul[n];
  const trainRate = (name: string, k: string) => b[name]?.train[k]?.tokensPerS;
  const decodeRatios = r.decodePlans.map((k) => (b.native?.decode[k]?.tokensPerS ?? NaN) / (t?.decode[k] ?? NaN));
  const rows: Array<[string, string, number | undefined, number]> = [
    ['native training 6x384 vs PyTorch', 'native', ratioOf(trainRate('native', '6x384'), t?.train['6x384']), 1.0],
    ['native training 4x128 vs PyTorch', 'native', ratioOf(trainRate('native', '4x128'), t?.train['4x128']), 1.5],
    [
      'native decoding vs PyTorch (worst plan)',
      'native',
      decodeRatios.length ? Math.min(...decodeRatios) : undefined,
      2.0,
    ],
    [
      'native decoding, int8 weights vs fp32 (no sharing)',
      'native',
      ratioOf(b.native?.decodeInt8?.none?.int8, b.native?.decode.none?.tokensPerS),
      1.8,
    ],
  ];
  for (const [w, w1] of [
    ['wasm', 'wasm-1t'],
    ['wasm-plain', 'wasm-plain-1t'],
  ] as const) {
    if (!b[w1]) continue;
    const label = w === 'wasm' ? `wasm (${r.wasmSimd} SIMD)` : 'wasm (plain SIMD)';
    rows.push([`${label} matmul 1024, one thread, vs tfjs-wasm`, w1, ratioOf(mm(w1, '1024'), tf?.['1024']), 1.4]);
    rows.push([`${label} matmul 1024, two threads vs one`, w, ratioOf(mm(w, '1024'), mm(w1, '1024')), 1.7]);
    rows.push([`${label} training 6x384 vs PyTorch`, w, ratioOf(trainRate(w, '6x384'), t?.train['6x384']), 0.25]);
  }
  return rows
    .filter((row) => b[row[1]])
    .map(([what, backend, measured, goal]) => {
      const known = measured !== undefined && !Number.isNaN(measured);
      return { what, backend, measured: known ? measured : null, goal, met: known ? measured >= goal : null };
    });
}

function matmulTable(r: BenchResults, names: string[]): string {
  const b = r.backends,
    t = torchOf(r),
    tf = tfjsOf(r);
  // Native is measured against PyTorch (both on OpenBLAS), wasm builds against tfjs-wasm.
  const vsTorch = names.filter((n) => n === 'native'),
    vsTfjs = names.filter((n) => n.startsWith('wasm'));
  const head = [
    'n',
    ...names,
    'PyTorch',
    'tfjs-wasm',
    ...vsTorch.map((n) => `${n}/PyTorch`),
    ...vsTfjs.map((n) => `${n}/tfjs`),
  ];
  return table(
    head,
    r.sizes.map((n) => [
      String(n),
      ...names.map((x) => f1(b[x]!.matmul[n])),
      f1(t?.matmul[n]),
      f1(tf?.[n]),
      ...vsTorch.map((x) => ratio(b[x]!.matmul[n], t?.matmul[n])),
      ...vsTfjs.map((x) => ratio(b[x]!.matmul[n], tf?.[n])),
    ]),
  );
}

function trainTable(r: BenchResults, fast: string[]): string {
  const b = r.backends,
    t = torchOf(r);
  const peak = Math.max(...Object.values(b).map((x) => x.matmul['1024'] ?? 0));
  const head = [
    'model',
    ...fast,
    'PyTorch',
    ...fast.map((n) => `${n}/PyTorch`),
    ...fast.map((n) => `${n} model GFLOP/s (% of sgemm peak)`),
  ];
  return table(
    head,
    r.trainModels.map((k) => {
      const ours = fast.map((x) => b[x]!.train[k]!);
      return [
        k,
        ...ours.map((o) => o.tokensPerS.toFixed(0)),
        t ? t.train[k]!.toFixed(0) : '—',
        ...ours.map((o) => ratio(o.tokensPerS, t?.train[k])),
        ...ours.map(
          (o) =>
            `${(o.modelFlopsPerS / 1e9).toFixed(1)} (${peak ? ((100 * o.modelFlopsPerS) / 1e9 / peak).toFixed(0) : '—'}%)`,
        ),
      ];
    }),
  );
}

function decodeTable(r: BenchResults, decoders: string[]): string {
  const b = r.backends,
    t = torchOf(r),
    o = ortOf(r);
  const head = [
    'plan',
    ...decoders,
    'PyTorch',
    'onnxruntime',
    ...decoders.map((n) => `${n}/PyTorch`),
    ...decoders.map((n) => `${n}/onnxruntime`),
    'KV cache bytes',
  ];
  return table(
    head,
    r.decodePlans.map((k) => {
      const ours = decoders.map((x) => b[x]!.decode[k]!);
      return [
        k,
        ...ours.map((o) => o.tokensPerS.toFixed(0)),
        t ? t.decode[k]!.toFixed(0) : '—',
        o?.decode[k] !== undefined ? o.decode[k].toFixed(0) : '—',
        ...ours.map((x) => ratio(x.tokensPerS, t?.decode[k])),
        ...ours.map((x) => ratio(x.tokensPerS, o?.decode[k])),
        ours[0] ? String(ours[0].cacheBytes) : '—',
      ];
    }),
  );
}

function int8Table(r: BenchResults, decoders: string[]): string {
  const rows = decoders.flatMap((name) =>
    r.decodePlans.map((k) => {
      const fp32 = r.backends[name]!.decode[k];
      const q = r.backends[name]!.decodeInt8?.[k];
      return [
        name,
        k,
        fp32 ? fp32.tokensPerS.toFixed(0) : '—',
        q ? q.int8.toFixed(0) : '—',
        ratio(q?.int8, fp32?.tokensPerS),
        q ? q.int8Kv8.toFixed(0) : '—',
        ratio(q?.int8Kv8, fp32?.tokensPerS),
        fp32 ? String(fp32.cacheBytes) : '—',
        q ? String(q.cacheBytesKv8) : '—',
      ];
    }),
  );
  return table(
    [
      'backend',
      'plan',
      'fp32',
      'int8 weights',
      '× fp32',
      'int8 weights + int8 KV',
      '× fp32',
      'KV bytes fp32',
      'KV bytes int8',
    ],
    rows,
  );
}

export function markdownReport(r: BenchResults): string {
  const t = torchOf(r),
    tf = tfjsOf(r);
  const names = Object.keys(r.backends);
  const fast = names.filter((n) => !r.productsOnly.includes(n));
  const wasmNote =
    r.wasmSimd === 'relaxed'
      ? 'wasm = the relaxed-SIMD build (fused multiply-add, 6×8 tile: browsers and Node 22+ by default; Node 20 with --experimental-wasm-relaxed-simd); wasm-plain = the SIMD128 build Node 20 runs by default'
      : 'wasm = the plain SIMD128 build (this runtime has no relaxed SIMD)';
  const ort = ortOf(r);
  const ortNote = ort
    ? `onnxruntime-node ${ort.version} (decoding shareformer's ONNX export of each plan)`
    : `onnxruntime: ${(r.onnxruntime as { error: string } | undefined)?.error ?? 'not measured'}`;
  const baselines = `PyTorch: ${t ? t.torch : (r.pytorch as { error: string }).error}; TensorFlow.js wasm: ${tf ? '4.x' : (r.tfjsWasm as { error: string }).error}; ${ortNote}`;
  const rows = (r.targets ?? []).map((x) => [
    x.what,
    x.backend,
    x.measured === null ? '—' : `${x.measured.toFixed(2)}×`,
    `≥ ${x.goal}×`,
    x.met === null ? '—' : x.met ? 'yes' : 'no',
  ]);
  return [
    `# shareformer bench — ${r.date}`,
    '',
    `Node ${r.node}; ${baselines}. Ratios are ours / theirs, measured in this run. ${wasmNote}; -1t = one thread.`,
    '',
    '## matmul (GFLOP/s, n×n·n×n)',
    '',
    matmulTable(r, names),
    '',
    '## training (tokens/s)',
    '',
    trainTable(r, fast),
    '',
    '## decoding, batch 1, KV cache, 6×384 (tokens/s)',
    '',
    decodeTable(
      r,
      fast.filter((n) => !r.noDecode.includes(n)),
    ),
    '',
    '## decoding with int8 weights and an int8 KV cache, batch 1, 6×384 (tokens/s)',
    '',
    int8Table(
      r,
      fast.filter((n) => !r.noDecode.includes(n) && r.backends[n]!.decodeInt8),
    ),
    '',
    '## targets (issue 4: ratios against PyTorch and tfjs-wasm in this run)',
    '',
    table(['target', 'backend', 'measured', 'goal', 'met'], rows),
    '',
    `Peak RSS: ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    '',
  ].join('\n');
}
