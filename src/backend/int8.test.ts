// gemmInt8 on every backend reproduces the reference kernel, including the bias-accumulating form
// and a decoding row, and refuses sizes its arrays do not cover; attention over int8 keys and values
// matches the reference on every backend, each running its own kernels.
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../testing/backends.js';
import { Rng } from '../tensor/random.js';
import { relativeDiff } from '../verify/fixture.js';
import { setBackend } from './backend.js';
import { jsBackend } from './js/index.js';
import { alibiSlopes } from '../tensor/ops/attention.js';

function operands(rows: number, n: number, k: number) {
  const rng = new Rng(rows * 1000 + n);
  const x = new Float32Array(rows * k);
  rng.fillNormal(x);
  const q = Int8Array.from({ length: n * k }, () => rng.int(255) - 127);
  const scales = Float32Array.from({ length: n }, () => rng.uniform() / 64);
  const out = new Float32Array(rows * n);
  rng.fillNormal(out);
  return { x, q, scales, out };
}

describe.each(BACKENDS)('gemmInt8 on %s', (name) => {
  it.each([
    [1, 384, 384, false],
    [1, 1536, 384, true],
    [7, 65, 96, false],
    [64, 130, 200, true],
  ] as const)('rows %i, n %i, k %i, accumulate %s', (rows, n, k, accumulate) => {
    const be = setBackend(name);
    const a = operands(rows, n, k),
      b = operands(rows, n, k);
    jsBackend.gemmInt8(a.x, a.q, a.scales, a.out, rows, n, k, accumulate);
    be.gemmInt8(b.x, b.q, b.scales, b.out, rows, n, k, accumulate);
    expect(relativeDiff(b.out, a.out)).toBeLessThan(1e-5);
  });
});

describe.each(BACKENDS)('dequantRows on %s', (name) => {
  it('widens the first rows of every block, as the reference does, and leaves the rest', () => {
    const be = setBackend(name);
    const rng = new Rng(5);
    const [outer, stride, count, width] = [12, 40, 33, 64];
    const q = Int8Array.from({ length: outer * stride * width }, () => rng.int(255) - 127);
    const scales = Float32Array.from({ length: outer * stride }, () => rng.uniform());
    const a = new Float32Array(q.length).fill(7),
      b = new Float32Array(q.length).fill(7);
    jsBackend.dequantRows(q, scales, a, outer, stride, count, width);
    be.dequantRows(q, scales, b, outer, stride, count, width);
    expect(b).toEqual(a);
    expect(a[(stride - 1) * width]).toBe(7); // row 39 of block 0 is past `count`
  });
});

it.skipIf(!BACKENDS.includes('native'))('the native kernel refuses sizes its arrays do not cover', () => {
  const be = setBackend('native');
  const a = operands(2, 8, 8);
  expect(() => be.gemmInt8(a.x, a.q, a.scales, a.out, 2, 8, 9, false)).toThrow(
    /gemmInt8: x has 16 elements, the sizes need 18/,
  );
});

describe.each(BACKENDS)('attention over an int8 KV cache on %s', (name) => {
  it.each([
    [2, 6, 3, 1, 37, 40, 16, 0],
    [1, 4, 2, 9, 9, 12, 8, 0],
    [1, 6, 6, 1, 256, 320, 64, 0],
    [1, 4, 2, 9, 30, 32, 8, 6],
    [1, 6, 6, 1, 256, 320, 64, 100],
    [1, 4, 2, 9, 30, 32, 8, 0, 0.5],
    [1, 6, 6, 1, 256, 320, 64, 100, 0.7],
    [1, 6, 3, 9, 30, 32, 8, 6, 0, true],
    [1, 8, 8, 1, 256, 320, 64, 0, 0, true],
  ] as const)(
    'batch %i, heads %i over %i, tq %i, tk %i (stride %i), head size %i, sliding window %i, soft-cap %s, ALiBi %s',
    (batch, heads, kvHeads, tq, tk, stride, D, window, softcap: number = 0, alibi: boolean = false) => {
      const be = setBackend(name);
      const rng = new Rng(tk);
      const dims = {
        batch,
        heads,
        kvHeads,
        tq,
        tk,
        kvStride: stride,
        headDim: D,
        scale: 1 / Math.sqrt(D),
        causal: true,
        window,
        softcap,
        alibi: alibi ? alibiSlopes(heads) : undefined,
      };
      const q = new Float32Array(batch * heads * tq * D);
      rng.fillNormal(q);
      const kv = Int8Array.from({ length: batch * kvHeads * stride * D }, () => rng.int(255) - 127);
      const scales = Float32Array.from({ length: batch * kvHeads * stride }, () => rng.uniform() / 40);
      const [pa, pb] = [0, 1].map(() => new Float32Array(batch * heads * tq * tk));
      jsBackend.attentionProbsInt8(q, kv, scales, dims, pa!);
      be.attentionProbsInt8(q, kv, scales, dims, pb!);
      expect(relativeDiff(pb!, pa!)).toBeLessThan(1e-5);
      const [oa, ob] = [0, 1].map(() => new Float32Array(batch * heads * tq * D));
      jsBackend.attendValuesInt8(pa!, kv, scales, dims, oa!);
      be.attendValuesInt8(pa!, kv, scales, dims, ob!);
      expect(relativeDiff(ob!, oa!)).toBeLessThan(1e-5);
    },
  );
});

describe.each(BACKENDS.filter((name) => name !== 'js'))('%s', (name) => {
  it('runs every int8 kernel itself, not the reference', () => {
    // Comparing a backend against the reference proves nothing when it silently inherits the reference.
    const be = setBackend(name);
    for (const kernel of ['gemmInt8', 'attentionProbsInt8', 'attendValuesInt8'] as const)
      expect(be[kernel], kernel).not.toBe(jsBackend[kernel]);
    if (name === 'native') expect(be.dequantRows).not.toBe(jsBackend.dequantRows);
  });
});
