// The wasm backend: matrix products run in a WebAssembly SIMD kernel (assembly/gemm.ts), split
// across worker threads sharing the module's memory when the host provides them; attention runs
// per head in module memory (attention.ts), GELU in a SIMD kernel (Math.tanh made it the slowest
// loop of a training step); other kernels are the reference ones. Works in Node and browsers: the
// module is embedded and compiled synchronously. Operands are copied into the module's memory per
// call (module-memory.ts), which costs O(n²) against O(n³).
import type { Backend, GemmArgs } from '../types.js';
import { checkGemm, checkSameLength } from '../bounds.js';
import { jsBackend } from '../js/index.js';
import { attentionInModule } from './attention.js';
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

/**
 * Instantiates the kernels (relaxed SIMD where the runtime has it) and, given `threads`, starts the
 * worker threads; never throws: reports why the backend is unavailable instead.
 */
export function loadWasmBackend(options: { threads?: WasmThreads; simd?: WasmSimd } = {}): WasmLoad {
  const pool =
    options.threads && options.threads.count > 0 && typeof SharedArrayBuffer !== 'undefined' ? options.threads : null;
  const simd = options.simd ?? (hasRelaxedSimd() ? 'relaxed' : 'plain');
  if (simd === 'relaxed' && !hasRelaxedSimd()) return { backend: null, reason: 'this runtime has no relaxed SIMD' };
  let kernels: Kernels, module: WebAssembly.Module;
  try {
    ({ kernels, module } = instantiate(simd, pool !== null));
  } catch (e) {
    return { backend: null, reason: `WebAssembly SIMD is not available here (${(e as Error).message})` };
  }
  if (kernels.scratchBytes() !== SCRATCH) {
    return {
      backend: null,
      reason: `the wasm module's scratch layout (${kernels.scratchBytes()} bytes) differs from the host's (${SCRATCH})`,
    };
  }
  const workers = pool ? pool.count : 0;
  const mem = new ModuleMemory(kernels, CONTROL_BYTES + (workers + 1) * SCRATCH);
  kernels.setScratch(...scratchAt(0));
  const control = new Int32Array(kernels.memory.buffer, 0, CONTROL_BYTES / 4);
  if (pool) startWorkers(pool, module, kernels.memory, control);
  const product = makeProduct(kernels, mem, control, workers);
  const backend: Backend = {
    ...jsBackend,
    name: 'wasm',
    gemm: gemmInModule(mem, product),
    ...pointwiseInModule(kernels, mem),
    ...attentionInModule(kernels, mem, product),
  };
  return { backend, threads: workers + 1, simd };
}

/** Byte addresses of thread t's scratch: packed A, packed B, edge tile. */
function scratchAt(t: number): [number, number, number] {
  const s = CONTROL_BYTES + t * SCRATCH;
  return [s, s + PACK_A * 4, s + (PACK_A + PACK_B) * 4];
}

function startWorkers(
  pool: WasmThreads,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  control: Int32Array,
): void {
  for (let t = 0; t < pool.count; t++) pool.start(t, module, memory, scratchAt(t + 1));
  // Workers start asynchronously; wait (blocking, as Node allows) until each has instantiated.
  for (let t = 0; t < pool.count; t++)
    while (Atomics.load(control, t * SLOT + 15) !== 1) Atomics.wait(control, t * SLOT + 15, 0, 50);
}

/** Batched products: each item's operands copied in, multiplied, and C copied back. */
function gemmInModule(mem: ModuleMemory, product: Product): Backend['gemm'] {
  return (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
    checkGemm('wasm gemm', a, b, c, p);
    const sizeA = p.m * p.k,
      sizeB = p.k * p.n,
      sizeC = p.m * p.n;
    const [offA, offB, offC] = mem.regions(sizeA, sizeB, sizeC) as [number, number, number];
    for (let i = 0; i < p.batch; i++) {
      mem.copyIn(a, i * p.strideA, sizeA, offA, 'a');
      if (i === 0 || p.strideB !== 0) mem.copyIn(b, i * p.strideB, sizeB, offB, 'b');
      const add = p.accumulate || (p.strideC === 0 && i > 0);
      if (add) mem.copyIn(c, i * p.strideC, sizeC, offC, 'c');
      product(offA * 4, offB * 4, offC * 4, p.m, p.n, p.k, p.transA, p.transB, add);
      mem.copyOut(c, i * p.strideC, sizeC, offC, 'c');
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

/** The worker side of the protocol, as source text for a worker started with `eval`. */
export const WASM_WORKER_LOOP = `
const { workerData } = require('node:worker_threads');
const { module, memory, index, scratch } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.setScratch(scratch[0], scratch[1], scratch[2]);
const control = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
const slot = index * ${SLOT};
Atomics.store(control, slot + 15, 1);
Atomics.notify(control, slot + 15);
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
`;
