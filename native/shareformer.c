/* The native backend's kernels: Node-API bindings around OpenBLAS cblas_sgemm for matrix products,
 * attention built on sgemm, and the hottest pointwise kernels, spread over the thread pool (pool.c).
 * Every function takes Float32Arrays and plain numbers and works in place; shapes are checked in
 * TypeScript before the call (src/backend/native/index.ts), so this file stays a thin layer. */
#define NAPI_VERSION 8
#include <node_api.h>
#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#define blas_single_threaded() ((void)0) /* Accelerate sizes its own threading; the pool splits the work */
#else
#include <cblas.h>
#define blas_single_threaded() openblas_set_num_threads(1)
#endif
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#include "pool.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "shareformer native: " #call " failed"); return NULL; } } while (0)

static float *f32(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type type; size_t length; void *data; napi_value buf; size_t offset;
  if (len) *len = 0;
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

/* ---- matrix products. OpenBLAS runs single-threaded inside the pool's tasks: one threading
 * system, so OpenBLAS's own workers never spin against ours on a 2-core machine. */

/* y = beta·y + W·x for W [n, k] (row stride ldw): decoding's products, bound by reading W once from
 * memory. One row at a time keeps a single sequential stream, which the hardware prefetcher
 * follows best (measured: 68 GB/s on two cores, against 47 with four interleaved rows). */
static void gemv_rows(const float *w, int64_t ldw, const float *x, int64_t k, float *y, int64_t n, float beta) {
  for (int64_t j = 0; j < n; j++) {
    const float *wr = w + j * ldw; float s = 0;
#pragma omp simd reduction(+:s)
    for (int64_t l = 0; l < k; l++) s += wr[l] * x[l];
    y[j] = beta == 0.0f ? s : beta * y[j] + s;
  }
}

/* y = beta·y + Bᵀ·x for B [k, n] (row stride ldb): rows of B stream past an accumulator row in L1. */
static void gemv_cols(const float *b, int64_t ldb, const float *x, int64_t k, float *y, int64_t n, float beta) {
  if (beta == 0.0f) memset(y, 0, sizeof(float) * (size_t)n);
  else if (beta != 1.0f) for (int64_t j = 0; j < n; j++) y[j] *= beta;
  int64_t l = 0;
  for (; l + 4 <= k; l += 4) {
    const float *r0 = b + l * ldb, *r1 = r0 + ldb, *r2 = r1 + ldb, *r3 = r2 + ldb;
    const float x0 = x[l], x1 = x[l + 1], x2 = x[l + 2], x3 = x[l + 3];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) y[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; l < k; l++) {
    const float *r = b + l * ldb; const float xl = x[l];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) y[j] += xl * r[j];
  }
}

/* One product C = op(A)·op(B) + beta·C with explicit leading dimensions; a single row is a gemv. */
static void sgemm_block(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  if (m == 1 && (!ta || lda == 1)) {
    /* A [1,k], or its transpose [k,1] stored contiguously. */
    if (tb) gemv_rows(b, ldb, a, k, c, n, beta);
    else gemv_cols(b, ldb, a, k, c, n, beta);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

typedef struct { bool ta, tb; int64_t m, n, k; const float *a, *b; float *c; float beta; } Gemm;

static void gemm_rows(void *p, int64_t i0, int64_t i1) {
  const Gemm *g = (const Gemm *)p;
  sgemm_block(g->ta, g->tb, i1 - i0, g->n, g->k, g->a + (g->ta ? i0 : i0 * g->k), g->ta ? g->m : g->k,
              g->b, g->tb ? g->k : g->n, g->beta, g->c + i0 * g->n, g->n);
}

static void gemm_cols(void *p, int64_t j0, int64_t j1) {
  const Gemm *g = (const Gemm *)p;
  sgemm_block(g->ta, g->tb, g->m, j1 - j0, g->k, g->a, g->ta ? g->m : g->k,
              g->b + (g->tb ? j0 * g->k : j0), g->tb ? g->k : g->n, g->beta, g->c + j0, g->n);
}

/* A product with a small output and a long reduction (a weight's gradient sums over every row of
 * the batch) splits its reduction instead: each thread takes a slice of k, the first adds into C,
 * the others into private buffers summed afterwards (OpenBLAS runs such slices ~15% faster than
 * halves of a narrow output). */
typedef struct { Gemm g; float *partial; int64_t kchunk; } KSplit;

static void gemm_k_task(void *p, int64_t t) {
  const KSplit *s = (const KSplit *)p; const Gemm *g = &s->g;
  const int64_t k0 = t * s->kchunk, k1 = k0 + s->kchunk < g->k ? k0 + s->kchunk : g->k;
  float *dst = t == 0 ? g->c : s->partial + (t - 1) * g->m * g->n;
  const float beta = t == 0 ? g->beta : 0.0f;
  if (k0 >= k1) {
    if (t > 0) memset(dst, 0, sizeof(float) * (size_t)(g->m * g->n));
    else if (beta != 1.0f) for (int64_t i = 0; i < g->m * g->n; i++) dst[i] = beta == 0.0f ? 0.0f : beta * dst[i];
    return;
  }
  sgemm_block(g->ta, g->tb, g->m, g->n, k1 - k0, g->a + (g->ta ? k0 * g->m : k0), g->ta ? g->m : g->k,
              g->b + (g->tb ? k0 : k0 * g->n), g->tb ? g->k : g->n, beta, dst, g->n);
}

static bool gemm_k_split(Gemm *g) {
  const int64_t threads = pool_threads(), mn = g->m * g->n;
  const int64_t longest = g->m > g->n ? g->m : g->n;
  if (threads < 2 || g->m < 2 || g->k < 4 * longest || g->k < 512 || mn * g->k < ((int64_t)1 << 21)) return false;
  static float *partial = NULL; static size_t cap = 0;
  const size_t need = (size_t)((threads - 1) * mn);
  if (need > cap) {
    free(partial);
    partial = (float *)malloc(need * sizeof(float));
    cap = partial ? need : 0;
    if (!partial) return false;
  }
  KSplit s = { *g, partial, (g->k + threads - 1) / threads };
  s.kchunk = (s.kchunk + 15) / 16 * 16;
  pool_run(threads, gemm_k_task, &s);
  for (int64_t t = 1; t < threads; t++) {
    const float *src = partial + (t - 1) * mn;
#pragma omp simd
    for (int64_t i = 0; i < mn; i++) g->c[i] += src[i];
  }
  return true;
}

/* Splits one product over the pool along its longer output side (or its reduction, above); small
 * ones run on the caller. */
static void gemm_split(Gemm *g) {
  if (g->m > 1 && gemm_k_split(g)) return;
  const int64_t work = g->m * g->n * g->k;
  /* A single row (decoding) streams the whole weight from memory: worth both cores much sooner. */
  const int64_t grain = work < (g->m == 1 ? (int64_t)1 << 15 : (int64_t)1 << 18) ? INT64_MAX : 1;
  if (g->m >= g->n && g->m >= 64) pool_range(g->m, grain == 1 ? 32 : grain, 16, gemm_rows, g);
  else pool_range(g->n, grain == 1 ? 64 : grain, 16, gemm_cols, g);
}

typedef struct { Gemm g; int64_t sa, sb, sc; } Batched;

static void gemm_item(void *p, int64_t i) {
  const Batched *bt = (const Batched *)p; const Gemm *g = &bt->g;
  sgemm_block(g->ta, g->tb, g->m, g->n, g->k, g->a + i * bt->sa, g->ta ? g->m : g->k,
              g->b + i * bt->sb, g->tb ? g->k : g->n, g->beta, g->c + i * bt->sc, g->n);
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
  if (m == 0 || n == 0 || batch == 0) return NULL;
  if (batch > 1 && sc != 0) {
    /* Independent outputs: one item per task. */
    Batched bt = { { ta, tb, m, n, k, a, b, c, acc ? 1.0f : 0.0f }, sa, sb, sc };
    if (batch * m * n * k < ((int64_t)1 << 18)) for (int64_t i = 0; i < batch; i++) gemm_item(&bt, i);
    else pool_run(batch, gemm_item, &bt);
    return NULL;
  }
  /* Every item adds into the same C (stride 0): one after another, each split. */
  for (int64_t i = 0; i < batch; i++) {
    Gemm g = { ta, tb, m, n, k, a + i * sa, b + i * sb, c + i * sc, (acc || i > 0) ? 1.0f : 0.0f };
    gemm_split(&g);
  }
  return NULL;
}

/* ---- attention. Tasks are (batch, K/V head) pairs, so the query heads that share a K/V head add
 * into its gradient from one thread. Causal rows go in blocks of ROWS: a block's products stop at
 * its last visible key, skipping most of the masked triangle.
 * q [B,H,Tq,D]; k, v [B,G,kvStride,D] (first tk rows filled); probs [B,H,Tq,Tk]. Head h reads K/V
 * head h/(H/G). Queries are the last tq of tk positions: query t may see keys 0 .. tk - tq + t. */
#define ROWS 64
typedef struct { int64_t batch, heads, kvHeads, tq, tk, kvStride, d; float scale; bool causal; } Dims;

static bool dims(napi_env env, napi_value *argv, Dims *o) {
  o->batch = num(env, argv[0]); o->heads = num(env, argv[1]); o->kvHeads = num(env, argv[2]);
  o->tq = num(env, argv[3]); o->tk = num(env, argv[4]); o->kvStride = num(env, argv[5]); o->d = num(env, argv[6]);
  double scale; napi_get_value_double(env, argv[7], &scale); o->scale = (float)scale;
  napi_get_value_bool(env, argv[8], &o->causal);
  return o->kvHeads > 0 && o->heads % o->kvHeads == 0;
}

static inline int64_t last_key(const Dims *d, int64_t t) { return d->causal ? d->tk - d->tq + t : d->tk - 1; }

/* Per-thread scratch, grown on demand and kept. */
static float *scratch(size_t n) {
  static _Thread_local float *buf = NULL; static _Thread_local size_t cap = 0;
  if (n > cap) { free(buf); cap = n * 2; buf = (float *)malloc(cap * sizeof(float)); }
  return buf;
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
  union { uint32_t u; float f; } s = { (uint32_t)((int32_t)n + 127) << 23 };
  return e * s.f;
}

/* Softmax over the first `valid` entries of a row of `len`; the rest become exact zeros. */
static void softmax_row(float *row, int64_t valid, int64_t len) {
  float max = -INFINITY;
#pragma omp simd reduction(max:max)
  for (int64_t s = 0; s < valid; s++) max = row[s] > max ? row[s] : max;
  float sum = 0.0f;
#pragma omp simd reduction(+:sum)
  for (int64_t s = 0; s < valid; s++) { const float e = exp_approx(row[s] - max); row[s] = e; sum += e; }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t s = 0; s < valid; s++) row[s] *= inv;
  if (len > valid) memset(row + valid, 0, sizeof(float) * (size_t)(len - valid));
}

typedef struct { Dims D; const float *q, *k, *v, *p, *g; float *out, *dq, *dk, *dp, *dv; } Attn;

/* One (head, row block) of a task: where its query rows, probability rows and K/V head start. */
typedef struct { int64_t kvo, qo, po, r0, rows, width; } Block;
typedef void (*block_fn)(const Attn *A, const Block *k, float *tmp);

/* Runs fn on every (query head, row block) of task = (batch, K/V head). */
static void for_blocks(const Attn *A, int64_t task, block_fn fn, size_t scratch_rows) {
  const Dims *D = &A->D; const int64_t group = D->heads / D->kvHeads;
  const int64_t b = task / D->kvHeads, kh = task % D->kvHeads;
  float *tmp = scratch_rows ? scratch(scratch_rows * (size_t)D->tk) : NULL;
  Block k;
  k.kvo = (b * D->kvHeads + kh) * D->kvStride * D->d;
  for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
    k.qo = (b * D->heads + h) * D->tq * D->d;
    k.po = (b * D->heads + h) * D->tq * D->tk;
    for (k.r0 = 0; k.r0 < D->tq; k.r0 += ROWS) {
      const int64_t r1 = k.r0 + ROWS < D->tq ? k.r0 + ROWS : D->tq;
      k.rows = r1 - k.r0;
      k.width = last_key(D, r1 - 1) + 1;
      fn(A, &k, tmp);
    }
  }
}

/* A block of probabilities [rows, width] with each row's masked tail zeroed (the mask is not data). */
static const float *masked_block(const Dims *D, const float *P, int64_t r0, int64_t rows, int64_t width, float *tmp) {
  for (int64_t t = 0; t < rows; t++) {
    const int64_t valid = last_key(D, r0 + t) + 1;
    memcpy(tmp + t * width, P + (r0 + t) * D->tk, sizeof(float) * (size_t)valid);
    if (width > valid) memset(tmp + t * width + valid, 0, sizeof(float) * (size_t)(width - valid));
  }
  return tmp;
}

static void probs_block(const Attn *A, const Block *k, float *tmp) {
  const Dims *D = &A->D; (void)tmp;
  float *P = A->out + k->po + k->r0 * D->tk;
  sgemm_block(false, true, k->rows, k->width, D->d, A->q + k->qo + k->r0 * D->d, D->d, A->k + k->kvo, D->d, 0.0f, P, D->tk);
  const float sc = D->scale;
  for (int64_t t = 0; t < k->rows; t++) {
    float *row = P + t * D->tk;
    const int64_t valid = last_key(D, k->r0 + t) + 1;
#pragma omp simd
    for (int64_t j = 0; j < valid; j++) row[j] *= sc;
    softmax_row(row, valid, D->tk);
  }
}

static void probs_backward_block(const Attn *A, const Block *k, float *ds) {
  const Dims *D = &A->D; const int64_t width = k->width;
  for (int64_t t = 0; t < k->rows; t++) {
    const float *P = A->p + k->po + (k->r0 + t) * D->tk, *G = A->g + k->po + (k->r0 + t) * D->tk; float *S = ds + t * width;
    const int64_t valid = last_key(D, k->r0 + t) + 1;
    double dot = 0;
#pragma omp simd reduction(+:dot)
    for (int64_t s = 0; s < valid; s++) dot += (double)P[s] * G[s];
    const float fd = (float)dot, sc = D->scale;
#pragma omp simd
    for (int64_t s = 0; s < valid; s++) S[s] = P[s] * (G[s] - fd) * sc;
    if (width > valid) memset(S + valid, 0, sizeof(float) * (size_t)(width - valid));
  }
  if (A->dq) sgemm_block(false, false, k->rows, D->d, width, ds, width, A->k + k->kvo, D->d, 1.0f, A->dq + k->qo + k->r0 * D->d, D->d);
  if (A->dk) sgemm_block(true, false, width, D->d, k->rows, ds, width, A->q + k->qo + k->r0 * D->d, D->d, 1.0f, A->dk + k->kvo, D->d);
}

static void values_block(const Attn *A, const Block *k, float *tmp) {
  const Dims *D = &A->D;
  const float *P = masked_block(D, A->p + k->po, k->r0, k->rows, k->width, tmp);
  sgemm_block(false, false, k->rows, D->d, k->width, P, k->width, A->v + k->kvo, D->d, 0.0f, A->out + k->qo + k->r0 * D->d, D->d);
}

static void values_backward_block(const Attn *A, const Block *k, float *tmp) {
  const Dims *D = &A->D; float *dpt = tmp + ROWS * D->tk;
  if (A->dp) {
    sgemm_block(false, true, k->rows, k->width, D->d, A->g + k->qo + k->r0 * D->d, D->d, A->v + k->kvo, D->d, 0.0f, dpt, k->width);
    for (int64_t t = 0; t < k->rows; t++) {
      const int64_t valid = last_key(D, k->r0 + t) + 1; float *dst = A->dp + k->po + (k->r0 + t) * D->tk; const float *src = dpt + t * k->width;
#pragma omp simd
      for (int64_t s = 0; s < valid; s++) dst[s] += src[s];
    }
  }
  if (A->dv) {
    const float *P = masked_block(D, A->p + k->po, k->r0, k->rows, k->width, tmp);
    sgemm_block(true, false, k->width, D->d, k->rows, P, k->width, A->g + k->qo + k->r0 * D->d, D->d, 1.0f, A->dv + k->kvo, D->d);
  }
}

static void probs_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, probs_block, 0); }
static void probs_backward_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, probs_backward_block, ROWS); }
static void values_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, values_block, ROWS); }
static void values_backward_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, values_backward_block, 2 * ROWS); }

static float *arg_f32(napi_env env, napi_value v) {
  napi_valuetype t; napi_typeof(env, v, &t);
  return t == napi_null ? NULL : f32(env, v, NULL);
}

/* Every attention entry point: dims (9 values) then `count` arrays, null where not wanted. */
static napi_value attention(napi_env env, napi_callback_info info, int count, pool_task task, const int *slots) {
  size_t argc = 16; napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Attn A; memset(&A, 0, sizeof A);
  if ((int)argc != 9 + count || !dims(env, argv, &A.D)) { napi_throw_error(env, NULL, "shareformer native attention: bad arguments"); return NULL; }
  float **fields[] = { (float **)&A.q, (float **)&A.k, (float **)&A.v, (float **)&A.p, (float **)&A.g, &A.out, &A.dq, &A.dk, &A.dp, &A.dv };
  for (int i = 0; i < count; i++) *fields[slots[i]] = arg_f32(env, argv[9 + i]);
  /* A decoding step's attention (one query row) is too little work to be worth waking a thread. */
  const int64_t tasks = A.D.batch * A.D.kvHeads;
  if (A.D.batch * A.D.heads * A.D.tq * A.D.tk * A.D.d < ((int64_t)1 << 17)) for (int64_t i = 0; i < tasks; i++) task(&A, i);
  else pool_run(tasks, task, &A);
  return NULL;
}

enum { Q, K, V, P, G, OUT, DQ, DK, DP, DV };
static napi_value attention_probs(napi_env env, napi_callback_info info) { int s[] = { Q, K, OUT }; return attention(env, info, 3, probs_task, s); }
static napi_value attention_probs_backward(napi_env env, napi_callback_info info) { int s[] = { Q, K, P, G, DQ, DK }; return attention(env, info, 6, probs_backward_task, s); }
static napi_value attend_values(napi_env env, napi_callback_info info) { int s[] = { P, V, OUT }; return attention(env, info, 3, values_task, s); }
static napi_value attend_values_backward(napi_env env, napi_callback_info info) { int s[] = { P, V, G, DP, DV }; return attention(env, info, 5, values_backward_task, s); }

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

/* Every pointwise kernel below cuts its index range (elements or rows) into one chunk per thread. */
#define ARGS(n) size_t argc = n; napi_value argv[n]; CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
static double dbl(napi_env env, napi_value v) { double d = 0; napi_get_value_double(env, v, &d); return d; }
/* Element ranges below this stay on the caller: waking a worker costs more than the loop. */
#define GRAIN 32768

typedef struct { const float *x, *g; float *out; float s; bool acc; int64_t b, c, d; } Pw;

static void gelu_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p; const float c = 0.7978845608028654f;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) { const float v = w->x[i]; w->out[i] = 0.5f * v * (1.0f + fast_tanh(c * (v + 0.044715f * v * v * v))); }
}

static void gelu_backward_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p; const float c = 0.7978845608028654f;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = w->x[i], t = fast_tanh(c * (v + 0.044715f * v * v * v));
    w->out[i] += w->g[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3.0f * 0.044715f * v * v));
  }
}

static napi_value gelu_tanh(napi_env env, napi_callback_info info) {
  ARGS(2) size_t n;
  Pw w = { f32(env, argv[0], &n), NULL, f32(env, argv[1], NULL), 0, false, 0, 0, 0 };
  if (!w.x || !w.out) return NULL;
  pool_range((int64_t)n, GRAIN, 16, gelu_range, &w);
  return NULL;
}

static napi_value gelu_tanh_backward(napi_env env, napi_callback_info info) {
  ARGS(3) size_t n;
  Pw w = { f32(env, argv[0], &n), f32(env, argv[1], NULL), f32(env, argv[2], NULL), 0, false, 0, 0, 0 };
  if (!w.x || !w.g || !w.out) return NULL;
  pool_range((int64_t)n, GRAIN, 16, gelu_backward_range, &w);
  return NULL;
}

/* swap12(x, a, b, c, d, out, accumulate): out[a][c][b][d] (+)= x[a][b][c][d] — the head split/merge permute. */
static void swap12_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p; const int64_t B = w->b, C = w->c, D = w->d;
  for (int64_t ab = i0; ab < i1; ab++) {
    const int64_t a = ab / B, b = ab % B;
    for (int64_t c = 0; c < C; c++) {
      const float *src = w->x + ((a * B + b) * C + c) * D; float *dst = w->out + ((a * C + c) * B + b) * D;
      if (w->acc) {
#pragma omp simd
        for (int64_t d = 0; d < D; d++) dst[d] += src[d];
      } else memcpy(dst, src, sizeof(float) * (size_t)D);
    }
  }
}

static napi_value swap12(napi_env env, napi_callback_info info) {
  ARGS(7)
  Pw w = { f32(env, argv[0], NULL), NULL, f32(env, argv[5], NULL), 0, false, num(env, argv[2]), num(env, argv[3]), num(env, argv[4]) };
  if (!w.x || !w.out) return NULL;
  napi_get_value_bool(env, argv[6], &w.acc);
  const int64_t outer = num(env, argv[1]) * w.b;
  pool_range(outer, outer * w.c * w.d < GRAIN ? INT64_MAX : 1, 1, swap12_range, &w);
  return NULL;
}

/* scale(x, s, out, accumulate): out (+)= s·x */
static void scale_range(void *p, int64_t i0, int64_t i1) {
  const Pw *w = (const Pw *)p; const float f = w->s;
  if (w->acc) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) w->out[i] += f * w->x[i];
  } else {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) w->out[i] = f * w->x[i];
  }
}

static napi_value scale(napi_env env, napi_callback_info info) {
  ARGS(4) size_t n;
  Pw w = { f32(env, argv[0], &n), NULL, f32(env, argv[2], NULL), (float)dbl(env, argv[1]), false, 0, 0, 0 };
  if (!w.x || !w.out) return NULL;
  napi_get_value_bool(env, argv[3], &w.acc);
  pool_range((int64_t)n, GRAIN, 16, scale_range, &w);
  return NULL;
}

/* binary(op, a, b, out): out[i] = a[i mod an] op b[i mod bn]; op 0 add, 1 sub, 2 mul.
 * Shapes broadcast over leading dimensions, so the shorter length divides the output's. */
typedef struct { int64_t op, which; const float *a, *b, *g; float *out; int64_t an, bn, n, dn; } Bin;
#define BINOP(x, y) (op == 0 ? (x) + (y) : op == 1 ? (x) - (y) : (x) * (y))

static void binary_range(void *p, int64_t i0, int64_t i1) {
  const Bin *w = (const Bin *)p; const int64_t op = w->op;
  const float *a = w->a, *b = w->b; float *out = w->out;
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

static napi_value binary(napi_env env, napi_callback_info info) {
  ARGS(4) size_t an, bn, n;
  Bin w = { num(env, argv[0]), 0, f32(env, argv[1], &an), f32(env, argv[2], &bn), NULL, f32(env, argv[3], &n), 0, 0, 0, 0 };
  if (!w.a || !w.b || !w.out || an == 0 || bn == 0) return NULL;
  w.an = (int64_t)an; w.bn = (int64_t)bn; w.n = (int64_t)n;
  const int64_t period = an < bn ? w.an : w.bn;
  pool_range(w.n, GRAIN, period, binary_range, &w);
  return NULL;
}

/* Gradient of one operand when dx has the output's length (elements) or is broadcast (columns). */
static void binary_backward_range(void *p, int64_t i0, int64_t i1) {
  const Bin *w = (const Bin *)p;
  const int64_t n = w->n, dn = w->dn;
  float *dx = w->out; const float *g = w->g;
  if (w->op == 2) {
    const float *other = w->which == 0 ? w->b : w->a; const int64_t on = w->which == 0 ? w->bn : w->an;
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
static napi_value binary_backward(napi_env env, napi_callback_info info) {
  ARGS(6) size_t an, bn, n, dn;
  Bin w = { num(env, argv[0]), num(env, argv[1]), f32(env, argv[2], &an), f32(env, argv[3], &bn), f32(env, argv[4], &n), f32(env, argv[5], &dn), 0, 0, 0, 0 };
  if (!w.a || !w.b || !w.g || !w.out || dn == 0) return NULL;
  w.an = (int64_t)an; w.bn = (int64_t)bn; w.n = (int64_t)n; w.dn = (int64_t)dn;
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
typedef struct { const float *x; float *out; int64_t outer, len, inner; bool acc; } SumAxis;

static void sum_axis_range(void *p, int64_t i0, int64_t i1) {
  const SumAxis *w = (const SumAxis *)p;
  double *acc = (double *)malloc(sizeof(double) * (size_t)(i1 - i0));
  if (!acc) return;
  for (int64_t o = 0; o < w->outer; o++) {
    memset(acc, 0, sizeof(double) * (size_t)(i1 - i0));
    for (int64_t l = 0; l < w->len; l++) {
      const float *row = w->x + (o * w->len + l) * w->inner;
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) acc[i - i0] += row[i];
    }
    float *dst = w->out + o * w->inner;
    for (int64_t i = i0; i < i1; i++) dst[i] = (float)(w->acc ? dst[i] + acc[i - i0] : acc[i - i0]);
  }
  free(acc);
}

static napi_value sum_axis(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  SumAxis w = { f32(env, argv[0], NULL), f32(env, argv[4], NULL), num(env, argv[1]), num(env, argv[2]), num(env, argv[3]), false };
  if (!w.x || !w.out) return NULL;
  napi_get_value_bool(env, argv[5], &w.acc);
  pool_range(w.inner, w.outer * w.len * w.inner < GRAIN ? INT64_MAX : 16, 16, sum_axis_range, &w);
  return NULL;
}

/* ---- normalisation, softmax, cross-entropy and AdamW: the reference kernels' loops in C, with
 * the same float64 accumulators for statistics, rows spread over the pool. */
typedef struct {
  const float *x, *gamma, *beta, *g, *mean_in, *rstd_in; float *out, *mean, *rstd, *dx, *dgamma, *dbeta;
  int64_t rows, dim, parts; double eps; float *partial;
} Norm;

static void layer_norm_range(void *p, int64_t r0, int64_t r1) {
  const Norm *w = (const Norm *)p; const int64_t dim = w->dim;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim; float *o = w->out + r * dim;
    double s = 0, v = 0;
#pragma omp simd reduction(+:s)
    for (int64_t j = 0; j < dim; j++) s += xr[j];
    const double mu = s / dim;
#pragma omp simd reduction(+:v)
    for (int64_t j = 0; j < dim; j++) { const double d = xr[j] - mu; v += d * d; }
    const double rs = 1.0 / sqrt(v / dim + w->eps);
    w->mean[r] = (float)mu; w->rstd[r] = (float)rs;
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
static napi_value layer_norm(napi_env env, napi_callback_info info) {
  ARGS(9)
  Norm w; memset(&w, 0, sizeof w);
  w.x = f32(env, argv[0], NULL); w.gamma = f32(env, argv[1], NULL); w.beta = arg_f32(env, argv[2]);
  w.rows = num(env, argv[3]); w.dim = num(env, argv[4]); w.eps = dbl(env, argv[5]);
  w.out = f32(env, argv[6], NULL); w.mean = f32(env, argv[7], NULL); w.rstd = f32(env, argv[8], NULL);
  if (!w.x || !w.gamma || !w.out || !w.mean || !w.rstd) return NULL;
  pool_range(w.rows, w.rows * w.dim < GRAIN ? INT64_MAX : 8, 1, layer_norm_range, &w);
  return NULL;
}

/* Each chunk of rows adds its gain/bias gradients into its own slice of `partial`; summed after. */
static void layer_norm_backward_range(void *p, int64_t r0, int64_t r1) {
  const Norm *w = (const Norm *)p; const int64_t dim = w->dim;
  const int64_t part = r0 / ((w->rows + w->parts - 1) / w->parts);
  float *dg = w->dgamma ? w->partial + part * 2 * dim : NULL, *db = w->dbeta ? w->partial + part * 2 * dim + dim : NULL;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = w->x + r * dim, *gr = w->g + r * dim; const double mu = w->mean_in[r], rs = w->rstd_in[r];
    double sg = 0, sgx = 0;
#pragma omp simd reduction(+:sg, sgx)
    for (int64_t j = 0; j < dim; j++) {
      const double xh = (xr[j] - mu) * rs, gh = (double)gr[j] * w->gamma[j];
      sg += gh; sgx += gh * xh;
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
    sg /= dim; sgx /= dim;
    float *d = w->dx + r * dim;
#pragma omp simd
    for (int64_t j = 0; j < dim; j++) d[j] += (float)(rs * ((double)gr[j] * w->gamma[j] - sg - (xr[j] - mu) * rs * sgx));
  }
}

/* layerNormBackward(x, gamma, mean, rstd, g, rows, dim, dx|null, dgamma|null, dbeta|null) */
static napi_value layer_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(10)
  Norm w; memset(&w, 0, sizeof w);
  w.x = f32(env, argv[0], NULL); w.gamma = f32(env, argv[1], NULL); w.mean_in = f32(env, argv[2], NULL); w.rstd_in = f32(env, argv[3], NULL);
  w.g = f32(env, argv[4], NULL); w.rows = num(env, argv[5]); w.dim = num(env, argv[6]);
  w.dx = arg_f32(env, argv[7]); w.dgamma = arg_f32(env, argv[8]); w.dbeta = arg_f32(env, argv[9]);
  if (!w.x || !w.gamma || !w.mean_in || !w.rstd_in || !w.g || w.rows == 0) return NULL;
  w.parts = w.rows * w.dim < GRAIN ? 1 : pool_threads();
  if (w.parts > w.rows) w.parts = w.rows;
  w.partial = (float *)calloc((size_t)(w.parts * 2 * w.dim), sizeof(float));
  if (!w.partial) { napi_throw_error(env, NULL, "shareformer native layerNormBackward: out of memory"); return NULL; }
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
static napi_value softmax(napi_env env, napi_callback_info info) {
  ARGS(4)
  Norm w; memset(&w, 0, sizeof w);
  w.x = f32(env, argv[0], NULL); w.rows = num(env, argv[1]); w.dim = num(env, argv[2]); w.out = f32(env, argv[3], NULL);
  if (!w.x || !w.out) return NULL;
  pool_range(w.rows, w.rows * w.dim < GRAIN ? INT64_MAX : 4, 1, softmax_range, &w);
  return NULL;
}

typedef struct { const float *logits; const int32_t *targets; int64_t rows, vocab, ignore, count, parts; float *dl; double gscale; double *totals; } CE;

static void cross_entropy_range(void *p, int64_t r0, int64_t r1) {
  const CE *w = (const CE *)p; double total = 0;
  for (int64_t r = r0; r < r1; r++) {
    const int32_t t = w->targets[r];
    if (t == w->ignore) continue;
    const float *row = w->logits + r * w->vocab;
    float max = -INFINITY; double s = 0;
    for (int64_t j = 0; j < w->vocab; j++) if (row[j] > max) max = row[j];
    for (int64_t j = 0; j < w->vocab; j++) s += exp((double)row[j] - max);
    const double lse = max + log(s);
    if (w->dl) {
      const double scale = w->gscale / (double)w->count; float *d = w->dl + r * w->vocab;
      for (int64_t j = 0; j < w->vocab; j++) d[j] += (float)(scale * (exp((double)row[j] - lse) - (j == t ? 1.0 : 0.0)));
    } else total += lse - row[t];
  }
  w->totals[r0 / ((w->rows + w->parts - 1) / w->parts)] = total;
}

/* crossEntropy(logits, targets(Int32Array), rows, vocab, ignore, dlogits|null, g) → mean loss;
 * with dlogits, adds g · (softmax − onehot) / count instead (the backward pass). */
static napi_value cross_entropy(napi_env env, napi_callback_info info) {
  ARGS(7)
  CE w; memset(&w, 0, sizeof w);
  w.logits = f32(env, argv[0], NULL);
  napi_typedarray_type type; size_t tlen; void *tdata; napi_value tbuf; size_t toff;
  if (napi_get_typedarray_info(env, argv[1], &type, &tlen, &tdata, &tbuf, &toff) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "shareformer native crossEntropy: targets must be an Int32Array"); return NULL;
  }
  w.targets = (const int32_t *)tdata;
  w.rows = num(env, argv[2]); w.vocab = num(env, argv[3]); w.ignore = num(env, argv[4]);
  w.dl = arg_f32(env, argv[5]); w.gscale = dbl(env, argv[6]);
  if (!w.logits) return NULL;
  for (int64_t r = 0; r < w.rows; r++) if (w.targets[r] != w.ignore) w.count++;
  double totals[64] = { 0 };
  w.totals = totals;
  w.parts = w.rows * w.vocab < GRAIN ? 1 : pool_threads();
  if (w.parts > w.rows) w.parts = w.rows > 0 ? w.rows : 1;
  const int64_t chunk = w.rows > 0 ? (w.rows + w.parts - 1) / w.parts : 1;
  pool_range(w.rows, w.parts == 1 ? INT64_MAX : 1, chunk, cross_entropy_range, &w);
  double total = 0;
  for (int64_t i = 0; i < w.parts; i++) total += totals[i];
  napi_value out;
  CHECK(napi_create_double(env, w.count ? total / (double)w.count : NAN, &out));
  return out;
}

typedef struct { float *p, *g, *m, *v; float decay, b1, b2, step, inv_bc2s, eps; } Adam;

static void adamw_range(void *ctx, int64_t i0, int64_t i1) {
  const Adam *w = (const Adam *)ctx;
  float *p = w->p, *m = w->m, *v = w->v; const float *g = w->g;
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
static napi_value adamw(napi_env env, napi_callback_info info) {
  ARGS(10) size_t n;
  Adam w = { f32(env, argv[0], &n), f32(env, argv[1], NULL), f32(env, argv[2], NULL), f32(env, argv[3], NULL), 0, 0, 0, 0, 0, 0 };
  if (!w.p || !w.g || !w.m || !w.v) return NULL;
  const double lr = dbl(env, argv[4]), b1 = dbl(env, argv[5]), b2 = dbl(env, argv[6]), eps = dbl(env, argv[7]), wd = dbl(env, argv[8]), step = dbl(env, argv[9]);
  w.decay = (float)(1.0 - lr * wd); w.b1 = (float)b1; w.b2 = (float)b2;
  w.step = (float)(lr / (1.0 - pow(b1, step)));
  w.inv_bc2s = (float)(1.0 / sqrt(1.0 - pow(b2, step)));
  w.eps = (float)eps;
  pool_range((int64_t)n, GRAIN, 16, adamw_range, &w);
  return NULL;
}

typedef struct { const float *x; int64_t n, parts; double totals[64]; } Sq;

static void sum_squares_range(void *ctx, int64_t i0, int64_t i1) {
  Sq *w = (Sq *)ctx; double s = 0;
#pragma omp simd reduction(+:s)
  for (int64_t i = i0; i < i1; i++) s += (double)w->x[i] * w->x[i];
  w->totals[i0 / ((w->n + w->parts - 1) / w->parts)] = s;
}

/* sumSquares(x) → Σ x², accumulated in float64 */
static napi_value sum_squares(napi_env env, napi_callback_info info) {
  ARGS(1) size_t n;
  Sq w; memset(&w, 0, sizeof w);
  w.x = f32(env, argv[0], &n); w.n = (int64_t)n;
  if (!w.x) return NULL;
  w.parts = w.n < GRAIN ? 1 : pool_threads();
  const int64_t chunk = w.n > 0 ? (w.n + w.parts - 1) / w.parts : 1;
  if (w.n > 0) pool_range(w.n, w.parts == 1 ? INT64_MAX : 1, chunk, sum_squares_range, &w);
  double total = 0;
  for (int64_t i = 0; i < w.parts; i++) total += w.totals[i];
  napi_value out;
  CHECK(napi_create_double(env, total, &out));
  return out;
}

/* threads(n?): sets the kernels' thread count (0: one per CPU); returns the count in use. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) pool_set_threads((int)num(env, argv[0]));
  CHECK(napi_create_int32(env, pool_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  blas_single_threaded();
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
    { "sumSquares", NULL, sum_squares, NULL, NULL, NULL, napi_default, NULL },
    { "sumAxis", NULL, sum_axis, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
