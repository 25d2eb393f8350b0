// Test support: the backends every suite runs against (describe.each over this list): the
// reference js backend always, and native when its addon is built on this machine.
import { availableBackends, registerBackend } from '../backend/backend.js';
import { loadNativeBackend } from '../backend/native/index.js';

const native = loadNativeBackend();
if (native.backend) registerBackend(native.backend);
else console.warn(`native backend not tested: ${native.reason}`);

export const BACKENDS = availableBackends();
