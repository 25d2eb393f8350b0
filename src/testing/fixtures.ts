// Test support (Node-only): loads the PyTorch fixtures in fixtures/ and measures how close we are.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors, toFloat32, type SafetensorsFile, type StoredTensor } from '../io/safetensors.js';
import { Tensor } from '../tensor/tensor.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface Fixture {
  file: SafetensorsFile;
  get(name: string): StoredTensor;
  /** Float32 tensor (reference float64 values round to float32). */
  tensor(name: string, options?: { requiresGrad?: boolean }): Tensor;
  /** Exact float64 reference values. */
  f64(name: string): Float64Array;
  ints(name: string): Int32Array;
  has(name: string): boolean;
}

export function loadFixture(name: string): Fixture {
  const path = FIXTURE_DIR + name;
  const file = readSafetensors(new Uint8Array(readFileSync(path)), path);
  const get = (n: string): StoredTensor => {
    const t = file.tensors.get(n);
    if (!t) throw new Error(`fixture ${name} has no tensor "${n}"`);
    return t;
  };
  return {
    file,
    get,
    has: (n) => file.tensors.has(n),
    tensor: (n, o) => { const t = get(n); return new Tensor(toFloat32(t).slice(), t.shape, o); },
    f64: (n) => { const t = get(n); return t.dtype === 'F64' ? (t.data as Float64Array) : Float64Array.from(toFloat32(t)); },
    ints: (n) => { const t = get(n); if (t.dtype !== 'I32') throw new Error(`fixture tensor "${n}" is ${t.dtype}, not I32`); return t.data as Int32Array; },
  };
}

/** max |actual − expected| / max |expected| (the absolute difference when expected is all zeros). */
export function relativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(d)) return NaN;
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Collects "check: difference (tolerance)" lines so a test file can print how close it came. */
export class DiffReport {
  private rows: Array<[string, number, number]> = [];

  constructor(private readonly title: string) {}

  /** Records the difference and returns it, so the caller's expect() shows the value on failure. */
  add(check: string, diff: number, tolerance: number): number {
    this.rows.push([check, diff, tolerance]);
    return diff;
  }

  print(): void {
    if (this.rows.length === 0) return;
    const width = Math.max(...this.rows.map(([c]) => c.length));
    const worst = Math.max(...this.rows.map(([, d]) => d));
    const lines = this.rows.map(([c, d, t]) => `  ${c.padEnd(width)}  ${d.toExponential(2)}  (tolerance ${t.toExponential(0)})${d <= t ? '' : '  FAIL'}`);
    console.log(`${this.title}: largest relative difference ${worst.toExponential(2)}\n${lines.join('\n')}`);
  }
}
