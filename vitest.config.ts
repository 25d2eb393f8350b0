import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // Node 20 has relaxed SIMD only behind this flag; with it the suites also cover the wasm
    // kernels' fused multiply-add build, which browsers and Node 22+ run by default.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
