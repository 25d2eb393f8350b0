/* The native backend's kernels: Node-API bindings around OpenBLAS cblas_sgemm for matrix products.
 * Every function takes Float32Arrays and plain numbers and works in place; shapes are checked in
 * TypeScript before the call (src/backend/native/index.ts), so this file stays a thin layer. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <string.h>

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
  for (int64_t i = 0; i < batch; i++) {
    float beta = (acc || (sc == 0 && i > 0)) ? 1.0f : 0.0f;
    if (k == 0) { if (beta == 0.0f) memset(c + i * sc, 0, sizeof(float) * m * n); continue; }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, 1.0f, a + i * sa, ta ? (int)m : (int)k, b + i * sb, tb ? (int)k : (int)n,
                beta, c + i * sc, (int)n);
  }
  return NULL;
}

/* threads(n): sets OpenBLAS's thread count; returns the count in use. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) openblas_set_num_threads((int)num(env, argv[0]));
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL },
    { "threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
