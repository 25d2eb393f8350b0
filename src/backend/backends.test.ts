// Every backend's kernels agree with the reference on sizes large enough to take the blocked,
// packed, row-block and multi-threaded paths (the op fixtures are too small to reach them).
import { ropeInverseFrequencies } from '../tensor/ops/rope.js';
import { alibiSlopes } from '../tensor/ops/attention.js';
import { describe, expect, it } from 'vitest';
import { jsBackend } from './js/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { nodeWasmThreads } from './wasm/threads-node.js';
import { loadNativeBackend } from './native/index.js';
import type { AttentionDims, Backend, GemmArgs } from './backend.js';
import { Rng } from '../tensor/random.js';
import { relativeDiff } from '../verify/fixture.js';

const candidates: Array<[string, Backend | null]> = [
  ['wasm, one thread', loadWasmBackend({ simd: 'plain' }).backend],
  ['wasm, worker threads', loadWasmBackend({ threads: nodeWasmThreads(2), simd: 'plain' }).backend],
  ['wasm relaxed SIMD, one thread', loadWasmBackend({ simd: 'relaxed' }).backend],
  ['wasm relaxed SIMD, worker threads', loadWasmBackend({ threads: nodeWasmThreads(2), simd: 'relaxed' }).backend],
  ['native', loadNativeBackend().backend],
];
const present = candidates.filter((c): c is [string, Backend] => c[1] !== null);

const shapes: Array<[string, Partial<GemmArgs>]> = [
  ['300×260·260×270 (edge tiles, two K blocks, threads)', { m: 300, n: 270, k: 260 }],
  ['transposed A and B', { m: 130, n: 200, k: 300, transA: true, transB: true }],
  ['transposed B, accumulating', { m: 257, n: 129, k: 600, transB: true, accumulate: true }],
  ['batched, B shared by every item', { batch: 3, m: 70, n: 65, k: 90, strideB: 0 }],
  ['one row (decoding)', { m: 1, n: 700, k: 384, transB: true }],
  ['one wide row, split over columns', { m: 1, n: 5000, k: 384 }],
  ['one row of a transposed A', { m: 1, n: 300, k: 200, transA: true }],
  ['few rows, many columns (column split)', { m: 40, n: 900, k: 300, transA: true }],
  ['batched, independent items', { batch: 5, m: 64, n: 96, k: 128, transB: true }],
  ['batched, every item adding into one C', { batch: 3, m: 200, n: 150, k: 64, strideC: 0, accumulate: true }],
  [
    'long reduction, small output (a weight gradient: split over k)',
    { m: 100, n: 60, k: 3001, transA: true, accumulate: true },
  ],
  ['long reduction, transposed B, overwriting', { m: 64, n: 96, k: 2500, transB: true }],
];

describe.each(present)('%s gemm matches the reference', (_name, be) => {
  it.each(shapes)('%s', (_label, over) => {
    const p: GemmArgs = {
      batch: 1,
      m: 0,
      n: 0,
      k: 0,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: false,
      ...over,
    };
    p.strideA = p.m * p.k;
    if (over.strideC === undefined) p.strideC = p.m * p.n;
    if (over.strideB === undefined) p.strideB = p.k * p.n;
    const rng = new Rng(p.m * 7 + p.n);
    const a = rng.fillNormal(new Float32Array(p.batch * p.m * p.k)),
      b = rng.fillNormal(new Float32Array(p.batch * p.k * p.n));
    const c0 = rng.fillNormal(new Float32Array((p.strideC === 0 ? 1 : p.batch) * p.m * p.n));
    const ref = c0.slice(),
      out = c0.slice();
    jsBackend.gemm(a, b, ref, p);
    be.gemm(a, b, out, p);
    expect(relativeDiff(out, ref)).toBeLessThan(1e-5);
  });
});

const random = (rng: Rng, n: number, scale = 1) => rng.fillNormal(new Float32Array(n), 0, scale);

/** Runs the same kernel call on the reference and on `be` with fresh copies of the outputs; returns the worst difference. */
function compare(be: Backend, outputs: Float32Array[], call: (b: Backend, outs: Float32Array[]) => unknown): number {
  const ref = outputs.map((o) => o.slice()),
    got = outputs.map((o) => o.slice());
  const r1 = call(jsBackend, ref),
    r2 = call(be, got);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, relativeDiff(got[i]!, ref[i]!));
  if (typeof r1 === 'number') worst = Math.max(worst, Math.abs(r1 - (r2 as number)) / Math.max(1, Math.abs(r1)));
  return worst;
}

const attentionCases: Array<[string, Omit<AttentionDims, 'scale'>]> = [
  [
    'causal, 150 positions (three row blocks), 4 heads over 2 K/V heads',
    { batch: 2, heads: 4, kvHeads: 2, tq: 150, tk: 150, kvStride: 150, headDim: 16, causal: true },
  ],
  [
    'causal, 70 new queries after 130 cached keys in a 256-row cache',
    { batch: 1, heads: 3, kvHeads: 1, tq: 70, tk: 200, kvStride: 256, headDim: 8, causal: true },
  ],
  ['one decoding query', { batch: 1, heads: 6, kvHeads: 6, tq: 1, tk: 90, kvStride: 128, headDim: 32, causal: true }],
  [
    'sliding window of 40 over 150 positions (three row blocks)',
    { batch: 2, heads: 4, kvHeads: 2, tq: 150, tk: 150, kvStride: 150, headDim: 16, causal: true, window: 40 },
  ],
  [
    'sliding window of 16, 70 new queries after 130 cached keys',
    { batch: 1, heads: 3, kvHeads: 1, tq: 70, tk: 200, kvStride: 256, headDim: 8, causal: true, window: 16 },
  ],
  [
    'one decoding query in a window of 32',
    { batch: 1, heads: 6, kvHeads: 6, tq: 1, tk: 90, kvStride: 128, headDim: 32, causal: true, window: 32 },
  ],
  // Gemma 2's soft-capping, at caps small enough that most scores bend (its own are 50 on far larger scores).
  [
    'soft-capped at 1.5, 150 positions (three row blocks)',
    { batch: 2, heads: 4, kvHeads: 2, tq: 150, tk: 150, kvStride: 150, headDim: 16, causal: true, softcap: 1.5 },
  ],
  [
    'soft-capped at 2 in a window of 16, 70 new queries after 130 cached keys',
    {
      batch: 1,
      heads: 3,
      kvHeads: 1,
      tq: 70,
      tk: 200,
      kvStride: 256,
      headDim: 8,
      causal: true,
      window: 16,
      softcap: 2,
    },
  ],
  [
    'one decoding query soft-capped at 1',
    { batch: 1, heads: 6, kvHeads: 6, tq: 1, tk: 90, kvStride: 128, headDim: 32, causal: true, softcap: 1 },
  ],
  // ALiBi's slopes (BLOOM, MPT) at a few heads: 1/4 … 1/256 bend scores by up to 37 over 150 keys.
  [
    'ALiBi over 4 heads, 150 positions (three row blocks)',
    {
      batch: 2,
      heads: 4,
      kvHeads: 2,
      tq: 150,
      tk: 150,
      kvStride: 150,
      headDim: 16,
      causal: true,
      alibi: alibiSlopes(4),
    },
  ],
  [
    'ALiBi over 3 heads in a window of 16, 70 new queries after 130 cached keys',
    {
      batch: 1,
      heads: 3,
      kvHeads: 1,
      tq: 70,
      tk: 200,
      kvStride: 256,
      headDim: 8,
      causal: true,
      window: 16,
      alibi: alibiSlopes(3),
    },
  ],
  [
    'one decoding query with ALiBi over 6 heads',
    { batch: 1, heads: 6, kvHeads: 6, tq: 1, tk: 90, kvStride: 128, headDim: 32, causal: true, alibi: alibiSlopes(6) },
  ],
  [
    'bidirectional, 100 positions',
    { batch: 2, heads: 2, kvHeads: 2, tq: 100, tk: 100, kvStride: 100, headDim: 12, causal: false },
  ],
];

describe.each(present)('%s attention kernels match the reference', (_name, be) => {
  it.each(attentionCases)('%s', (_label, d) => {
    const dims: AttentionDims = { ...d, scale: 1 / Math.sqrt(d.headDim) };
    const rng = new Rng(d.tq * 31 + d.tk);
    const q = random(rng, d.batch * d.heads * d.tq * d.headDim),
      k = random(rng, d.batch * d.kvHeads * d.kvStride * d.headDim);
    const v = random(rng, d.batch * d.kvHeads * d.kvStride * d.headDim);
    const probsSize = d.batch * d.heads * d.tq * d.tk,
      outSize = d.batch * d.heads * d.tq * d.headDim;
    const probs = new Float32Array(probsSize);
    jsBackend.attentionProbs(q, k, dims, probs);
    // Garbage above the diagonal: it is the mask, so attendValues must read it as zero. (Below a
    // sliding window the probabilities kernel's exact zeros are what attendValues reads.)
    const dirty = probs.map((p) => (p === 0 ? 5 : p));
    const gp = random(rng, probsSize),
      go = random(rng, outSize);
    expect(compare(be, [new Float32Array(probsSize)], (b, [o]) => b.attentionProbs(q, k, dims, o!))).toBeLessThan(1e-5);
    expect(
      compare(be, [random(rng, q.length), random(rng, k.length)], (b, [dq, dk]) =>
        b.attentionProbsBackward(q, k, probs, gp, dims, dq!, dk!),
      ),
    ).toBeLessThan(1e-5);
    expect(
      compare(be, [new Float32Array(outSize)], (b, [o]) =>
        b.attendValues(d.causal && !d.window ? dirty : probs, v, dims, o!),
      ),
    ).toBeLessThan(1e-5);
    expect(
      compare(be, [random(rng, probsSize), random(rng, v.length)], (b, [dp, dv]) =>
        b.attendValuesBackward(probs, v, go, dims, dp!, dv!),
      ),
    ).toBeLessThan(1e-5);
  });
});

describe.each(present)('%s pointwise kernels match the reference on large inputs', (_name, be) => {
  const rng = new Rng(7);
  const rows = 700,
    dim = 384,
    n = rows * dim;
  const x = random(rng, n),
    g = random(rng, n),
    gamma = random(rng, dim),
    beta = random(rng, dim),
    bias = random(rng, dim);

  it('layerNorm and its backward (gain and bias gradients summed over threads)', () => {
    const mean = new Float32Array(rows),
      rstd = new Float32Array(rows);
    expect(
      compare(be, [new Float32Array(n), mean, rstd], (b, [o, m, r]) =>
        b.layerNorm(x, gamma, beta, rows, dim, 1e-5, o!, m!, r!),
      ),
    ).toBeLessThan(1e-5);
    jsBackend.layerNorm(x, gamma, beta, rows, dim, 1e-5, new Float32Array(n), mean, rstd);
    expect(
      compare(be, [random(rng, n), random(rng, dim), random(rng, dim)], (b, [dx, dg, db]) =>
        b.layerNormBackward(x, gamma, mean, rstd, g, rows, dim, dx!, dg!, db!),
      ),
    ).toBeLessThan(1e-5);
  });

  it("Llama's blocks: RMSNorm, SiLU and the rotary embedding, and their backward passes", () => {
    const rstd = new Float32Array(rows);
    expect(
      compare(be, [new Float32Array(n), rstd], (b, [o, r]) => b.rmsNorm(x, gamma, rows, dim, 1e-6, o!, r!)),
    ).toBeLessThan(1e-5);
    jsBackend.rmsNorm(x, gamma, rows, dim, 1e-6, new Float32Array(n), rstd);
    expect(
      compare(be, [random(rng, n), random(rng, dim)], (b, [dx, dg]) =>
        b.rmsNormBackward(x, gamma, rstd, g, rows, dim, dx!, dg!),
      ),
    ).toBeLessThan(1e-5);
    // Wide inputs reach the saturated ends of the sigmoid.
    const wide = x.map((v) => 8 * v);
    expect(compare(be, [new Float32Array(n)], (b, [o]) => b.silu(wide, o!))).toBeLessThan(1e-5);
    expect(compare(be, [random(rng, n)], (b, [dx]) => b.siluBackward(wide, g, dx!))).toBeLessThan(1e-5);
    // 350 rows of (batch · heads) × 12 positions × head size 64, at a cached offset of 500.
    const [r, t, d] = [350, 12, 64];
    const xs = x.subarray(0, r * t * d);
    const plain = ropeInverseFrequencies(d, 10000);
    const llama3 = ropeInverseFrequencies(d, 500000, {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalContext: 8192,
    });
    expect(compare(be, [new Float32Array(r * t * d)], (b, [o]) => b.rope(xs, r, t, d, 500, plain, o!))).toBeLessThan(
      1e-6,
    );
    expect(
      compare(be, [random(rng, r * t * d)], (b, [dx]) => b.ropeBackward(xs, r, t, d, 500, llama3, dx!)),
    ).toBeLessThan(1e-6);
    // Partial rotary (GPT-NeoX): the first 16 of 64 dimensions rotate, the rest pass (and their gradient adds).
    const quarter = ropeInverseFrequencies(16, 10000);
    expect(compare(be, [new Float32Array(r * t * d)], (b, [o]) => b.rope(xs, r, t, d, 500, quarter, o!))).toBeLessThan(
      1e-6,
    );
    expect(
      compare(be, [random(rng, r * t * d)], (b, [dx]) => b.ropeBackward(xs, r, t, d, 500, quarter, dx!)),
    ).toBeLessThan(1e-6);
  });

  it('GELU and its backward', () => {
    expect(compare(be, [new Float32Array(n)], (b, [o]) => b.gelu(x, 'tanh', o!))).toBeLessThan(1e-5);
    expect(compare(be, [random(rng, n)], (b, [dx]) => b.geluBackward(x, 'tanh', g, dx!))).toBeLessThan(1e-5);
    // The exact form (GPT-NeoX) over inputs wide enough to reach both tails of Φ.
    const wide = x.map((v) => 6 * v);
    expect(compare(be, [new Float32Array(n)], (b, [o]) => b.gelu(wide, 'none', o!))).toBeLessThan(1e-5);
    expect(compare(be, [random(rng, n)], (b, [dx]) => b.geluBackward(wide, 'none', g, dx!))).toBeLessThan(1e-5);
  });

  it('broadcasting add, sub and mul, and their gradients (a bias gradient sums every row)', () => {
    for (const op of ['add', 'sub', 'mul'] as const) {
      expect(compare(be, [new Float32Array(n)], (b, [o]) => b.binary(op, x, bias, o!))).toBeLessThan(1e-5);
      expect(compare(be, [new Float32Array(n)], (b, [o]) => b.binary(op, bias, x, o!))).toBeLessThan(1e-5);
      expect(compare(be, [new Float32Array(n)], (b, [o]) => b.binary(op, x, g, o!))).toBeLessThan(1e-5);
      expect(compare(be, [random(rng, n)], (b, [dx]) => b.binaryBackward(op, 'a', x, bias, g, dx!))).toBeLessThan(1e-5);
      expect(compare(be, [random(rng, dim)], (b, [db]) => b.binaryBackward(op, 'b', x, bias, g, db!))).toBeLessThan(
        1e-5,
      );
    }
  });

  it('softmax, cross-entropy and its gradient, sums of squares and over rows, scale, the head permute', () => {
    const vocab = 300,
      r = n / vocab;
    const targets = Int32Array.from({ length: r }, (_, i) => (i % 7 === 0 ? -100 : (i * 13) % vocab));
    expect(compare(be, [new Float32Array(n)], (b, [o]) => b.softmax(x, r, vocab, o!))).toBeLessThan(1e-5);
    expect(compare(be, [], (b) => b.crossEntropy(x, targets, r, vocab, -100))).toBeLessThan(1e-6);
    expect(
      compare(be, [random(rng, n)], (b, [dl]) => b.crossEntropyBackward(x, targets, r, vocab, -100, 0.5, dl!)),
    ).toBeLessThan(1e-5);
    expect(compare(be, [], (b) => b.sumSquares(x))).toBeLessThan(1e-6);
    expect(compare(be, [random(rng, dim)], (b, [o]) => b.sumAxis(x, 1, rows, dim, o!, true))).toBeLessThan(1e-6);
    expect(
      compare(be, [new Float32Array(2 * dim)], (b, [o]) =>
        b.sumAxis(x.subarray(0, 2 * 350 * dim), 2, 350, dim, o!, false),
      ),
    ).toBeLessThan(1e-6);
    expect(compare(be, [random(rng, n)], (b, [o]) => b.scale(x, 0.3, o!, true))).toBeLessThan(1e-6);
    const shape = [2, 175, 6, 64];
    expect(
      compare(be, [random(rng, n)], (b, [o]) =>
        b.permute(x.subarray(0, 2 * 175 * 6 * 64), shape, [0, 2, 1, 3], o!.subarray(0, 2 * 175 * 6 * 64), true),
      ),
    ).toBeLessThan(1e-6);
  });

  it('AdamW', () => {
    const args = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };
    const m = random(rng, n, 0.01),
      v = random(rng, n, 0.01).map(Math.abs);
    expect(compare(be, [x.slice(), m, v], (b, [p, mm, vv]) => b.adamw(p!, g, mm!, vv!, args))).toBeLessThan(1e-6);
  });
});

describe('the native backend', () => {
  const native = loadNativeBackend().backend;
  it.skipIf(!native)('runs its own kernels for every step of a GPT or Llama block, not the reference', () => {
    // The comparisons above prove nothing for a kernel the backend silently inherits.
    const own = [
      'gemm',
      'attentionProbs',
      'attentionProbsBackward',
      'attendValues',
      'attendValuesBackward',
      'layerNorm',
      'layerNormBackward',
      'rmsNorm',
      'rmsNormBackward',
      'gelu',
      'geluBackward',
      'silu',
      'siluBackward',
      'rope',
      'ropeBackward',
      'binary',
      'binaryBackward',
      'softmax',
      'crossEntropy',
      'crossEntropyBackward',
      'adamw',
      'sumAxis',
      'sumSquares',
    ] as const;
    for (const kernel of own) expect(native![kernel], kernel).not.toBe(jsBackend[kernel]);
  });
});

describe('the native backend from several threads at once', () => {
  const native = loadNativeBackend().backend;
  it.skipIf(!native)(
    'computes correct products when worker threads call it concurrently (the pool takes one job at a time)',
    async () => {
      const { Worker } = await import('node:worker_threads');
      // Workers load the compiled module (`npm test` builds dist/ first).
      const addon = new URL('../../dist/backend/native/index.js', import.meta.url).href;
      const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.addon).then(({ loadNativeBackend }) => {
        const be = loadNativeBackend().backend;
        const n = 160, a = new Float32Array(n * n), b = new Float32Array(n * n);
        for (let i = 0; i < a.length; i++) { a[i] = ((i * 7 + workerData.seed) % 13) - 6; b[i] = ((i * 5 + workerData.seed) % 11) - 5; }
        let worst = 0;
        for (let rep = 0; rep < 30; rep++) {
          const c = new Float32Array(n * n);
          be.gemm(a, b, c, { batch: 1, m: n, n, k: n, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false });
          for (const [i, j] of [[0, 0], [17, 99], [n - 1, n - 1]]) {
            let s = 0; for (let l = 0; l < n; l++) s += a[i * n + l] * b[l * n + j];
            worst = Math.max(worst, Math.abs(c[i * n + j] - s));
          }
        }
        parentPort.postMessage(worst);
      });`;
      const run = (seed: number) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(source, { eval: true, workerData: { addon, seed } });
          w.once('message', resolve);
          w.once('error', reject);
        });
      // Integer-valued operands: every product is exact in float32, so any race shows as a difference.
      const worst = await Promise.all([run(1), run(2), run(3)]);
      expect(worst).toEqual([0, 0, 0]);
    },
  );
});
