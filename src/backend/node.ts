// Node-only: registers every backend this machine can run (native if its addon is built, wasm with
// worker threads), for the CLI and the test suite alike.
import { availableBackends, registerBackend } from './backend.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { nodeWasmThreads } from './wasm/threads-node.js';

/** Registers what is available (once); returns why native is missing, or null. */
export function registerNodeBackends(): string | null {
  const native = loadNativeBackend();
  if (native.backend && !availableBackends().includes('native')) registerBackend(native.backend);
  if (!availableBackends().includes('wasm')) {
    const wasm = loadWasmBackend({ threads: nodeWasmThreads() });
    if (wasm.backend) registerBackend(wasm.backend);
  }
  return native.backend ? null : `native backend unavailable: ${native.reason}; build it with \`npx shareformer setup native\``;
}
