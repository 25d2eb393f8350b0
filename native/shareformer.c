/* The native backend's kernels: Node-API bindings around OpenBLAS cblas_sgemm for matrix products,
 * attention built on sgemm, and the hottest pointwise kernels.
 * Every function takes Float32Arrays and plain numbers and works in place; shapes are checked in
 * TypeScript before the call (src/backend/native/index.ts), so this file stays a thin layer. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "shareformer native: " #call " failed"); return NULL; } } while (0)

static float *f32(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type type; size_t length; void *data; napi_value buf; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buf, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "shareformer native: expected a Float32Array");
    return NULL;
  }
  if (len) *len = length;
  return (float *)data;
}

static int64_t num(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

/* OpenBLAS wakes all its threads for every call; for small products the hand-off costs more than
 * it saves (and oversubscribes a busy machine), so those run on one thread. */
static int max_threads = 0;
static void small_gemm_threads(int64_t work) {
  if (max_threads == 0) max_threads = openblas_get_num_threads();
  int want = work < (int64_t)1 << 22 ? 1 : max_threads;
  if (openblas_get_num_threads() != want) openblas_set_num_threads(want);
}

/* gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate) */
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13; napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) { napi_throw_error(env, NULL, "shareformer native gemm: expected 13 arguments"); return NULL; }
  float *a = f32(env, argv[0], NULL), *b = f32(env, argv[1], NULL), *c = f32(env, argv[2], NULL);
  if (!a || !b || !c) return NULL;
  int64_t batch = num(env, argv[3]), m = num(env, argv[4]), n = num(env, argv[5]), k = num(env, argv[6]);
  bool ta, tb, acc;
  napi_get_value_bool(env, argv[7], &ta);
  napi_get_value_bool(env, argv[8], &tb);
  int64_t sa = num(env, argv[9]), sb = num(env, argv[10]), sc = num(env, argv[11]);
  napi_get_value_bool(env, argv[12], &acc);
  if (m == 0 || n == 0) return NULL;
  small_gemm_threads(m * n * k);
  for (int64_t i = 0; i < batch; i++) {
    float beta = (acc || (sc == 0 && i > 0)) ? 1.0f : 0.0f;
    if (k == 0) { if (beta == 0.0f) memset(c + i * sc, 0, sizeof(float) * m * n); continue; }
    if (m == 1) {
      /* One row (a decoding step): a matrix-vector product, which sgemm handles poorly. A [1,k] or
       * its transpose [k,1] is the same k contiguous values. */
      cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? (int)n : (int)k, tb ? (int)k : (int)n,
                  1.0f, b + i * sb, tb ? (int)k : (int)n, a + i * sa, 1, beta, c + i * sc, 1);
      continue;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, 1.0f, a + i * sa, ta ? (int)m : (int)k, b + i * sb, tb ? (int)k : (int)n,
                beta, c + i * sc, (int)n);
  }
  return NULL;
}

/* ---- attention: per (batch, head) the products go to sgemm; masking and softmax are plain loops.
 * q [B,H,Tq,D]; k, v [B,G,kvStride,D] (first tk rows filled); probs [B,H,Tq,Tk]. Head h reads K/V head h/(H/G).
 * Queries are the last tq of tk positions: query t may see keys 0 .. tk - tq + t. */
typedef struct { int64_t batch, heads, kvHeads, tq, tk, kvStride, d; float scale; bool causal; } Dims;

static bool dims(napi_env env, napi_value *argv, Dims *o) {
  o->batch = num(env, argv[0]); o->heads = num(env, argv[1]); o->kvHeads = num(env, argv[2]);
  o->tq = num(env, argv[3]); o->tk = num(env, argv[4]); o->kvStride = num(env, argv[5]); o->d = num(env, argv[6]);
  double scale; napi_get_value_double(env, argv[7], &scale); o->scale = (float)scale;
  napi_get_value_bool(env, argv[8], &o->causal);
  return o->heads % o->kvHeads == 0;
}

static inline int64_t last_key(const Dims *d, int64_t t) { return d->causal ? d->tk - d->tq + t : d->tk - 1; }

static float *scratch(size_t n) {
  static float *buf = NULL; static size_t cap = 0;
  if (n > cap) { free(buf); cap = n * 2; buf = (float *)malloc(cap * sizeof(float)); }
  return buf;
}

#define ATTN_ARGS(extra) size_t argc = 9 + (extra); napi_value argv[9 + (extra)]; \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL)); \
  Dims D; if (argc != 9 + (extra) || !dims(env, argv, &D)) { napi_throw_error(env, NULL, "shareformer native attention: bad arguments"); return NULL; } \
  const int64_t group = D.heads / D.kvHeads; (void)group;

#define HEAD_LOOP small_gemm_threads(0); for (int64_t b = 0; b < D.batch; b++) for (int64_t h = 0; h < D.heads; h++) { \
  const int64_t kvo = (b * D.kvHeads + h / group) * D.kvStride * D.d; \
  const int64_t qo = (b * D.heads + h) * D.tq * D.d; \
  const int64_t po = (b * D.heads + h) * D.tq * D.tk;

/* attentionProbs(dims..., q, k, probs) */
static napi_value attention_probs(napi_env env, napi_callback_info info) {
  ATTN_ARGS(3)
  float *q = f32(env, argv[9], NULL), *k = f32(env, argv[10], NULL), *p = f32(env, argv[11], NULL);
  if (!q || !k || !p) return NULL;
  HEAD_LOOP
    float *P = p + po;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)D.tq, (int)D.tk, (int)D.d, D.scale, q + qo, (int)D.d, k + kvo, (int)D.d, 0.0f, P, (int)D.tk);
    for (int64_t t = 0; t < D.tq; t++) {
      float *row = P + t * D.tk; const int64_t last = last_key(&D, t);
      float max = -INFINITY; double sum = 0;
      for (int64_t s = 0; s <= last; s++) if (row[s] > max) max = row[s];
      for (int64_t s = 0; s <= last; s++) { row[s] = expf(row[s] - max); sum += row[s]; }
      const float inv = (float)(1.0 / sum);
      for (int64_t s = 0; s <= last; s++) row[s] *= inv;
      for (int64_t s = last + 1; s < D.tk; s++) row[s] = 0.0f;
    }
  }
  return NULL;
}

/* attentionProbsBackward(dims..., q, k, probs, g, dq|null, dk|null) */
static napi_value attention_probs_backward(napi_env env, napi_callback_info info) {
  ATTN_ARGS(6)
  float *q = f32(env, argv[9], NULL), *k = f32(env, argv[10], NULL), *p = f32(env, argv[11], NULL), *g = f32(env, argv[12], NULL);
  napi_valuetype t1, t2; napi_typeof(env, argv[13], &t1); napi_typeof(env, argv[14], &t2);
  float *dq = t1 == napi_null ? NULL : f32(env, argv[13], NULL), *dk = t2 == napi_null ? NULL : f32(env, argv[14], NULL);
  if (!q || !k || !p || !g) return NULL;
  float *ds = scratch((size_t)(D.tq * D.tk));
  HEAD_LOOP
    for (int64_t t = 0; t < D.tq; t++) {
      const float *P = p + po + t * D.tk, *G = g + po + t * D.tk; float *S = ds + t * D.tk;
      const int64_t last = last_key(&D, t);
      double dot = 0;
      for (int64_t s = 0; s <= last; s++) dot += (double)P[s] * G[s];
      for (int64_t s = 0; s <= last; s++) S[s] = P[s] * (G[s] - (float)dot) * D.scale;
      for (int64_t s = last + 1; s < D.tk; s++) S[s] = 0.0f;
    }
    if (dq) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)D.tq, (int)D.d, (int)D.tk, 1.0f, ds, (int)D.tk, k + kvo, (int)D.d, 1.0f, dq + qo, (int)D.d);
    if (dk) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)D.tk, (int)D.d, (int)D.tq, 1.0f, ds, (int)D.tk, q + qo, (int)D.d, 1.0f, dk + kvo, (int)D.d);
  }
  return NULL;
}

/* Copies one head's probabilities with the masked entries zeroed (they are the mask, not data). */
static const float *masked(const Dims *D, const float *P, float *tmp) {
  if (!D->causal) return P;
  for (int64_t t = 0; t < D->tq; t++) {
    const int64_t last = last_key(D, t);
    memcpy(tmp + t * D->tk, P + t * D->tk, sizeof(float) * (size_t)(last + 1));
    memset(tmp + t * D->tk + last + 1, 0, sizeof(float) * (size_t)(D->tk - last - 1));
  }
  return tmp;
}

/* attendValues(dims..., probs, v, out) — dims.d is the value width */
static napi_value attend_values(napi_env env, napi_callback_info info) {
  ATTN_ARGS(3)
  float *p = f32(env, argv[9], NULL), *v = f32(env, argv[10], NULL), *out = f32(env, argv[11], NULL);
  if (!p || !v || !out) return NULL;
  float *tmp = scratch((size_t)(D.tq * D.tk));
  HEAD_LOOP
    const float *P = masked(&D, p + po, tmp);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)D.tq, (int)D.d, (int)D.tk, 1.0f, P, (int)D.tk, v + kvo, (int)D.d, 0.0f, out + qo, (int)D.d);
  }
  return NULL;
}

/* attendValuesBackward(dims..., probs, v, g, dprobs|null, dv|null) */
static napi_value attend_values_backward(napi_env env, napi_callback_info info) {
  ATTN_ARGS(5)
  float *p = f32(env, argv[9], NULL), *v = f32(env, argv[10], NULL), *g = f32(env, argv[11], NULL);
  napi_valuetype t1, t2; napi_typeof(env, argv[12], &t1); napi_typeof(env, argv[13], &t2);
  float *dp = t1 == napi_null ? NULL : f32(env, argv[12], NULL), *dv = t2 == napi_null ? NULL : f32(env, argv[13], NULL);
  if (!p || !v || !g) return NULL;
  float *tmp = scratch((size_t)(2 * D.tq * D.tk)), *dpt = tmp + D.tq * D.tk;
  HEAD_LOOP
    if (dp) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)D.tq, (int)D.tk, (int)D.d, 1.0f, g + qo, (int)D.d, v + kvo, (int)D.d, 0.0f, dpt, (int)D.tk);
      for (int64_t t = 0; t < D.tq; t++) {
        const int64_t last = last_key(&D, t); float *dst = dp + po + t * D.tk; const float *src = dpt + t * D.tk;
        for (int64_t s = 0; s <= last; s++) dst[s] += src[s];
      }
    }
    if (dv) {
      const float *P = masked(&D, p + po, tmp);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)D.tk, (int)D.d, (int)D.tq, 1.0f, P, (int)D.tk, g + qo, (int)D.d, 1.0f, dv + kvo, (int)D.d);
    }
  }
  return NULL;
}

/* ---- pointwise kernels. tanh as a clamped rational minimax approximation (Eigen's float tanh,
 * within a few ulp): unlike tanhf and expf it vectorises. */
static inline float fast_tanh(float x) {
  const float c = 7.90531110763549805f;
  x = x > c ? c : (x < -c ? -c : x);
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p / q;
}

static napi_value gelu_tanh(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = f32(env, argv[0], &n), *out = f32(env, argv[1], NULL);
  if (!x || !out) return NULL;
  const float c = 0.7978845608028654f;
  for (size_t i = 0; i < n; i++) { float v = x[i]; out[i] = 0.5f * v * (1.0f + fast_tanh(c * (v + 0.044715f * v * v * v))); }
  return NULL;
}

static napi_value gelu_tanh_backward(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = f32(env, argv[0], &n), *g = f32(env, argv[1], NULL), *dx = f32(env, argv[2], NULL);
  if (!x || !g || !dx) return NULL;
  const float c = 0.7978845608028654f;
  for (size_t i = 0; i < n; i++) {
    float v = x[i], t = fast_tanh(c * (v + 0.044715f * v * v * v));
    dx[i] += g[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3.0f * 0.044715f * v * v));
  }
  return NULL;
}

/* swap12(x, a, b, c, d, out, accumulate): out[a][c][b][d] (+)= x[a][b][c][d] — the head split/merge permute. */
static napi_value swap12(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = f32(env, argv[0], NULL), *out = f32(env, argv[5], NULL);
  if (!x || !out) return NULL;
  int64_t A = num(env, argv[1]), B = num(env, argv[2]), C = num(env, argv[3]), D = num(env, argv[4]);
  bool acc; napi_get_value_bool(env, argv[6], &acc);
  for (int64_t a = 0; a < A; a++) for (int64_t b = 0; b < B; b++) for (int64_t c = 0; c < C; c++) {
    const float *src = x + ((a * B + b) * C + c) * D; float *dst = out + ((a * C + c) * B + b) * D;
    if (acc) for (int64_t d = 0; d < D; d++) dst[d] += src[d];
    else memcpy(dst, src, sizeof(float) * (size_t)D);
  }
  return NULL;
}

/* axpy(x, s, out, accumulate): out (+)= s·x */
static napi_value scale(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = f32(env, argv[0], &n), *out = f32(env, argv[2], NULL);
  if (!x || !out) return NULL;
  double s; napi_get_value_double(env, argv[1], &s); bool acc; napi_get_value_bool(env, argv[3], &acc);
  const float f = (float)s;
  if (acc) for (size_t i = 0; i < n; i++) out[i] += f * x[i];
  else for (size_t i = 0; i < n; i++) out[i] = f * x[i];
  return NULL;
}

/* binary(op, a, b, out): out[i] = a[i mod an] op b[i mod bn]; op 0 add, 1 sub, 2 mul.
 * Shapes broadcast over leading dimensions, so the shorter length divides the output's. */
#define BINOP(x, y) (op == 0 ? (x) + (y) : op == 1 ? (x) - (y) : (x) * (y))
static napi_value binary(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4]; size_t an, bn, n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t op = num(env, argv[0]);
  float *a = f32(env, argv[1], &an), *b = f32(env, argv[2], &bn), *out = f32(env, argv[3], &n);
  if (!a || !b || !out || an == 0 || bn == 0) return NULL;
  if (an == n) { for (size_t o = 0; o < n; o += bn) for (size_t i = 0; i < bn; i++) out[o + i] = BINOP(a[o + i], b[i]); }
  else { for (size_t o = 0; o < n; o += an) for (size_t i = 0; i < an; i++) out[o + i] = BINOP(a[i], b[o + i]); }
  return NULL;
}

/* binaryBackward(op, which, a, b, g, dx): dx[i mod dn] += d(a op b)/dx · g[i]; which 0 = a, 1 = b */
static napi_value binary_backward(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6]; size_t an, bn, n, dn;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t op = num(env, argv[0]), which = num(env, argv[1]);
  float *a = f32(env, argv[2], &an), *b = f32(env, argv[3], &bn), *g = f32(env, argv[4], &n), *dx = f32(env, argv[5], &dn);
  if (!a || !b || !g || !dx || dn == 0) return NULL;
  if (op == 2) {
    const float *other = which == 0 ? b : a; size_t on = which == 0 ? bn : an;
    if (dn == n) { for (size_t o = 0; o < n; o += on) for (size_t i = 0; i < on; i++) dx[o + i] += g[o + i] * other[i]; }
    else { for (size_t o = 0; o < n; o += dn) for (size_t i = 0; i < dn; i++) dx[i] += g[o + i] * other[o + i]; }
  } else {
    const float sign = (op == 1 && which == 1) ? -1.0f : 1.0f;
    for (size_t o = 0; o < n; o += dn) for (size_t i = 0; i < dn; i++) dx[i] += sign * g[o + i];
  }
  return NULL;
}

/* ---- normalisation, softmax, cross-entropy and AdamW: the reference kernels' loops in C, with
 * the same float64 accumulators for statistics. */
#define ARGS(n) size_t argc = n; napi_value argv[n]; CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
static float *opt_f32(napi_env env, napi_value v) {
  napi_valuetype t; napi_typeof(env, v, &t);
  return t == napi_null ? NULL : f32(env, v, NULL);
}
static double dbl(napi_env env, napi_value v) { double d = 0; napi_get_value_double(env, v, &d); return d; }

/* layerNorm(x, gamma, beta|null, rows, dim, eps, out, mean, rstd) */
static napi_value layer_norm(napi_env env, napi_callback_info info) {
  ARGS(9)
  float *x = f32(env, argv[0], NULL), *g = f32(env, argv[1], NULL), *b = opt_f32(env, argv[2]);
  int64_t rows = num(env, argv[3]), dim = num(env, argv[4]); double eps = dbl(env, argv[5]);
  float *out = f32(env, argv[6], NULL), *mean = f32(env, argv[7], NULL), *rstd = f32(env, argv[8], NULL);
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * dim; float *o = out + r * dim;
    double s = 0, v = 0;
    for (int64_t j = 0; j < dim; j++) s += xr[j];
    const double mu = s / dim;
    for (int64_t j = 0; j < dim; j++) { double d = xr[j] - mu; v += d * d; }
    const double rs = 1.0 / sqrt(v / dim + eps);
    mean[r] = (float)mu; rstd[r] = (float)rs;
    for (int64_t j = 0; j < dim; j++) o[j] = (float)((xr[j] - mu) * rs * g[j] + (b ? b[j] : 0.0));
  }
  return NULL;
}

/* layerNormBackward(x, gamma, mean, rstd, g, rows, dim, dx|null, dgamma|null, dbeta|null) */
static napi_value layer_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(10)
  float *x = f32(env, argv[0], NULL), *gm = f32(env, argv[1], NULL), *mean = f32(env, argv[2], NULL), *rstd = f32(env, argv[3], NULL), *g = f32(env, argv[4], NULL);
  int64_t rows = num(env, argv[5]), dim = num(env, argv[6]);
  float *dx = opt_f32(env, argv[7]), *dg = opt_f32(env, argv[8]), *db = opt_f32(env, argv[9]);
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * dim, *gr = g + r * dim; const double mu = mean[r], rs = rstd[r];
    double sg = 0, sgx = 0;
    for (int64_t j = 0; j < dim; j++) {
      const double xh = (xr[j] - mu) * rs, gh = (double)gr[j] * gm[j];
      sg += gh; sgx += gh * xh;
      if (dg) dg[j] += (float)(gr[j] * xh);
      if (db) db[j] += gr[j];
    }
    if (!dx) continue;
    sg /= dim; sgx /= dim;
    float *d = dx + r * dim;
    for (int64_t j = 0; j < dim; j++) d[j] += (float)(rs * ((double)gr[j] * gm[j] - sg - (xr[j] - mu) * rs * sgx));
  }
  return NULL;
}

/* softmax(x, rows, dim, out) */
static napi_value softmax(napi_env env, napi_callback_info info) {
  ARGS(4)
  float *x = f32(env, argv[0], NULL), *out = f32(env, argv[3], NULL);
  int64_t rows = num(env, argv[1]), dim = num(env, argv[2]);
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * dim; float *o = out + r * dim;
    float max = -INFINITY; double sum = 0;
    for (int64_t j = 0; j < dim; j++) if (xr[j] > max) max = xr[j];
    for (int64_t j = 0; j < dim; j++) { o[j] = expf(xr[j] - max); sum += o[j]; }
    const float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < dim; j++) o[j] *= inv;
  }
  return NULL;
}

/* crossEntropy(logits, targets(Int32Array), rows, vocab, ignore, dlogits|null, g) → mean loss;
 * with dlogits, adds g · (softmax − onehot) / count instead (the backward pass). */
static napi_value cross_entropy(napi_env env, napi_callback_info info) {
  ARGS(7)
  float *logits = f32(env, argv[0], NULL);
  napi_typedarray_type type; size_t tlen; void *tdata; napi_value tbuf; size_t toff;
  if (napi_get_typedarray_info(env, argv[1], &type, &tlen, &tdata, &tbuf, &toff) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "shareformer native crossEntropy: targets must be an Int32Array"); return NULL;
  }
  const int32_t *targets = (const int32_t *)tdata;
  int64_t rows = num(env, argv[2]), vocab = num(env, argv[3]), ignore = num(env, argv[4]);
  float *dl = opt_f32(env, argv[5]); double gscale = dbl(env, argv[6]);
  int64_t count = 0; double total = 0;
  for (int64_t r = 0; r < rows; r++) if (targets[r] != ignore) count++;
  for (int64_t r = 0; r < rows; r++) {
    const int32_t t = targets[r];
    if (t == ignore) continue;
    const float *row = logits + r * vocab;
    float max = -INFINITY; double s = 0;
    for (int64_t j = 0; j < vocab; j++) if (row[j] > max) max = row[j];
    for (int64_t j = 0; j < vocab; j++) s += exp((double)row[j] - max);
    const double lse = max + log(s);
    if (dl) {
      const double w = gscale / (double)count; float *d = dl + r * vocab;
      for (int64_t j = 0; j < vocab; j++) d[j] += (float)(w * (exp((double)row[j] - lse) - (j == t ? 1.0 : 0.0)));
    } else total += lse - row[t];
  }
  napi_value out;
  CHECK(napi_create_double(env, count ? total / (double)count : NAN, &out));
  return out;
}

/* adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) — torch.optim.AdamW's update */
static napi_value adamw(napi_env env, napi_callback_info info) {
  ARGS(10)
  size_t n;
  float *p = f32(env, argv[0], &n), *g = f32(env, argv[1], NULL), *m = f32(env, argv[2], NULL), *v = f32(env, argv[3], NULL);
  const double lr = dbl(env, argv[4]), b1 = dbl(env, argv[5]), b2 = dbl(env, argv[6]), eps = dbl(env, argv[7]), wd = dbl(env, argv[8]), step = dbl(env, argv[9]);
  const float decay = (float)(1.0 - lr * wd), fb1 = (float)b1, fb2 = (float)b2;
  const double bc1 = 1.0 - pow(b1, step), bc2s = sqrt(1.0 - pow(b2, step));
  const float stepSize = (float)(lr / bc1), invBc2s = (float)(1.0 / bc2s), feps = (float)eps;
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] = fb1 * m[i] + (1.0f - fb1) * gi;
    const float vi = v[i] = fb2 * v[i] + (1.0f - fb2) * gi * gi;
    p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) * invBc2s + feps);
  }
  return NULL;
}

/* threads(n): sets OpenBLAS's thread count; returns the count in use. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) { max_threads = (int)num(env, argv[0]); openblas_set_num_threads(max_threads); }
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL },
    { "threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL },
    { "attentionProbs", NULL, attention_probs, NULL, NULL, NULL, napi_default, NULL },
    { "attentionProbsBackward", NULL, attention_probs_backward, NULL, NULL, NULL, napi_default, NULL },
    { "attendValues", NULL, attend_values, NULL, NULL, NULL, napi_default, NULL },
    { "attendValuesBackward", NULL, attend_values_backward, NULL, NULL, NULL, napi_default, NULL },
    { "geluTanh", NULL, gelu_tanh, NULL, NULL, NULL, napi_default, NULL },
    { "geluTanhBackward", NULL, gelu_tanh_backward, NULL, NULL, NULL, napi_default, NULL },
    { "binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL },
    { "swap12", NULL, swap12, NULL, NULL, NULL, napi_default, NULL },
    { "scale", NULL, scale, NULL, NULL, NULL, napi_default, NULL },
    { "layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL },
    { "layerNormBackward", NULL, layer_norm_backward, NULL, NULL, NULL, napi_default, NULL },
    { "softmax", NULL, softmax, NULL, NULL, NULL, napi_default, NULL },
    { "crossEntropy", NULL, cross_entropy, NULL, NULL, NULL, napi_default, NULL },
    { "adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL },
    { "binaryBackward", NULL, binary_backward, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
