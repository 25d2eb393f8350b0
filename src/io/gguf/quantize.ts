// The GGUF export's quantization: F16 and BF16, and ggml's reference quantizers for Q8_0, Q5_0,
// Q5_1, Q4_0, Q4_K, Q5_K and Q6_K (the quantize_row_*_ref functions of ggml-quants.c, which llama-quantize runs
// when it has no importance matrix), byte for byte. ggml computes in float32: every operation here
// is rounded to float32 (Math.fround) in the order ggml's C evaluates it, so that each choice of
// scale and level is ggml's own (checked against fixtures/gguf/quants.gguf, quantized by ggml). The
// K-quants' scale searches, nearly all of their cost, run in WebAssembly's native float32
// (assembly/quantize.ts); this module packs what they choose into ggml's blocks.
import { decodeBase64 } from '../../backend/wasm/kernels.js';
import { floatToBf16, floatToHalf, halfToFloat } from '../../tensor/precision.js';
import { QUANTIZE_WASM_BASE64 } from './binary.js';

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

/** assembly/quantize.ts's exports: the K-quant searches on one super-block in its memory. */
interface Searches {
  memory: WebAssembly.Memory;
  values(): number;
  levels(): number;
  scales(): number;
  mins(): number;
  superBlockK(nmax: number, rmin: number, nstep: number): void;
  superBlockQ6(): void;
}

let searches: Searches | undefined;

/** The search kernels, compiled on first use (a 2 KB module: synchronous compilation is allowed everywhere). */
function kernels(): Searches {
  searches ??= new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(QUANTIZE_WASM_BASE64)), {})
    .exports as unknown as Searches;
  return searches;
}

/** Views of the kernels' super-block: 256 values in, levels, scales and minimums out. */
function superBlockViews(k: Searches) {
  const buffer = k.memory.buffer;
  return {
    x: new Float32Array(buffer, k.values(), 256),
    L: new Uint8Array(buffer, k.levels(), 256),
    scales: new Float32Array(buffer, k.scales(), 16),
    mins: new Float32Array(buffer, k.mins(), 8),
  };
}

/**
 * quantize_row_q4_K_ref and quantize_row_q5_K_ref: super-blocks of 256 in 8 sub-blocks of 32, each
 * with a 6-bit scale and minimum (make_qkx2_quants, weighted by |x| + rms) relative to the
 * super-block's f16 d and dmin; 4- or 5-bit levels. Layout: d, dmin, 12 bytes of packed scales and
 * minimums, for Q5_K 32 bytes of fifth bits, then 128 bytes of low four bits.
 */
function quantizeK(x: Float32Array, bits: 4 | 5): Uint8Array {
  // make_qkx2_quants's search (assembly/quantize.ts): levels, and the range and number of its trial scales.
  const [nmax, rmin, steps, size] = bits === 4 ? [15, -1, 20, 144] : [31, -0.5, 15, 176];
  const low = size - 128;
  const out = new Uint8Array((x.length / 256) * size);
  const search = kernels();
  const { x: block, L, scales, mins } = superBlockViews(search);
  for (let b = 0; b < x.length / 256; b++) {
    const base = b * 256,
      at = b * size,
      sc = out.subarray(at + 4, at + 16);
    block.set(x.subarray(base, base + 256));
    search.superBlockK(nmax, rmin, steps);
    let maxScale = 0,
      maxMin = 0;
    for (let j = 0; j < 8; j++) {
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
 * quantize_row_q6_K_ref: super-blocks of 256 in 16 sub-blocks of 16, each with a signed 8-bit
 * scale (make_qx_quants) relative to the super-block's f16 d; 6-bit levels. Layout: 128 bytes of
 * low 4 bits, 64 bytes of high 2 bits, 16 scales, d.
 */
function quantizeQ6_K(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 256) * 210);
  const search = kernels();
  const { x: block, L, scales } = superBlockViews(search);
  for (let b = 0; b < x.length / 256; b++) {
    const base = b * 256,
      at = b * 210;
    block.set(x.subarray(base, base + 256));
    search.superBlockQ6();
    let maxScale = 0,
      maxAbs = 0;
    for (let j = 0; j < 16; j++) {
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
