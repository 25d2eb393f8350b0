// Row kernels of attention for the wasm backend, run on blocks of probabilities the host keeps in
// module memory between the per-head matrix products: scaled, causally masked softmax, its
// gradient, and masking the probabilities read by P·V. Row t of a block may see keys 0 .. first + t
// (first = tk − tq + the block's first query for causal attention; all tk when not causal).

/** e^x for x ≤ 0 (a row maximum is subtracted first), by range reduction and a degree-5
 * polynomial (Cephes expf), within 2 ulp; below −87 it returns ~1e-38 instead of a denormal. */
@inline function exp4(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(-87));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  const r = f32x4.add(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(e, scale);
}

/** tanh split as Cephes tanhf does: x + x³·P(x²) below |x| = 0.625, (1 − e)/(1 + e) with
 * e = e^(−2|x|) above (exp4's argument stays ≤ 0), within a few ulp. */
@inline function tanh4(x: v128): v128 {
  const a = f32x4.abs(x), z = f32x4.mul(x, x);
  const e = exp4(f32x4.mul(a, f32x4.splat(-2)));
  const one = f32x4.splat(1);
  const big = v128.or(f32x4.div(f32x4.sub(one, e), f32x4.add(one, e)), v128.and(x, i32x4.splat(0x80000000)));
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(big, small, f32x4.gt(a, f32x4.splat(0.625)));
}

@inline function tanh1(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Zeroes entries valid .. len of a row. */
@inline function zeroTail(row: usize, valid: i32, len: i32): void {
  if (len > valid) memory.fill(at(row, valid), 0, <usize>(len - valid) << 2);
}

/** In place: row t of `rows` rows of `ld` floats becomes softmax(scale · row) over its visible
 * entries — the first first + t + 1 (all `width` when not causal), and of those only the newest
 * `window` when window > 0 (sliding-window attention) — and exact zeros elsewhere, up to `width`. */
export function softmaxRows(p: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool, scale: f32, window: i32): void {
  const s4 = f32x4.splat(scale);
  for (let t = 0; t < rows; t++) {
    const row = p + (<usize>(t * ld) << 2);
    const valid = causal ? min(first + t + 1, width) : width;
    const lo = window > 0 ? max(0, valid - window) : 0;
    const v4 = lo + ((valid - lo) & ~3);
    let m4 = f32x4.splat(-Infinity);
    for (let s = lo; s < v4; s += 4) {
      const x = f32x4.mul(v128.load(at(row, s)), s4);
      v128.store(at(row, s), x);
      m4 = f32x4.max(m4, x);
    }
    let top: f32 = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (let s = v4; s < valid; s++) {
      const x = load<f32>(at(row, s)) * scale;
      store<f32>(at(row, s), x);
      top = max(top, x);
    }
    const mx = f32x4.splat(top);
    let sum4 = f32x4.splat(0);
    for (let s = lo; s < v4; s += 4) {
      const e = exp4(f32x4.sub(v128.load(at(row, s)), mx));
      v128.store(at(row, s), e);
      sum4 = f32x4.add(sum4, e);
    }
    let sum = f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1) + f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3);
    for (let s = v4; s < valid; s++) {
      const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(at(row, s)) - top)), 0);
      store<f32>(at(row, s), e);
      sum += e;
    }
    const inv = f32x4.splat(1 / sum);
    for (let s = lo; s < v4; s += 4) v128.store(at(row, s), f32x4.mul(v128.load(at(row, s)), inv));
    for (let s = v4; s < valid; s++) store<f32>(at(row, s), load<f32>(at(row, s)) / sum);
    if (lo > 0) memory.fill(row, 0, <usize>lo << 2);
    zeroTail(row, valid, width);
  }
}

/** dS[t, s] = P[t, s] · (G[t, s] − Σ_s' P[t, s']·G[t, s']) · scale over each row's visible keys, zero after. */
export function softmaxBackwardRows(p: usize, g: usize, ds: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool, scale: f32): void {
  for (let t = 0; t < rows; t++) {
    const o = <usize>(t * ld) << 2;
    const pr = p + o, gr = g + o, dr = ds + o;
    const valid = causal ? min(first + t + 1, width) : width;
    const v4 = valid & ~3;
    let d4 = f32x4.splat(0);
    for (let s = 0; s < v4; s += 4) d4 = f32x4.add(d4, f32x4.mul(v128.load(at(pr, s)), v128.load(at(gr, s))));
    let dot = f32x4.extract_lane(d4, 0) + f32x4.extract_lane(d4, 1) + f32x4.extract_lane(d4, 2) + f32x4.extract_lane(d4, 3);
    for (let s = v4; s < valid; s++) dot += load<f32>(at(pr, s)) * load<f32>(at(gr, s));
    const dt = f32x4.splat(dot), sc = f32x4.splat(scale);
    for (let s = 0; s < v4; s += 4) {
      v128.store(at(dr, s), f32x4.mul(f32x4.mul(v128.load(at(pr, s)), f32x4.sub(v128.load(at(gr, s)), dt)), sc));
    }
    for (let s = v4; s < valid; s++) store<f32>(at(dr, s), load<f32>(at(pr, s)) * (load<f32>(at(gr, s)) - dot) * scale);
    zeroTail(dr, valid, width);
  }
}

/** Zeroes each row's masked tail in place (probabilities read by P·V: the mask is not data). */
export function maskRows(p: usize, rows: i32, width: i32, ld: i32, first: i32): void {
  for (let t = 0; t < rows; t++) zeroTail(p + (<usize>(t * ld) << 2), min(first + t + 1, width), width);
}

/** dst[t, s] += src[t, s] over each row's visible keys (the masked entries receive no gradient). */
export function addRows(dst: usize, src: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool): void {
  for (let t = 0; t < rows; t++) {
    const o = <usize>(t * ld) << 2;
    const valid = causal ? min(first + t + 1, width) : width;
    const v4 = valid & ~3;
    for (let s = 0; s < v4; s += 4) v128.store(at(dst + o, s), f32x4.add(v128.load(at(dst + o, s)), v128.load(at(src + o, s))));
    for (let s = v4; s < valid; s++) store<f32>(at(dst + o, s), load<f32>(at(dst + o, s)) + load<f32>(at(src + o, s)));
  }
}

/** Soft-capping (Gemma 2), in place before softmaxRows (then called with scale 1): each visible
 * entry x of row t becomes cap · tanh(scale · x / cap); the rows' visible ranges as softmaxRows's. */
export function softcapRows(p: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool, scale: f32, window: i32, cap: f32): void {
  const k = scale / cap, k4 = f32x4.splat(scale / cap), c4 = f32x4.splat(cap);
  for (let t = 0; t < rows; t++) {
    const row = p + (<usize>(t * ld) << 2);
    const valid = causal ? min(first + t + 1, width) : width;
    const lo = window > 0 ? max(0, valid - window) : 0;
    const v4 = lo + ((valid - lo) & ~3);
    for (let s = lo; s < v4; s += 4) v128.store(at(row, s), f32x4.mul(c4, tanh4(f32x4.mul(v128.load(at(row, s)), k4))));
    for (let s = v4; s < valid; s++) store<f32>(at(row, s), cap * tanh1(load<f32>(at(row, s)) * k));
  }
}

/** ALiBi, in place before softmaxRows (then called with scale 1): each visible entry x of row t
 * becomes scale · x + slope · (s − (first + t)), the head's slope times how far key s lies before
 * the row's query (a constant per row to the softmax, so the gradient kernels never see it). */
export function alibiRows(p: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool, scale: f32, window: i32, slope: f32): void {
  const sc4 = f32x4.splat(scale), m4 = f32x4.splat(slope), four = f32x4.splat(4);
  for (let t = 0; t < rows; t++) {
    const row = p + (<usize>(t * ld) << 2);
    const valid = causal ? min(first + t + 1, width) : width;
    const lo = window > 0 ? max(0, valid - window) : 0;
    const v4 = lo + ((valid - lo) & ~3);
    const d0 = <f32>(lo - (first + t));
    let d4 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(d0), 1, d0 + 1), 2, d0 + 2), 3, d0 + 3);
    for (let s = lo; s < v4; s += 4) {
      v128.store(at(row, s), f32x4.add(f32x4.mul(v128.load(at(row, s)), sc4), f32x4.mul(m4, d4)));
      d4 = f32x4.add(d4, four);
    }
    for (let s = v4; s < valid; s++) store<f32>(at(row, s), load<f32>(at(row, s)) * scale + slope * <f32>(s - (first + t)));
  }
}

/** The cap's derivative on a softmax gradient: ds[t, s] *= 1 − tanh²(scale · x[t, s] / cap) for the
 * raw products x = q·k, over each row's visible keys. */
export function softcapBackwardRows(ds: usize, x: usize, rows: i32, width: i32, ld: i32, first: i32, causal: bool, scale: f32, cap: f32): void {
  const k = scale / cap, k4 = f32x4.splat(scale / cap), one = f32x4.splat(1);
  for (let t = 0; t < rows; t++) {
    const o = <usize>(t * ld) << 2;
    const valid = causal ? min(first + t + 1, width) : width;
    const v4 = valid & ~3;
    for (let s = 0; s < v4; s += 4) {
      const th = tanh4(f32x4.mul(v128.load(at(x + o, s)), k4));
      v128.store(at(ds + o, s), f32x4.mul(v128.load(at(ds + o, s)), f32x4.sub(one, f32x4.mul(th, th))));
    }
    for (let s = v4; s < valid; s++) {
      const th = tanh1(load<f32>(at(x + o, s)) * k);
      store<f32>(at(ds + o, s), load<f32>(at(ds + o, s)) * (1 - th * th));
    }
  }
}
