// WebAssembly SIMD matrix product for the wasm backend (AssemblyScript, compiled by `npm run build`).
// C = op(A)·op(B) (+ C) on row-major float32 matrices in this module's memory. Blocks of B and A
// are packed into 8-column and MR-row panels, so transposed and plain operands run the same
// register-blocked micro-kernel. Built twice: plain SIMD (4×8 tile, multiply then add) and with
// relaxed SIMD (6×8 tile of fused multiply-adds) for runtimes that have it.

// @ts-ignore: a compile-time constant of AssemblyScript
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR: i32 = 8;
const KC: i32 = 256;
const NC: i32 = 512;
const MC: i32 = MR * 16;
/** Scratch layout, the same in both builds (the host reserves it): packed A for the larger MC, packed B, an 8×8 edge tile. */
const PACK_A: i32 = 96 * KC;
const EDGE: i32 = 64;

// Scratch regions, placed by the host with setScratch().
let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

export function setScratch(a: usize, b: usize, e: usize): void {
  packA = a;
  packB = b;
  edge = e;
}

/** Bytes of scratch the host must reserve per thread: packed A, packed B, one edge tile. */
export function scratchBytes(): i32 {
  return (PACK_A + KC * NC + EDGE) * 4;
}

/** Grows memory to at least `bytes`; returns the memory size in bytes. */
export function ensureMemory(bytes: i32): i32 {
  const have = memory.size() << 16;
  if (bytes > have) memory.grow(((bytes - have + 65535) >>> 16));
  return memory.size() << 16;
}

// op(A)[i][l] with A stored [m][k] (lda = k) or, transposed, [k][m] (lda = m).
@inline function aAt(a: usize, i: i32, l: i32, lda: i32, trans: bool): f32 {
  return trans ? load<f32>(a + (<usize>(l * lda + i) << 2)) : load<f32>(a + (<usize>(i * lda + l) << 2));
}

@inline function bAt(b: usize, l: i32, j: i32, ldb: i32, trans: bool): f32 {
  return trans ? load<f32>(b + (<usize>(j * ldb + l) << 2)) : load<f32>(b + (<usize>(l * ldb + j) << 2));
}

function packPanelsB(b: usize, ldb: i32, trans: bool, pc: i32, kc: i32, jc: i32, nc: i32): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const dst = packB + (<usize>(jp * kc) << 2);
    const w = min(NR, nc - jp);
    if (!trans && w == NR) {
      for (let l = 0; l < kc; l++) {
        const src = b + (<usize>((pc + l) * ldb + jc + jp) << 2);
        v128.store(dst + (<usize>(l * NR) << 2), v128.load(src));
        v128.store(dst + (<usize>(l * NR) << 2), v128.load(src + 16), 16);
      }
    } else {
      for (let l = 0; l < kc; l++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(dst + (<usize>(l * NR + jj) << 2), jj < w ? bAt(b, pc + l, jc + jp + jj, ldb, trans) : 0);
        }
      }
    }
  }
}

function packPanelsA(a: usize, lda: i32, trans: bool, ic: i32, mc: i32, pc: i32, kc: i32): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const dst = packA + (<usize>(ip * kc) << 2);
    const h = min(MR, mc - ip);
    if (h == MR) {
      // Full panels without a per-element branch: plain A row by row (contiguous reads), transposed
      // A one k-step at a time (MR contiguous values).
      if (!trans) {
        for (let ii = 0; ii < MR; ii++) {
          let src = a + (<usize>((ic + ip + ii) * lda + pc) << 2), d = dst + (<usize>ii << 2);
          for (let l = 0; l < kc; l++) { store<f32>(d, load<f32>(src)); src += 4; d += <usize>MR << 2; }
        }
      } else {
        for (let l = 0; l < kc; l++) {
          const src = a + (<usize>((pc + l) * lda + ic + ip) << 2), d = dst + (<usize>(l * MR) << 2);
          v128.store(d, v128.load(src));
          for (let ii = 4; ii < MR; ii++) store<f32>(d + (<usize>ii << 2), load<f32>(src + (<usize>ii << 2)));
        }
      }
      continue;
    }
    for (let l = 0; l < kc; l++) {
      for (let ii = 0; ii < MR; ii++) {
        store<f32>(dst + (<usize>(l * MR + ii) << 2), ii < h ? aAt(a, ic + ip + ii, pc + l, lda, trans) : 0);
      }
    }
  }
}

// a·b + c: one fused multiply-add where the runtime has relaxed SIMD (the build with
// --enable relaxed-simd), else a multiply and an add; the choice is made at compile time.
@inline function madd(a: v128, b: v128, c: v128): v128 {
  // @ts-ignore: a compile-time constant of AssemblyScript
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * MR×8 tile: acc = Σ_l pa[l][0..MR] ⊗ pb[l][0..8]; then C (+)= acc for the h×w valid part. With
 * fused multiply-adds six rows fit V8's 16 vector registers; with separate multiplies, four.
 */
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, h: i32, w: i32, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let l = 0; l < kc; l++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    if (MR == 6) {
      a = v128.load32_splat(pa, 16);
      c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
      a = v128.load32_splat(pa, 20);
      c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    }
    pa += MR << 2;
    pb += 32;
  }
  // Full tiles go straight to C; edge tiles through an MR×8 buffer, of which h×w is kept.
  const full = h == MR && w == NR;
  const dst = full ? c : edge;
  const stride = full ? <usize>ldc << 2 : <usize>(NR << 2);
  const accumulate = full && add;
  row(dst, c00, c01, accumulate);
  row(dst + stride, c10, c11, accumulate);
  row(dst + 2 * stride, c20, c21, accumulate);
  row(dst + 3 * stride, c30, c31, accumulate);
  if (MR == 6) {
    row(dst + 4 * stride, c40, c41, accumulate);
    row(dst + 5 * stride, c50, c51, accumulate);
  }
  if (full) return;
  const rowBytes = <usize>ldc << 2;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const p = c + <usize>(i) * rowBytes + (<usize>j << 2);
      const v = load<f32>(edge + (<usize>(i * NR + j) << 2));
      store<f32>(p, add ? load<f32>(p) + v : v);
    }
  }
}

@inline function row(p: usize, lo: v128, hi: v128, add: bool): void {
  if (add) {
    v128.store(p, f32x4.add(v128.load(p), lo));
    v128.store(p, f32x4.add(v128.load(p, 16), hi), 16);
  } else {
    v128.store(p, lo);
    v128.store(p, hi, 16);
  }
}

/** C[m][n] (+)= op(A)·op(B); A is [m][k] or (transA) [k][m]; B is [k][n] or (transB) [n][k]. */
export function gemm(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool, accumulate: bool): void {
  gemmStrided(a, b, c, m, n, k, transA ? m : k, transB ? k : n, n, transA, transB, accumulate);
}

/**
 * The same with explicit leading dimensions, so a thread can take a band of C's rows: rows
 * r0..r1 of op(A) start at a + r0·lda (plain) or a + r0 (transposed), of C at c + r0·ldc.
 */
export function gemmStrided(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: bool, transB: bool, accumulate: bool): void {
  if (k == 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const add = accumulate || pc > 0;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = min(NC, n - jc);
      packPanelsB(b, ldb, transB, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packPanelsA(a, lda, transA, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            micro(kc, packA + (<usize>(ir * kc) << 2), packB + (<usize>(jr * kc) << 2),
              c + (<usize>((ic + ir) * ldc + jc + jr) << 2), ldc, min(MR, mc - ir), min(NR, nc - jr), add);
          }
        }
      }
    }
  }
}

export { geluTanh, geluTanhBackward } from './pointwise';
export { softmaxRows, softmaxBackwardRows, softcapRows, alibiRows, softcapBackwardRows, maskRows, addRows } from './attention';
export { gemvRows, gemvCols, gemvRowsInt8, gemvColsInt8 } from './gemv';
