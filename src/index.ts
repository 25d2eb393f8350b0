// shareformer's library entry point. Loads in Node and in browsers: nothing here touches the file
// system. Node-only modules (cli/, verify/load.ts) are deliberately not exported here.
import { registerBackend, setBackend } from './backend/backend.js';
import { loadWasmBackend } from './backend/wasm/index.js';

export { backend, setBackend, registerBackend, availableBackends } from './backend/backend.js';
export type { Backend, GemmArgs, AttentionDims, AdamWArgs, BinaryOp, GeluApproximation } from './backend/backend.js';
export { jsBackend } from './backend/js/index.js';
export {
  Tensor,
  OpError,
  noGrad,
  isGradEnabled,
  sizeOf,
  formatShape,
  type Shape,
  type TensorOptions,
} from './tensor/tensor.js';
export { Rng, type RngState } from './tensor/random.js';
export { clearPool, poolStats, setPoolOptions, type PoolOptions } from './tensor/pool.js';
export * from './tensor/ops/index.js';
export { AdamW, type AdamWOptions, type AdamWState, type ParamGroup } from './train/adamw.js';
export { clipGradNorm } from './train/clip.js';
export { warmupCosine, type WarmupCosineOptions } from './train/schedule.js';
export { readSafetensors, writeSafetensors, toFloat32, SafetensorsError } from './io/safetensors.js';
export type { Dtype, StoredTensor, SafetensorsFile, TensorToWrite, TensorData } from './io/safetensors.js';
export { resolveConfig, DEFAULT_CONFIG, ConfigError, type ModelConfig } from './model/config.js';
export { TransformerLM, type ForwardOptions } from './model/transformer.js';
export { buildPlan, weightMap, kvMap, attentionMap, uniqueSets, NO_SHARING, PlanError } from './model/plan.js';
export type { SharingPlan, SharingSpec, ShareScope, Strategy } from './model/plan.js';
export { planOf } from './model/config.js';
export {
  parameterLayout,
  countParameters,
  kvBytesPerToken,
  type ParameterSpec,
  type ParameterCount,
  type Component,
} from './model/parameters.js';
export { KVCache, kvCacheBytesHeld } from './model/kvcache.js';
export { PRESETS, presetConfig } from './model/presets.js';
export {
  CharTokenizer,
  ByteTokenizer,
  BpeTokenizer,
  buildTokenizer,
  tokenizerFromJSON,
  TokenizerError,
} from './text/tokenizer.js';
export type { Tokenizer, TokenizerJSON, TokenizerKind } from './text/tokenizer.js';
export { SYNTHETIC, syntheticText } from './text/synthetic.js';
export { splitTokens, sampleBatch, evalBatches, DataError, type Split, type Batch } from './train/data.js';
export { Trainer, evaluate, DEFAULT_TRAIN, validateTrainConfig } from './train/trainer.js';
export type { TrainConfig, TrainerState, StepResult, EvalResult } from './train/trainer.js';
export { generate, type GenerateOptions, type GenerationResult, type GenerationStats } from './generate/generate.js';
export { sampleToken, validateSampling, type SamplingOptions } from './generate/sampler.js';
export { loadWasmBackend, hasRelaxedSimd, type WasmLoad, type WasmSimd } from './backend/wasm/index.js';
export {
  HfBpeTokenizer,
  tokenizerFromHfJson,
  tokenizerFromVocabMerges,
  type HfBpeJSON,
  type HfBpeMode,
} from './text/hf-bpe.js';
export { importHuggingFace, type ImportedModel } from './io/hf/import.js';
export { openHfModel, fromBuffers, type HfFileReader, type HfModel } from './io/hf/model.js';
export { exportHuggingFace, exportFamily, HfExportError, type HfExport } from './io/hf/export.js';
export { modelConfigFromHf, HfImportError, SUPPORTED_ARCHITECTURES } from './io/hf/config.js';
export { loadWasmBackendAsync, type AsyncWasmThreads } from './backend/wasm/index.js';
export { browserWasmThreads } from './backend/wasm/threads-browser.js';
export { selectBrowserBackend, whyNoThreads, canBlock, type BrowserBackendChoice } from './backend/browser.js';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  checkpointInZip,
  memorySource,
  readCheckpointConfigFile,
  configJSON,
  CheckpointError,
  type Checkpoint,
  type CheckpointMeta,
  type CheckpointSource,
  type DecodeOptions,
  type WeightsDtype,
} from './io/checkpoint-files.js';

// Outside Node the fastest backend that needs no set-up is wasm on one thread; selectBrowserBackend()
// adds worker threads where the context allows them. (Node's entry selects native or wasm itself.)
const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
if (!inNode) {
  const wasm = loadWasmBackend();
  if (wasm.backend) {
    registerBackend(wasm.backend);
    setBackend('wasm');
  }
}
export { WorkerClient } from './browser/client.js';
export { Session as WorkerSession, browserTrainConfig } from './browser/session.js';
export type {
  WorkerRequest,
  WorkerEvent,
  TrainRequest,
  GenerateRequest,
  RunInfo,
  KvGauge,
  TokenizerChoice,
} from './browser/protocol.js';
export {
  analyze,
  presetWith,
  scalingTable,
  forwardFlops,
  type Analysis,
  type AnalyzeOptions,
  type LayerView,
  type FlopBreakdown,
  type ScalingRow,
} from './analyze/analyze.js';
export { ANALYZER_PRESETS, analyzerPreset, type AnalyzerPreset } from './analyze/presets.js';
export { parsePlan, parsePlanList, PLAN_KEYS } from './analyze/plans.js';
export { fmtBytes, fmtFlops, fmtInt } from './analyze/format.js';
export { serveSession, postToPage, workerScope, type WorkerScope } from './browser/serve.js';
export { convertModel, ConvertError, CONVERTIBLE, type Conversion, type InitMode } from './convert/convert.js';
export { truncatedSvd, symmetricEigen, type Svd } from './convert/svd.js';
export { inspectModel, linearCka, type Inspection, type PairMatrix } from './convert/inspect.js';
export { inspectionChart } from './convert/inspect-chart.js';
export {
  searchSharing,
  type SearchResult,
  type SearchStep,
  type SearchKind,
  type SearchOptions,
} from './convert/search.js';
