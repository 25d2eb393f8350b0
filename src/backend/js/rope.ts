// Reference rotary position embedding in the rotate-half convention of GPT-NeoX and Llama, over
// the first R = 2·invFreq.length dimensions of each head: pairs (x[i], x[i + R/2]) rotate by angle
// pos · invFreq[i] (base^(−2i/R), maybe rescaled); dimensions from R on pass through (partial
// rotary, as GPT-NeoX rotates a quarter of each head).

function rotate(
  x: Float32Array,
  rows: number,
  t: number,
  dim: number,
  offset: number,
  invFreq: Float64Array,
  out: Float32Array,
  sign: 1 | -1,
  accumulate: boolean,
): void {
  const half = invFreq.length;
  const cos = new Float64Array(t * half),
    sin = new Float64Array(t * half);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + p) * invFreq[i]!;
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = sign * Math.sin(angle);
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < t; p++) {
      const o = (r * t + p) * dim;
      for (let i = 0; i < half; i++) {
        const c = cos[p * half + i]!,
          s = sin[p * half + i]!;
        const x1 = x[o + i]!,
          x2 = x[o + i + half]!;
        const y1 = x1 * c - x2 * s,
          y2 = x2 * c + x1 * s;
        if (accumulate) {
          out[o + i]! += y1;
          out[o + i + half]! += y2;
        } else {
          out[o + i] = y1;
          out[o + i + half] = y2;
        }
      }
      for (let i = 2 * half; i < dim; i++) out[o + i] = accumulate ? out[o + i]! + x[o + i]! : x[o + i]!;
    }
  }
}

export function rope(
  x: Float32Array,
  rows: number,
  t: number,
  dim: number,
  offset: number,
  invFreq: Float64Array,
  out: Float32Array,
): void {
  rotate(x, rows, t, dim, offset, invFreq, out, 1, false);
}

/** The rotation is orthogonal, so its gradient is the inverse rotation of g. */
export function ropeBackward(
  g: Float32Array,
  rows: number,
  t: number,
  dim: number,
  offset: number,
  invFreq: Float64Array,
  dx: Float32Array,
): void {
  rotate(g, rows, t, dim, offset, invFreq, dx, -1, true);
}
