/* Kernels of Llama-family blocks for the native backend: RMSNorm and its backward, SiLU and its
 * backward, and the rotary embedding (rotate-half convention) in both directions. Like the other
 * row kernels, statistics accumulate in float64 as the reference kernels do, and rows are spread
 * over the pool. */
#include "kernels.h"

typedef struct {
  const float *x, *gamma, *g, *rstd_in;
  float *out, *rstd, *dx, *dgamma;
  int64_t rows, dim, parts;
  double eps;
  float *partial;
} Rms;

static void rms_norm_range(void *p, int64_t r0, int64_t r1) {
  const Rms *w = (const Rms *)p;
  const int64_t dim = w->dim;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim;
    float *o = w->out + r * dim;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < dim; j++) s += (double)xr[j] * xr[j];
    const double rs = 1.0 / sqrt(s / dim + w->eps);
    w->rstd[r] = (float)rs;
#pragma omp simd
    for (int64_t j = 0; j < dim; j++) o[j] = (float)(xr[j] * rs * w->gamma[j]);
  }
}

/* rmsNorm(x, gamma, rows, dim, eps, out, rstd) */
napi_value rms_norm(napi_env env, napi_callback_info info) {
  ARGS(7)
  Rms w;
  memset(&w, 0, sizeof w);
  size_t xn, gn, on, rn;
  w.x = f32(env, argv[0], &xn);
  w.gamma = f32(env, argv[1], &gn);
  w.rows = num(env, argv[2]);
  w.dim = num(env, argv[3]);
  w.eps = dbl(env, argv[4]);
  w.out = f32(env, argv[5], &on);
  w.rstd = f32(env, argv[6], &rn);
  if (!w.x || !w.gamma || !w.out || !w.rstd) return NULL;
  const int64_t size = mul(w.rows, w.dim);
  const char *k = "rmsNorm";
  if (!covers(env, k, "x", xn, size) || !covers(env, k, "out", on, size) || !covers(env, k, "gamma", gn, w.dim) ||
      !covers(env, k, "rstd", rn, w.rows))
    return NULL;
  pool_range(w.rows, size < GRAIN ? INT64_MAX : 8, 1, rms_norm_range, &w);
  return NULL;
}

/* dx = rstd · (ĝ − x̂ · mean(ĝ · x̂)) with x̂ = x · rstd, ĝ = g · γ; each chunk of rows adds its gain
 * gradient into its own slice of `partial`, summed afterwards in chunk order. */
static void rms_norm_backward_range(void *p, int64_t r0, int64_t r1) {
  const Rms *w = (const Rms *)p;
  const int64_t dim = w->dim;
  float *dg = w->dgamma ? w->partial + (r0 / ((w->rows + w->parts - 1) / w->parts)) * dim : NULL;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim, *gr = w->g + r * dim;
    const double rs = w->rstd_in[r];
    double sgx = 0;
#pragma omp simd reduction(+ : sgx)
    for (int64_t j = 0; j < dim; j++) sgx += (double)gr[j] * w->gamma[j] * (xr[j] * rs);
    if (dg) {
#pragma omp simd
      for (int64_t j = 0; j < dim; j++) dg[j] += (float)(gr[j] * (xr[j] * rs));
    }
    if (!w->dx) continue;
    sgx /= dim;
    float *d = w->dx + r * dim;
#pragma omp simd
    for (int64_t j = 0; j < dim; j++) d[j] += (float)(rs * ((double)gr[j] * w->gamma[j] - xr[j] * rs * sgx));
  }
}

/* rmsNormBackward(x, gamma, rstd, g, rows, dim, dx|null, dgamma|null) */
napi_value rms_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(8)
  Rms w;
  memset(&w, 0, sizeof w);
  size_t xn, gan, rn, gn, dxn, dgn;
  w.x = f32(env, argv[0], &xn);
  w.gamma = f32(env, argv[1], &gan);
  w.rstd_in = f32(env, argv[2], &rn);
  w.g = f32(env, argv[3], &gn);
  w.rows = num(env, argv[4]);
  w.dim = num(env, argv[5]);
  w.dx = opt_f32(env, argv[6], &dxn);
  w.dgamma = opt_f32(env, argv[7], &dgn);
  if (!w.x || !w.gamma || !w.rstd_in || !w.g) return NULL;
  const int64_t size = mul(w.rows, w.dim);
  const char *k = "rmsNormBackward";
  if (!covers(env, k, "x", xn, size) || !covers(env, k, "g", gn, size) || !covers(env, k, "gamma", gan, w.dim) ||
      !covers(env, k, "rstd", rn, w.rows) || (w.dx && !covers(env, k, "dx", dxn, size)) ||
      (w.dgamma && !covers(env, k, "dGamma", dgn, w.dim)))
    return NULL;
  if (w.rows == 0) return NULL;
  w.parts = size < GRAIN ? 1 : pool_threads();
  if (w.parts > w.rows) w.parts = w.rows;
  w.partial = (float *)calloc((size_t)(w.parts * w.dim), sizeof(float));
  if (!w.partial) {
    napi_throw_error(env, NULL, "shareformer native rmsNormBackward: out of memory");
    return NULL;
  }
  const int64_t chunk = (w.rows + w.parts - 1) / w.parts;
  pool_range(w.rows, w.parts == 1 ? INT64_MAX : 1, chunk, rms_norm_backward_range, &w);
  if (w.dgamma)
    for (int64_t part = 0; part < w.parts; part++)
      for (int64_t j = 0; j < w.dim; j++) w.dgamma[j] += w.partial[part * w.dim + j];
  free(w.partial);
  return NULL;
}

/* SiLU through tanh, which vectorises where expf does not: σ(v) = (1 + tanh(v/2)) / 2. */
typedef struct {
  const float *x, *g;
  float *out;
} Silu;

static void silu_range(void *p, int64_t i0, int64_t i1) {
  const Silu *w = (const Silu *)p;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i];
    w->out[i] = v * (0.5f + 0.5f * fast_tanh(0.5f * v));
  }
}

static void silu_backward_range(void *p, int64_t i0, int64_t i1) {
  const Silu *w = (const Silu *)p;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i], s = 0.5f + 0.5f * fast_tanh(0.5f * v);
    w->out[i] += w->g[i] * s * (1.0f + v * (1.0f - s));
  }
}

/* silu(x, out) */
napi_value silu(napi_env env, napi_callback_info info) {
  ARGS(2) size_t n, on;
  Silu w = {f32(env, argv[0], &n), NULL, f32(env, argv[1], &on)};
  if (!w.x || !w.out || !covers(env, "silu", "out", on, (int64_t)n)) return NULL;
  pool_range((int64_t)n, GRAIN, 16, silu_range, &w);
  return NULL;
}

/* siluBackward(x, g, dx): dx += g · SiLU'(x) */
napi_value silu_backward(napi_env env, napi_callback_info info) {
  ARGS(3) size_t n, gn, dn;
  Silu w = {f32(env, argv[0], &n), f32(env, argv[1], &gn), f32(env, argv[2], &dn)};
  if (!w.x || !w.g || !w.out || !covers(env, "siluBackward", "g", gn, (int64_t)n) ||
      !covers(env, "siluBackward", "dx", dn, (int64_t)n))
    return NULL;
  pool_range((int64_t)n, GRAIN, 16, silu_backward_range, &w);
  return NULL;
}

/* Rotary embedding over the first R = 2·len(inv) dimensions of each head: pairs (x[i], x[i + R/2])
 * of each position p rotate by the angle (offset + p) · inv[i] (base^(−2i/R), maybe rescaled); the
 * dimensions from R on pass through (GPT-NeoX's partial rotary). The backward pass is the inverse
 * rotation (sign −1), added into dx. The angles' cosines and sines are tabulated once per call in
 * float64, as the reference does. */
typedef struct {
  const float *x;
  float *out;
  const double *cos, *sin;
  int64_t t, dim, half;
  bool acc;
} Rope;

static void rope_range(void *p, int64_t r0, int64_t r1) {
  const Rope *w = (const Rope *)p;
  const int64_t half = w->half;
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t q = 0; q < w->t; q++) {
      const float *x = w->x + (r * w->t + q) * w->dim;
      float *o = w->out + (r * w->t + q) * w->dim;
      const double *c = w->cos + q * half, *s = w->sin + q * half;
      if (w->acc) {
#pragma omp simd
        for (int64_t i = 0; i < half; i++) {
          const double x1 = x[i], x2 = x[i + half];
          o[i] += (float)(x1 * c[i] - x2 * s[i]);
          o[i + half] += (float)(x2 * c[i] + x1 * s[i]);
        }
      } else {
#pragma omp simd
        for (int64_t i = 0; i < half; i++) {
          const double x1 = x[i], x2 = x[i + half];
          o[i] = (float)(x1 * c[i] - x2 * s[i]);
          o[i + half] = (float)(x2 * c[i] + x1 * s[i]);
        }
      }
      for (int64_t i = 2 * half; i < w->dim; i++) o[i] = w->acc ? o[i] + x[i] : x[i];
    }
  }
}

/* rope(x, rows, t, dim, offset, inv, out, sign, accumulate) — x [rows, t, dim], inv [R/2] with R even, ≤ dim */
napi_value rope(napi_env env, napi_callback_info info) {
  ARGS(9) size_t xn, on, fn;
  const float *x = f32(env, argv[0], &xn);
  const int64_t rows = num(env, argv[1]), t = num(env, argv[2]), dim = num(env, argv[3]), offset = num(env, argv[4]);
  const double *inv = f64(env, argv[5], &fn);
  const double sign = dbl(env, argv[7]);
  float *out = f32(env, argv[6], &on);
  bool acc = false;
  napi_get_value_bool(env, argv[8], &acc);
  if (!x || !out || !inv) return NULL;
  const int64_t size = mul3(rows, t, dim);
  if (!covers(env, "rope", "x", xn, size) || !covers(env, "rope", "out", on, size)) return NULL;
  if (offset < 0) {
    napi_throw_range_error(env, NULL, "shareformer native rope: the offset must be non-negative");
    return NULL;
  }
  if (fn < 1 || (int64_t)fn > dim / 2) {
    napi_throw_range_error(env, NULL,
                           "shareformer native rope: invFreq must hold 1 to head size / 2 frequencies (one per pair)");
    return NULL;
  }
  if (size == 0) return NULL;
  const int64_t half = (int64_t)fn;
  double *table = (double *)malloc(sizeof(double) * (size_t)(2 * t * half));
  if (!table) {
    napi_throw_error(env, NULL, "shareformer native rope: out of memory");
    return NULL;
  }
  Rope w = {x, out, table, table + t * half, t, dim, half, acc};
  for (int64_t q = 0; q < t; q++)
    for (int64_t i = 0; i < half; i++) {
      const double angle = (double)(offset + q) * inv[i];
      table[q * half + i] = cos(angle);
      table[t * half + q * half + i] = sign * sin(angle);
    }
  pool_range(rows, size < GRAIN ? INT64_MAX : 1, 1, rope_range, &w);
  free(table);
  return NULL;
}
