/* Shared by the native backend's sources: includes, the BLAS selection, Node-API argument helpers,
 * and the kernels one file lends another. Each source registers nothing itself; shareformer.c
 * exports every binding. */
#ifndef SHAREFORMER_KERNELS_H
#define SHAREFORMER_KERNELS_H
#define NAPI_VERSION 8
#include <node_api.h>
#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#define blas_single_threaded() ((void)0) /* Accelerate sizes its own threading; the pool splits the work */
#else
#include <cblas.h>
#define blas_single_threaded() openblas_set_num_threads(1)
#endif
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include "pool.h"

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      napi_throw_error(env, NULL, "shareformer native: " #call " failed");                                             \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)
#define ARGS(n)                                                                                                        \
  size_t argc = n;                                                                                                     \
  napi_value argv[n];                                                                                                  \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
/* Element ranges below this stay on the caller: waking a worker costs more than the loop. */
#define GRAIN 32768

/* The data of a typed array of the wanted type (its length in *len), or NULL with a TypeError thrown. */
static inline void *typed(napi_env env, napi_value v, napi_typedarray_type want, const char *name, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buf;
  size_t offset;
  if (len) *len = 0;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buf, &offset) != napi_ok || type != want) {
    char message[64];
    snprintf(message, sizeof message, "shareformer native: expected %s", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (len) *len = length;
  return data;
}

static inline float *f32(napi_env env, napi_value v, size_t *len) {
  return (float *)typed(env, v, napi_float32_array, "a Float32Array", len);
}
static inline double *f64(napi_env env, napi_value v, size_t *len) {
  return (double *)typed(env, v, napi_float64_array, "a Float64Array", len);
}
static inline int8_t *i8(napi_env env, napi_value v, size_t *len) {
  return (int8_t *)typed(env, v, napi_int8_array, "an Int8Array", len);
}

static inline int64_t num(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

static inline double dbl(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* ---- bounds. The kernels index arrays by the sizes they are given; a size that lies would read
 * or write outside the array. Every binding checks, once per call, that each size is a
 * non-negative integer, that products of sizes do not overflow, and that each array holds what
 * the sizes need, and throws a RangeError that names the kernel, the array and both counts. */

/* a·b, or -1 when either is negative or the product overflows. */
static inline int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return -1;
  return r;
}
static inline int64_t mul3(int64_t a, int64_t b, int64_t c) {
  const int64_t ab = mul(a, b);
  return ab < 0 ? -1 : mul(ab, c);
}
static inline int64_t mul4(int64_t a, int64_t b, int64_t c, int64_t d) {
  const int64_t ab = mul(a, b);
  return ab < 0 ? -1 : mul3(ab, c, d);
}
/* (items - 1)·stride + span: the elements a strided batch touches (0 items: none). */
static inline int64_t strided(int64_t items, int64_t stride, int64_t span) {
  if (items <= 0 || span < 0) return items == 0 ? 0 : -1;
  const int64_t reach = mul(items - 1, stride);
  return reach < 0 || reach > INT64_MAX - span ? -1 : reach + span;
}

static inline bool sizes_ok(napi_env env, const char *kernel, int64_t need) {
  if (need >= 0) return true;
  char msg[160];
  snprintf(msg, sizeof msg, "shareformer native %s: sizes must be non-negative and their product must fit in 64 bits",
           kernel);
  napi_throw_range_error(env, NULL, msg);
  return false;
}

/* True when `have` elements of array `name` cover `need`; otherwise throws and returns false. */
static inline bool covers(napi_env env, const char *kernel, const char *name, size_t have, int64_t need) {
  if (!sizes_ok(env, kernel, need)) return false;
  if ((uint64_t)need <= (uint64_t)have) return true;
  char msg[200];
  snprintf(msg, sizeof msg, "shareformer native %s: %s has %zu elements, the sizes need %lld", kernel, name, have,
           (long long)need);
  napi_throw_range_error(env, NULL, msg);
  return false;
}

/* An optional Float32Array (null allowed) and its length. */
static inline float *opt_f32(napi_env env, napi_value v, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (len) *len = 0;
  return t == napi_null ? NULL : f32(env, v, len);
}

static inline bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null;
}

/* expf by range reduction and a degree-5 polynomial (Cephes), within 2 ulp; unlike expf it
 * vectorises. Inputs here are ≤ 0 (the row maximum is subtracted); below −87 it returns ~1e-38. */
static inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = __builtin_rintf(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  union {
    uint32_t u;
    float f;
  } s = {(uint32_t)((int32_t)n + 127) << 23};
  return e * s.f;
}

/* tanh as a clamped rational minimax approximation (Eigen's float tanh, within a few ulp): unlike
 * tanhf and expf it vectorises. GELU uses it, and SiLU through σ(v) = (1 + tanh(v/2)) / 2. */
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

/* gemm.c: one product C = op(A)·op(B) + beta·C on the calling thread (a single row is a gemv). */
void sgemm_block(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc);
/* attention.c: softmax over a row's first `valid` entries, exact zeros after, up to `len`. */
void softmax_row(float *row, int64_t valid, int64_t len);
void cap_row(float *row, int64_t n, float cap);
void alibi_row(float *row, int64_t first, int64_t valid, float slope, int64_t pos);

/* The bindings, registered by shareformer.c. */
napi_value gemm(napi_env env, napi_callback_info info);
napi_value attention_probs(napi_env env, napi_callback_info info);
napi_value attention_probs_backward(napi_env env, napi_callback_info info);
napi_value attend_values(napi_env env, napi_callback_info info);
napi_value attend_values_backward(napi_env env, napi_callback_info info);
napi_value gelu_tanh(napi_env env, napi_callback_info info);
napi_value gelu_tanh_backward(napi_env env, napi_callback_info info);
napi_value gelu_erf(napi_env env, napi_callback_info info);
napi_value gelu_erf_backward(napi_env env, napi_callback_info info);
napi_value swap12(napi_env env, napi_callback_info info);
napi_value scale(napi_env env, napi_callback_info info);
napi_value binary(napi_env env, napi_callback_info info);
napi_value binary_backward(napi_env env, napi_callback_info info);
napi_value sum_axis(napi_env env, napi_callback_info info);
napi_value layer_norm(napi_env env, napi_callback_info info);
napi_value layer_norm_backward(napi_env env, napi_callback_info info);
napi_value softmax(napi_env env, napi_callback_info info);
napi_value cross_entropy(napi_env env, napi_callback_info info);
napi_value adamw(napi_env env, napi_callback_info info);
napi_value sum_squares(napi_env env, napi_callback_info info);
/* llama.c */
napi_value rms_norm(napi_env env, napi_callback_info info);
napi_value rms_norm_backward(napi_env env, napi_callback_info info);
napi_value silu(napi_env env, napi_callback_info info);
napi_value silu_backward(napi_env env, napi_callback_info info);
napi_value rope(napi_env env, napi_callback_info info);
/* int8.c */
napi_value gemm_int8(napi_env env, napi_callback_info info);
napi_value dequant_rows(napi_env env, napi_callback_info info);
napi_value attention_probs_int8(napi_env env, napi_callback_info info);
napi_value attend_values_int8(napi_env env, napi_callback_info info);

#endif
