// One-row products for the wasm backend (decoding): y = W·x with W stored [n][k] (a Linear
// weight), or y = xᵀ·B with B stored [k][n]. The packed matrix kernel would pack the whole weight
// for a single row and use a quarter of its tile; these read it once, four lanes at a time.

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** y[j] (+)= Σ_l w[j][l] · x[l] for j < n. */
export function gemvRows(w: usize, x: usize, y: usize, n: i32, k: i32, accumulate: bool): void {
  const k4 = k & ~3;
  for (let j = 0; j < n; j++) {
    const row = w + (<usize>j * <usize>k << 2);
    let s4 = f32x4.splat(0);
    for (let l = 0; l < k4; l += 4) s4 = f32x4.add(s4, f32x4.mul(v128.load(at(row, l)), v128.load(at(x, l))));
    let s = f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
    for (let l = k4; l < k; l++) s += load<f32>(at(row, l)) * load<f32>(at(x, l));
    store<f32>(at(y, j), accumulate ? load<f32>(at(y, j)) + s : s);
  }
}

/** y[j] (+)= Σ_l x[l] · b[l][j] for j < n: rows of B stream past y. */
export function gemvCols(b: usize, x: usize, y: usize, k: i32, n: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(y, 0, <usize>n << 2);
  const n4 = n & ~3;
  for (let l = 0; l < k; l++) {
    const row = b + (<usize>l * <usize>n << 2);
    const xl = load<f32>(at(x, l)), x4 = f32x4.splat(xl);
    for (let j = 0; j < n4; j += 4) v128.store(at(y, j), f32x4.add(v128.load(at(y, j)), f32x4.mul(x4, v128.load(at(row, j)))));
    for (let j = n4; j < n; j++) store<f32>(at(y, j), load<f32>(at(y, j)) + xl * load<f32>(at(row, j)));
  }
}

/**
 * y[j] (+)= scales[j] · Σ_l q[j][l] · x[l] for j < n, q int8 rows [n][k]: each weight is widened
 * in registers (8 bytes → two f32x4) and never stored as float32 (int8 weights, decoding).
 */
export function gemvRowsInt8(q: usize, scales: usize, x: usize, y: usize, n: i32, k: i32, accumulate: bool): void {
  const k8 = k & ~7;
  for (let j = 0; j < n; j++) {
    const row = q + <usize>j * <usize>k;
    let s4 = f32x4.splat(0);
    for (let l = 0; l < k8; l += 8) {
      const w16 = i16x8.extend_low_i8x16_s(v128.load64_zero(row + <usize>l));
      const lo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w16));
      const hi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w16));
      s4 = f32x4.add(s4, f32x4.mul(lo, v128.load(at(x, l))));
      s4 = f32x4.add(s4, f32x4.mul(hi, v128.load(at(x, l + 4))));
    }
    let s = f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
    for (let l = k8; l < k; l++) s += <f32>load<i8>(row + <usize>l) * load<f32>(at(x, l));
    const v = s * load<f32>(at(scales, j));
    store<f32>(at(y, j), accumulate ? load<f32>(at(y, j)) + v : v);
  }
}

/**
 * y[j] (+)= Σ_l x[l] · scales[l] · q[l][j] for j < n, q int8 rows [k][n] (an int8 KV cache's
 * values: probabilities times value rows). Rows are widened in registers, 8 bytes at a time.
 */
export function gemvColsInt8(q: usize, scales: usize, x: usize, y: usize, k: i32, n: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(y, 0, <usize>n << 2);
  const n8 = n & ~7;
  for (let l = 0; l < k; l++) {
    const xl = load<f32>(at(x, l)) * load<f32>(at(scales, l));
    if (xl == 0) continue;
    const row = q + <usize>l * <usize>n, x4 = f32x4.splat(xl);
    for (let j = 0; j < n8; j += 8) {
      const w16 = i16x8.extend_low_i8x16_s(v128.load64_zero(row + <usize>j));
      const lo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w16));
      const hi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w16));
      v128.store(at(y, j), f32x4.add(v128.load(at(y, j)), f32x4.mul(x4, lo)));
      v128.store(at(y, j + 4), f32x4.add(v128.load(at(y, j + 4)), f32x4.mul(x4, hi)));
    }
    for (let j = n8; j < n; j++) store<f32>(at(y, j), load<f32>(at(y, j)) + xl * <f32>load<i8>(row + <usize>j));
  }
}
