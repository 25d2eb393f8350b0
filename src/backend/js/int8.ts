// Reference int8-weight product: out[r, o] (+)= scales[o] · Σ_j x[r, j] · q[o, j]. It defines the
// numbers the faster kernels must reproduce (the sum in float64, then one rounding).

export function gemmInt8(
  x: Float32Array,
  q: Int8Array,
  scales: Float32Array,
  out: Float32Array,
  rows: number,
  n: number,
  k: number,
  accumulate: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    for (let o = 0; o < n; o++) {
      const qo = o * k;
      let acc = 0;
      for (let j = 0; j < k; j++) acc += x[xo + j]! * q[qo + j]!;
      const v = acc * scales[o]!;
      out[r * n + o] = accumulate ? out[r * n + o]! + v : v;
    }
  }
}
