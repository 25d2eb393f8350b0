// Browser worker threads for the wasm backend: each is a classic Worker started from a Blob URL
// holding WASM_WORKER_SCRIPT, given the module and the shared memory in its first message, and
// counted as started only when it answers. Needs SharedArrayBuffer (a cross-origin-isolated page).
import { WASM_WORKER_SCRIPT, type AsyncWasmThreads } from './index.js';

/** How long a worker may take to start before the pool is declared broken (a hang otherwise). */
const START_TIMEOUT_MS = 20_000;

export function browserWasmThreads(count: number): AsyncWasmThreads & { terminate(): void } {
  const url = URL.createObjectURL(new Blob([WASM_WORKER_SCRIPT], { type: 'text/javascript' }));
  const started: Worker[] = [];
  return {
    count,
    start(index, module, memory, scratch) {
      const w = new Worker(url, { name: `shareformer-wasm-${index}` });
      started.push(w);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        );
        w.onmessage = (e: MessageEvent<{ ready?: boolean; error?: string }>) => {
          clearTimeout(timer);
          if (e.data.ready) resolve();
          else reject(new Error(`worker ${index}: ${e.data.error ?? 'unknown error'}`));
        };
        w.onerror = (e) => {
          clearTimeout(timer);
          reject(new Error(`worker ${index}: ${e.message || 'failed to load'}`));
        };
        w.postMessage({ module, memory, index, scratch });
      });
    },
    terminate() {
      for (const w of started) w.terminate();
      URL.revokeObjectURL(url);
    },
  };
}
