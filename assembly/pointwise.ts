// Pointwise SIMD kernels for the wasm backend: GELU (tanh form) and its gradient, four lanes at a
// time. tanh is the clamped rational approximation the native kernel uses (Eigen's float tanh,
// within a few float32 ulp). The host pads n to a multiple of 4 and ignores the padding lanes.

@inline function tanh4(x: v128): v128 {
  const c: f32 = 7.90531110763549805;
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-c)), f32x4.splat(c)); // pmin/pmax: one instruction each (min/max must order NaNs)
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(<f32>-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>5.12229709037114e-08));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>1.48572235717979e-05));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>6.37261928875436e-04));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>4.89352455891786e-03));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(<f32>1.19825839466702e-06);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(<f32>1.18534705686654e-04));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(<f32>2.26843463243900e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(<f32>4.89352518554385e-03));
  return f32x4.div(p, q);
}

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const K: f32 = 0.044715;

/** out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) for n (a multiple of 4) values. */
export function geluTanh(x: usize, out: usize, n: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1), c = f32x4.splat(SQRT_2_OVER_PI), k = f32x4.splat(K);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p);
    const inner = f32x4.mul(c, f32x4.add(v, f32x4.mul(k, f32x4.mul(v, f32x4.mul(v, v)))));
    v128.store(out + p, f32x4.mul(f32x4.mul(half, v), f32x4.add(one, tanh4(inner))));
  }
}

/** dx += g · GELU'(x) for n (a multiple of 4) values. */
export function geluTanhBackward(x: usize, g: usize, dx: usize, n: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1), c = f32x4.splat(SQRT_2_OVER_PI), k = f32x4.splat(K);
  const k3 = f32x4.splat(3 * K);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p), v2 = f32x4.mul(v, v);
    const t = tanh4(f32x4.mul(c, f32x4.add(v, f32x4.mul(k, f32x4.mul(v, v2)))));
    const left = f32x4.mul(half, f32x4.add(one, t));
    const right = f32x4.mul(f32x4.mul(f32x4.mul(half, v), f32x4.sub(one, f32x4.mul(t, t))), f32x4.mul(c, f32x4.add(one, f32x4.mul(k3, v2))));
    v128.store(dx + p, f32x4.add(v128.load(dx + p), f32x4.mul(v128.load(g + p), f32x4.add(left, right))));
  }
}
