// Bundled into a module Worker by test/playground.test.ts: loads the wasm backend the way a page's
// Worker does (selectBrowserBackend) and times a training-sized matrix product, checking its result.
import { backend, selectBrowserBackend } from '../../src/index.js';

addEventListener('message', async (e: MessageEvent<number>) => {
  const choice = await selectBrowserBackend({ threads: e.data });
  const m = 1024,
    n = 512,
    k = 128;
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const c = new Float32Array(m * n);
  const args = {
    m,
    n,
    k,
    batch: 1,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    transA: false,
    transB: false,
    accumulate: false,
  };
  for (let i = 0; i < 60; i++) backend().gemm(a, b, c, args);
  let best = Infinity;
  for (let trial = 0; trial < 5; trial++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) backend().gemm(a, b, c, args);
    best = Math.min(best, (performance.now() - t0) / 20);
  }
  // Every row checked against a plain dot product: the worker thread's half included.
  let worst = 0;
  for (let r = 0; r < m; r += 37)
    for (let j = 0; j < n; j += 29) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[r * k + t]! * b[t * n + j]!;
      worst = Math.max(worst, Math.abs(s - c[r * n + j]!));
    }
  postMessage({ threads: choice.threads, notice: choice.notice, gflops: (2 * m * n * k) / best / 1e6, worst });
});
