// Reads a PyTorch reference fixture (a safetensors file written by python/make_fixtures.py)
// and measures how close a result comes to it.
import { readSafetensors, toFloat32, type SafetensorsFile, type StoredTensor } from '../io/safetensors.js';
import { Tensor } from '../tensor/tensor.js';

export interface Fixture {
  source: string;
  file: SafetensorsFile;
  has(name: string): boolean;
  get(name: string): StoredTensor;
  /** A float32 tensor (float64 references round to float32). */
  tensor(name: string, options?: { requiresGrad?: boolean }): Tensor;
  /** Exact float64 reference values. */
  f64(name: string): Float64Array;
  ints(name: string): Int32Array;
  /** A JSON value stored in the metadata. */
  meta<T>(key: string): T;
}

export function parseFixture(bytes: Uint8Array, source: string): Fixture {
  const file = readSafetensors(bytes, source);
  const get = (n: string): StoredTensor => {
    const t = file.tensors.get(n);
    if (!t) throw new Error(`${source}: fixture has no tensor "${n}"`);
    return t;
  };
  return {
    source,
    file,
    get,
    has: (n) => file.tensors.has(n),
    tensor: (n, o) => {
      const t = get(n);
      return new Tensor(toFloat32(t).slice(), t.shape, o);
    },
    f64: (n) => {
      const t = get(n);
      return t.dtype === 'F64' ? (t.data as Float64Array) : Float64Array.from(toFloat32(t));
    },
    ints: (n) => {
      const t = get(n);
      if (t.dtype !== 'I32') throw new Error(`${source}: fixture tensor "${n}" is ${t.dtype}, not I32`);
      return t.data as Int32Array;
    },
    meta: <T>(key: string): T => {
      const v = file.metadata[key];
      if (v === undefined) throw new Error(`${source}: fixture metadata has no "${key}"`);
      return JSON.parse(v) as T;
    },
  };
}

/** max |actual − expected| / max |expected| (the absolute difference when expected is all zeros; NaN if any NaN). */
export function relativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let maxDiff = 0,
    maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(d)) return NaN;
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** max |actual − expected|. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  return m;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** One comparison with PyTorch: what was compared, how far apart, and the allowed difference. */
export interface Check {
  group: string;
  check: string;
  diff: number;
  tolerance: number;
}

export const passes = (c: Check): boolean => c.diff <= c.tolerance;
