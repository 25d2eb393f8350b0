// Test support: the backends every suite runs against (describe.each over this list): the
// reference js backend always, wasm where WebAssembly SIMD runs (the relaxed-SIMD build when the
// runtime has it, as the test runner's Node flag arranges, and the plain build as "wasm-plain"),
// native when its addon is built.
import { availableBackends, registerBackend } from '../backend/backend.js';
import { registerNodeBackends } from '../backend/node.js';
import { hasRelaxedSimd, loadWasmBackend } from '../backend/wasm/index.js';
import { nodeWasmThreads } from '../backend/wasm/threads-node.js';

const whyNotNative = registerNodeBackends();
if (whyNotNative) console.warn(`not tested: ${whyNotNative}`);
if (hasRelaxedSimd()) {
  const plain = loadWasmBackend({ threads: nodeWasmThreads(), simd: 'plain' }).backend;
  if (plain && !availableBackends().includes('wasm-plain')) registerBackend({ ...plain, name: 'wasm-plain' });
} else {
  console.warn('not tested: the relaxed-SIMD wasm build (this Node has no relaxed SIMD)');
}

export const BACKENDS = availableBackends();
