// Node-only: registers every backend this machine can run (native if its addon is built, wasm with
// worker threads) and picks the one to use, for library users, the CLI and the test suite alike.
import { availableBackends, registerBackend, setBackend, type Backend } from './backend.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { nodeWasmThreads } from './wasm/threads-node.js';

/** Fastest first: the order in which a backend is chosen when none is named. */
export const BACKEND_ORDER = ['native', 'wasm', 'js'] as const;

/** Registers what is available (once); returns why native is missing, or null. */
export function registerNodeBackends(): string | null {
  const native = loadNativeBackend();
  if (native.backend && !availableBackends().includes('native')) registerBackend(native.backend);
  if (!availableBackends().includes('wasm')) {
    const wasm = loadWasmBackend({ threads: nodeWasmThreads() });
    if (wasm.backend) registerBackend(wasm.backend);
  }
  return native.backend
    ? null
    : `native backend unavailable: ${native.reason}; build it with \`npx shareformer setup native\``;
}

export interface NodeBackendChoice {
  backend: Backend;
  /** Why a faster backend was not used, when none was named and native is missing. */
  note: string | null;
}

/**
 * Registers the Node backends and makes `name` (or SHAREFORMER_BACKEND, or the fastest available)
 * the active one. Naming a backend this machine cannot run is an error that says why.
 */
export function selectNodeBackend(
  name: string | undefined = process.env.SHAREFORMER_BACKEND || undefined,
): NodeBackendChoice {
  const whyNotNative = registerNodeBackends();
  const wanted = name || undefined;
  if (wanted && !availableBackends().includes(wanted)) {
    throw new Error(
      wanted === 'native' && whyNotNative
        ? whyNotNative
        : `backend "${wanted}" is not available on this machine (available: ${availableBackends().join(', ')})`,
    );
  }
  const chosen = setBackend(wanted ?? BACKEND_ORDER.find((b) => availableBackends().includes(b))!);
  return { backend: chosen, note: wanted ? null : whyNotNative };
}
