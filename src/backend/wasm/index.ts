// The wasm backend: matrix products run in a WebAssembly SIMD kernel (assembly/gemm.ts), split
// across worker threads sharing the module's memory when the host provides them; attention runs
// per head in module memory (attention.ts), GELU in a SIMD kernel (Math.tanh made it the slowest
// loop of a training step); other kernels are the reference ones. Works in Node and browsers: the
// module is embedded and compiled synchronously. Operands are copied into the module's memory per
// call (module-memory.ts), which costs O(n²) against O(n³).
import type { Backend, GemmArgs } from '../types.js';
import { checkGemm, checkSameLength, covers, KernelBoundsError } from '../bounds.js';
import { jsBackend } from '../js/index.js';
import { attentionInModule, int8AttentionInModule } from './attention.js';
import {
  CONTROL_BYTES,
  hasRelaxedSimd,
  instantiate,
  PACK_A,
  PACK_B,
  SCRATCH,
  SLOT,
  type Kernels,
  type WasmSimd,
} from './kernels.js';
import { ModuleMemory } from './module-memory.js';
import { makeProduct, type Product } from './product.js';

export { hasRelaxedSimd, SLOT, type WasmSimd };
export type WasmLoad = { backend: Backend; threads: number; simd: WasmSimd } | { backend: null; reason: string };

/**
 * Worker threads sharing the module's memory (Node; cross-origin-isolated pages could provide the
 * same). `start(index, module, memory, control, scratch)` launches worker `index`, which must run
 * WASM_WORKER_LOOP's protocol: wait on control[slot], run gemmStrided with the arguments that
 * follow, store the generation in control[slot + 1] and notify.
 */
export interface WasmThreads {
  count: number;
  start(index: number, module: WebAssembly.Module, memory: WebAssembly.Memory, scratch: [number, number, number]): void;
}

/** Worker threads started asynchronously (browsers): `start` resolves once the worker has instantiated. */
export interface AsyncWasmThreads {
  count: number;
  start(
    index: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    scratch: [number, number, number],
  ): Promise<void>;
}

interface Compiled {
  kernels: Kernels;
  module: WebAssembly.Module;
  simd: WasmSimd;
  mem: ModuleMemory;
  control: Int32Array;
  workers: number;
}

/** Compiles the kernels and lays out module memory for `workers` threads besides the caller's. */
function compile(simd: WasmSimd | undefined, workers: number): Compiled | { reason: string } {
  const chosen = simd ?? (hasRelaxedSimd() ? 'relaxed' : 'plain');
  if (chosen === 'relaxed' && !hasRelaxedSimd()) return { reason: 'this runtime has no relaxed SIMD' };
  let kernels: Kernels, module: WebAssembly.Module;
  try {
    ({ kernels, module } = instantiate(chosen, workers > 0));
  } catch (e) {
    return { reason: `WebAssembly SIMD is not available here (${(e as Error).message})` };
  }
  if (kernels.scratchBytes() !== SCRATCH) {
    return {
      reason: `the wasm module's scratch layout (${kernels.scratchBytes()} bytes) differs from the host's (${SCRATCH})`,
    };
  }
  const mem = new ModuleMemory(kernels, CONTROL_BYTES + (workers + 1) * SCRATCH);
  kernels.setScratch(...scratchAt(0));
  const control = new Int32Array(kernels.memory.buffer, 0, CONTROL_BYTES / 4);
  return { kernels, module, simd: chosen, mem, control, workers };
}

function assemble(c: Compiled): WasmLoad {
  const product = makeProduct(c.kernels, c.mem, c.control, c.workers);
  const backend: Backend = {
    ...jsBackend,
    name: 'wasm',
    gemm: gemmInModule(c.mem, product),
    gemmInt8: gemmInt8InModule(c.kernels, c.mem),
    pin: (arrays) => c.mem.pin(arrays),
    ...pointwiseInModule(c.kernels, c.mem),
    ...attentionInModule(c.kernels, c.mem, product),
    ...int8AttentionInModule(c.kernels, c.mem),
  };
  return { backend, threads: c.workers + 1, simd: c.simd };
}

const poolSize = (threads: { count: number } | undefined) =>
  threads && threads.count > 0 && typeof SharedArrayBuffer !== 'undefined' ? threads.count : 0;

/**
 * Instantiates the kernels (relaxed SIMD where the runtime has it) and, given `threads`, starts the
 * worker threads, waiting for them with Atomics.wait (Node, or a browser Worker); never throws:
 * reports why the backend is unavailable instead.
 */
export function loadWasmBackend(options: { threads?: WasmThreads; simd?: WasmSimd } = {}): WasmLoad {
  const c = compile(options.simd, poolSize(options.threads));
  if ('reason' in c) return { backend: null, reason: c.reason };
  if (c.workers > 0) startWorkers(options.threads!, c);
  return assemble(c);
}

/**
 * The same, for hosts whose workers only start once the caller yields to its event loop (a
 * browser Worker starting nested workers): every worker is confirmed running before the backend
 * is returned, so no product ever blocks waiting for a worker that has not started.
 */
export async function loadWasmBackendAsync(
  options: { threads?: AsyncWasmThreads; simd?: WasmSimd } = {},
): Promise<WasmLoad> {
  const c = compile(options.simd, poolSize(options.threads));
  if ('reason' in c) return { backend: null, reason: c.reason };
  if (c.workers > 0) {
    const pool = options.threads!;
    try {
      await Promise.all(
        Array.from({ length: c.workers }, (_, t) => pool.start(t, c.module, c.kernels.memory, scratchAt(t + 1))),
      );
    } catch (e) {
      return { backend: null, reason: `the wasm worker threads did not start (${(e as Error).message})` };
    }
    for (let t = 0; t < c.workers; t++)
      if (Atomics.load(c.control, t * SLOT + 15) !== 1)
        return { backend: null, reason: `wasm worker ${t} reported ready but did not mark its slot` };
  }
  return assemble(c);
}

/** Byte addresses of thread t's scratch: packed A, packed B, edge tile. */
function scratchAt(t: number): [number, number, number] {
  const s = CONTROL_BYTES + t * SCRATCH;
  return [s, s + PACK_A * 4, s + (PACK_A + PACK_B) * 4];
}

function startWorkers(pool: WasmThreads, c: Compiled): void {
  for (let t = 0; t < c.workers; t++) pool.start(t, c.module, c.kernels.memory, scratchAt(t + 1));
  // Workers start asynchronously; wait (blocking, as Node allows) until each has instantiated.
  for (let t = 0; t < c.workers; t++)
    while (Atomics.load(c.control, t * SLOT + 15) !== 1) Atomics.wait(c.control, t * SLOT + 15, 0, 50);
}

/** Batched products: each item's operands copied in, multiplied, and C copied back. */
function gemmInModule(mem: ModuleMemory, product: Product): Backend['gemm'] {
  return (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
    checkGemm('wasm gemm', a, b, c, p);
    const sizeA = p.m * p.k,
      sizeB = p.k * p.n,
      sizeC = p.m * p.n;
    // A pinned B (a weight, during generation) is read where it lies: no copy per token.
    const resident = p.strideB === 0 && sizeB <= b.length ? mem.residentOffset(b) : null;
    const [offA, offC, copyB] = mem.regions(sizeA, sizeC, resident === null ? sizeB : 0) as [number, number, number];
    const offB = resident ?? copyB;
    for (let i = 0; i < p.batch; i++) {
      mem.copyIn(a, i * p.strideA, sizeA, offA, 'a');
      if (resident === null && (i === 0 || p.strideB !== 0)) mem.copyIn(b, i * p.strideB, sizeB, offB, 'b');
      const add = p.accumulate || (p.strideC === 0 && i > 0);
      if (add) mem.copyIn(c, i * p.strideC, sizeC, offC, 'c');
      product(offA * 4, offB * 4, offC * 4, p.m, p.n, p.k, p.transA, p.transB, add);
      mem.copyOut(c, i * p.strideC, sizeC, offC, 'c');
    }
  };
}

/** int8-weight products, a row at a time: the weights are copied in as int8 (a quarter of float32) and widened in registers. */
function gemmInt8InModule(kernels: Kernels, mem: ModuleMemory): Backend['gemmInt8'] {
  return (x, q, scales, out, rows, n, k, accumulate) => {
    for (const [name, v] of Object.entries({ rows, n, k }))
      if (!Number.isSafeInteger(v) || v < 0)
        throw new KernelBoundsError(`wasm gemmInt8: ${name} must be a non-negative integer, got ${v}`);
    covers('wasm gemmInt8', 'x', x, rows * k);
    covers('wasm gemmInt8', 'q', q, n * k);
    covers('wasm gemmInt8', 'scales', scales, n);
    covers('wasm gemmInt8', 'out', out, rows * n);
    // Pinned weights and scales (during generation) are read where they lie.
    const rq = mem.residentOffset(q),
      rs = mem.residentOffset(scales);
    const [cq, cs, ox, oy] = mem.regions(rq === null ? Math.ceil((n * k) / 4) : 0, rs === null ? n : 0, k, n) as [
      number,
      number,
      number,
      number,
    ];
    const oq = rq ?? cq,
      os = rs ?? cs;
    if (rq === null) mem.copyInt8In(q, 0, n * k, oq, 'q');
    if (rs === null) mem.copyIn(scales, 0, n, os, 'scales');
    for (let r = 0; r < rows; r++) {
      mem.copyIn(x, r * k, k, ox, 'x');
      if (accumulate) mem.copyIn(out, r * n, n, oy, 'out');
      kernels.gemvRowsInt8(oq * 4, os * 4, ox * 4, oy * 4, n, k, accumulate ? 1 : 0);
      mem.copyOut(out, r * n, n, oy, 'out');
    }
  };
}

/** GELU (tanh form) and its gradient in SIMD over whole arrays. */
function pointwiseInModule(kernels: Kernels, mem: ModuleMemory): Pick<Backend, 'gelu' | 'geluBackward'> {
  /** Copies `inputs` in (each padded to a multiple of 4; null reserves an output), runs fn on their addresses, copies the last back into `result`. */
  const lanes = (
    inputs: Array<Float32Array | null>,
    result: Float32Array,
    fn: (addresses: number[], n4: number) => void,
  ) => {
    const n = result.length,
      n4 = (n + 3) & ~3;
    const offsets = mem.regions(...inputs.map(() => n4));
    inputs.forEach((x, i) => {
      if (x) mem.copyIn(x, 0, n, offsets[i]!);
    });
    fn(
      offsets.map((o) => o * 4),
      n4,
    );
    mem.copyOut(result, 0, n, offsets[offsets.length - 1]!);
  };
  return {
    gelu: (x, approximate, out) => {
      if (approximate !== 'tanh') return jsBackend.gelu(x, approximate, out);
      checkSameLength('wasm gelu', x.length, { out });
      lanes([x, null], out, ([px, po], n4) => kernels.geluTanh(px!, po!, n4));
    },
    geluBackward: (x, approximate, g, dx) => {
      if (approximate !== 'tanh') return jsBackend.geluBackward(x, approximate, g, dx);
      checkSameLength('wasm geluBackward', dx.length, { x, g });
      lanes([x, g, dx], dx, ([px, pg, pd], n4) => kernels.geluTanhBackward(px!, pg!, pd!, n4));
    },
  };
}

/**
 * The worker side of the protocol as source text: `run(data, ready)` instantiates the module on the
 * shared memory, marks its slot ready, calls `ready`, then serves products until told to stop.
 */
const WORKER_RUN = `
function run({ module, memory, index, scratch }, ready) {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  k.setScratch(scratch[0], scratch[1], scratch[2]);
  const control = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
  const slot = index * ${SLOT};
  Atomics.store(control, slot + 15, 1);
  Atomics.notify(control, slot + 15);
  ready();
  let seen = Atomics.load(control, slot);
  for (;;) {
    Atomics.wait(control, slot, seen);
    seen = Atomics.load(control, slot);
    if (seen < 0) break;
    const a = control.subarray(slot + 2, slot + 14);
    try {
      k.gemmStrided(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
      Atomics.store(control, slot + 14, 0);
    } catch (e) {
      Atomics.store(control, slot + 14, 1); // reported by the caller, which would otherwise wait forever
    }
    Atomics.store(control, slot + 1, seen);
    Atomics.notify(control, slot + 1);
  }
}
`;

/** For a Node worker started with `eval`: the data arrives as workerData. */
export const WASM_WORKER_LOOP = `${WORKER_RUN}
run(require('node:worker_threads').workerData, () => {});
`;

/**
 * For a browser Worker (a classic script, e.g. from a Blob URL): the data arrives as the first
 * message; the worker answers { ready: true } once it serves products, or { error } if it cannot.
 */
export const WASM_WORKER_SCRIPT = `${WORKER_RUN}
onmessage = (e) => {
  onmessage = null;
  try {
    run(e.data, () => postMessage({ ready: true }));
  } catch (err) {
    postMessage({ error: String(err && err.message || err) });
  }
};
`;
