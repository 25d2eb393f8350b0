// Node-only: worker threads for the wasm backend (one fewer than the cores, so the calling thread
// takes the last band). SHAREFORMER_THREADS overrides the total thread count.
import { Worker } from 'node:worker_threads';
import { threadsFromEnv } from '../threads-env.js';
import { WASM_WORKER_LOOP, type WasmThreads } from './index.js';

export function nodeWasmThreads(total = threadsFromEnv()): WasmThreads {
  const count = Math.max(0, Math.floor(total) - 1);
  return {
    count,
    start(index, module, memory, scratch) {
      const w = new Worker(WASM_WORKER_LOOP, { eval: true, workerData: { module, memory, index, scratch } });
      w.unref(); // an idle pool must not keep the process alive
      w.on('error', (e) => console.error(`shareformer wasm worker ${index}: ${e.message}`));
    },
  };
}
