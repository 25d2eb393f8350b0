#!/usr/bin/env python3
"""llama.cpp's own llama-quantize, through its C ABI: quantizes a GGUF file to one of its presets.

scripts/llamacpp-reference.mjs runs it on models shareformer exported in F32, so that the GGUF
export's Q8_0, Q6_K, Q5_K_M, Q4_K_M and Q4_0 are checked against the tool those files usually come from:
the type it picks for each tensor and the bytes it writes.

libllama comes from node-llama-cpp's prebuilt CPU build in the npm package @node-llama-cpp/linux-x64
(3.22.1), which is not a dependency of shareformer (see python/gguf_fixtures.py for fetching it):
  GGML_LIB=/tmp/ggml/package/bins/linux-x64 /usr/bin/python3 python/llama_quantize.py IN OUT PRESET
"""

import ctypes
import os
import sys

# llama.h's llama_ftype of each preset.
PRESETS = {"Q8_0": 7, "Q6_K": 18, "Q5_K_M": 17, "Q4_K_M": 15, "Q4_0": 2}


class QuantizeParams(ctypes.Structure):
    """llama.h's llama_model_quantize_params (llama.cpp as node-llama-cpp 3.22.1 builds it)."""

    _fields_ = [
        ("nthread", ctypes.c_int32),
        ("ftype", ctypes.c_int),
        ("output_tensor_type", ctypes.c_int),
        ("token_embedding_type", ctypes.c_int),
        ("allow_requantize", ctypes.c_bool),
        ("quantize_output_tensor", ctypes.c_bool),
        ("only_copy", ctypes.c_bool),
        ("pure", ctypes.c_bool),
        ("keep_split", ctypes.c_bool),
        ("dry_run", ctypes.c_bool),
        ("imatrix", ctypes.c_void_p),
        ("kv_overrides", ctypes.c_void_p),
        ("tt_overrides", ctypes.c_void_p),
        ("prune_layers", ctypes.c_void_p),
        ("max_buf_size", ctypes.c_size_t),
    ]


def load_llama(lib_dir):
    for dependency in ("libggml-base.so", "libggml.v0.5.0.so"):
        ctypes.CDLL(os.path.join(lib_dir, dependency), mode=ctypes.RTLD_GLOBAL)
    llama = ctypes.CDLL(os.path.join(lib_dir, "libllama.v0.5.0.so"))
    llama.llama_model_quantize_default_params.restype = QuantizeParams
    llama.llama_model_quantize.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.POINTER(QuantizeParams),
    ]
    llama.llama_model_quantize.restype = ctypes.c_uint32
    llama.llama_backend_init()
    return llama


def main():
    lib_dir = os.environ.get("GGML_LIB")
    if not lib_dir or len(sys.argv) != 4 or sys.argv[3] not in PRESETS:
        sys.exit(f"usage: GGML_LIB=DIR python3 {sys.argv[0]} IN.gguf OUT.gguf {'|'.join(PRESETS)}")
    llama = load_llama(lib_dir)
    params = llama.llama_model_quantize_default_params()  # no importance matrix, output quantized
    params.ftype = PRESETS[sys.argv[3]]
    params.nthread = 1
    if llama.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params)) != 0:
        sys.exit(f"llama_model_quantize failed on {sys.argv[1]}")


if __name__ == "__main__":
    main()
