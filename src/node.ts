// shareformer's entry point for Node (what `import 'shareformer'` resolves to under Node, and
// `shareformer/node` explicitly): the whole library, plus checkpoints on disk, with the fastest
// backend this machine has (native, then wasm, then js) or SHAREFORMER_BACKEND selected on import.
import { selectNodeBackend } from './backend/node.js';

export * from './index.js';
export { selectNodeBackend, registerNodeBackends, BACKEND_ORDER, type NodeBackendChoice } from './backend/node.js';
export { loadNativeBackend, type NativeLoad } from './backend/native/index.js';
export { directoryReader } from './io/hf/files-node.js';
export {
  loadCheckpoint,
  saveCheckpoint,
  saveWeightsCheckpoint,
  CheckpointError,
  type Checkpoint,
  type CheckpointMeta,
} from './io/checkpoint.js';

selectNodeBackend();
