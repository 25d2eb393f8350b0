// Test support: the backends every suite runs against (describe.each over this list): the
// reference js backend always, wasm where WebAssembly SIMD runs, native when its addon is built.
import { availableBackends, registerBackend } from '../backend/backend.js';
import { loadNativeBackend } from '../backend/native/index.js';
import { loadWasmBackend } from '../backend/wasm/index.js';
import { nodeWasmThreads } from '../backend/wasm/threads-node.js';

const wasm = loadWasmBackend({ threads: nodeWasmThreads() });
if (wasm.backend) registerBackend(wasm.backend);
else console.warn(`wasm backend not tested: ${wasm.reason}`);
const native = loadNativeBackend();
if (native.backend) registerBackend(native.backend);
else console.warn(`native backend not tested: ${native.reason}`);

export const BACKENDS = availableBackends();
