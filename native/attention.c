/* Attention kernels for the native backend (probabilities, values and their gradients), built on
 * sgemm blocks and vectorised row loops, with heads spread over the thread pool. */
#include "kernels.h"

/* ---- attention. Tasks are (batch, K/V head) pairs, so the query heads that share a K/V head add
 * into its gradient from one thread. Causal rows go in blocks of ROWS: a block's products stop at
 * its last visible key, skipping most of the masked triangle.
 * q [B,H,Tq,D]; k, v [B,G,kvStride,D] (first tk rows filled); probs [B,H,Tq,Tk]. Head h reads K/V
 * head h/(H/G). Queries are the last tq of tk positions: query t may see keys 0 .. tk - tq + t,
 * or with a sliding window w > 0 only the last w of them. Outside, probabilities are exact zeros,
 * which the value and backward kernels then treat as masked. */
#define ROWS 64
typedef struct {
  int64_t batch, heads, kvHeads, tq, tk, kvStride, d;
  float scale;
  bool causal;
  int64_t window;
  float softcap;      /* Gemma 2: scores become softcap·tanh(score / softcap); 0: none */
  const float *alibi; /* ALiBi: per-head slopes m, scores gain m·(s − query position); NULL: none */
} Dims;

static bool dims(napi_env env, napi_value *argv, Dims *o) {
  o->batch = num(env, argv[0]);
  o->heads = num(env, argv[1]);
  o->kvHeads = num(env, argv[2]);
  o->tq = num(env, argv[3]);
  o->tk = num(env, argv[4]);
  o->kvStride = num(env, argv[5]);
  o->d = num(env, argv[6]);
  double scale;
  napi_get_value_double(env, argv[7], &scale);
  o->scale = (float)scale;
  napi_get_value_bool(env, argv[8], &o->causal);
  o->window = num(env, argv[9]);
  double softcap;
  napi_get_value_double(env, argv[10], &softcap);
  o->softcap = (float)softcap;
  size_t slopes = 0;
  o->alibi = opt_f32(env, argv[11], &slopes);
  if (!o->alibi && !is_null(env, argv[11])) return false;
  return o->kvHeads > 0 && o->heads % o->kvHeads == 0 && o->window >= 0 && softcap >= 0 && isfinite(softcap) &&
         (!o->alibi || (int64_t)slopes == o->heads);
}

/* ALiBi's bias over a row of scores for keys first .. valid − 1 of the query at position pos. */
void alibi_row(float *row, int64_t first, int64_t valid, float slope, int64_t pos) {
#pragma omp simd
  for (int64_t s = first; s < valid; s++) row[s] += slope * (float)(s - pos);
}

static inline int64_t last_key(const Dims *d, int64_t t) { return d->causal ? d->tk - d->tq + t : d->tk - 1; }
static inline int64_t first_key(const Dims *d, int64_t t) {
  const int64_t f = last_key(d, t) - d->window + 1;
  return d->window > 0 && f > 0 ? f : 0;
}

/* Per-thread scratch, grown on demand and kept. */
static float *scratch(size_t n) {
  static _Thread_local float *buf = NULL;
  static _Thread_local size_t cap = 0;
  if (n > cap) {
    free(buf);
    cap = n * 2;
    buf = (float *)malloc(cap * sizeof(float));
  }
  return buf;
}

/* Softmax over the first `valid` entries of a row of `len`; the rest become exact zeros. */
void softmax_row(float *row, int64_t valid, int64_t len) {
  float max = -INFINITY;
#pragma omp simd reduction(max : max)
  for (int64_t s = 0; s < valid; s++) max = row[s] > max ? row[s] : max;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t s = 0; s < valid; s++) {
    const float e = exp_approx(row[s] - max);
    row[s] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t s = 0; s < valid; s++) row[s] *= inv;
  if (len > valid) memset(row + valid, 0, sizeof(float) * (size_t)(len - valid));
}

/* tanh split as Cephes tanhf does: x + x³·P(x²) below |x| = 0.625, (1 − e)/(1 + e) with
 * e = e^(−2|x|) above (no cancellation either side), within a few ulp; unlike tanhf it vectorises. */
static inline float tanh_approx(float x) {
  const float a = fabsf(x), z = x * x;
  const float e = exp_approx(-2.0f * a);
  const float big = copysignf((1.0f - e) / (1.0f + e), x);
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  return a > 0.625f ? big : p * z * x + x;
}

/* Soft-capping (Gemma 2): x → cap·tanh(x / cap) over a row of scores. */
void cap_row(float *row, int64_t n, float cap) {
  const float inv = 1.0f / cap;
#pragma omp simd
  for (int64_t s = 0; s < n; s++) row[s] = cap * tanh_approx(row[s] * inv);
}

typedef struct {
  Dims D;
  const float *q, *k, *v, *p, *g;
  float *out, *dq, *dk, *dp, *dv;
} Attn;

/* One (head, row block) of a task: where its query rows, probability rows and K/V head start. */
typedef struct {
  int64_t h, kvo, qo, po, r0, rows, width;
} Block;
typedef void (*block_fn)(const Attn *A, const Block *k, float *tmp);

/* Runs fn on every (query head, row block) of task = (batch, K/V head). */
static void for_blocks(const Attn *A, int64_t task, block_fn fn, size_t scratch_rows) {
  const Dims *D = &A->D;
  const int64_t group = D->heads / D->kvHeads;
  const int64_t b = task / D->kvHeads, kh = task % D->kvHeads;
  float *tmp = scratch_rows ? scratch(scratch_rows * (size_t)D->tk) : NULL;
  Block k;
  k.kvo = (b * D->kvHeads + kh) * D->kvStride * D->d;
  for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
    k.h = h;
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
  const Dims *D = &A->D;
  (void)tmp;
  float *P = A->out + k->po + k->r0 * D->tk;
  sgemm_block(false, true, k->rows, k->width, D->d, A->q + k->qo + k->r0 * D->d, D->d, A->k + k->kvo, D->d, 0.0f, P,
              D->tk);
  const float sc = D->scale;
  for (int64_t t = 0; t < k->rows; t++) {
    float *row = P + t * D->tk;
    const int64_t valid = last_key(D, k->r0 + t) + 1, first = first_key(D, k->r0 + t);
#pragma omp simd
    for (int64_t j = first; j < valid; j++) row[j] *= sc;
    if (D->softcap > 0) cap_row(row + first, valid - first, D->softcap);
    if (D->alibi) alibi_row(row, first, valid, D->alibi[k->h], D->tk - D->tq + k->r0 + t);
    if (first > 0) memset(row, 0, sizeof(float) * (size_t)first);
    softmax_row(row + first, valid - first, D->tk - first);
  }
}

static void probs_backward_block(const Attn *A, const Block *k, float *ds) {
  const Dims *D = &A->D;
  const int64_t width = k->width;
  /* With a cap, the raw scores q·k of the block again (after ds's rows): each ds entry takes the
   * cap's derivative 1 − tanh²(scale·q·k / cap). */
  float *raw = ds + ROWS * D->tk;
  if (D->softcap > 0)
    sgemm_block(false, true, k->rows, width, D->d, A->q + k->qo + k->r0 * D->d, D->d, A->k + k->kvo, D->d, 0.0f, raw,
                width);
  for (int64_t t = 0; t < k->rows; t++) {
    const float *P = A->p + k->po + (k->r0 + t) * D->tk, *G = A->g + k->po + (k->r0 + t) * D->tk;
    float *S = ds + t * width;
    const int64_t valid = last_key(D, k->r0 + t) + 1;
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t s = 0; s < valid; s++) dot += (double)P[s] * G[s];
    const float fd = (float)dot, sc = D->scale;
#pragma omp simd
    for (int64_t s = 0; s < valid; s++) S[s] = P[s] * (G[s] - fd) * sc;
    if (D->softcap > 0) {
      const float *X = raw + t * width, k_ = sc / D->softcap;
#pragma omp simd
      for (int64_t s = 0; s < valid; s++) {
        const float th = tanh_approx(X[s] * k_);
        S[s] *= 1.0f - th * th;
      }
    }
    if (width > valid) memset(S + valid, 0, sizeof(float) * (size_t)(width - valid));
  }
  if (A->dq)
    sgemm_block(false, false, k->rows, D->d, width, ds, width, A->k + k->kvo, D->d, 1.0f, A->dq + k->qo + k->r0 * D->d,
                D->d);
  if (A->dk)
    sgemm_block(true, false, width, D->d, k->rows, ds, width, A->q + k->qo + k->r0 * D->d, D->d, 1.0f, A->dk + k->kvo,
                D->d);
}

static void values_block(const Attn *A, const Block *k, float *tmp) {
  const Dims *D = &A->D;
  const float *P = masked_block(D, A->p + k->po, k->r0, k->rows, k->width, tmp);
  sgemm_block(false, false, k->rows, D->d, k->width, P, k->width, A->v + k->kvo, D->d, 0.0f,
              A->out + k->qo + k->r0 * D->d, D->d);
}

static void values_backward_block(const Attn *A, const Block *k, float *tmp) {
  const Dims *D = &A->D;
  float *dpt = tmp + ROWS * D->tk;
  if (A->dp) {
    sgemm_block(false, true, k->rows, k->width, D->d, A->g + k->qo + k->r0 * D->d, D->d, A->v + k->kvo, D->d, 0.0f, dpt,
                k->width);
    for (int64_t t = 0; t < k->rows; t++) {
      const int64_t valid = last_key(D, k->r0 + t) + 1;
      float *dst = A->dp + k->po + (k->r0 + t) * D->tk;
      const float *src = dpt + t * k->width;
#pragma omp simd
      for (int64_t s = 0; s < valid; s++) dst[s] += src[s];
    }
  }
  if (A->dv) {
    const float *P = masked_block(D, A->p + k->po, k->r0, k->rows, k->width, tmp);
    sgemm_block(true, false, k->width, D->d, k->rows, P, k->width, A->g + k->qo + k->r0 * D->d, D->d, 1.0f,
                A->dv + k->kvo, D->d);
  }
}

static void probs_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, probs_block, 0); }
static void probs_backward_task(void *p, int64_t task) {
  for_blocks((const Attn *)p, task, probs_backward_block, 2 * ROWS);
}
static void values_task(void *p, int64_t task) { for_blocks((const Attn *)p, task, values_block, ROWS); }
static void values_backward_task(void *p, int64_t task) {
  for_blocks((const Attn *)p, task, values_backward_block, 2 * ROWS);
}

enum { Q, K, V, P, G, OUT, DQ, DK, DP, DV };

/* Every attention entry point: dims (11 values and the ALiBi slopes or null) then `count` arrays, null
 * where not wanted. */
static napi_value attention(napi_env env, napi_callback_info info, int count, pool_task task, const int *slots) {
  size_t argc = 18;
  napi_value argv[18];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Attn A;
  memset(&A, 0, sizeof A);
  if ((int)argc != 12 + count || !dims(env, argv, &A.D)) {
    napi_throw_error(env, NULL, "shareformer native attention: bad arguments");
    return NULL;
  }
  const Dims *D = &A.D;
  if (D->batch < 0 || D->heads < 0 || D->tq < 0 || D->tk < D->tq || D->kvStride < D->tk || D->d < 0) {
    napi_throw_range_error(
        env, NULL,
        "shareformer native attention: sizes must satisfy 0 <= tq <= tk <= kvStride, batch, heads, headDim >= 0");
    return NULL;
  }
  /* Elements each array needs: queries and outputs [B,H,Tq,D], K/V [B,G,kvStride,D], probabilities [B,H,Tq,Tk];
   * the incoming gradient is shaped like the output of the kernel it belongs to. */
  const int64_t qs = mul4(D->batch, D->heads, D->tq, D->d), kvs = mul4(D->batch, D->kvHeads, D->kvStride, D->d);
  const int64_t ps = mul4(D->batch, D->heads, D->tq, D->tk), gs = task == probs_backward_task ? ps : qs;
  const int64_t need[] = {qs, kvs, kvs, ps, gs, task == probs_task ? ps : qs, qs, kvs, ps, kvs};
  static const char *names[] = {"q", "k", "v", "probs", "g", "out", "dq", "dk", "dProbs", "dv"};
  float **fields[] = {(float **)&A.q, (float **)&A.k, (float **)&A.v, (float **)&A.p, (float **)&A.g,
                      &A.out,         &A.dq,          &A.dk,          &A.dp,          &A.dv};
  for (int i = 0; i < count; i++) {
    size_t len;
    *fields[slots[i]] = opt_f32(env, argv[12 + i], &len);
    if (!*fields[slots[i]] && !is_null(env, argv[12 + i])) return NULL;
    if (*fields[slots[i]] && !covers(env, "attention", names[slots[i]], len, need[slots[i]])) return NULL;
  }
  /* A decoding step's attention (one query row) is too little work to be worth waking a thread. */
  const int64_t tasks = A.D.batch * A.D.kvHeads;
  if (A.D.batch * A.D.heads * A.D.tq * A.D.tk * A.D.d < ((int64_t)1 << 17))
    for (int64_t i = 0; i < tasks; i++) task(&A, i);
  else
    pool_run(tasks, task, &A);
  return NULL;
}

napi_value attention_probs(napi_env env, napi_callback_info info) {
  int s[] = {Q, K, OUT};
  return attention(env, info, 3, probs_task, s);
}
napi_value attention_probs_backward(napi_env env, napi_callback_info info) {
  int s[] = {Q, K, P, G, DQ, DK};
  return attention(env, info, 6, probs_backward_task, s);
}
napi_value attend_values(napi_env env, napi_callback_info info) {
  int s[] = {P, V, OUT};
  return attention(env, info, 3, values_task, s);
}
napi_value attend_values_backward(napi_env env, napi_callback_info info) {
  int s[] = {P, V, G, DP, DV};
  return attention(env, info, 5, values_backward_task, s);
}
