// The WebAssembly kernels' side of the wasm backend: the exports of the AssemblyScript module
// (assembly/*.ts), the layout of its memory (control block for worker threads, per-thread
// scratch), and instantiation of the right build (relaxed or plain SIMD, private or shared memory).
import {
  GEMM_RELAXED_SHARED_WASM_BASE64,
  GEMM_RELAXED_WASM_BASE64,
  GEMM_SHARED_WASM_BASE64,
  GEMM_WASM_BASE64,
} from './binary.js';

export interface Kernels {
  memory: WebAssembly.Memory;
  gemm(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    accumulate: number,
  ): void;
  gemmStrided(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    transA: number,
    transB: number,
    accumulate: number,
  ): void;
  setScratch(a: number, b: number, e: number): void;
  scratchBytes(): number;
  ensureMemory(bytes: number): number;
  geluTanh(x: number, out: number, n: number): void;
  geluTanhBackward(x: number, g: number, dx: number, n: number): void;
  softmaxRows(
    p: number,
    rows: number,
    width: number,
    ld: number,
    first: number,
    causal: number,
    scale: number,
    window: number,
  ): void;
  softmaxBackwardRows(
    p: number,
    g: number,
    ds: number,
    rows: number,
    width: number,
    ld: number,
    first: number,
    causal: number,
    scale: number,
  ): void;
  softcapRows(
    p: number,
    rows: number,
    width: number,
    ld: number,
    first: number,
    causal: number,
    scale: number,
    window: number,
    cap: number,
  ): void;
  alibiRows(
    p: number,
    rows: number,
    width: number,
    ld: number,
    first: number,
    causal: number,
    scale: number,
    window: number,
    slope: number,
  ): void;
  softcapBackwardRows(
    ds: number,
    x: number,
    rows: number,
    width: number,
    ld: number,
    first: number,
    causal: number,
    scale: number,
    cap: number,
  ): void;
  maskRows(p: number, rows: number, width: number, ld: number, first: number): void;
  addRows(dst: number, src: number, rows: number, width: number, ld: number, first: number, causal: number): void;
  gemvRows(w: number, x: number, y: number, n: number, k: number, accumulate: number): void;
  gemvCols(b: number, x: number, y: number, k: number, n: number, accumulate: number): void;
  gemvRowsInt8(q: number, scales: number, x: number, y: number, n: number, k: number, accumulate: number): void;
  gemvColsInt8(q: number, scales: number, x: number, y: number, k: number, n: number, accumulate: number): void;
}

export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  throw new Error('no base64 decoder in this runtime');
}

/** Control block: per worker 16 int32 slots at the start of memory: generation, done, 12 arguments, error, ready. */
export const SLOT = 16;
export const CONTROL_BYTES = 64 * SLOT * 4;
/** Scratch per thread, as assembly/gemm.ts lays it out: packed A (96×256 floats), packed B (256×512), an 8×8 edge tile. */
export const PACK_A = 96 * 256,
  PACK_B = 256 * 512;
export const SCRATCH = (PACK_A + PACK_B + 64) * 4;
/**
 * A shared memory is sized once, up front (512 MiB of address space; pages are only resident once
 * touched): workers may not see a later grow in time (V8 updates other threads' bounds lazily), so
 * products that would need more run on the calling thread alone after growing.
 */
export const SHARED_PAGES = 8192;
/** Products below this many multiply-adds run on the calling thread alone. */
export const PARALLEL_WORK = 1 << 21;

/** Which build of the kernels runs: relaxed SIMD (fused multiply-add) or plain SIMD128. */
export type WasmSimd = 'relaxed' | 'plain';

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

/** Compiles and instantiates the build for `simd`, with a shared memory when threads will use it. */
export function instantiate(simd: WasmSimd, shared: boolean): { kernels: Kernels; module: WebAssembly.Module } {
  if (shared) {
    const module = new WebAssembly.Module(
      decodeBase64(simd === 'relaxed' ? GEMM_RELAXED_SHARED_WASM_BASE64 : GEMM_SHARED_WASM_BASE64),
    );
    const memory = new WebAssembly.Memory({ initial: SHARED_PAGES, maximum: 16384, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
    return { kernels: { ...exports, memory }, module };
  }
  const module = new WebAssembly.Module(decodeBase64(simd === 'relaxed' ? GEMM_RELAXED_WASM_BASE64 : GEMM_WASM_BASE64));
  return { kernels: new WebAssembly.Instance(module, {}).exports as unknown as Kernels, module };
}
