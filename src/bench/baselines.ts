// Node-only: the comparison points measured in the same run: PyTorch (Debian python3-torch, best of
// 1 and 2 threads, OMP_WAIT_POLICY=PASSIVE), TensorFlow.js's wasm backend, and onnxruntime-node
// decoding the ONNX export of the same models.
import { headSize } from '../model/config.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../io/onnx/decoder.js';
import { TransformerLM } from '../model/transformer.js';
import { lmConfig, type BenchModel } from './measure.js';

export interface PytorchResults {
  torch: string;
  matmul: Record<string, number>;
  train: Record<string, number>;
  decode: Record<string, number>;
}

/**
 * The Python to run the PyTorch baseline with: SHAREFORMER_PYTHON if set, else the first of
 * python3 on PATH and Debian's /usr/bin/python3 that can import torch (a pyenv or venv python3
 * often shadows the system one that has python3-torch).
 */
export function findTorchPython(): { python: string } | { error: string } {
  const explicit = process.env.SHAREFORMER_PYTHON;
  const candidates = explicit ? [explicit] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return {
    error: explicit
      ? `SHAREFORMER_PYTHON=${explicit} cannot import torch`
      : 'no python3 with PyTorch found (apt-get install python3-torch libopenblas0-pthread, or set SHAREFORMER_PYTHON)',
  };
}

export function runPytorch(spec: {
  matmul: number[];
  train: Record<string, BenchModel>;
  decode: Record<string, BenchModel>;
}): PytorchResults | { error: string } {
  const found = findTorchPython();
  if ('error' in found) return found;
  const script = fileURLToPath(new URL('../../python/pytorch_bench.py', import.meta.url));
  if (!existsSync(script)) return { error: `${script} is missing from this installation` };
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const r = spawnSync(found.python, [script, JSON.stringify(spec)], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? 'failed' };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PytorchResults;
}

/** TensorFlow.js wasm backend sgemm GFLOP/s (it runs single-threaded in Node). */
export async function runTfjsWasm(sizes: number[], seconds = 1): Promise<Record<string, number> | { error: string }> {
  try {
    const require = createRequire(import.meta.url);
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    await tf.setBackend('wasm');
    await tf.ready();
    const out: Record<string, number> = {};
    for (const n of sizes) {
      const a = tf.randomNormal([n, n]),
        b = tf.randomNormal([n, n]);
      tf.matMul(a, b).dataSync();
      let reps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
        reps++;
      }
      out[String(n)] = (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
      a.dispose();
      b.dispose();
    }
    return out;
  } catch (e) {
    const missing = /Cannot find (package|module)/.test((e as Error).message);
    return {
      error: missing
        ? 'TensorFlow.js is not installed (a dev dependency: npm i -D @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm to compare)'
        : `TensorFlow.js wasm unavailable (${(e as Error).message.split('\n')[0]})`,
    };
  }
}

/**
 * onnxruntime-node decoding tokens/s on the very model shareformer decodes (exported with
 * `exportOnnx`): batch 1, one token per step fed back with the present keys/values, greedy.
 */
export async function runOnnxruntime(
  decode: Record<string, BenchModel>,
): Promise<OnnxruntimeResults | { error: string }> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return {
      error: /Cannot find (package|module)/.test((e as Error).message)
        ? 'onnxruntime-node is not installed (a dev dependency: npm i -D onnxruntime-node to compare)'
        : `onnxruntime-node unavailable (${(e as Error).message.split('\n')[0]})`,
    };
  }
  const out: Record<string, number> = {};
  for (const [plan, m] of Object.entries(decode)) {
    const lm = new TransformerLM(lmConfig(m), 0);
    const session = await ort.InferenceSession.create(exportOnnx(lm).bytes, { graphOptimizationLevel: 'all' });
    const hd = headSize(lm.config);
    const int64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
    const run = async (tokens: number) => {
      let past: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.')))
        past[name] = new ort.Tensor('float32', new Float32Array(0), [1, lm.config.kvHeads, 0, hd]);
      let id = 1;
      for (let t = 0; t < tokens; t++) {
        const r = await session.run({
          input_ids: int64([id], [1, 1]),
          attention_mask: int64(new Array(t + 1).fill(1), [1, t + 1]),
          position_ids: int64([t], [1, 1]),
          ...past,
        });
        const logits = r.logits!.data as Float32Array;
        id = logits.indexOf(Math.max(...logits));
        past = Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => k.startsWith('present.'))
            .map(([k, v]) => [k.replace('present.', 'past_key_values.'), v]),
        );
      }
    };
    const tokens = m.newTokens ?? 256;
    await run(tokens); // warm-up, as the other decoders
    const t0 = performance.now();
    await run(tokens);
    out[plan] = tokens / ((performance.now() - t0) / 1000);
    await session.release();
  }
  return { version: ort.env.versions.common ?? '?', decode: out };
}

export interface OnnxruntimeResults {
  version: string;
  decode: Record<string, number>;
}
