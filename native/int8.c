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

/* ---- attention over an int8 KV cache: k, v [B,G,kvStride,D] int8 with one scale per (b, g, row);
 * q [B,H,Tq,D]; probs [B,H,Tq,Tk]; out [B,H,Tq,D]. Rows are widened as they are read. Tasks are
 * (batch, query head) pairs. Query t sees keys 0 .. tk - tq + t (causal), the last `window` of them
 * when a sliding window is set. */
typedef struct {
  int64_t batch, heads, kv_heads, tq, tk, stride, d, window;
  float scale, softcap;
  bool causal;
  const float *alibi; /* per-head slopes or NULL, as the float kernels' */
  const float *q, *kscale, *vscale, *probs;
  const int8_t *k, *v;
  float *out;
} Int8Attn;

static inline int64_t int8_last(const Int8Attn *a, int64_t t) { return a->causal ? a->tk - a->tq + t : a->tk - 1; }
static inline int64_t int8_first(const Int8Attn *a, int64_t t) {
  const int64_t f = int8_last(a, t) - a->window + 1;
  return a->window > 0 && f > 0 ? f : 0;
}

/* p[s] = (q · k_s) · kscale[s] · scale for n int8 rows of d: four rows at a time, so four
 * independent sums hide the latency of each one's final reduction (a row alone is a few vectors). */
static void int8_scores(const float *q, const int8_t *k, const float *kscale, float scale, int64_t n, int64_t d,
                        float *p) {
  int64_t s = 0;
  for (; s + 4 <= n; s += 4) {
    const int8_t *k0 = k + s * d, *k1 = k0 + d, *k2 = k1 + d, *k3 = k2 + d;
    float d0 = 0, d1 = 0, d2 = 0, d3 = 0;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
    for (int64_t j = 0; j < d; j++) {
      d0 += q[j] * (float)k0[j];
      d1 += q[j] * (float)k1[j];
      d2 += q[j] * (float)k2[j];
      d3 += q[j] * (float)k3[j];
    }
    p[s] = d0 * kscale[s] * scale;
    p[s + 1] = d1 * kscale[s + 1] * scale;
    p[s + 2] = d2 * kscale[s + 2] * scale;
    p[s + 3] = d3 * kscale[s + 3] * scale;
  }
  for (; s < n; s++) {
    const int8_t *kr = k + s * d;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < d; j++) dot += q[j] * (float)kr[j];
    p[s] = dot * kscale[s] * scale;
  }
}

static void int8_probs_task(void *ctx, int64_t task) {
  const Int8Attn *a = (const Int8Attn *)ctx;
  const int64_t b = task / a->heads, h = task % a->heads, g = h / (a->heads / a->kv_heads);
  const int64_t row0 = (b * a->kv_heads + g) * a->stride;
  for (int64_t t = 0; t < a->tq; t++) {
    const float *q = a->q + ((b * a->heads + h) * a->tq + t) * a->d;
    float *p = a->out + ((b * a->heads + h) * a->tq + t) * a->tk;
    const int64_t last = int8_last(a, t), first_s = int8_first(a, t);
    for (int64_t s = 0; s < first_s; s++) p[s] = 0;
    int8_scores(q, a->k + (row0 + first_s) * a->d, a->kscale + row0 + first_s, a->scale, last + 1 - first_s, a->d,
                p + first_s);
    /* The float kernels' vectorised tanh and exp, over the keys this query sees; zeros after them. */
    if (a->softcap > 0) cap_row(p + first_s, last + 1 - first_s, a->softcap);
    if (a->alibi) alibi_row(p, first_s, last + 1, a->alibi[h], a->tk - a->tq + t);
    softmax_row(p + first_s, last + 1 - first_s, a->tk - first_s);
  }
}

static void int8_values_task(void *ctx, int64_t task) {
  const Int8Attn *a = (const Int8Attn *)ctx;
  const int64_t b = task / a->heads, h = task % a->heads, g = h / (a->heads / a->kv_heads);
  const int64_t row0 = (b * a->kv_heads + g) * a->stride;
  for (int64_t t = 0; t < a->tq; t++) {
    const float *p = a->probs + ((b * a->heads + h) * a->tq + t) * a->tk;
    float *o = a->out + ((b * a->heads + h) * a->tq + t) * a->d;
    for (int64_t j = 0; j < a->d; j++) o[j] = 0;
    const int64_t last = int8_last(a, t);
    for (int64_t s = 0; s <= last; s++) {
      const float w = p[s] * a->vscale[row0 + s];
      if (w == 0) continue;
      const int8_t *v = a->v + (row0 + s) * a->d;
#pragma omp simd
      for (int64_t j = 0; j < a->d; j++) o[j] += w * (float)v[j];
    }
  }
}

/* attentionProbsInt8(batch, heads, kvHeads, tq, tk, kvStride, d, scale, causal, window, softcap, alibi, q, kq, kScales,
 * probs) attendValuesInt8(batch, heads, kvHeads, tq, tk, kvStride, d, scale, causal, window, softcap, alibi, probs, vq,
 * vScales, out)
 */
static napi_value int8_attention(napi_env env, napi_callback_info info, bool values) {
  ARGS(16) Int8Attn a;
  memset(&a, 0, sizeof a);
  a.batch = num(env, argv[0]);
  a.heads = num(env, argv[1]);
  a.kv_heads = num(env, argv[2]);
  a.tq = num(env, argv[3]);
  a.tk = num(env, argv[4]);
  a.stride = num(env, argv[5]);
  a.d = num(env, argv[6]);
  a.scale = (float)dbl(env, argv[7]);
  napi_get_value_bool(env, argv[8], &a.causal);
  a.window = num(env, argv[9]);
  a.softcap = (float)dbl(env, argv[10]);
  size_t slopes = 0;
  a.alibi = opt_f32(env, argv[11], &slopes);
  if (!a.alibi && !is_null(env, argv[11])) return NULL;
  if (a.alibi && (int64_t)slopes != a.heads) {
    napi_throw_range_error(env, NULL, "shareformer native int8 attention: one ALiBi slope per head");
    return NULL;
  }
  if (!(a.softcap >= 0 && isfinite(a.softcap)) || a.window < 0 || a.batch < 0 || a.heads < 0 || a.kv_heads <= 0 ||
      a.heads % a.kv_heads != 0 || a.tq < 0 || a.tk < a.tq || a.stride < a.tk || a.d < 0) {
    napi_throw_range_error(env, NULL,
                           "shareformer native int8 attention: sizes must satisfy 0 <= tq <= tk <= kvStride");
    return NULL;
  }
  size_t n0, n1, n2, n3;
  const float *first = f32(env, argv[12], &n0);
  if (!first) return NULL;
  const int8_t *rows = i8(env, argv[13], &n1);
  if (!rows) return NULL;
  const float *scales = f32(env, argv[14], &n2);
  if (!scales) return NULL;
  a.out = f32(env, argv[15], &n3);
  if (!a.out) return NULL;
  const char *kernel = values ? "attendValuesInt8" : "attentionProbsInt8";
  const int64_t qs = mul4(a.batch, a.heads, a.tq, a.d), ps = mul4(a.batch, a.heads, a.tq, a.tk);
  const int64_t kvrows = mul3(a.batch, a.kv_heads, a.stride);
  if (!covers(env, kernel, values ? "probs" : "q", n0, values ? ps : qs) ||
      !covers(env, kernel, values ? "v" : "k", n1, mul(kvrows, a.d)) || !covers(env, kernel, "scales", n2, kvrows) ||
      !covers(env, kernel, "out", n3, values ? qs : ps))
    return NULL;
  if (values) {
    a.probs = first;
    a.v = rows;
    a.vscale = scales;
  } else {
    a.q = first;
    a.k = rows;
    a.kscale = scales;
  }
  const int64_t tasks = a.batch * a.heads;
  pool_task task = values ? int8_values_task : int8_probs_task;
  if (mul4(a.batch, a.heads, a.tq, mul(a.tk, a.d)) < ((int64_t)1 << 17))
    for (int64_t i = 0; i < tasks; i++) task(&a, i);
  else
    pool_run(tasks, task, &a);
  return NULL;
}

napi_value attention_probs_int8(napi_env env, napi_callback_info info) { return int8_attention(env, info, false); }
napi_value attend_values_int8(napi_env env, napi_callback_info info) { return int8_attention(env, info, true); }
