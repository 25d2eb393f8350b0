// Size checks for kernels that trust their sizes (native C, WebAssembly memory): every array must
// hold what the sizes say it holds, or the kernel would read another call's leftovers or write
// past the end. Cheap, once per call; errors name the kernel, the array and both counts.
import type { AttentionDims, GemmArgs } from './types.js';

export class KernelBoundsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'KernelBoundsError';
  }
}

const count = (v: number) => Number.isSafeInteger(v) && v >= 0;

function sizes(kernel: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!count(v)) throw new KernelBoundsError(`${kernel}: ${name} must be a non-negative integer, got ${v}`);
  }
}

/** `array` must hold at least `need` elements. */
export function covers(kernel: string, name: string, array: ArrayLike<number> | null, need: number): void {
  if (array && array.length < need) {
    throw new KernelBoundsError(`${kernel}: ${name} has ${array.length} elements, the sizes need ${need}`);
  }
}

const strided = (items: number, stride: number, span: number) => (items === 0 ? 0 : (items - 1) * stride + span);

export function checkGemm(kernel: string, a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs): void {
  const { batch, m, n, k, strideA, strideB, strideC } = p;
  sizes(kernel, { batch, m, n, k, strideA, strideB, strideC });
  covers(kernel, 'a', a, strided(batch, strideA, m * k));
  covers(kernel, 'b', b, strided(batch, strideB, k * n));
  covers(kernel, 'c', c, strided(batch, strideC, m * n));
}

/** Element counts of attention's arrays: queries/outputs, keys/values, probabilities. */
export function checkAttentionDims(kernel: string, d: AttentionDims): { q: number; kv: number; probs: number } {
  const { batch, heads, kvHeads, tq, tk, kvStride, headDim } = d;
  sizes(kernel, { batch, heads, kvHeads, tq, tk, kvStride, headDim });
  if (kvHeads === 0 || heads % kvHeads !== 0)
    throw new KernelBoundsError(`${kernel}: heads ${heads} must be a multiple of kvHeads ${kvHeads}`);
  if (tq > tk || tk > kvStride)
    throw new KernelBoundsError(`${kernel}: needs tq ${tq} ≤ tk ${tk} ≤ kvStride ${kvStride}`);
  if (d.window !== undefined && !(Number.isSafeInteger(d.window) && d.window >= 0))
    throw new KernelBoundsError(`${kernel}: window ${d.window} must be a whole number of keys (0: none)`);
  if (d.softcap !== undefined && !(Number.isFinite(d.softcap) && d.softcap >= 0))
    throw new KernelBoundsError(`${kernel}: softcap ${d.softcap} must be a finite number ≥ 0 (0: none)`);
  if (d.alibi !== undefined && (d.alibi.length !== heads || !d.alibi.every(Number.isFinite)))
    throw new KernelBoundsError(`${kernel}: alibi needs ${heads} finite slopes, one per head, got ${d.alibi.length}`);
  return { q: batch * heads * tq * headDim, kv: batch * kvHeads * kvStride * headDim, probs: batch * heads * tq * tk };
}

export function checkSameLength(kernel: string, n: number, arrays: Record<string, ArrayLike<number> | null>): void {
  for (const [name, a] of Object.entries(arrays)) covers(kernel, name, a, n);
}
