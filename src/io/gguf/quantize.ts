// The GGUF export's quantization: F16 and BF16, and ggml's reference quantizers for Q8_0, Q5_0,
// Q5_1, Q4_0, Q4_K, Q5_K and Q6_K (the quantize_row_*_ref functions of ggml-quants.c, which llama-quantize runs
// when it has no importance matrix), byte for byte. ggml computes in float32: every operation here
// is rounded to float32 (Math.fround) in the order ggml's C evaluates it, so that each choice of
// scale and level is ggml's own (checked against fixtures/gguf/quants.gguf, quantized by ggml).
import { floatToBf16, floatToHalf, halfToFloat } from '../../tensor/precision.js';

export type QuantizedType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q5_0' | 'Q5_1' | 'Q4_0' | 'Q4_K' | 'Q5_K' | 'Q6_K';

/** Values per block of each type: a matrix's rows must hold whole blocks. */
export const BLOCK_VALUES: Record<QuantizedType, number> = {
  F32: 1,
  F16: 1,
  BF16: 1,
  Q8_0: 32,
  Q5_0: 32,
  Q5_1: 32,
  Q4_0: 32,
  Q4_K: 256,
  Q5_K: 256,
  Q6_K: 256,
};

const f = Math.fround;

/** ggml's nearest_int: to the nearest integer, halves to even (by adding 1.5 × 2^23 in float32). */
const nearestInt = (v: number) => f(v + 12582912) - 12582912;

/** float32 values as the bytes of a tensor of this type, as ggml writes them. */
export function quantize(type: QuantizedType, x: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
    case 'F16':
      return new Uint8Array(Uint16Array.from(x, floatToHalf).buffer);
    case 'BF16':
      return new Uint8Array(Uint16Array.from(x, floatToBf16).buffer);
    case 'Q8_0':
      return quantizeQ8_0(x);
    case 'Q5_0':
      return quantizeLegacy(x, 5);
    case 'Q5_1':
      return quantizeQ5_1(x);
    case 'Q4_0':
      return quantizeLegacy(x, 4);
    case 'Q4_K':
      return quantizeK(x, 4);
    case 'Q5_K':
      return quantizeK(x, 5);
    case 'Q6_K':
      return quantizeQ6_K(x);
  }
}

function putHalf(out: Uint8Array, at: number, v: number): void {
  const h = floatToHalf(v);
  out[at] = h & 255;
  out[at + 1] = h >> 8;
}

/** The value of largest magnitude in x[from, from + n), the first of equals (ggml's amax/max scan). */
function signedMax(x: Float32Array, from: number, n: number): number {
  let amax = 0,
    max = 0;
  for (let j = from; j < from + n; j++) {
    const v = x[j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

/** quantize_row_q8_0_ref: per block of 32, d = max|x| / 127 (f16) and round(x / d), in float32. */
function quantizeQ8_0(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 32) * 34);
  for (let b = 0; b < x.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = f(amax / 127),
      id = d ? f(1 / d) : 0;
    putHalf(out, b * 34, d);
    for (let j = 0; j < 32; j++) {
      const v = f(x[b * 32 + j]! * id);
      // C's roundf: halves away from zero.
      out[b * 34 + 2 + j] = (v < 0 ? -Math.round(-v) : Math.round(v)) & 255;
    }
  }
  return out;
}

/**
 * quantize_row_q4_0_ref and quantize_row_q5_0_ref: per block of 32, d = (the value of largest
 * magnitude) / −2^(bits−1) (f16) and min(2^bits − 1, trunc(x / d + 2^(bits−1) + 0.5)) in float32.
 * Layout: d, for Q5_0 the fifth bits of the 32 levels (a little-endian u32), then the low four
 * bits of levels j and j + 16 in byte j.
 */
function quantizeLegacy(x: Float32Array, bits: 4 | 5): Uint8Array {
  const half = 1 << (bits - 1),
    size = bits === 4 ? 18 : 22,
    low = size - 16;
  const out = new Uint8Array((x.length / 32) * size);
  const level = (v: number) => Math.min(2 * half - 1, Math.trunc(f(v + half + 0.5)));
  for (let b = 0; b < x.length / 32; b++) {
    const d = f(signedMax(x, b * 32, 32) / -half),
      id = d ? f(1 / d) : 0;
    const at = b * size;
    putHalf(out, at, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const lo = level(f(x[b * 32 + j]! * id)),
        hi = level(f(x[b * 32 + 16 + j]! * id));
      out[at + low + j] = (lo & 15) | ((hi & 15) << 4);
      qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
    }
    if (bits === 5) new DataView(out.buffer).setUint32(at + 2, qh >>> 0, true);
  }
  return out;
}

/**
 * quantize_row_q5_1_ref: per block of 32, d = (max − min) / 31 and m = min (both f16), and
 * trunc((x − min) / d + 0.5). Layout: d, m, the fifth bits (a little-endian u32), the low four bits.
 */
function quantizeQ5_1(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 32) * 24);
  for (let b = 0; b < x.length / 32; b++) {
    let min = Number.POSITIVE_INFINITY,
      max = Number.NEGATIVE_INFINITY;
    for (let j = b * 32; j < b * 32 + 32; j++) {
      min = Math.min(min, x[j]!);
      max = Math.max(max, x[j]!);
    }
    const d = f(f(max - min) / 31),
      id = d ? f(1 / d) : 0;
    const at = b * 24;
    putHalf(out, at, d);
    putHalf(out, at + 2, min);
    const level = (v: number) => Math.trunc(f(f(f(v - min) * id) + 0.5));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const lo = level(x[b * 32 + j]!),
        hi = level(x[b * 32 + 16 + j]!);
      out[at + 8 + j] = (lo & 15) | ((hi & 15) << 4);
      qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
    }
    new DataView(out.buffer).setUint32(at + 4, qh >>> 0, true);
  }
  return out;
}

/**
 * make_qkx2_quants: levels 0..nmax with a scale and a (non-positive) minimum for x, fitted by
 * weighted least squares over nstep + 1 trial scales. Writes the levels into L and returns
 * [scale, −minimum].
 */
function makeQkx2(
  x: Float32Array,
  nmax: number,
  w: Float32Array,
  L: Uint8Array,
  aux: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
): [number, number] {
  const n = x.length;
  let min = x[0]!,
    max = x[0]!,
    sumW = w[0]!,
    sumX = f(sumW * x[0]!);
  for (let i = 1; i < n; i++) {
    const v = x[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sumW = f(sumW + w[i]!);
    sumX = f(sumX + f(w[i]! * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0);
    return [0, -min];
  }
  let iscale = f(nmax / f(max - min)),
    scale = f(1 / iscale),
    best = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(x[i]! - min)))));
    L[i] = l;
    const diff = f(f(f(scale * l) + min) - x[i]!);
    best = f(best + f(w[i]! * f(diff * diff)));
  }
  for (let step = 0; step <= nstep; step++) {
    // max − min with the minimum of the best fit so far, as ggml has it.
    iscale = f(f(f(rmin + f(rdelta * step)) + nmax) / f(max - min));
    let sumL = 0,
      sumL2 = 0,
      sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(x[i]! - min)))));
      aux[i] = l;
      const wl = f(w[i]! * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * x[i]!));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D),
      thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = f(sumXL / sumL2);
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      const diff = f(f(f(thisScale * aux[i]!) + thisMin) - x[i]!);
      error = f(error + f(w[i]! * f(diff * diff)));
    }
    if (error < best) {
      L.set(aux);
      best = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  return [scale, -min];
}

/**
 * quantize_row_q4_K_ref and quantize_row_q5_K_ref: super-blocks of 256 in 8 sub-blocks of 32, each
 * with a 6-bit scale and minimum (make_qkx2_quants, weighted by |x| + rms) relative to the
 * super-block's f16 d and dmin; 4- or 5-bit levels. Layout: d, dmin, 12 bytes of packed scales and
 * minimums, for Q5_K 32 bytes of fifth bits, then 128 bytes of low four bits.
 */
function quantizeK(x: Float32Array, bits: 4 | 5): Uint8Array {
  // make_qkx2_quants's search: levels, and the range and number of its trial scales.
  const [nmax, rmin, steps, size] = bits === 4 ? [15, -1, 20, 144] : [31, -0.5, 15, 176];
  const low = size - 128;
  const out = new Uint8Array((x.length / 256) * size);
  const L = new Uint8Array(256),
    aux = new Uint8Array(32),
    weights = new Float32Array(32);
  const scales = new Float32Array(8),
    mins = new Float32Array(8);
  for (let b = 0; b < x.length / 256; b++) {
    const base = b * 256,
      at = b * size,
      sc = out.subarray(at + 4, at + 16);
    let maxScale = 0,
      maxMin = 0;
    for (let j = 0; j < 8; j++) {
      const o = base + 32 * j;
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[o + l]! * x[o + l]!));
      const avX = f(Math.sqrt(f(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[o + l]!));
      [scales[j], mins[j]] = makeQkx2(
        x.subarray(o, o + 32),
        nmax,
        weights,
        L.subarray(32 * j, 32 * j + 32),
        aux,
        rmin,
        f(0.1),
        steps,
      );
      if (scales[j]! > maxScale) maxScale = scales[j]!;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0,
      invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(f(invScale * scales[j]!)) & 255),
        lm = Math.min(63, nearestInt(f(invMin * mins[j]!)) & 255);
      if (j < 4) {
        sc[j] = ls;
        sc[j + 4] = lm;
      } else {
        sc[j + 4] = (ls & 15) | ((lm & 15) << 4);
        sc[j - 4]! |= (ls >> 4) << 6;
        sc[j]! |= (lm >> 4) << 6;
      }
    }
    putHalf(out, at, f(maxScale / 63));
    putHalf(out, at + 2, f(maxMin / 63));
    const d0 = halfToFloat(out[at]! | (out[at + 1]! << 8)),
      dmin0 = halfToFloat(out[at + 2]! | (out[at + 3]! << 8));
    for (let j = 0; j < 8; j++) {
      const [s, m] =
        j < 4
          ? [sc[j]! & 63, sc[j + 4]! & 63]
          : [(sc[j + 4]! & 15) | ((sc[j - 4]! >> 6) << 4), (sc[j + 4]! >> 4) | ((sc[j]! >> 6) << 4)];
      const d = f(d0 * s);
      if (!d) continue;
      const dm = f(dmin0 * m);
      for (let i = 0; i < 32; i++)
        L[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt(f(f(x[base + 32 * j + i]! + dm) / d))));
    }
    // Levels j and j + 32 of each 64 share a byte; Q5_K's fifth bits go to bits 2k and 2k + 1 of byte j.
    for (let k = 0; k < 4; k++)
      for (let l = 0; l < 32; l++) {
        const [a, c] = [L[64 * k + l]!, L[64 * k + l + 32]!];
        out[at + low + 32 * k + l] = (a & 15) | ((c & 15) << 4);
        if (bits === 5) out[at + 16 + l]! |= ((a >> 4) << (2 * k)) | ((c >> 4) << (2 * k + 1));
      }
  }
  return out;
}

/**
 * make_qx_quants with rmse_type 1: levels −nmax..nmax−1 for x and the scale that fits them best
 * weighted by x², over 19 trial scales around nmax / max. The levels go to L, offset by nmax.
 */
function makeQx(x: Float32Array, nmax: number, L: Uint8Array): number {
  const n = x.length;
  const max = signedMax(x, 0, n);
  if (Math.abs(max) < f(1e-15)) {
    L.fill(0);
    return 0;
  }
  const fit = (iscale: number, keep: boolean) => {
    let sumlx = 0,
      suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * v))));
      if (keep) L[i] = l + nmax;
      const w = f(v * v);
      sumlx = f(sumlx + f(f(w * v) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    return [sumlx, suml2] as const;
  };
  let [sumlx, suml2] = fit(f(-nmax / max), true);
  let scale = suml2 ? f(sumlx / suml2) : 0;
  let best = f(scale * sumlx);
  for (let step = -9; step <= 9; step++) {
    if (step === 0) continue;
    const iscale = f(-f(nmax + f(f(0.1) * step)) / max);
    [sumlx, suml2] = fit(iscale, false);
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      fit(iscale, true);
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

/**
 * quantize_row_q6_K_ref: super-blocks of 256 in 16 sub-blocks of 16, each with a signed 8-bit
 * scale (make_qx_quants) relative to the super-block's f16 d; 6-bit levels. Layout: 128 bytes of
 * low 4 bits, 64 bytes of high 2 bits, 16 scales, d.
 */
function quantizeQ6_K(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 256) * 210);
  const L = new Uint8Array(256),
    scales = new Float32Array(16);
  for (let b = 0; b < x.length / 256; b++) {
    const base = b * 256,
      at = b * 210;
    let maxScale = 0,
      maxAbs = 0;
    for (let j = 0; j < 16; j++) {
      scales[j] = makeQx(x.subarray(base + 16 * j, base + 16 * j + 16), 32, L.subarray(16 * j, 16 * j + 16));
      if (Math.abs(scales[j]!) > maxAbs) {
        maxAbs = Math.abs(scales[j]!);
        maxScale = scales[j]!;
      }
    }
    if (maxAbs < f(1e-15)) continue;
    const iscale = f(-128 / maxScale);
    putHalf(out, at + 208, f(1 / iscale));
    const d0 = halfToFloat(out[at + 208]! | (out[at + 209]! << 8));
    for (let j = 0; j < 16; j++) {
      const s = Math.min(127, nearestInt(f(iscale * scales[j]!)));
      out[at + 192 + j] = s & 255;
      const d = f(d0 * s);
      if (!d) continue;
      for (let i = 0; i < 16; i++)
        L[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(f(x[base + 16 * j + i]! / d)))) + 32;
    }
    for (let j = 0; j < 256; j += 128) {
      const ql = at + j / 2,
        qh = at + 128 + j / 4;
      for (let l = 0; l < 32; l++) {
        const [a, c, e, g] = [L[j + l]!, L[j + l + 32]!, L[j + l + 64]!, L[j + l + 96]!];
        out[ql + l] = (a & 15) | ((e & 15) << 4);
        out[ql + l + 32] = (c & 15) | ((g & 15) << 4);
        out[qh + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((g >> 4) << 6);
      }
    }
  }
  return out;
}
