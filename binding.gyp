{
  "targets": [
    {
      "target_name": "shareformer_native",
      "sources": ["native/shareformer.c", "native/gemm.c", "native/attention.c", "native/pointwise.c", "native/int8.c", "native/llama.c", "native/pool.c"],
      "cflags": ["-O3", "-std=gnu11", "-march=native", "-fno-math-errno", "-fopenmp-simd", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='mac'", {
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }, {
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
