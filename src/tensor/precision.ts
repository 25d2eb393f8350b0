// Storage precisions below float32: IEEE half (fp16), bfloat16 and symmetric int8 with one scale
// per row. Conversions round to nearest even, as hardware and PyTorch do; int8 rows map their
// largest magnitude to 127.

export type StorageDtype = 'fp32' | 'fp16' | 'bf16' | 'int8';
export const STORAGE_DTYPES: readonly StorageDtype[] = ['fp32', 'fp16', 'bf16', 'int8'];

export function parseStorageDtype(value: string, flag: string): StorageDtype {
  if ((STORAGE_DTYPES as readonly string[]).includes(value)) return value as StorageDtype;
  throw new Error(`${flag} ${value}: unknown dtype (known: ${STORAGE_DTYPES.join(', ')})`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits (round to nearest even; overflow → ±Inf; NaN kept). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1,
    exp = (h >> 10) & 0x1f,
    frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 → bfloat16 bits (the upper half, rounded to nearest even; NaN kept). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** Symmetric int8 per row: q = round(x / scale), scale = max|x| / 127 (0 for an all-zero row). */
export function quantizeRows(
  src: Float32Array,
  srcOffset: number,
  rows: number,
  width: number,
  dst: Int8Array,
  dstOffset: number,
  scales: Float32Array,
  scaleOffset: number,
): void {
  for (let r = 0; r < rows; r++) {
    const s = srcOffset + r * width;
    let max = 0;
    for (let j = 0; j < width; j++) max = Math.max(max, Math.abs(src[s + j]!));
    const scale = max / 127;
    scales[scaleOffset + r] = scale;
    const inv = scale > 0 ? 1 / scale : 0;
    const d = dstOffset + r * width;
    for (let j = 0; j < width; j++) dst[d + j] = Math.round(src[s + j]! * inv);
  }
}
