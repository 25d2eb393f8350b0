/* The native backend's Node-API module: registers the kernels of gemm.c, attention.c, int8.c,
 * pointwise.c and llama.c (shapes are checked in TypeScript before every call, src/backend/native/index.ts) and
 * sizes the thread pool (pool.c) they share. OpenBLAS runs single-threaded inside the pool. */
#include "kernels.h"

/* threads(n?): sets the kernels' thread count (0: one per CPU); returns the count in use. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) pool_set_threads((int)num(env, argv[0]));
  CHECK(napi_create_int32(env, pool_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  blas_single_threaded();
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"attentionProbs", NULL, attention_probs, NULL, NULL, NULL, napi_default, NULL},
      {"attentionProbsBackward", NULL, attention_probs_backward, NULL, NULL, NULL, napi_default, NULL},
      {"attendValues", NULL, attend_values, NULL, NULL, NULL, napi_default, NULL},
      {"attendValuesBackward", NULL, attend_values_backward, NULL, NULL, NULL, napi_default, NULL},
      {"geluTanh", NULL, gelu_tanh, NULL, NULL, NULL, napi_default, NULL},
      {"geluTanhBackward", NULL, gelu_tanh_backward, NULL, NULL, NULL, napi_default, NULL},
      {"geluErf", NULL, gelu_erf, NULL, NULL, NULL, napi_default, NULL},
      {"geluErfBackward", NULL, gelu_erf_backward, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL},
      {"swap12", NULL, swap12, NULL, NULL, NULL, napi_default, NULL},
      {"scale", NULL, scale, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormBackward", NULL, layer_norm_backward, NULL, NULL, NULL, napi_default, NULL},
      {"softmax", NULL, softmax, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropy", NULL, cross_entropy, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"binaryBackward", NULL, binary_backward, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, sum_squares, NULL, NULL, NULL, napi_default, NULL},
      {"sumAxis", NULL, sum_axis, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNorm", NULL, rms_norm, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNormBackward", NULL, rms_norm_backward, NULL, NULL, NULL, napi_default, NULL},
      {"silu", NULL, silu, NULL, NULL, NULL, napi_default, NULL},
      {"siluBackward", NULL, silu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"rope", NULL, rope, NULL, NULL, NULL, napi_default, NULL},
      {"gemmInt8", NULL, gemm_int8, NULL, NULL, NULL, napi_default, NULL},
      {"dequantRows", NULL, dequant_rows, NULL, NULL, NULL, napi_default, NULL},
      {"attentionProbsInt8", NULL, attention_probs_int8, NULL, NULL, NULL, napi_default, NULL},
      {"attendValuesInt8", NULL, attend_values_int8, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
