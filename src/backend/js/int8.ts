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

/** out rows (blk·stride + p, p < count, for each of `outer` blocks) = q row · its scale. */
export function dequantRows(
  q: Int8Array,
  scales: Float32Array,
  out: Float32Array,
  outer: number,
  stride: number,
  count: number,
  width: number,
): void {
  for (let blk = 0; blk < outer; blk++) {
    for (let p = 0; p < count; p++) {
      const row = blk * stride + p,
        s = scales[row]!,
        o = row * width;
      for (let j = 0; j < width; j++) out[o + j] = q[o + j]! * s;
    }
  }
}
