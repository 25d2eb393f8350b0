import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// Node 20 has WebAssembly relaxed SIMD only behind this V8 flag; with it the suites also cover the
// wasm kernels' fused multiply-add build, which browsers and Node 22+ run by default. Passed only
// where this Node accepts the flag.
const RELAXED_SIMD = '--experimental-wasm-relaxed-simd';
const relaxed = spawnSync(process.execPath, [RELAXED_SIMD, '-e', '0']).status === 0;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    execArgv: relaxed ? [RELAXED_SIMD] : [],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
