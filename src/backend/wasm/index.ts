// The wasm backend: matrix products run in a WebAssembly SIMD kernel (assembly/gemm.ts), split
// across worker threads sharing the module's memory when the host provides them; attention runs
// per head in module memory (products plus the SIMD row kernels of assembly/attention.ts), GELU in
// a SIMD kernel (Math.tanh made it the slowest loop of a training step); other kernels are the
// reference ones. Works in Node and browsers: the module is embedded and compiled synchronously.
// Operands are copied into the module's memory per call, which costs O(n²) against O(n³).
import type { AttentionDims, Backend, GemmArgs } from '../backend.js';
import { jsBackend } from '../js/index.js';
import { GEMM_RELAXED_SHARED_WASM_BASE64, GEMM_RELAXED_WASM_BASE64, GEMM_SHARED_WASM_BASE64, GEMM_WASM_BASE64 } from './binary.js';

interface Kernels {
  memory: WebAssembly.Memory;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, transA: number, transB: number, accumulate: number): void;
  gemmStrided(a: number, b: number, c: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number,
    transA: number, transB: number, accumulate: number): void;
  setScratch(a: number, b: number, e: number): void;
  scratchBytes(): number;
  ensureMemory(bytes: number): number;
  geluTanh(x: number, out: number, n: number): void;
  geluTanhBackward(x: number, g: number, dx: number, n: number): void;
  softmaxRows(p: number, rows: number, width: number, ld: number, first: number, causal: number, scale: number): void;
  softmaxBackwardRows(p: number, g: number, ds: number, rows: number, width: number, ld: number, first: number, causal: number, scale: number): void;
  maskRows(p: number, rows: number, width: number, ld: number, first: number): void;
  addRows(dst: number, src: number, rows: number, width: number, ld: number, first: number, causal: number): void;
  gemvRows(w: number, x: number, y: number, n: number, k: number, accumulate: number): void;
  gemvCols(b: number, x: number, y: number, k: number, n: number, accumulate: number): void;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  throw new Error('no base64 decoder in this runtime');
}

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

/** Control block: per worker 16 int32 slots at the start of memory: generation, done, 12 arguments, error, ready. */
export const SLOT = 16;
const CONTROL_BYTES = 64 * SLOT * 4;
/** Scratch per thread, as assembly/gemm.ts lays it out: packed A (96×256 floats), packed B (256×512), an 8×8 edge tile. */
const PACK_A = 96 * 256, PACK_B = 256 * 512;
const SCRATCH = (PACK_A + PACK_B + 64) * 4;
/**
 * A shared memory is sized once, up front (512 MiB of address space; pages are only resident once
 * touched): workers may not see a later grow in time (V8 updates other threads' bounds lazily), so
 * products that would need more run on the calling thread alone after growing.
 */
const SHARED_PAGES = 8192;
/** Products below this many multiply-adds run on the calling thread alone. */
const PARALLEL_WORK = 1 << 21;

/** Which build of the kernels runs: relaxed SIMD (fused multiply-add) or plain SIMD128. */
export type WasmSimd = 'relaxed' | 'plain';
export type WasmLoad = { backend: Backend; threads: number; simd: WasmSimd } | { backend: null; reason: string };

let relaxedSimd: boolean | null = null;

/** Whether this runtime accepts relaxed SIMD (Chrome 114+, Firefox 120+, Node 22+; Node 20 behind a flag). */
export function hasRelaxedSimd(): boolean {
  if (relaxedSimd === null) {
    try {
      relaxedSimd = WebAssembly.validate(decodeBase64(GEMM_RELAXED_WASM_BASE64));
    } catch {
      relaxedSimd = false;
    }
  }
  return relaxedSimd;
}

export function loadWasmBackend(options: { threads?: WasmThreads; simd?: WasmSimd } = {}): WasmLoad {
  const pool = options.threads && options.threads.count > 0 && typeof SharedArrayBuffer !== 'undefined' ? options.threads : null;
  const simd = options.simd ?? (hasRelaxedSimd() ? 'relaxed' : 'plain');
  if (simd === 'relaxed' && !hasRelaxedSimd()) return { backend: null, reason: 'this runtime has no relaxed SIMD' };
  let k: Kernels, module: WebAssembly.Module;
  try {
    if (pool) {
      module = new WebAssembly.Module(decodeBase64(simd === 'relaxed' ? GEMM_RELAXED_SHARED_WASM_BASE64 : GEMM_SHARED_WASM_BASE64));
      const memory = new WebAssembly.Memory({ initial: SHARED_PAGES, maximum: 16384, shared: true });
      k = { ...(new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels), memory };
    } else {
      module = new WebAssembly.Module(decodeBase64(simd === 'relaxed' ? GEMM_RELAXED_WASM_BASE64 : GEMM_WASM_BASE64));
      k = new WebAssembly.Instance(module, {}).exports as unknown as Kernels;
    }
  } catch (e) {
    return { backend: null, reason: `WebAssembly SIMD is not available here (${(e as Error).message})` };
  }
  if (k.scratchBytes() !== SCRATCH) return { backend: null, reason: `the wasm module's scratch layout (${k.scratchBytes()} bytes) differs from the host's (${SCRATCH})` };
  const threads = pool ? pool.count : 0;
  const scratchAt = (t: number): [number, number, number] => {
    const s = CONTROL_BYTES + t * SCRATCH;
    return [s, s + PACK_A * 4, s + (PACK_A + PACK_B) * 4];
  };
  const base = CONTROL_BYTES + (threads + 1) * SCRATCH;
  k.ensureMemory(base);
  k.setScratch(...scratchAt(0));
  const control = new Int32Array(k.memory.buffer, 0, CONTROL_BYTES / 4);
  for (let t = 0; t < threads; t++) pool!.start(t, module, k.memory, scratchAt(t + 1));
  // Workers start asynchronously; wait (blocking, as Node allows) until each has instantiated.
  for (let t = 0; t < threads; t++) while (Atomics.load(control, t * SLOT + 15) !== 1) Atomics.wait(control, t * SLOT + 15, 0, 50);
  let generation = 0;

  let heap = new Float32Array(k.memory.buffer);
  /** Float offsets of consecutive operand regions of the given sizes after the scratch, reserved. */
  const regions = (...sizes: number[]): number[] => {
    const bytes = 4 * sizes.reduce((a, b) => a + b, 0);
    if (base + bytes > k.memory.buffer.byteLength) k.ensureMemory(base + bytes);
    if (heap.buffer !== k.memory.buffer || heap.length * 4 < base + bytes) heap = new Float32Array(k.memory.buffer);
    let at = base / 4;
    return sizes.map((n) => { const o = at; at += n; return o; });
  };
  const copyIn = (src: Float32Array, from: number, n: number, to: number) => heap.set(src.subarray(from, from + n), to);
  const copyOut = (to: Float32Array, at: number, n: number, from: number) => to.set(heap.subarray(from, from + n), at);

  /** One product in module memory, its rows split into bands across the threads when large. */
  const product = (a: number, b: number, c: number, m: number, n: number, kk: number, tA: boolean, tB: boolean, add: boolean) => {
    if (m === 1) {
      // One row (decoding; A is contiguous either way): read the weight once instead of packing it
      // for a quarter-used tile.
      if (tB) k.gemvRows(b, a, c, n, kk, add ? 1 : 0);
      else k.gemvCols(b, a, c, kk, n, add ? 1 : 0);
      return;
    }
    const lda = tA ? m : kk, ldb = tB ? kk : n;
    const shareable = k.memory.buffer.byteLength <= SHARED_PAGES * 65536;
    const bands = threads > 0 && shareable && m * n * kk >= PARALLEL_WORK ? Math.min(threads + 1, Math.floor(m / 8)) : 1;
    if (bands <= 1) { k.gemmStrided(a, b, c, m, n, kk, lda, ldb, n, tA ? 1 : 0, tB ? 1 : 0, add ? 1 : 0); return; }
    const rows = Math.ceil(m / bands / 4) * 4;
    generation++;
    const used: number[] = [];
    for (let t = 1; t < bands; t++) {
      const r0 = t * rows, r1 = Math.min(m, r0 + rows);
      if (r0 >= r1) break;
      const slot = (t - 1) * SLOT;
      control.set([tA ? a + r0 * 4 : a + r0 * lda * 4, b, c + r0 * n * 4, r1 - r0, n, kk, lda, ldb, n, tA ? 1 : 0, tB ? 1 : 0, add ? 1 : 0], slot + 2);
      Atomics.store(control, slot, generation);
      Atomics.notify(control, slot);
      used.push(slot);
    }
    k.gemmStrided(a, b, c, Math.min(rows, m), n, kk, lda, ldb, n, tA ? 1 : 0, tB ? 1 : 0, add ? 1 : 0);
    for (const slot of used) {
      // Wait on the value just checked: re-reading it for wait() could miss the worker's store.
      for (let done = Atomics.load(control, slot + 1); done !== generation; done = Atomics.load(control, slot + 1)) {
        Atomics.wait(control, slot + 1, done);
      }
      if (Atomics.load(control, slot + 14) !== 0) throw new Error('wasm backend: a worker thread failed inside the matrix kernel');
    }
  };

  const gemm = (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
    const sizeA = p.m * p.k, sizeB = p.k * p.n, sizeC = p.m * p.n;
    const [offA, offB, offC] = regions(sizeA, sizeB, sizeC) as [number, number, number];
    for (let i = 0; i < p.batch; i++) {
      copyIn(a, i * p.strideA, sizeA, offA);
      if (i === 0 || p.strideB !== 0) copyIn(b, i * p.strideB, sizeB, offB);
      const add = p.accumulate || (p.strideC === 0 && i > 0);
      if (add) copyIn(c, i * p.strideC, sizeC, offC);
      product(offA * 4, offB * 4, offC * 4, p.m, p.n, p.k, p.transA, p.transB, add);
      copyOut(c, i * p.strideC, sizeC, offC);
    }
  };

  /** Copies `inputs` into module memory (each padded to a multiple of 4; null reserves an output), runs fn on their addresses, copies the last back into `result`. */
  const lanes = (inputs: Array<Float32Array | null>, result: Float32Array, fn: (addresses: number[], n4: number) => void) => {
    const n = result.length, n4 = (n + 3) & ~3;
    const offsets = regions(...inputs.map(() => n4));
    inputs.forEach((x, i) => { if (x) copyIn(x, 0, n, offsets[i]!); });
    fn(offsets.map((o) => o * 4), n4);
    copyOut(result, 0, n, offsets[offsets.length - 1]!);
  };
  const gelu: Backend['gelu'] = (x, approximate, out) => {
    if (approximate !== 'tanh') return jsBackend.gelu(x, approximate, out);
    lanes([x, null], out, ([px, po], n4) => k.geluTanh(px!, po!, n4));
  };
  const geluBackward: Backend['geluBackward'] = (x, approximate, g, dx) => {
    if (approximate !== 'tanh') return jsBackend.geluBackward(x, approximate, g, dx);
    lanes([x, g, dx], dx, ([px, pg, pd], n4) => k.geluTanhBackward(px!, pg!, pd!, n4));
  };

  /**
   * Attention with each head's products and row kernels (masked softmax, its gradient, masking)
   * run in module memory: per K/V head its keys and values are copied in once, per query head its
   * rows; the probabilities never make a round trip through JavaScript between the two.
   */
  function attentionInModule(): Pick<Backend, 'attentionProbs' | 'attentionProbsBackward' | 'attendValues' | 'attendValuesBackward'> {
    /** Per K/V head (offset of its rows): perGroup, then perHead for each query head reading it
     * (offsets of its q/out rows and its probability rows), then endGroup. */
    const groups = (d: AttentionDims, perGroup: (kvo: number) => void, perHead: (qo: number, po: number) => void, endGroup: (kvo: number) => void) => {
      const group = d.heads / d.kvHeads;
      for (let b = 0; b < d.batch; b++) for (let g = 0; g < d.kvHeads; g++) {
        const kvo = (b * d.kvHeads + g) * d.kvStride * d.headDim;
        perGroup(kvo);
        for (let h = g * group; h < (g + 1) * group; h++) perHead((b * d.heads + h) * d.tq * d.headDim, (b * d.heads + h) * d.tq * d.tk);
        endGroup(kvo);
      }
    };
    const first = (d: AttentionDims) => d.tk - d.tq;
    return {
      attentionProbs: (q, kk, d, probs) => {
        const D = d.headDim, [oK, oQ, oP] = regions(d.tk * D, d.tq * D, d.tq * d.tk) as [number, number, number];
        groups(d, (kvo) => copyIn(kk, kvo, d.tk * D, oK), (qo, po) => {
          copyIn(q, qo, d.tq * D, oQ);
          product(oQ * 4, oK * 4, oP * 4, d.tq, d.tk, D, false, true, false);
          k.softmaxRows(oP * 4, d.tq, d.tk, d.tk, first(d), d.causal ? 1 : 0, d.scale);
          copyOut(probs, po, d.tq * d.tk, oP);
        }, () => {});
      },
      attentionProbsBackward: (q, kk, probs, g, d, dq, dk) => {
        const D = d.headDim;
        const [oK, odK, oQ, odQ, oP, oG] = regions(d.tk * D, d.tk * D, d.tq * D, d.tq * D, d.tq * d.tk, d.tq * d.tk) as number[] as [number, number, number, number, number, number];
        groups(d, (kvo) => {
          copyIn(kk, kvo, d.tk * D, oK);
          if (dk) copyIn(dk, kvo, d.tk * D, odK);
        }, (qo, po) => {
          copyIn(probs, po, d.tq * d.tk, oP);
          copyIn(g, po, d.tq * d.tk, oG);
          k.softmaxBackwardRows(oP * 4, oG * 4, oG * 4, d.tq, d.tk, d.tk, first(d), d.causal ? 1 : 0, d.scale); // dS over G
          if (dq) {
            copyIn(dq, qo, d.tq * D, odQ);
            product(oG * 4, oK * 4, odQ * 4, d.tq, D, d.tk, false, false, true);
            copyOut(dq, qo, d.tq * D, odQ);
          }
          if (dk) {
            copyIn(q, qo, d.tq * D, oQ);
            product(oG * 4, oQ * 4, odK * 4, d.tk, D, d.tq, true, false, true);
          }
        }, (kvo) => { if (dk) copyOut(dk, kvo, d.tk * D, odK); });
      },
      attendValues: (probs, v, d, out) => {
        const D = d.headDim, [oV, oP, oO] = regions(d.tk * D, d.tq * d.tk, d.tq * D) as [number, number, number];
        groups(d, (kvo) => copyIn(v, kvo, d.tk * D, oV), (qo, po) => {
          copyIn(probs, po, d.tq * d.tk, oP);
          if (d.causal) k.maskRows(oP * 4, d.tq, d.tk, d.tk, first(d));
          product(oP * 4, oV * 4, oO * 4, d.tq, D, d.tk, false, false, false);
          copyOut(out, qo, d.tq * D, oO);
        }, () => {});
      },
      attendValuesBackward: (probs, v, g, d, dProbs, dv) => {
        const D = d.headDim;
        const [oV, odV, oG, oP, odP, oT] = regions(d.tk * D, d.tk * D, d.tq * D, d.tq * d.tk, d.tq * d.tk, d.tq * d.tk) as number[] as [number, number, number, number, number, number];
        groups(d, (kvo) => {
          copyIn(v, kvo, d.tk * D, oV);
          if (dv) copyIn(dv, kvo, d.tk * D, odV);
        }, (qo, po) => {
          copyIn(g, qo, d.tq * D, oG);
          if (dProbs) {
            copyIn(dProbs, po, d.tq * d.tk, odP);
            product(oG * 4, oV * 4, oT * 4, d.tq, d.tk, D, false, true, false);
            k.addRows(odP * 4, oT * 4, d.tq, d.tk, d.tk, first(d), d.causal ? 1 : 0);
            copyOut(dProbs, po, d.tq * d.tk, odP);
          }
          if (dv) {
            copyIn(probs, po, d.tq * d.tk, oP);
            if (d.causal) k.maskRows(oP * 4, d.tq, d.tk, d.tk, first(d));
            product(oP * 4, oG * 4, odV * 4, d.tk, D, d.tq, true, false, true);
          }
        }, (kvo) => { if (dv) copyOut(dv, kvo, d.tk * D, odV); });
      },
    };
  }

  return { backend: { ...jsBackend, name: 'wasm', gemm, gelu, geluBackward, ...attentionInModule() }, threads: threads + 1, simd };
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
