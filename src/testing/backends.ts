// Test support: the backends every suite runs against (describe.each over BACKENDS): the
// reference js backend always, wasm where WebAssembly SIMD runs (the relaxed-SIMD build when the
// runtime has it, as the test runner's Node flag arranges, and the plain build as "wasm-plain"),
// native when its addon is built. A backend missing here is listed in MISSING_BACKENDS with the
// reason, which backends.test.ts reports as skipped tests.
import { availableBackends, registerBackend } from '../backend/backend.js';
import { registerNodeBackends } from '../backend/node.js';
import { hasRelaxedSimd, loadWasmBackend } from '../backend/wasm/index.js';
import { nodeWasmThreads } from '../backend/wasm/threads-node.js';

export const MISSING_BACKENDS: Array<{ name: string; reason: string }> = [];

const whyNotNative = registerNodeBackends();
if (whyNotNative) MISSING_BACKENDS.push({ name: 'native', reason: whyNotNative });
if (!availableBackends().includes('wasm'))
  MISSING_BACKENDS.push({ name: 'wasm', reason: 'WebAssembly SIMD did not load in this runtime' });
if (hasRelaxedSimd()) {
  const plain = loadWasmBackend({ threads: nodeWasmThreads(), simd: 'plain' }).backend;
  if (plain && !availableBackends().includes('wasm-plain')) registerBackend({ ...plain, name: 'wasm-plain' });
} else {
  MISSING_BACKENDS.push({ name: 'wasm (relaxed SIMD build)', reason: 'this Node has no relaxed SIMD' });
}

export const BACKENDS = availableBackends();
