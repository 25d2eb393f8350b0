// Node-only: the comparison points measured in the same run: PyTorch (Debian python3-torch, best of
// 1 and 2 threads, OMP_WAIT_POLICY=PASSIVE) and TensorFlow.js's wasm backend.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModel } from './measure.js';

export interface PytorchResults {
  torch: string;
  matmul: Record<string, number>;
  train: Record<string, number>;
  decode: Record<string, number>;
}

const PYTHON = '/usr/bin/python3';

export function runPytorch(spec: { matmul: number[]; train: Record<string, BenchModel>; decode: Record<string, BenchModel> }): PytorchResults | { error: string } {
  if (!existsSync(PYTHON)) return { error: `${PYTHON} not found` };
  const script = fileURLToPath(new URL('../../bench/pytorch_bench.py', import.meta.url));
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const r = spawnSync(PYTHON, [script, JSON.stringify(spec)], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = /No module named 'torch'/.test(r.stderr) ? 'PyTorch is not installed (apt-get install python3-torch libopenblas0-pthread)' : r.stderr.trim().split('\n').pop();
    return { error: why ?? 'failed' };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PytorchResults;
}

/** TensorFlow.js wasm backend sgemm GFLOP/s (it runs single-threaded in Node). */
export async function runTfjsWasm(sizes: number[], seconds = 1): Promise<Record<string, number> | { error: string }> {
  try {
    const require = createRequire(import.meta.url);
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    const out: Record<string, number> = {};
    for (const n of sizes) {
      const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
      tf.matMul(a, b).dataSync();
      let reps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); reps++; }
      out[String(n)] = (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
      a.dispose(); b.dispose();
    }
    return out;
  } catch (e) {
    return { error: `TensorFlow.js wasm unavailable (${(e as Error).message.split('\n')[0]})` };
  }
}
