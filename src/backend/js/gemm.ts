// Reference matrix product: one plain loop nest for every transpose combination and batch layout.
// Accumulates each output row in float64 so it serves as the accuracy baseline for faster backends.
import type { GemmArgs } from '../types.js';

export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs): void {
  const { batch, m, n, k } = p;
  // Element (i, l) of op(A) is a[aOff + i*ars + l*acs]; element (l, j) of op(B) is b[bOff + l*brs + j*bcs].
  const ars = p.transA ? 1 : k,
    acs = p.transA ? m : 1;
  const brs = p.transB ? 1 : n,
    bcs = p.transB ? k : 1;
  const row = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * p.strideA,
      bOff = bi * p.strideB,
      cOff = bi * p.strideC;
    const add = p.accumulate || (p.strideC === 0 && bi > 0);
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let l = 0; l < k; l++) {
        const av = a[aOff + i * ars + l * acs]!;
        const bRow = bOff + l * brs;
        for (let j = 0; j < n; j++) row[j]! += av * b[bRow + j * bcs]!;
      }
      const cRow = cOff + i * n;
      if (add) for (let j = 0; j < n; j++) c[cRow + j]! += row[j]!;
      else for (let j = 0; j < n; j++) c[cRow + j] = row[j]!;
    }
  }
}
