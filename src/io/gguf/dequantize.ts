// ggml's tensor types as GGUF stores them and their dequantization to float32: the plain floats
// (F32, F16, BF16), the 32-value blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and the 256-value k-quants
// (Q2_K … Q6_K) that llama.cpp's common presets (Q4_K_M, Q5_K_M, Q8_0, …) are made of. The block
// layouts are ggml-common.h's; every product below is exact in float64 and each result is rounded
// to float32 once, which gives ggml's own to_float values bit for bit (fixtures/gguf, checked
// against ggml itself).
import { halfToFloat } from '../../tensor/precision.js';
import { GgufError } from './gguf-file.js';

type Dequantize = (b: Uint8Array, at: number, out: Float32Array, o: number) => void;

interface GgmlType {
  name: string;
  /** Values per block. */
  block: number;
  /** Bytes per block. */
  bytes: number;
  /** Fills out[o .. o + block) from the block at b[at ..]. */
  dequantize: Dequantize;
}

const half = (b: Uint8Array, at: number) => halfToFloat(b[at]! | (b[at + 1]! << 8));
const i8 = (v: number) => (v << 24) >> 24;

/** Q4_0: d (f16), 16 bytes of 4-bit values (low nibbles are values 0-15, high nibbles 16-31), offset 8. */
const q4_0: Dequantize = (b, at, out, o) => {
  const d = half(b, at);
  for (let j = 0; j < 16; j++) {
    const q = b[at + 2 + j]!;
    out[o + j] = ((q & 15) - 8) * d;
    out[o + j + 16] = ((q >> 4) - 8) * d;
  }
};

/** Q4_1: d, m (f16), 16 bytes of 4-bit values: q·d + m. */
const q4_1: Dequantize = (b, at, out, o) => {
  const d = half(b, at),
    m = half(b, at + 2);
  for (let j = 0; j < 16; j++) {
    const q = b[at + 4 + j]!;
    out[o + j] = (q & 15) * d + m;
    out[o + j + 16] = (q >> 4) * d + m;
  }
};

/** The fifth bits of a Q5 block: a little-endian uint32, bit j for value j. */
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** Q5_0: d (f16), the fifth bits (4 bytes), 16 bytes of low nibbles; offset 16. */
const q5_0: Dequantize = (b, at, out, o) => {
  const d = half(b, at),
    qh = u32(b, at + 2);
  for (let j = 0; j < 16; j++) {
    const q = b[at + 6 + j]!;
    out[o + j] = ((q & 15) + ((qh >>> j) & 1) * 16 - 16) * d;
    out[o + j + 16] = ((q >> 4) + ((qh >>> (j + 16)) & 1) * 16 - 16) * d;
  }
};

/** Q5_1: d, m (f16), the fifth bits, 16 bytes of low nibbles: q·d + m. */
const q5_1: Dequantize = (b, at, out, o) => {
  const d = half(b, at),
    m = half(b, at + 2),
    qh = u32(b, at + 4);
  for (let j = 0; j < 16; j++) {
    const q = b[at + 8 + j]!;
    out[o + j] = ((q & 15) + ((qh >>> j) & 1) * 16) * d + m;
    out[o + j + 16] = ((q >> 4) + ((qh >>> (j + 16)) & 1) * 16) * d + m;
  }
};

/** Q8_0: d (f16), 32 signed bytes. */
const q8_0: Dequantize = (b, at, out, o) => {
  const d = half(b, at);
  for (let j = 0; j < 32; j++) out[o + j] = i8(b[at + 2 + j]!) * d;
};

/** Q2_K: 16 scale bytes (scale low nibble, min high nibble), 64 bytes of 2-bit values, d, dmin. */
const q2_K: Dequantize = (b, at, out, o) => {
  const d = half(b, at + 80),
    dmin = half(b, at + 82);
  let s = at,
    y = o;
  for (let n = 0; n < 2; n++) {
    const q = at + 16 + 32 * n;
    for (let shift = 0; shift < 8; shift += 2) {
      for (const half16 of [0, 16]) {
        const sc = b[s++]!;
        const dl = d * (sc & 15),
          ml = dmin * (sc >> 4);
        for (let l = 0; l < 16; l++) out[y++] = dl * ((b[q + l + half16]! >> shift) & 3) - ml;
      }
    }
  }
};

/** Q3_K's sixteen 6-bit scales, packed in 12 bytes (low 4 bits in bytes 0-7, high 2 bits in 8-11). */
function q3Scales(b: Uint8Array, at: number): Int8Array {
  const s = new Int8Array(16);
  for (let j = 0; j < 16; j++) {
    const low = j < 8 ? b[at + j]! & 15 : b[at + j - 8]! >> 4;
    const high = (b[at + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3;
    s[j] = (low | (high << 4)) - 32;
  }
  return s;
}

/** Q3_K: 32 bytes of high-bit masks, 64 bytes of 2-bit values, 12 bytes of scales, d. */
const q3_K: Dequantize = (b, at, out, o) => {
  const d = half(b, at + 108);
  const scales = q3Scales(b, at + 96);
  let y = o,
    is = 0,
    m = 1;
  for (let n = 0; n < 2; n++) {
    const q = at + 32 + 32 * n;
    for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
      for (const half16 of [0, 16]) {
        const dl = d * scales[is++]!;
        for (let l = 0; l < 16; l++) {
          const high = b[at + l + half16]! & m ? 0 : 4;
          out[y++] = dl * (((b[q + l + half16]! >> shift) & 3) - high);
        }
      }
    }
  }
};

/** The k-quants' 6-bit scale (min: true, its min) of sub-block j, from their 12 packed bytes (get_scale_min_k4). */
function scaleMin(b: Uint8Array, at: number, j: number, min: boolean): number {
  if (j < 4) return b[at + j + (min ? 4 : 0)]! & 63;
  return min ? (b[at + j + 4]! >> 4) | ((b[at + j]! >> 6) << 4) : (b[at + j + 4]! & 15) | ((b[at + j - 4]! >> 6) << 4);
}

/**
 * Q4_K: d, dmin (f16), 12 bytes of scales and mins, 128 bytes of 4-bit values in 4 groups of 64.
 * Q5_K: the same with 32 bytes of fifth bits before the values (bit 2g of byte l for value l of
 * group g's first half, bit 2g + 1 for its second).
 */
const q45_K =
  (fifth: boolean): Dequantize =>
  (b, at, out, o) => {
    const d = half(b, at),
      dmin = half(b, at + 2),
      values = at + (fifth ? 48 : 16);
    for (let g = 0; g < 4; g++) {
      // Products of an f16 and a 6-bit integer: exact, as in ggml's float32.
      const d1 = d * scaleMin(b, at + 4, 2 * g, false),
        m1 = dmin * scaleMin(b, at + 4, 2 * g, true),
        d2 = d * scaleMin(b, at + 4, 2 * g + 1, false),
        m2 = dmin * scaleMin(b, at + 4, 2 * g + 1, true);
      const q = values + 32 * g,
        y = o + 64 * g;
      if (!fifth) {
        for (let l = 0; l < 32; l++) {
          out[y + l] = d1 * (b[q + l]! & 15) - m1;
          out[y + l + 32] = d2 * (b[q + l]! >> 4) - m2;
        }
        continue;
      }
      for (let l = 0; l < 32; l++) {
        const h = b[at + 16 + l]! >> (2 * g);
        out[y + l] = d1 * ((b[q + l]! & 15) + (h & 1) * 16) - m1;
        out[y + l + 32] = d2 * ((b[q + l]! >> 4) + ((h >> 1) & 1) * 16) - m2;
      }
    }
  };

/** Q6_K: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed scales, d; offset 32. */
const q6_K: Dequantize = (b, at, out, o) => {
  const d = half(b, at + 208);
  for (let n = 0; n < 2; n++) {
    const ql = at + 64 * n,
      qh = at + 128 + 32 * n,
      sc = at + 192 + 8 * n,
      y = o + 128 * n;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4,
        h = b[qh + l]!;
      const q1 = ((b[ql + l]! & 15) | ((h & 3) << 4)) - 32;
      const q2 = ((b[ql + l + 32]! & 15) | (((h >> 2) & 3) << 4)) - 32;
      const q3 = ((b[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const q4 = ((b[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
      out[y + l] = d * i8(b[sc + is]!) * q1;
      out[y + l + 32] = d * i8(b[sc + is + 2]!) * q2;
      out[y + l + 64] = d * i8(b[sc + is + 4]!) * q3;
      out[y + l + 96] = d * i8(b[sc + is + 6]!) * q4;
    }
  }
};

const f32: Dequantize = (b, at, out, o) => {
  out[o] = new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true);
};
const f16: Dequantize = (b, at, out, o) => {
  out[o] = half(b, at);
};
const bf16: Dequantize = (b, at, out, o) => {
  const u = new Uint32Array([(b[at]! | (b[at + 1]! << 8)) << 16]);
  out[o] = new Float32Array(u.buffer)[0]!;
};

/** The ggml types this reader takes, by ggml_type number (ggml.h). */
export const GGML_TYPES: Record<number, GgmlType> = {
  0: { name: 'F32', block: 1, bytes: 4, dequantize: f32 },
  1: { name: 'F16', block: 1, bytes: 2, dequantize: f16 },
  2: { name: 'Q4_0', block: 32, bytes: 18, dequantize: q4_0 },
  3: { name: 'Q4_1', block: 32, bytes: 20, dequantize: q4_1 },
  6: { name: 'Q5_0', block: 32, bytes: 22, dequantize: q5_0 },
  7: { name: 'Q5_1', block: 32, bytes: 24, dequantize: q5_1 },
  8: { name: 'Q8_0', block: 32, bytes: 34, dequantize: q8_0 },
  10: { name: 'Q2_K', block: 256, bytes: 84, dequantize: q2_K },
  11: { name: 'Q3_K', block: 256, bytes: 110, dequantize: q3_K },
  12: { name: 'Q4_K', block: 256, bytes: 144, dequantize: q45_K(false) },
  13: { name: 'Q5_K', block: 256, bytes: 176, dequantize: q45_K(true) },
  14: { name: 'Q6_K', block: 256, bytes: 210, dequantize: q6_K },
  30: { name: 'BF16', block: 1, bytes: 2, dequantize: bf16 },
};

/** ggml's names of the types this reader does not take (for the refusal). */
const OTHER_TYPES: Record<number, string> = {
  9: 'Q8_1',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? (OTHER_TYPES[type] ? `${OTHER_TYPES[type]} (${type})` : String(type));
}

/** The bytes a tensor of this type and shape occupies; its rows must hold whole blocks. */
export function tensorBytes(type: number, shape: readonly number[], where: string): number {
  const t = GGML_TYPES[type]!;
  const row = shape[shape.length - 1]!;
  if (row % t.block !== 0)
    throw new GgufError(`${where}: rows of ${row} values do not split into ${t.name} blocks of ${t.block}`);
  return (shape.reduce((a, b) => a * b, 1) / t.block) * t.bytes;
}

/** A tensor's bytes (as tensorBytes counts them) as float32 values. */
export function dequantize(type: number, bytes: Uint8Array, count: number): Float32Array {
  const t = GGML_TYPES[type]!;
  const out = new Float32Array(count);
  if (t.name === 'F32' && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
    return out;
  }
  for (let i = 0, at = 0; i < count; i += t.block, at += t.bytes) t.dequantize(bytes, at, out, i);
  return out;
}
