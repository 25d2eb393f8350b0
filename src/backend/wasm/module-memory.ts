// Operands in the WebAssembly module's memory: regions reserved after the per-thread scratch for
// one call's operands, and copies in and out of them. Every copy checks that the source holds the
// elements the call's sizes need, so a size that lies is an error instead of a result computed
// from the previous call's leftovers.
import { KernelBoundsError } from '../bounds.js';
import type { Kernels } from './kernels.js';

export class ModuleMemory {
  private heap: Float32Array;
  /** Where one call's regions start: after the scratch, and after pinned arrays while any are. */
  private base: number;
  /** Pinned arrays and their float offsets (kept between calls; see Backend.pin). */
  private readonly pinned = new Map<Float32Array | Int8Array, number>();

  /** `fixed`: the first byte after the control block and scratch. */
  constructor(
    private readonly kernels: Kernels,
    private readonly fixed: number,
  ) {
    this.base = fixed;
    kernels.ensureMemory(fixed);
    this.heap = new Float32Array(kernels.memory.buffer);
  }

  /** Copies the arrays in once, after the scratch; per-call regions start after them until released. */
  pin(arrays: ReadonlyArray<Float32Array | Int8Array>): () => void {
    if (this.pinned.size > 0) throw new Error('wasm backend: arrays are pinned already; release them first');
    const unique = [...new Set(arrays)];
    // Floats each array takes (int8: its bytes, rounded up to whole floats), kept 16-byte aligned.
    const floats = (a: Float32Array | Int8Array) =>
      ((a instanceof Int8Array ? Math.ceil(a.length / 4) : a.length) + 3) & ~3;
    const total = unique.reduce((n, a) => n + floats(a), 0);
    const [start] = this.regions(total) as [number];
    let at = start;
    for (const a of unique) {
      if (a instanceof Int8Array) new Int8Array(this.kernels.memory.buffer, at * 4, a.length).set(a);
      else this.heap.set(a, at);
      this.pinned.set(a, at);
      at += floats(a);
    }
    this.base = at * 4;
    return () => {
      this.pinned.clear();
      this.base = this.fixed;
    };
  }

  /** The float offset of a pinned array, or null. */
  residentOffset(a: Float32Array | Int8Array): number | null {
    return this.pinned.get(a) ?? null;
  }

  /** Float offsets of consecutive regions of the given sizes, reserved (the memory grows if needed). */
  regions(...sizes: number[]): number[] {
    const bytes = 4 * sizes.reduce((a, b) => a + b, 0);
    const { memory } = this.kernels;
    if (this.base + bytes > memory.buffer.byteLength) this.kernels.ensureMemory(this.base + bytes);
    if (this.heap.buffer !== memory.buffer || this.heap.length * 4 < this.base + bytes)
      this.heap = new Float32Array(memory.buffer);
    let at = this.base / 4;
    return sizes.map((n) => {
      const o = at;
      at += n;
      return o;
    });
  }

  /** Copies src[from, from + n) to the region at float offset `to`. */
  copyIn(src: Float32Array, from: number, n: number, to: number, name = 'operand'): void {
    if (from + n > src.length)
      throw new KernelBoundsError(`wasm backend: ${name} has ${src.length} elements, the sizes need ${from + n}`);
    this.heap.set(src.subarray(from, from + n), to);
  }

  /** Copies int8 values src[from, from + n) to the region at float offset `to` (its bytes: a region of ⌈n/4⌉ floats). */
  copyInt8In(src: Int8Array, from: number, n: number, to: number, name = 'operand'): void {
    if (from + n > src.length)
      throw new KernelBoundsError(`wasm backend: ${name} has ${src.length} elements, the sizes need ${from + n}`);
    new Int8Array(this.kernels.memory.buffer, to * 4, n).set(src.subarray(from, from + n));
  }

  /** Copies n floats at float offset `from` into dst[at, at + n). */
  copyOut(dst: Float32Array, at: number, n: number, from: number, name = 'output'): void {
    if (at + n > dst.length)
      throw new KernelBoundsError(`wasm backend: ${name} has ${dst.length} elements, the sizes need ${at + n}`);
    dst.set(this.heap.subarray(from, from + n), at);
  }

  /** Whether the memory is still within the shared pages worker threads can see. */
  get byteLength(): number {
    return this.kernels.memory.buffer.byteLength;
  }
}
