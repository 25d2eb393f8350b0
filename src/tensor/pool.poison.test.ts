// Poisoning reaches every output buffer in tests, however small or fresh (the fixture models'
// buffers are all below the pooled size), so an unwritten element cannot pass as a zero.
import { describe, expect, it } from 'vitest';
import { takeBuffer, takeZeroed } from './pool.js';

describe('buffer poisoning in tests', () => {
  it.each([[3], [4095], [4096], [100_000]])('an output buffer of %i floats starts as NaN', (n) => {
    expect(takeBuffer(n).every(Number.isNaN)).toBe(true);
  });
  it('a gradient buffer starts as zeros', () => {
    expect(takeZeroed(10).every((v) => v === 0)).toBe(true);
  });
});
