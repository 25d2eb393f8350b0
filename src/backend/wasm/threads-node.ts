// Node-only: worker threads for the wasm backend (one fewer than the cores, so the calling thread
// takes the last band). SHAREFORMER_THREADS overrides the total thread count.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WASM_WORKER_LOOP, type WasmThreads } from './index.js';

export function nodeWasmThreads(total = Number(process.env.SHAREFORMER_THREADS ?? availableParallelism())): WasmThreads {
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
