// Reference elementwise kernels: broadcasting binary ops, scaling, activations and their gradients.
import type { BinaryOp, GeluApproximation } from '../types.js';
import { erf } from '../../tensor/erf.js';

// Broadcasting repeats the shorter operand along the longer one's leading dimensions, so the loops
// walk the output in rows of the shorter length instead of taking an index modulo per element.
export function binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length,
    an = a.length,
    bn = b.length;
  if (an === n && bn === n) {
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    return;
  }
  const aLong = an === n,
    period = aLong ? bn : an;
  for (let o = 0; o < n; o += period) {
    const long = aLong ? a : b,
      short = aLong ? b : a;
    if (op === 'add') for (let i = 0; i < period; i++) out[o + i] = long[o + i]! + short[i]!;
    else if (op === 'mul') for (let i = 0; i < period; i++) out[o + i] = long[o + i]! * short[i]!;
    else if (aLong) for (let i = 0; i < period; i++) out[o + i] = a[o + i]! - b[i]!;
    else for (let i = 0; i < period; i++) out[o + i] = a[i]! - b[o + i]!;
  }
}

export function binaryBackward(
  op: BinaryOp,
  which: 'a' | 'b',
  a: Float32Array,
  b: Float32Array,
  g: Float32Array,
  dx: Float32Array,
): void {
  const n = g.length,
    dn = dx.length;
  if (op === 'mul') {
    const other = which === 'a' ? b : a,
      on = other.length;
    if (dn === n) {
      for (let o = 0; o < n; o += on) for (let i = 0; i < on; i++) dx[o + i]! += g[o + i]! * other[i]!;
    } else {
      for (let o = 0; o < n; o += dn) for (let i = 0; i < dn; i++) dx[i]! += g[o + i]! * other[o + i]!;
    }
    return;
  }
  const sign = op === 'sub' && which === 'b' ? -1 : 1;
  if (dn === n) for (let i = 0; i < n; i++) dx[i]! += sign * g[i]!;
  else for (let o = 0; o < n; o += dn) for (let i = 0; i < dn; i++) dx[i]! += sign * g[o + i]!;
}

export function scale(x: Float32Array, s: number, out: Float32Array, accumulate: boolean): void {
  const n = x.length;
  if (accumulate) for (let i = 0; i < n; i++) out[i]! += x[i]! * s;
  else for (let i = 0; i < n; i++) out[i] = x[i]! * s;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function gelu(x: Float32Array, approximate: GeluApproximation, out: Float32Array): void {
  const n = x.length;
  if (approximate === 'tanh') {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      out[i] = 0.5 * v * (1 + erf(v * INV_SQRT_2));
    }
  }
}

export function geluBackward(x: Float32Array, approximate: GeluApproximation, g: Float32Array, dx: Float32Array): void {
  const n = x.length;
  if (approximate === 'tanh') {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
      const t = Math.tanh(u);
      const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
      dx[i]! += g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * INV_SQRT_2));
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      dx[i]! += g[i]! * (cdf + v * pdf);
    }
  }
}

export function silu(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v / (1 + Math.exp(-v));
  }
}

export function siluBackward(x: Float32Array, g: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const s = 1 / (1 + Math.exp(-v));
    dx[i]! += g[i]! * s * (1 + v * (1 - s));
  }
}

export function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}
