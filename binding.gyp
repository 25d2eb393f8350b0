{
  "targets": [
    {
      "target_name": "shareformer_native",
      "sources": ["native/shareformer.c"],
      "cflags": ["-O3", "-std=c11", "-march=native", "-fno-math-errno"],
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
