/* Products with int8 weights: out[r, o] (+)= scales[o] · Σ_j x[r, j] · q[o, j]. Each weight row is
 * widened to float in registers as it is read (the compiler vectorizes the int8 → float32
 * conversion and the multiply-add), never copied to float32, so decoding streams a quarter of the
 * bytes. Output rows are split across the pool. */
#include "kernels.h"

typedef struct {
  const float *x;
  const int8_t *q;
  const float *scales;
  float *out;
  int64_t rows, n, k;
  bool accumulate;
} Int8Work;

static void int8_range(void *ctx, int64_t o0, int64_t o1) {
  const Int8Work *w = (const Int8Work *)ctx;
  for (int64_t o = o0; o < o1; o++) {
    const int8_t *q = w->q + o * w->k;
    for (int64_t r = 0; r < w->rows; r++) {
      const float *x = w->x + r * w->k;
      float acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < w->k; j++) acc += x[j] * (float)q[j];
      const float v = acc * w->scales[o];
      float *dst = w->out + r * w->n + o;
      *dst = w->accumulate ? *dst + v : v;
    }
  }
}

static inline int8_t *i8(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buf;
  size_t offset;
  if (len) *len = 0;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buf, &offset) != napi_ok || type != napi_int8_array) {
    napi_throw_type_error(env, NULL, "shareformer native: expected an Int8Array");
    return NULL;
  }
  if (len) *len = length;
  return (int8_t *)data;
}

/* gemmInt8(x, q, scales, out, rows, n, k, accumulate) */
napi_value gemm_int8(napi_env env, napi_callback_info info) {
  ARGS(8) size_t nx, nq, ns, no;
  Int8Work w;
  w.x = f32(env, argv[0], &nx);
  if (!w.x) return NULL;
  w.q = i8(env, argv[1], &nq);
  if (!w.q) return NULL;
  w.scales = f32(env, argv[2], &ns);
  if (!w.scales) return NULL;
  w.out = f32(env, argv[3], &no);
  if (!w.out) return NULL;
  w.rows = num(env, argv[4]);
  w.n = num(env, argv[5]);
  w.k = num(env, argv[6]);
  bool acc = false;
  napi_get_value_bool(env, argv[7], &acc);
  w.accumulate = acc;
  if (!covers(env, "gemmInt8", "x", nx, mul(w.rows, w.k)) || !covers(env, "gemmInt8", "q", nq, mul(w.n, w.k)) ||
      !covers(env, "gemmInt8", "scales", ns, w.n) || !covers(env, "gemmInt8", "out", no, mul(w.rows, w.n)))
    return NULL;
  const int64_t work = mul3(w.rows, w.n, w.k);
  if (w.n > 0) pool_range(w.n, work < GRAIN ? INT64_MAX : 16, 1, int8_range, &w);
  return NULL;
}

typedef struct {
  const int8_t *q;
  const float *scales;
  float *out;
  int64_t stride, count, width;
} DequantWork;

static void dequant_range(void *ctx, int64_t b0, int64_t b1) {
  const DequantWork *w = (const DequantWork *)ctx;
  for (int64_t blk = b0; blk < b1; blk++)
    for (int64_t p = 0; p < w->count; p++) {
      const int64_t row = blk * w->stride + p;
      const float s = w->scales[row];
      const int8_t *q = w->q + row * w->width;
      float *o = w->out + row * w->width;
#pragma omp simd
      for (int64_t j = 0; j < w->width; j++) o[j] = (float)q[j] * s;
    }
}

/* dequantRows(q, scales, out, outer, stride, count, width): an int8 KV cache widened for attention */
napi_value dequant_rows(napi_env env, napi_callback_info info) {
  ARGS(7) size_t nq, ns, no;
  DequantWork w;
  w.q = i8(env, argv[0], &nq);
  if (!w.q) return NULL;
  w.scales = f32(env, argv[1], &ns);
  if (!w.scales) return NULL;
  w.out = f32(env, argv[2], &no);
  if (!w.out) return NULL;
  const int64_t outer = num(env, argv[3]);
  w.stride = num(env, argv[4]);
  w.count = num(env, argv[5]);
  w.width = num(env, argv[6]);
  if (w.count > w.stride) {
    napi_throw_range_error(env, NULL, "shareformer native dequantRows: count exceeds the stride");
    return NULL;
  }
  const int64_t rows = strided(outer, w.stride, w.count);
  if (!covers(env, "dequantRows", "q", nq, mul(rows, w.width)) || !covers(env, "dequantRows", "scales", ns, rows) ||
      !covers(env, "dequantRows", "out", no, mul(rows, w.width)))
    return NULL;
  const int64_t work = mul3(outer, w.count, w.width);
  if (outer > 0) pool_range(outer, work < GRAIN ? INT64_MAX : 2, 1, dequant_range, &w);
  return NULL;
}
