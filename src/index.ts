// shareformer's library entry point. Loads in Node and in browsers: nothing here touches the file
// system. Node-only modules (cli/, verify/load.ts) are deliberately not exported here.
export { backend, setBackend, registerBackend, availableBackends } from './backend/backend.js';
export type { Backend, GemmArgs, AttentionDims, AdamWArgs, BinaryOp, GeluApproximation } from './backend/backend.js';
export { jsBackend } from './backend/js/index.js';
export { Tensor, OpError, noGrad, isGradEnabled, sizeOf, formatShape, type Shape, type TensorOptions } from './tensor/tensor.js';
export { Rng, type RngState } from './tensor/random.js';
export * from './tensor/ops/index.js';
export { AdamW, type AdamWOptions, type AdamWState, type ParamGroup } from './train/adamw.js';
export { clipGradNorm } from './train/clip.js';
export { warmupCosine, type WarmupCosineOptions } from './train/schedule.js';
export { readSafetensors, writeSafetensors, toFloat32, SafetensorsError } from './io/safetensors.js';
export type { Dtype, StoredTensor, SafetensorsFile, TensorToWrite, TensorData } from './io/safetensors.js';
export { resolveConfig, DEFAULT_CONFIG, ConfigError, type ModelConfig } from './model/config.js';
export { TransformerLM, type ForwardOptions } from './model/transformer.js';
