// Backend choice in a browser: wasm with worker threads when this context may block (a Worker)
// and shares memory (a cross-origin-isolated page), single-threaded wasm otherwise, the js
// reference when WebAssembly SIMD is missing; the notice says which and why, never a hang.
import { registerBackend, setBackend, type Backend } from './backend.js';
import { loadWasmBackend, loadWasmBackendAsync } from './wasm/index.js';
import { browserWasmThreads } from './wasm/threads-browser.js';

export interface BrowserBackendChoice {
  backend: Backend;
  /** Threads the matrix products run on (1: single-threaded). */
  threads: number;
  /** Why fewer threads (or a slower backend) than asked for are used; null when nothing is missing. */
  notice: string | null;
}

/** Whether this context may block in Atomics.wait (Workers may; a page's main thread may not). */
export function canBlock(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why this context cannot run wasm worker threads, or null when it can. */
export function whyNoThreads(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false)
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so SharedArrayBuffer is unavailable';
  if (!canBlock())
    return 'this is the page’s main thread, where Atomics.wait is not allowed; run shareformer in a Worker (shareformer/worker)';
  if (typeof g.Worker === 'undefined') return 'this context cannot start Workers';
  return null;
}

/**
 * Loads the fastest backend this browser context can run, registers it and makes it active.
 * `threads` is the total wanted (default: navigator.hardwareConcurrency, at most 8).
 */
export async function selectBrowserBackend(options: { threads?: number } = {}): Promise<BrowserBackendChoice> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const wanted = Math.max(1, Math.min(8, Math.floor(options.threads ?? nav?.hardwareConcurrency ?? 1)));
  const noThreads = wanted > 1 ? whyNoThreads() : null;
  if (wanted > 1 && !noThreads) {
    const pool = browserWasmThreads(wanted - 1);
    const load = await loadWasmBackendAsync({ threads: pool });
    if (load.backend) return use(load.backend, load.threads, null);
    pool.terminate();
    return single(`wasm threads failed to start (${load.reason}); running single-threaded`);
  }
  return single(noThreads && `single-threaded: ${noThreads}`);
}

function single(notice: string | null): BrowserBackendChoice {
  const load = loadWasmBackend();
  if (load.backend) return use(load.backend, 1, notice);
  return { backend: setBackend('js'), threads: 1, notice: `js reference backend: ${load.reason}` };
}

function use(backend: Backend, threads: number, notice: string | null): BrowserBackendChoice {
  registerBackend(backend);
  setBackend(backend.name);
  return { backend, threads, notice };
}
