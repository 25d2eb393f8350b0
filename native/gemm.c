/* Matrix products for the native backend: OpenBLAS sgemm for blocks, a streaming gemv for single
 * rows (decoding), and the ways one product is split over the thread pool (rows, columns, or the
 * reduction). */
#include "kernels.h"

/* ---- matrix products. OpenBLAS runs single-threaded inside the pool's tasks: one threading
 * system, so OpenBLAS's own workers never spin against ours on a 2-core machine. */

/* y = beta·y + W·x for W [n, k] (row stride ldw): decoding's products, bound by reading W once from
 * memory. One row at a time keeps a single sequential stream, which the hardware prefetcher
 * follows best (measured: 68 GB/s on two cores, against 47 with four interleaved rows). */
static void gemv_rows(const float *w, int64_t ldw, const float *x, int64_t k, float *y, int64_t n, float beta) {
  for (int64_t j = 0; j < n; j++) {
    const float *wr = w + j * ldw;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t l = 0; l < k; l++) s += wr[l] * x[l];
    y[j] = beta == 0.0f ? s : beta * y[j] + s;
  }
}

/* y = beta·y + Bᵀ·x for B [k, n] (row stride ldb): rows of B stream past an accumulator row in L1. */
static void gemv_cols(const float *b, int64_t ldb, const float *x, int64_t k, float *y, int64_t n, float beta) {
  if (beta == 0.0f)
    memset(y, 0, sizeof(float) * (size_t)n);
  else if (beta != 1.0f)
    for (int64_t j = 0; j < n; j++) y[j] *= beta;
  int64_t l = 0;
  for (; l + 4 <= k; l += 4) {
    const float *r0 = b + l * ldb, *r1 = r0 + ldb, *r2 = r1 + ldb, *r3 = r2 + ldb;
    const float x0 = x[l], x1 = x[l + 1], x2 = x[l + 2], x3 = x[l + 3];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) y[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; l < k; l++) {
    const float *r = b + l * ldb;
    const float xl = x[l];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) y[j] += xl * r[j];
  }
}

/* One product C = op(A)·op(B) + beta·C with explicit leading dimensions; a single row is a gemv. */
void sgemm_block(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  if (m == 1 && (!ta || lda == 1)) {
    /* A [1,k], or its transpose [k,1] stored contiguously. */
    if (tb)
      gemv_rows(b, ldb, a, k, c, n, beta);
    else
      gemv_cols(b, ldb, a, k, c, n, beta);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

typedef struct {
  bool ta, tb;
  int64_t m, n, k;
  const float *a, *b;
  float *c;
  float beta;
} Gemm;

static void gemm_rows(void *p, int64_t i0, int64_t i1) {
  const Gemm *g = (const Gemm *)p;
  sgemm_block(g->ta, g->tb, i1 - i0, g->n, g->k, g->a + (g->ta ? i0 : i0 * g->k), g->ta ? g->m : g->k, g->b,
              g->tb ? g->k : g->n, g->beta, g->c + i0 * g->n, g->n);
}

static void gemm_cols(void *p, int64_t j0, int64_t j1) {
  const Gemm *g = (const Gemm *)p;
  sgemm_block(g->ta, g->tb, g->m, j1 - j0, g->k, g->a, g->ta ? g->m : g->k, g->b + (g->tb ? j0 * g->k : j0),
              g->tb ? g->k : g->n, g->beta, g->c + j0, g->n);
}

/* A product with a small output and a long reduction (a weight's gradient sums over every row of
 * the batch) splits its reduction instead: each thread takes a slice of k, the first adds into C,
 * the others into private buffers summed afterwards (OpenBLAS runs such slices ~15% faster than
 * halves of a narrow output). */
typedef struct {
  Gemm g;
  float *partial;
  int64_t kchunk;
} KSplit;

static void gemm_k_task(void *p, int64_t t) {
  const KSplit *s = (const KSplit *)p;
  const Gemm *g = &s->g;
  const int64_t k0 = t * s->kchunk, k1 = k0 + s->kchunk < g->k ? k0 + s->kchunk : g->k;
  float *dst = t == 0 ? g->c : s->partial + (t - 1) * g->m * g->n;
  const float beta = t == 0 ? g->beta : 0.0f;
  if (k0 >= k1) {
    if (t > 0)
      memset(dst, 0, sizeof(float) * (size_t)(g->m * g->n));
    else if (beta != 1.0f)
      for (int64_t i = 0; i < g->m * g->n; i++) dst[i] = beta == 0.0f ? 0.0f : beta * dst[i];
    return;
  }
  sgemm_block(g->ta, g->tb, g->m, g->n, k1 - k0, g->a + (g->ta ? k0 * g->m : k0), g->ta ? g->m : g->k,
              g->b + (g->tb ? k0 : k0 * g->n), g->tb ? g->k : g->n, beta, dst, g->n);
}

static bool gemm_k_split(Gemm *g) {
  const int64_t threads = pool_threads(), mn = g->m * g->n;
  const int64_t longest = g->m > g->n ? g->m : g->n;
  if (threads < 2 || g->m < 2 || g->k < 4 * longest || g->k < 512 || mn * g->k < ((int64_t)1 << 21)) return false;
  static _Thread_local float *partial = NULL;
  static _Thread_local size_t cap = 0;
  const size_t need = (size_t)((threads - 1) * mn);
  if (need > cap) {
    free(partial);
    partial = (float *)malloc(need * sizeof(float));
    cap = partial ? need : 0;
    if (!partial) return false;
  }
  KSplit s = {*g, partial, (g->k + threads - 1) / threads};
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
  if (g->m >= g->n && g->m >= 64)
    pool_range(g->m, grain == 1 ? 32 : grain, 16, gemm_rows, g);
  else
    pool_range(g->n, grain == 1 ? 64 : grain, 16, gemm_cols, g);
}

typedef struct {
  Gemm g;
  int64_t sa, sb, sc;
} Batched;

static void gemm_item(void *p, int64_t i) {
  const Batched *bt = (const Batched *)p;
  const Gemm *g = &bt->g;
  sgemm_block(g->ta, g->tb, g->m, g->n, g->k, g->a + i * bt->sa, g->ta ? g->m : g->k, g->b + i * bt->sb,
              g->tb ? g->k : g->n, g->beta, g->c + i * bt->sc, g->n);
}

/* gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate) */
napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    napi_throw_error(env, NULL, "shareformer native gemm: expected 13 arguments");
    return NULL;
  }
  size_t al, bl, cl;
  float *a = f32(env, argv[0], &al), *b = f32(env, argv[1], &bl), *c = f32(env, argv[2], &cl);
  if (!a || !b || !c) return NULL;
  int64_t batch = num(env, argv[3]), m = num(env, argv[4]), n = num(env, argv[5]), k = num(env, argv[6]);
  bool ta, tb, acc;
  napi_get_value_bool(env, argv[7], &ta);
  napi_get_value_bool(env, argv[8], &tb);
  int64_t sa = num(env, argv[9]), sb = num(env, argv[10]), sc = num(env, argv[11]);
  napi_get_value_bool(env, argv[12], &acc);
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0 || sc < 0) return sizes_ok(env, "gemm", -1), NULL;
  if (!covers(env, "gemm", "a", al, strided(batch, sa, mul(m, k))) ||
      !covers(env, "gemm", "b", bl, strided(batch, sb, mul(k, n))) ||
      !covers(env, "gemm", "c", cl, strided(batch, sc, mul(m, n))))
    return NULL;
  if (m == 0 || n == 0 || batch == 0) return NULL;
  if (batch > 1 && sc != 0) {
    /* Independent outputs: one item per task. */
    Batched bt = {{ta, tb, m, n, k, a, b, c, acc ? 1.0f : 0.0f}, sa, sb, sc};
    if (batch * m * n * k < ((int64_t)1 << 18))
      for (int64_t i = 0; i < batch; i++) gemm_item(&bt, i);
    else
      pool_run(batch, gemm_item, &bt);
    return NULL;
  }
  /* Every item adds into the same C (stride 0): one after another, each split. */
  for (int64_t i = 0; i < batch; i++) {
    Gemm g = {ta, tb, m, n, k, a + i * sa, b + i * sb, c + i * sc, (acc || i > 0) ? 1.0f : 0.0f};
    gemm_split(&g);
  }
  return NULL;
}
