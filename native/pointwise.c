/* Pointwise and row kernels for the native backend: GELU, broadcasting arithmetic, permutes, sums,
 * normalisation, softmax, cross-entropy and AdamW, each index range cut into one chunk per thread.
 * Statistics accumulate in float64 as in the reference kernels. */
#include "kernels.h"

/* Every pointwise kernel below cuts its index range (elements or rows) into one chunk per thread. */

typedef struct {
  const float *x, *g;
  float *out;
  float s;
  bool acc;
  int64_t b, c, d;
} Pw;

static void gelu_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
  const float c = 0.7978845608028654f;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i];
    w->out[i] = 0.5f * v * (1.0f + fast_tanh(c * (v + 0.044715f * v * v * v)));
  }
}

static void gelu_backward_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
  const float c = 0.7978845608028654f;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i], t = fast_tanh(c * (v + 0.044715f * v * v * v));
    w->out[i] += w->g[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3.0f * 0.044715f * v * v));
  }
}

/* f(x, out): one pointwise forward kernel over x, after checking out covers it. */
static napi_value pointwise_forward(napi_env env, napi_callback_info info, const char *name,
                                    void (*range)(void *, int64_t, int64_t)) {
  ARGS(2) size_t n, on;
  Pw w = {f32(env, argv[0], &n), NULL, f32(env, argv[1], &on), 0, false, 0, 0, 0};
  if (!w.x || !w.out || !covers(env, name, "out", on, (int64_t)n)) return NULL;
  pool_range((int64_t)n, GRAIN, 16, range, &w);
  return NULL;
}

/* f(x, g, dx): its backward, adding into dx, after checking g and dx cover x. */
static napi_value pointwise_backward(napi_env env, napi_callback_info info, const char *name,
                                     void (*range)(void *, int64_t, int64_t)) {
  ARGS(3) size_t n, gn, dn;
  Pw w = {f32(env, argv[0], &n), f32(env, argv[1], &gn), f32(env, argv[2], &dn), 0, false, 0, 0, 0};
  if (!w.x || !w.g || !w.out || !covers(env, name, "g", gn, (int64_t)n) || !covers(env, name, "dx", dn, (int64_t)n))
    return NULL;
  pool_range((int64_t)n, GRAIN, 16, range, &w);
  return NULL;
}

napi_value gelu_tanh(napi_env env, napi_callback_info info) {
  return pointwise_forward(env, info, "geluTanh", gelu_range);
}

napi_value gelu_tanh_backward(napi_env env, napi_callback_info info) {
  return pointwise_backward(env, info, "geluTanhBackward", gelu_backward_range);
}

/* Φ(v), the standard normal CDF, through erfc(z) = t·exp(−z² + P(t)) with t = 1/(1 + z/2)
 * (Numerical Recipes' erfcc: relative error below 1.2e-7 everywhere, so both tails keep their
 * digits); unlike erff it vectorises. */
static inline float normal_cdf(float v) {
  const float z = fabsf(v) * 0.7071067811865476f, t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  const float half_erfc = 0.5f * t * exp_approx(-z * z + p);
  return v < 0 ? half_erfc : 1.0f - half_erfc;
}

/* The exact GELU, v·Φ(v) (GPT-NeoX), and its derivative Φ(v) + v·φ(v). */
static void gelu_erf_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) w->out[i] = w->x[i] * normal_cdf(w->x[i]);
}

static void gelu_erf_backward_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
  const float inv_sqrt_2pi = 0.3989422804014327f;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i];
    w->out[i] += w->g[i] * (normal_cdf(v) + v * inv_sqrt_2pi * exp_approx(-0.5f * v * v));
  }
}

napi_value gelu_erf(napi_env env, napi_callback_info info) {
  return pointwise_forward(env, info, "geluErf", gelu_erf_range);
}

napi_value gelu_erf_backward(napi_env env, napi_callback_info info) {
  return pointwise_backward(env, info, "geluErfBackward", gelu_erf_backward_range);
}

/* swap12(x, a, b, c, d, out, accumulate): out[a][c][b][d] (+)= x[a][b][c][d] — the head split/merge permute. */
static void swap12_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
  const int64_t B = w->b, C = w->c, D = w->d;
  for (int64_t ab = i0; ab < i1; ab++) {
    const int64_t a = ab / B, b = ab % B;
    for (int64_t c = 0; c < C; c++) {
      const float *src = w->x + ((a * B + b) * C + c) * D;
      float *dst = w->out + ((a * C + c) * B + b) * D;
      if (w->acc) {
#pragma omp simd
        for (int64_t d = 0; d < D; d++) dst[d] += src[d];
      } else
        memcpy(dst, src, sizeof(float) * (size_t)D);
    }
  }
}

napi_value swap12(napi_env env, napi_callback_info info) {
  ARGS(7) size_t xn, on;
  Pw w = {f32(env, argv[0], &xn), NULL, f32(env, argv[5], &on), 0, false, num(env, argv[2]), num(env, argv[3]),
          num(env, argv[4])};
  if (!w.x || !w.out) return NULL;
  const int64_t total = mul4(num(env, argv[1]), w.b, w.c, w.d);
  if (!covers(env, "swap12", "x", xn, total) || !covers(env, "swap12", "out", on, total)) return NULL;
  napi_get_value_bool(env, argv[6], &w.acc);
  const int64_t outer = num(env, argv[1]) * w.b;
  pool_range(outer, outer * w.c * w.d < GRAIN ? INT64_MAX : 1, 1, swap12_range, &w);
  return NULL;
}

/* scale(x, s, out, accumulate): out (+)= s·x */
static void scale_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p;
  const float f = w->s;
  if (w->acc) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) w->out[i] += f * w->x[i];
  } else {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) w->out[i] = f * w->x[i];
  }
}

napi_value scale(napi_env env, napi_callback_info info) {
  ARGS(4) size_t n, on;
  Pw w = {f32(env, argv[0], &n), NULL, f32(env, argv[2], &on), (float)dbl(env, argv[1]), false, 0, 0, 0};
  if (!w.x || !w.out || !covers(env, "scale", "out", on, (int64_t)n)) return NULL;
  napi_get_value_bool(env, argv[3], &w.acc);
  pool_range((int64_t)n, GRAIN, 16, scale_range, &w);
  return NULL;
}

/* binary(op, a, b, out): out[i] = a[i mod an] op b[i mod bn]; op 0 add, 1 sub, 2 mul.
 * Shapes broadcast over leading dimensions, so the shorter length divides the output's. */
typedef struct {
  int64_t op, which;
  const float *a, *b, *g;
  float *out;
  int64_t an, bn, n, dn;
} Bin;
#define BINOP(x, y) (op == 0 ? (x) + (y) : op == 1 ? (x) - (y) : (x) * (y))

static void binary_range(void *p, int64_t i0, int64_t i1) {
  const Bin *w = (const Bin *)p;
  const int64_t op = w->op;
  const float *a = w->a, *b = w->b;
  float *out = w->out;
  const int64_t an = w->an, bn = w->bn;
  /* i0, i1 are multiples of the shorter length (chunks align to it). */
  if (an == w->n && bn == w->n) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = BINOP(a[i], b[i]);
  } else if (an == w->n) {
    for (int64_t o = i0; o < i1; o += bn)
#pragma omp simd
      for (int64_t i = 0; i < bn; i++) out[o + i] = BINOP(a[o + i], b[i]);
  } else {
    for (int64_t o = i0; o < i1; o += an)
#pragma omp simd
      for (int64_t i = 0; i < an; i++) out[o + i] = BINOP(a[i], b[o + i]);
  }
}

napi_value binary(napi_env env, napi_callback_info info) {
  ARGS(4) size_t an, bn, n;
  Bin w = {
      num(env, argv[0]), 0, f32(env, argv[1], &an), f32(env, argv[2], &bn), NULL, f32(env, argv[3], &n), 0, 0, 0, 0};
  if (!w.a || !w.b || !w.out) return NULL;
  if (an == 0 || bn == 0 || n % an != 0 || n % bn != 0 || w.op < 0 || w.op > 2) {
    napi_throw_range_error(env, NULL,
                           "shareformer native binary: each operand's length must divide the output's (broadcast over "
                           "leading axes), and op must be 0, 1 or 2");
    return NULL;
  }
  w.an = (int64_t)an;
  w.bn = (int64_t)bn;
  w.n = (int64_t)n;
  const int64_t period = an < bn ? w.an : w.bn;
  pool_range(w.n, GRAIN, period, binary_range, &w);
  return NULL;
}

/* Gradient of one operand when dx has the output's length (elements) or is broadcast (columns). */
static void binary_backward_range(void *p, int64_t i0, int64_t i1) {
  const Bin *w = (const Bin *)p;
  const int64_t n = w->n, dn = w->dn;
  float *dx = w->out;
  const float *g = w->g;
  if (w->op == 2) {
    const float *other = w->which == 0 ? w->b : w->a;
    const int64_t on = w->which == 0 ? w->bn : w->an;
    if (dn == n) {
      /* Elements i0..i1 (aligned to the other operand's period). */
      for (int64_t o = i0; o < i1; o += on)
#pragma omp simd
        for (int64_t i = 0; i < on; i++) dx[o + i] += g[o + i] * other[i];
    } else {
      /* Columns i0..i1 of the broadcast operand, summed over the rows. */
      for (int64_t o = 0; o < n; o += dn)
#pragma omp simd
        for (int64_t i = i0; i < i1; i++) dx[i] += g[o + i] * other[o + i];
    }
  } else {
    const float sign = (w->op == 1 && w->which == 1) ? -1.0f : 1.0f;
    if (dn == n) {
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) dx[i] += sign * g[i];
    } else {
      for (int64_t o = 0; o < n; o += dn)
#pragma omp simd
        for (int64_t i = i0; i < i1; i++) dx[i] += sign * g[o + i];
    }
  }
}

/* binaryBackward(op, which, a, b, g, dx): dx[i mod dn] += d(a op b)/dx · g[i]; which 0 = a, 1 = b */
napi_value binary_backward(napi_env env, napi_callback_info info) {
  ARGS(6) size_t an, bn, n, dn;
  Bin w = {num(env, argv[0]),
           num(env, argv[1]),
           f32(env, argv[2], &an),
           f32(env, argv[3], &bn),
           f32(env, argv[4], &n),
           f32(env, argv[5], &dn),
           0,
           0,
           0,
           0};
  if (!w.a || !w.b || !w.g || !w.out) return NULL;
  if (an == 0 || bn == 0 || dn == 0 || n % an != 0 || n % bn != 0 || n % dn != 0 || dn != (w.which == 0 ? an : bn) ||
      w.op < 0 || w.op > 2) {
    napi_throw_range_error(env, NULL,
                           "shareformer native binaryBackward: a, b and dx must divide g's length, dx must match its "
                           "operand, and op must be 0, 1 or 2");
    return NULL;
  }
  w.an = (int64_t)an;
  w.bn = (int64_t)bn;
  w.n = (int64_t)n;
  w.dn = (int64_t)dn;
  if (w.dn == w.n) {
    const int64_t period = w.op == 2 ? (w.which == 0 ? w.bn : w.an) : 1;
    pool_range(w.n, GRAIN, period, binary_backward_range, &w);
  } else {
    pool_range(w.dn, w.n < GRAIN ? INT64_MAX : 64, 16, binary_backward_range, &w);
  }
  return NULL;
}

/* sumAxis(x, outer, len, inner, out, accumulate): out[o, i] (+)= Σ_l x[o, l, i] — a bias gradient
 * sums every row. Columns are spread over the pool; each column sums in float64, as the reference. */
typedef struct {
  const float *x;
  float *out;
  int64_t outer, len, inner;
  bool acc;
} SumAxis;

static void sum_axis_range(void *p, int64_t i0, int64_t i1) {
  const SumAxis *w = (const SumAxis *)p;
  /* Columns in blocks of 64, so the float64 accumulators live on the stack. */
  for (int64_t c0 = i0; c0 < i1; c0 += 64) {
    const int64_t c1 = c0 + 64 < i1 ? c0 + 64 : i1;
    double acc[64];
    for (int64_t o = 0; o < w->outer; o++) {
      memset(acc, 0, sizeof acc);
      for (int64_t l = 0; l < w->len; l++) {
        const float *row = w->x + (o * w->len + l) * w->inner;
#pragma omp simd
        for (int64_t i = c0; i < c1; i++) acc[i - c0] += row[i];
      }
      float *dst = w->out + o * w->inner;
      for (int64_t i = c0; i < c1; i++) dst[i] = (float)(w->acc ? dst[i] + acc[i - c0] : acc[i - c0]);
    }
  }
}

napi_value sum_axis(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t xn, on;
  SumAxis w = {f32(env, argv[0], &xn), f32(env, argv[4], &on), num(env, argv[1]),
               num(env, argv[2]),      num(env, argv[3]),      false};
  if (!w.x || !w.out) return NULL;
  if (!covers(env, "sumAxis", "x", xn, mul3(w.outer, w.len, w.inner)) ||
      !covers(env, "sumAxis", "out", on, mul(w.outer, w.inner)))
    return NULL;
  napi_get_value_bool(env, argv[5], &w.acc);
  pool_range(w.inner, w.outer * w.len * w.inner < GRAIN ? INT64_MAX : 16, 16, sum_axis_range, &w);
  return NULL;
}

/* ---- normalisation, softmax, cross-entropy and AdamW: the reference kernels' loops in C, with
 * the same float64 accumulators for statistics, rows spread over the pool. */
typedef struct {
  const float *x, *gamma, *beta, *g, *mean_in, *rstd_in;
  float *out, *mean, *rstd, *dx, *dgamma, *dbeta;
  int64_t rows, dim, parts;
  double eps;
  float *partial;
} Norm;

static void layer_norm_range(void *p, int64_t r0, int64_t r1) {
  const Norm *w = (const Norm *)p;
  const int64_t dim = w->dim;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim;
    float *o = w->out + r * dim;
    double s = 0, v = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < dim; j++) s += xr[j];
    const double mu = s / dim;
#pragma omp simd reduction(+ : v)
    for (int64_t j = 0; j < dim; j++) {
      const double d = xr[j] - mu;
      v += d * d;
    }
    const double rs = 1.0 / sqrt(v / dim + w->eps);
    w->mean[r] = (float)mu;
    w->rstd[r] = (float)rs;
    const float fmu = (float)mu, frs = (float)rs;
    if (w->beta) {
#pragma omp simd
      for (int64_t j = 0; j < dim; j++) o[j] = (xr[j] - fmu) * frs * w->gamma[j] + w->beta[j];
    } else {
#pragma omp simd
      for (int64_t j = 0; j < dim; j++) o[j] = (xr[j] - fmu) * frs * w->gamma[j];
    }
  }
}

/* layerNorm(x, gamma, beta|null, rows, dim, eps, out, mean, rstd) */
napi_value layer_norm(napi_env env, napi_callback_info info) {
  ARGS(9)
  Norm w;
  memset(&w, 0, sizeof w);
  size_t xn, gn, bn, on, mn, rn;
  w.x = f32(env, argv[0], &xn);
  w.gamma = f32(env, argv[1], &gn);
  w.beta = opt_f32(env, argv[2], &bn);
  w.rows = num(env, argv[3]);
  w.dim = num(env, argv[4]);
  w.eps = dbl(env, argv[5]);
  w.out = f32(env, argv[6], &on);
  w.mean = f32(env, argv[7], &mn);
  w.rstd = f32(env, argv[8], &rn);
  if (!w.x || !w.gamma || !w.out || !w.mean || !w.rstd) return NULL;
  const int64_t size = mul(w.rows, w.dim);
  if (!covers(env, "layerNorm", "x", xn, size) || !covers(env, "layerNorm", "out", on, size) ||
      !covers(env, "layerNorm", "gamma", gn, w.dim) || (w.beta && !covers(env, "layerNorm", "beta", bn, w.dim)) ||
      !covers(env, "layerNorm", "mean", mn, w.rows) || !covers(env, "layerNorm", "rstd", rn, w.rows))
    return NULL;
  pool_range(w.rows, w.rows * w.dim < GRAIN ? INT64_MAX : 8, 1, layer_norm_range, &w);
  return NULL;
}

/* Each chunk of rows adds its gain/bias gradients into its own slice of `partial`; summed after. */
static void layer_norm_backward_range(void *p, int64_t r0, int64_t r1) {
  const Norm *w = (const Norm *)p;
  const int64_t dim = w->dim;
  const int64_t part = r0 / ((w->rows + w->parts - 1) / w->parts);
  float *dg = w->dgamma ? w->partial + part * 2 * dim : NULL, *db = w->dbeta ? w->partial + part * 2 * dim + dim : NULL;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim, *gr = w->g + r * dim;
    const double mu = w->mean_in[r], rs = w->rstd_in[r];
    double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t j = 0; j < dim; j++) {
      const double xh = (xr[j] - mu) * rs, gh = (double)gr[j] * w->gamma[j];
      sg += gh;
      sgx += gh * xh;
    }
    if (dg) {
      const float fmu = (float)mu, frs = (float)rs;
#pragma omp simd
      for (int64_t j = 0; j < dim; j++) { dg[j] += gr[j] * ((xr[j] - fmu) * frs); }
    }
    if (db) {
#pragma omp simd
      for (int64_t j = 0; j < dim; j++) db[j] += gr[j];
    }
    if (!w->dx) continue;
    sg /= dim;
    sgx /= dim;
    float *d = w->dx + r * dim;
#pragma omp simd
    for (int64_t j = 0; j < dim; j++)
      d[j] += (float)(rs * ((double)gr[j] * w->gamma[j] - sg - (xr[j] - mu) * rs * sgx));
  }
}

/* layerNormBackward(x, gamma, mean, rstd, g, rows, dim, dx|null, dgamma|null, dbeta|null) */
napi_value layer_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(10)
  Norm w;
  memset(&w, 0, sizeof w);
  size_t xn, gan, mn, rn, gn, dxn, dgn, dbn;
  w.x = f32(env, argv[0], &xn);
  w.gamma = f32(env, argv[1], &gan);
  w.mean_in = f32(env, argv[2], &mn);
  w.rstd_in = f32(env, argv[3], &rn);
  w.g = f32(env, argv[4], &gn);
  w.rows = num(env, argv[5]);
  w.dim = num(env, argv[6]);
  w.dx = opt_f32(env, argv[7], &dxn);
  w.dgamma = opt_f32(env, argv[8], &dgn);
  w.dbeta = opt_f32(env, argv[9], &dbn);
  if (!w.x || !w.gamma || !w.mean_in || !w.rstd_in || !w.g) return NULL;
  const int64_t size = mul(w.rows, w.dim);
  const char *k = "layerNormBackward";
  if (!covers(env, k, "x", xn, size) || !covers(env, k, "g", gn, size) || !covers(env, k, "gamma", gan, w.dim) ||
      !covers(env, k, "mean", mn, w.rows) || !covers(env, k, "rstd", rn, w.rows) ||
      (w.dx && !covers(env, k, "dx", dxn, size)) || (w.dgamma && !covers(env, k, "dGamma", dgn, w.dim)) ||
      (w.dbeta && !covers(env, k, "dBeta", dbn, w.dim)))
    return NULL;
  if (w.rows == 0) return NULL;
  w.parts = w.rows * w.dim < GRAIN ? 1 : pool_threads();
  if (w.parts > w.rows) w.parts = w.rows;
  w.partial = (float *)calloc((size_t)(w.parts * 2 * w.dim), sizeof(float));
  if (!w.partial) {
    napi_throw_error(env, NULL, "shareformer native layerNormBackward: out of memory");
    return NULL;
  }
  const int64_t chunk = (w.rows + w.parts - 1) / w.parts;
  pool_range(w.rows, w.parts == 1 ? INT64_MAX : 1, chunk, layer_norm_backward_range, &w);
  for (int64_t part = 0; part < w.parts; part++) {
    for (int64_t j = 0; j < w.dim; j++) {
      if (w.dgamma) w.dgamma[j] += w.partial[part * 2 * w.dim + j];
      if (w.dbeta) w.dbeta[j] += w.partial[part * 2 * w.dim + w.dim + j];
    }
  }
  free(w.partial);
  return NULL;
}

static void softmax_range(void *p, int64_t r0, int64_t r1) {
  const Norm *w = (const Norm *)p;
  for (int64_t r = r0; r < r1; r++) {
    memcpy(w->out + r * w->dim, w->x + r * w->dim, sizeof(float) * (size_t)w->dim);
    softmax_row(w->out + r * w->dim, w->dim, w->dim);
  }
}

/* softmax(x, rows, dim, out) */
napi_value softmax(napi_env env, napi_callback_info info) {
  ARGS(4)
  Norm w;
  memset(&w, 0, sizeof w);
  size_t xn, on;
  w.x = f32(env, argv[0], &xn);
  w.rows = num(env, argv[1]);
  w.dim = num(env, argv[2]);
  w.out = f32(env, argv[3], &on);
  if (!w.x || !w.out) return NULL;
  if (!covers(env, "softmax", "x", xn, mul(w.rows, w.dim)) || !covers(env, "softmax", "out", on, mul(w.rows, w.dim)))
    return NULL;
  pool_range(w.rows, w.rows * w.dim < GRAIN ? INT64_MAX : 4, 1, softmax_range, &w);
  return NULL;
}

typedef struct {
  const float *logits;
  const int32_t *targets;
  int64_t rows, vocab, ignore, count, parts;
  float *dl;
  double gscale;
  double *totals;
} CE;

static void cross_entropy_range(void *p, int64_t r0, int64_t r1) {
  const CE *w = (const CE *)p;
  double total = 0;
  for (int64_t r = r0; r < r1; r++) {
    const int32_t t = w->targets[r];
    if (t == w->ignore) continue;
    const float *row = w->logits + r * w->vocab;
    float max = -INFINITY;
    double s = 0;
    for (int64_t j = 0; j < w->vocab; j++)
      if (row[j] > max) max = row[j];
    for (int64_t j = 0; j < w->vocab; j++) s += exp((double)row[j] - max);
    const double lse = max + log(s);
    if (w->dl) {
      const double scale = w->gscale / (double)w->count;
      float *d = w->dl + r * w->vocab;
      for (int64_t j = 0; j < w->vocab; j++)
        d[j] += (float)(scale * (exp((double)row[j] - lse) - (j == t ? 1.0 : 0.0)));
    } else
      total += lse - row[t];
  }
  w->totals[r0 / ((w->rows + w->parts - 1) / w->parts)] = total;
}

/* crossEntropy(logits, targets(Int32Array), rows, vocab, ignore, dlogits|null, g) → mean loss;
 * with dlogits, adds g · (softmax − onehot) / count instead (the backward pass). */
napi_value cross_entropy(napi_env env, napi_callback_info info) {
  ARGS(7)
  CE w;
  memset(&w, 0, sizeof w);
  size_t ln, dn;
  w.logits = f32(env, argv[0], &ln);
  if (!w.logits) return NULL;
  napi_typedarray_type type;
  size_t tlen;
  void *tdata;
  napi_value tbuf;
  size_t toff;
  if (napi_get_typedarray_info(env, argv[1], &type, &tlen, &tdata, &tbuf, &toff) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "shareformer native crossEntropy: targets must be an Int32Array");
    return NULL;
  }
  w.targets = (const int32_t *)tdata;
  w.rows = num(env, argv[2]);
  w.vocab = num(env, argv[3]);
  w.ignore = num(env, argv[4]);
  w.dl = opt_f32(env, argv[5], &dn);
  w.gscale = dbl(env, argv[6]);
  const int64_t size = mul(w.rows, w.vocab);
  if (!covers(env, "crossEntropy", "logits", ln, size) || !covers(env, "crossEntropy", "targets", tlen, w.rows) ||
      (w.dl && !covers(env, "crossEntropy", "dLogits", dn, size)))
    return NULL;
  for (int64_t r = 0; r < w.rows; r++) {
    const int64_t t = w.targets[r];
    if (t == w.ignore) continue;
    if (t < 0 || t >= w.vocab) {
      char msg[160];
      snprintf(msg, sizeof msg,
               "shareformer native crossEntropy: target %lld of row %lld is outside the vocabulary of %lld",
               (long long)t, (long long)r, (long long)w.vocab);
      napi_throw_range_error(env, NULL, msg);
      return NULL;
    }
    w.count++;
  }
  double totals[64] = {0};
  w.totals = totals;
  w.parts = w.rows * w.vocab < GRAIN ? 1 : pool_threads();
  if (w.parts > 64) w.parts = 64; /* the size of `totals` */
  if (w.parts > w.rows) w.parts = w.rows > 0 ? w.rows : 1;
  const int64_t chunk = w.rows > 0 ? (w.rows + w.parts - 1) / w.parts : 1;
  pool_range(w.rows, w.parts == 1 ? INT64_MAX : 1, chunk, cross_entropy_range, &w);
  double total = 0;
  for (int64_t i = 0; i < w.parts; i++) total += totals[i];
  napi_value out;
  CHECK(napi_create_double(env, w.count ? total / (double)w.count : NAN, &out));
  return out;
}

typedef struct {
  float *p, *g, *m, *v;
  float decay, b1, b2, step, inv_bc2s, eps;
} Adam;

static void adamw_range(void *ctx, int64_t i0, int64_t i1) {
  const Adam *w = (const Adam *)ctx;
  float *p = w->p, *m = w->m, *v = w->v;
  const float *g = w->g;
  const float b1 = w->b1, b2 = w->b2, decay = w->decay, step = w->step, inv = w->inv_bc2s, eps = w->eps;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float gi = g[i];
    const float mi = m[i] = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    p[i] = p[i] * decay - step * mi / (sqrtf(vi) * inv + eps);
  }
}

/* adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) — torch.optim.AdamW's update */
napi_value adamw(napi_env env, napi_callback_info info) {
  ARGS(10) size_t n, gn, mn, vn;
  Adam w = {
      f32(env, argv[0], &n), f32(env, argv[1], &gn), f32(env, argv[2], &mn), f32(env, argv[3], &vn), 0, 0, 0, 0, 0, 0};
  if (!w.p || !w.g || !w.m || !w.v) return NULL;
  if (!covers(env, "adamw", "grad", gn, (int64_t)n) || !covers(env, "adamw", "m", mn, (int64_t)n) ||
      !covers(env, "adamw", "v", vn, (int64_t)n))
    return NULL;
  const double lr = dbl(env, argv[4]), b1 = dbl(env, argv[5]), b2 = dbl(env, argv[6]), eps = dbl(env, argv[7]),
               wd = dbl(env, argv[8]), step = dbl(env, argv[9]);
  w.decay = (float)(1.0 - lr * wd);
  w.b1 = (float)b1;
  w.b2 = (float)b2;
  w.step = (float)(lr / (1.0 - pow(b1, step)));
  w.inv_bc2s = (float)(1.0 / sqrt(1.0 - pow(b2, step)));
  w.eps = (float)eps;
  pool_range((int64_t)n, GRAIN, 16, adamw_range, &w);
  return NULL;
}

typedef struct {
  const float *x;
  int64_t n, parts;
  double totals[64];
} Sq;

static void sum_squares_range(void *ctx, int64_t i0, int64_t i1) {
  Sq *w = (Sq *)ctx;
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = i0; i < i1; i++) s += (double)w->x[i] * w->x[i];
  w->totals[i0 / ((w->n + w->parts - 1) / w->parts)] = s;
}

/* sumSquares(x) → Σ x², accumulated in float64 */
napi_value sum_squares(napi_env env, napi_callback_info info) {
  ARGS(1) size_t n;
  Sq w;
  memset(&w, 0, sizeof w);
  w.x = f32(env, argv[0], &n);
  w.n = (int64_t)n;
  if (!w.x) return NULL;
  w.parts = w.n < GRAIN ? 1 : pool_threads();
  if (w.parts > 64) w.parts = 64; /* the size of `totals` */
  const int64_t chunk = w.n > 0 ? (w.n + w.parts - 1) / w.parts : 1;
  if (w.n > 0) pool_range(w.n, w.parts == 1 ? INT64_MAX : 1, chunk, sum_squares_range, &w);
  double total = 0;
  for (int64_t i = 0; i < w.parts; i++) total += w.totals[i];
  napi_value out;
  CHECK(napi_create_double(env, total, &out));
  return out;
}
