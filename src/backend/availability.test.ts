// Which backends this run covers. A backend that is not on this machine shows as a skipped test
// with the reason, so a run that silently lost the native or wasm suites cannot look complete.
import { describe, expect, it } from 'vitest';
import { jsBackend } from './js/index.js';
import { gemm } from './js/gemm.js';
import { BACKENDS, MISSING_BACKENDS } from '../testing/backends.js';

describe('backends under test', () => {
  it(`runs every suite on: ${BACKENDS.join(', ')}`, () => {
    expect(BACKENDS).toContain('js');
  });
  for (const { name, reason } of MISSING_BACKENDS) it.skip(`${name}: not tested here, ${reason}`, () => {});
});

describe('the reference gemm', () => {
  it('propagates NaN and infinity from B even where A is zero, as BLAS does', () => {
    const c = new Float32Array(2);
    gemm(Float32Array.of(0, 0), Float32Array.of(NaN, 1, Infinity, 1), c, {
      batch: 1,
      m: 1,
      n: 2,
      k: 2,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: false,
    });
    expect(Number.isNaN(c[0])).toBe(true);
    expect(jsBackend.name).toBe('js');
  });
});
