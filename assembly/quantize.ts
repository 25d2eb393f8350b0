// ggml's K-quant scale searches in WebAssembly float32 (AssemblyScript, compiled by `npm run build`):
// make_qkx2_quants for Q4_K and Q5_K, make_qx_quants (rmse_type 1) for Q6_K, with every operation in
// the order ggml-quants.c evaluates it, so the export stays byte for byte llama-quantize's. They
// are the whole cost of a K-quant export; in JavaScript each float32 step is a double rounded by
// Math.fround, several times slower than native float32 arithmetic. The host writes one
// super-block of 256 values at values(), calls superBlockK or superBlockQ6, and reads the levels,
// scales and minimums the search chose. src/io/gguf/quantize.ts packs them into ggml's blocks.

const X: usize = memory.data(256 * 4, 16);
const W: usize = memory.data(32 * 4, 16);
const LEVELS: usize = memory.data(256, 16);
const AUX: usize = memory.data(32, 16);
const SCALES: usize = memory.data(16 * 4, 16);
const MINS: usize = memory.data(8 * 4, 16);

export function values(): usize {
  return X;
}
export function levels(): usize {
  return LEVELS;
}
export function scales(): usize {
  return SCALES;
}
export function mins(): usize {
  return MINS;
}

/**
 * ggml's nearest_int: adding 1.5 × 2^23 in float32 rounds to an integer, halves to even. The
 * subtraction back is exact in float32 for the |v| < 2^22 the searches produce (at most nmax + 2).
 */
@inline
function nearestInt(v: f32): f32 {
  return v + <f32>12582912.0 - <f32>12582912.0;
}

@inline
function clamp(v: f32, lo: f32, hi: f32): f32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * make_qkx2_quants over the 32 values at x weighted by W: levels 0..nmax into L, the scale into
 * SCALES[j] and the negated (non-positive) minimum into MINS[j].
 */
function qkx2(x: usize, L: usize, j: i32, nmax: i32, rmin: f32, rdelta: f32, nstep: i32): void {
  const fmax = <f32>nmax;
  let min = load<f32>(x),
    max = min,
    sumW = load<f32>(W),
    sumX = sumW * min;
  for (let i = 1; i < 32; i++) {
    const v = load<f32>(x + (<usize>i << 2)),
      w = load<f32>(W + (<usize>i << 2));
    if (v < min) min = v;
    if (v > max) max = v;
    sumW += w;
    sumX += w * v;
  }
  if (min > 0) min = 0;
  if (max == min) {
    memory.fill(L, 0, 32);
    store<f32>(SCALES + (<usize>j << 2), 0);
    store<f32>(MINS + (<usize>j << 2), -min);
    return;
  }
  let iscale: f32 = fmax / (max - min),
    scale: f32 = <f32>1.0 / iscale,
    best: f32 = 0;
  for (let i = 0; i < 32; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const l = clamp(nearestInt(iscale * (v - min)), 0, fmax);
    store<u8>(L + i, <u8>l);
    const diff = scale * l + min - v;
    best += load<f32>(W + (<usize>i << 2)) * (diff * diff);
  }
  for (let step = 0; step <= nstep; step++) {
    // max − min with the minimum of the best fit so far, as ggml has it.
    iscale = (rmin + rdelta * <f32>step + fmax) / (max - min);
    let sumL: f32 = 0,
      sumL2: f32 = 0,
      sumXL: f32 = 0;
    for (let i = 0; i < 32; i++) {
      const v = load<f32>(x + (<usize>i << 2));
      const l = clamp(nearestInt(iscale * (v - min)), 0, fmax);
      store<u8>(AUX + i, <u8>l);
      const wl = load<f32>(W + (<usize>i << 2)) * l;
      sumL += wl;
      sumL2 += wl * l;
      sumXL += wl * v;
    }
    const D = sumW * sumL2 - sumL * sumL;
    if (!(D > 0)) continue;
    let thisScale = (sumW * sumXL - sumX * sumL) / D,
      thisMin = (sumL2 * sumX - sumL * sumXL) / D;
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = sumXL / sumL2;
    }
    let error: f32 = 0;
    for (let i = 0; i < 32; i++) {
      const diff = thisScale * <f32>load<u8>(AUX + i) + thisMin - load<f32>(x + (<usize>i << 2));
      error += load<f32>(W + (<usize>i << 2)) * (diff * diff);
    }
    if (error < best) {
      memory.copy(L, AUX, 32);
      best = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  store<f32>(SCALES + (<usize>j << 2), scale);
  store<f32>(MINS + (<usize>j << 2), -min);
}

/**
 * The searches of quantize_row_q4_K_ref / q5_K_ref for the super-block at values(): per sub-block
 * of 32, weights |x| + rms and make_qkx2_quants. Q4_K: nmax 15, rmin −1, 20 steps; Q5_K: 31, −0.5, 15.
 */
export function superBlockK(nmax: i32, rmin: f32, nstep: i32): void {
  for (let j = 0; j < 8; j++) {
    const x = X + (<usize>j << 7);
    let sumX2: f32 = 0;
    for (let l = 0; l < 32; l++) {
      const v = load<f32>(x + (<usize>l << 2));
      sumX2 += v * v;
    }
    const avX = Mathf.sqrt(sumX2 / <f32>32);
    for (let l = 0; l < 32; l++) store<f32>(W + (<usize>l << 2), avX + Mathf.abs(load<f32>(x + (<usize>l << 2))));
    qkx2(x, LEVELS + (<usize>j << 5), j, nmax, rmin, <f32>0.1, nstep);
  }
}

/** fit()'s second sum (AssemblyScript functions return one value). */
let lastSuml2: f32 = 0;

/** make_qx_quants' sums for one trial scale over the 16 values at x; the levels (offset by nmax) into L when keep. */
@inline
function fit(x: usize, L: usize, iscale: f32, nmax: i32, keep: bool): f32 {
  let sumlx: f32 = 0,
    suml2: f32 = 0;
  for (let i = 0; i < 16; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const l = clamp(nearestInt(iscale * v), <f32>-nmax, <f32>(nmax - 1));
    if (keep) store<u8>(L + i, <u8>(<i32>l + nmax));
    const w = v * v;
    sumlx += w * v * l;
    suml2 += w * l * l;
  }
  lastSuml2 = suml2;
  return sumlx;
}

/** make_qx_quants with rmse_type 1 over the 16 values at x: levels −nmax..nmax−1 into L (offset by nmax); the scale. */
function qx(x: usize, L: usize, nmax: i32): f32 {
  let amax: f32 = 0,
    max: f32 = 0;
  for (let i = 0; i < 16; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (amax < Mathf.abs(v)) {
      amax = Mathf.abs(v);
      max = v;
    }
  }
  if (Mathf.abs(max) < <f32>1e-15) {
    memory.fill(L, 0, 16);
    return 0;
  }
  let sumlx = fit(x, L, <f32>-nmax / max, nmax, true),
    suml2 = lastSuml2;
  // JavaScript's `suml2 ? … : 0`, as the TypeScript had it: NaN counts as zero.
  let scale: f32 = suml2 != 0 && suml2 == suml2 ? sumlx / suml2 : 0;
  let best = scale * sumlx;
  for (let step = -9; step <= 9; step++) {
    if (step == 0) continue;
    const iscale = -(<f32>nmax + <f32>0.1 * <f32>step) / max;
    sumlx = fit(x, L, iscale, nmax, false);
    suml2 = lastSuml2;
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      fit(x, L, iscale, nmax, true);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/** The searches of quantize_row_q6_K_ref for the super-block at values(): make_qx_quants per sub-block of 16. */
export function superBlockQ6(): void {
  for (let j = 0; j < 16; j++)
    store<f32>(SCALES + (<usize>j << 2), qx(X + (<usize>j << 6), LEVELS + (<usize>j << 4), 32));
}
