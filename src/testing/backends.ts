// Test support: the backends every suite runs against (describe.each over this list): the
// reference js backend always, wasm where WebAssembly SIMD runs, native when its addon is built.
import { availableBackends } from '../backend/backend.js';
import { registerNodeBackends } from '../backend/node.js';

const whyNotNative = registerNodeBackends();
if (whyNotNative) console.warn(`not tested: ${whyNotNative}`);

export const BACKENDS = availableBackends();
