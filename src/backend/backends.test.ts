// Every backend's matrix product agrees with the reference on sizes large enough to take the
// blocked, packed and multi-threaded paths (the op fixtures are too small to reach them).
import { describe, expect, it } from 'vitest';
import { jsBackend } from './js/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { nodeWasmThreads } from './wasm/threads-node.js';
import { loadNativeBackend } from './native/index.js';
import type { Backend, GemmArgs } from './backend.js';
import { Rng } from '../tensor/random.js';
import { relativeDiff } from '../verify/fixture.js';

const candidates: Array<[string, Backend | null]> = [
  ['wasm, one thread', loadWasmBackend().backend],
  ['wasm, worker threads', loadWasmBackend({ threads: nodeWasmThreads(2) }).backend],
  ['native', loadNativeBackend().backend],
];
const present = candidates.filter((c): c is [string, Backend] => c[1] !== null);

const shapes: Array<[string, Partial<GemmArgs>]> = [
  ['300×260·260×270 (edge tiles, two K blocks, threads)', { m: 300, n: 270, k: 260 }],
  ['transposed A and B', { m: 130, n: 200, k: 300, transA: true, transB: true }],
  ['transposed B, accumulating', { m: 257, n: 129, k: 600, transB: true, accumulate: true }],
  ['batched, B shared by every item', { batch: 3, m: 70, n: 65, k: 90, strideB: 0 }],
  ['one row (decoding)', { m: 1, n: 700, k: 384, transB: true }],
];

describe.each(present)('%s gemm matches the reference', (_name, be) => {
  it.each(shapes)('%s', (_label, over) => {
    const p: GemmArgs = { batch: 1, m: 0, n: 0, k: 0, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false, ...over };
    p.strideA = p.m * p.k; p.strideC = p.m * p.n;
    if (over.strideB === undefined) p.strideB = p.k * p.n;
    const rng = new Rng(p.m * 7 + p.n);
    const a = rng.fillNormal(new Float32Array(p.batch * p.m * p.k)), b = rng.fillNormal(new Float32Array(p.batch * p.k * p.n));
    const c0 = rng.fillNormal(new Float32Array(p.batch * p.m * p.n));
    const ref = c0.slice(), out = c0.slice();
    jsBackend.gemm(a, b, ref, p);
    be.gemm(a, b, out, p);
    expect(relativeDiff(out, ref)).toBeLessThan(1e-5);
  });
});
