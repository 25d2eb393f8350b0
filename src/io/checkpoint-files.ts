// Checkpoints as files, in Node and browsers alike: what each file of a checkpoint holds
// (config.json, model.safetensors with each unique tensor once, tokenizer.json,
// optimizer.safetensors, trainer.json), encoded to bytes, and decoded from any source of files
// (a directory, a zip archive, files a page was given). Decoding trusts nothing: every JSON file is
// checked against its schema, the stored sharing plan against the one the fields define, tensor
// names and shapes against the config before the model is allocated, and every weight for NaN and
// infinity. Where files live and how they are written atomically is checkpoint.ts's concern.
import type { z } from 'zod';
import { planOf, resolveConfig, type ModelConfig } from '../model/config.js';
import { parameterLayout } from '../model/parameters.js';
import { buildPlan } from '../model/plan.js';
import { TransformerLM } from '../model/transformer.js';
import { parseWith } from '../schema/validate.js';
import type { QuantizedWeight } from '../tensor/ops/quantized.js';
import { floatToBf16, floatToHalf, halfToFloat } from '../tensor/precision.js';
import { tokenizerFromJSON, type Tokenizer } from '../text/tokenizer.js';
import type { AdamWState } from '../train/adamw.js';
import type { TrainConfig, TrainerState } from '../train/trainer.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkpointConfigSchema,
  trainerStateSchema,
  type originSchema,
  type CheckpointConfigJSON,
} from './checkpoint-schema.js';
import {
  readSafetensors,
  toFloat32,
  writeSafetensors,
  type SafetensorsFile,
  type StoredTensor,
  type TensorToWrite,
} from './safetensors.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION };

export interface CheckpointMeta {
  /** Where the training text came from, how many characters a token covers, its SHA-256. */
  data: { source: string; tokenizer: string; charsPerToken: number; valFraction: number; sha256?: string };
  train: TrainConfig;
}

/** Where a checkpoint's weights came from when they were not trained here. */
export type CheckpointOrigin = z.output<typeof originSchema>;

export interface Checkpoint {
  lm: TransformerLM;
  origin?: CheckpointOrigin;
  tokenizer: Tokenizer;
  meta: CheckpointMeta;
  /** Present when saved by a training run (needed to resume). */
  trainer?: TrainerState;
  /** The precision model.safetensors was stored in (set by loadCheckpoint). */
  weightsDtype?: WeightsDtype;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export type WeightsDtype = 'fp32' | 'fp16' | 'bf16';

/** A float32 tensor in the stored precision. */
function stored(
  shape: readonly number[],
  data: Float32Array,
  precision: WeightsDtype | 'exact' = 'fp32',
): TensorToWrite {
  const dtype = precision === 'exact' ? exactDtype(data) : precision;
  if (dtype === 'fp32') return { shape, data };
  const narrow = dtype === 'fp16' ? floatToHalf : floatToBf16;
  return { shape, data: Uint16Array.from(data, narrow), dtype: dtype === 'fp16' ? 'F16' : 'BF16' };
}

/**
 * The narrowest precision that holds a tensor exactly: bf16 when each float32's low 16 bits are
 * zero (weights imported from a bf16 checkpoint and not trained since), fp16 when each survives
 * the round trip, else fp32. Stored in it, the tensor loses nothing in half the bytes.
 */
export function exactDtype(data: Float32Array): WeightsDtype {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let bf16 = true;
  for (let i = 0; i < bits.length && bf16; i++) bf16 = (bits[i]! & 0xffff) === 0;
  if (bf16) return 'bf16';
  for (let i = 0; i < data.length; i++) if (halfToFloat(floatToHalf(data[i]!)) !== data[i]) return 'fp32';
  return 'fp16';
}

export const INT8_QUANTIZATION = { weights: 'int8', scheme: 'symmetric-per-output-channel' } as const;
/** The float32 per-row scales of an int8 tensor are stored beside it under this suffix. */
export const SCALE_SUFFIX = '_scale';

export function configJSON(config: ModelConfig, meta: CheckpointMeta, origin?: CheckpointOrigin, int8 = false): string {
  const plan = planOf(config);
  const parameters = parameterLayout(config, plan).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const json = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    model: config,
    plan: { attnSet: plan.attnSet, ffnSet: plan.ffnSet, kv: plan.kv, attention: plan.attention },
    parameters,
    ...meta,
    ...(origin && { origin }),
    ...(int8 && { quantization: INT8_QUANTIZATION }),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** The files of a checkpoint, in the order they are written (JSON as text, tensors as bytes). */
export function encodeCheckpoint(
  ckpt: Checkpoint,
  weightsDtype: WeightsDtype | 'exact' = 'fp32',
): Array<[string, Uint8Array | string]> {
  const { lm, tokenizer, meta, trainer } = ckpt;
  const files: Array<[string, Uint8Array | string]> = [];
  files.push(['config.json', configJSON(lm.config, meta, ckpt.origin, lm.quantized.size > 0)]);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, p] of lm.params) tensors[name] = stored(p.shape, p.data, weightsDtype);
  for (const [name, w] of lm.quantized) {
    tensors[name] = { shape: w.shape, data: w.q, dtype: 'I8' };
    tensors[`${name}${SCALE_SUFFIX}`] = { shape: [w.shape[0]], data: w.scales };
  }
  files.push(['model.safetensors', writeSafetensors(tensors, { format: 'pt', producer: 'shareformer' })]);
  files.push(['tokenizer.json', `${JSON.stringify(tokenizer.toJSON())}\n`]);
  if (trainer) {
    files.push(['optimizer.safetensors', optimizerFile(lm, trainer.optimizer)]);
    const { optimizer: _omit, ...rest } = trainer;
    files.push(['trainer.json', `${JSON.stringify(rest)}\n`]);
  }
  return files;
}

function optimizerFile(lm: TransformerLM, state: AdamWState): Uint8Array {
  const { names, steps, m, v } = state;
  const tensors: Record<string, TensorToWrite> = {};
  names.forEach((n, i) => {
    const shape = lm.params.get(n)?.shape;
    if (!shape) throw new CheckpointError(`saveCheckpoint: optimizer state for unknown parameter "${n}"`);
    tensors[`m.${n}`] = { shape, data: m[i]! };
    tensors[`v.${n}`] = { shape, data: v[i]! };
  });
  return writeSafetensors(tensors, { steps: JSON.stringify(steps), names: JSON.stringify(names) });
}

/**
 * Where a checkpoint's files are read from. `read` throws a CheckpointError naming the file when it
 * is missing or unreadable; `path` names a file in messages.
 */
export interface CheckpointSource {
  path(file: string): string;
  has(file: string): boolean;
  read(file: string): Uint8Array;
  /** Each read returns fresh bytes nothing else holds: the model's weights may live in them. */
  freshReads?: boolean;
}

/** A source over files held in memory (a page's uploaded files, an unpacked archive). */
export function memorySource(files: ReadonlyMap<string, Uint8Array>, label: string): CheckpointSource {
  const path = (file: string) => `${label}/${file}`;
  return {
    path,
    has: (file) => files.has(file),
    read(file) {
      const bytes = files.get(file);
      if (!bytes) throw new CheckpointError(`${path(file)}: missing; the checkpoint is incomplete`);
      return bytes;
    },
  };
}

/**
 * The checkpoint inside an unpacked zip (what the playground downloads): its files at the top of
 * the archive or inside one folder, named relative to it; `archive` names the zip in messages.
 */
export function checkpointInZip(
  entries: Record<string, Uint8Array>,
  archive: string,
): { label: string; files: Map<string, Uint8Array> } {
  const configs = Object.keys(entries).filter((n) => n === 'config.json' || /^[^/]+\/config\.json$/.test(n));
  if (configs.length !== 1)
    throw new CheckpointError(
      configs.length === 0
        ? `${archive}: no config.json at the top of the archive or in one folder (is this a shareformer checkpoint?)`
        : `${archive}: ${configs.length} checkpoints in one archive (${configs.join(', ')}); give one`,
    );
  const prefix = configs[0]!.slice(0, -'config.json'.length);
  const files = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(entries))
    if (name.startsWith(prefix) && !name.endsWith('/')) files.set(name.slice(prefix.length), bytes);
  return { label: `${archive}:${prefix}`.replace(/[:/]$/, ''), files };
}

function readJSON(src: CheckpointSource, file: string): unknown {
  const text = new TextDecoder().decode(src.read(file));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${src.path(file)}: not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
}

function readTensors(src: CheckpointSource, file: string): SafetensorsFile {
  const bytes = src.read(file);
  try {
    return readSafetensors(bytes, src.path(file), src.freshReads === true);
  } catch (e) {
    throw new CheckpointError(`${(e as Error).message} (the file is damaged)`);
  }
}

const asCheckpointError = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw e instanceof CheckpointError ? e : new CheckpointError((e as Error).message);
  }
};

/** A checkpoint's config.json, validated against its schema and its own sharing plan. */
export function readCheckpointConfigFile(src: CheckpointSource): { json: CheckpointConfigJSON; config: ModelConfig } {
  const cfgPath = src.path('config.json');
  const raw = readJSON(src, 'config.json');
  const json = asCheckpointError(() => parseWith(checkpointConfigSchema, raw, cfgPath));
  const config = asCheckpointError(() => {
    try {
      return resolveConfig(json.model as Partial<ModelConfig>);
    } catch (e) {
      throw new CheckpointError(`${cfgPath}: model: ${(e as Error).message}`);
    }
  });
  const plan = buildPlan(
    { weights: config.shareWeights, scope: config.shareScope, kv: config.shareKv, attention: config.shareAttention },
    config.layers,
  );
  for (const key of ['attnSet', 'ffnSet', 'kv', 'attention'] as const) {
    if (json.plan[key].join() !== plan[key].join()) {
      throw new CheckpointError(
        `${cfgPath}: plan.${key} is [${json.plan[key]}] but the model fields define [${plan[key]}]; the file was edited or is corrupt`,
      );
    }
  }
  return { json, config };
}

/** Names, shapes and finiteness of the stored weights, checked before the model is allocated. */
function checkWeights(
  modelPath: string,
  file: SafetensorsFile,
  config: ModelConfig,
): { weights: Map<string, Float32Array>; quantized: Map<string, QuantizedWeight> } {
  const layout = parameterLayout(config);
  const expected = new Map(layout.map((p) => [p.name, p.shape]));
  for (const [name, shape] of expected) {
    const t = file.tensors.get(name);
    if (!t) throw new CheckpointError(`${modelPath}: missing parameter "${name}" [${shape.join(', ')}]`);
    if (t.shape.join() !== shape.join()) {
      throw new CheckpointError(
        `${modelPath}: tensor "${name}" has shape [${t.shape.join(', ')}], the config needs [${shape.join(', ')}]`,
      );
    }
  }
  const isScale = (name: string) =>
    name.endsWith(SCALE_SUFFIX) && file.tensors.get(name.slice(0, -SCALE_SUFFIX.length))?.dtype === 'I8';
  for (const name of file.tensors.keys()) {
    if (!expected.has(name) && !isScale(name))
      throw new CheckpointError(`${modelPath}: unexpected parameter "${name}" (not in this config's sharing plan)`);
  }
  const weights = new Map<string, Float32Array>();
  const quantized = new Map<string, QuantizedWeight>();
  for (const [name, t] of file.tensors) {
    if (isScale(name)) continue;
    if (t.dtype === 'I8') {
      quantized.set(name, int8Weight(modelPath, file, name, t));
      continue;
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
      throw new CheckpointError(`${modelPath}: tensor "${name}" has dtype ${t.dtype}, expected a floating type or I8`);
    }
    const data = toFloat32(t);
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      throw new CheckpointError(
        `${modelPath}: tensor "${name}" holds ${data[bad]} at index ${bad}; the weights are not finite (the run diverged or the file is corrupt)`,
      );
    }
    weights.set(name, data);
  }
  return { weights, quantized };
}

/** Index of the first NaN or ±Infinity, or −1 (x − x is NaN exactly for those: a loop V8 keeps tight). */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}

/** An I8 matrix and its F32 row scales, checked. */
function int8Weight(modelPath: string, file: SafetensorsFile, name: string, t: StoredTensor): QuantizedWeight {
  const scaleName = `${name}${SCALE_SUFFIX}`;
  const scale = file.tensors.get(scaleName);
  if (t.shape.length !== 2)
    throw new CheckpointError(
      `${modelPath}: int8 tensor "${name}" must be a matrix [out, in], got [${t.shape.join(', ')}]`,
    );
  if (!scale)
    throw new CheckpointError(
      `${modelPath}: int8 tensor "${name}" has no "${scaleName}" (F32 [${t.shape[0]}], one scale per output row)`,
    );
  if (scale.dtype !== 'F32' || scale.shape.join() !== String(t.shape[0]))
    throw new CheckpointError(
      `${modelPath}: "${scaleName}" must be F32 [${t.shape[0]}], got ${scale.dtype} [${scale.shape.join(', ')}]`,
    );
  const scales = scale.data as Float32Array;
  const bad = scales.findIndex((x) => !Number.isFinite(x) || x < 0);
  if (bad >= 0) throw new CheckpointError(`${modelPath}: "${scaleName}" holds ${scales[bad]} at row ${bad}`);
  return { q: t.data as Int8Array, scales, shape: [t.shape[0]!, t.shape[1]!] };
}

export interface LoadOptions {
  /** Also read the optimizer and trainer state (needed to resume; eval and generate skip it). */
  trainer?: boolean;
}

export interface DecodeOptions extends LoadOptions {
  /** Called with the bytes the model will take before it is allocated (Node refuses what will not fit). */
  beforeAllocate?(bytes: number, what: string): void;
}

/** Decodes and validates a checkpoint from its files. */
export function decodeCheckpoint(src: CheckpointSource, options: DecodeOptions = {}): Checkpoint {
  const cfgPath = src.path('config.json');
  const { json, config } = readCheckpointConfigFile(src);
  const modelPath = src.path('model.safetensors');
  const parameters = parameterLayout(config).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  if (json.parameters !== parameters) {
    throw new CheckpointError(
      `${cfgPath}: "parameters" is ${json.parameters} but the model fields define ${parameters}; the file was edited or is corrupt`,
    );
  }
  options.beforeAllocate?.(
    parameters * 4 * (options.trainer ? 4 : 1),
    `loading ${modelPath} (${parameters.toLocaleString()} parameters)`,
  );
  const file = readTensors(src, 'model.safetensors');
  const { weights, quantized } = checkWeights(modelPath, file, config);
  const dtypes = new Set([...file.tensors.values()].map((t) => t.dtype));
  const lm = new TransformerLM(config, null);
  asCheckpointError(() => lm.loadQuantized(quantized, modelPath));
  // The model takes the loaded arrays as its parameters: nothing else holds them.
  asCheckpointError(() => lm.loadWeights(weights, modelPath, { adopt: true }));
  const tokPath = src.path('tokenizer.json');
  const tokenizer = asCheckpointError(() => tokenizerFromJSON(readJSON(src, 'tokenizer.json'), tokPath));
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new CheckpointError(
      `${tokPath}: the tokenizer has ${tokenizer.vocabSize} tokens but ${cfgPath} says vocabSize ${config.vocabSize}`,
    );
  }
  const ckpt: Checkpoint = {
    lm,
    tokenizer,
    meta: { data: json.data, train: json.train },
    ...(json.origin && { origin: json.origin }),
    weightsDtype: dtypes.has('F16') ? 'fp16' : dtypes.has('BF16') ? 'bf16' : 'fp32',
  };
  if (options.trainer && src.has('trainer.json')) ckpt.trainer = loadTrainerState(src, lm);
  return ckpt;
}

function loadTrainerState(src: CheckpointSource, lm: TransformerLM): TrainerState {
  const statePath = src.path('trainer.json');
  const optPath = src.path('optimizer.safetensors');
  const state = asCheckpointError(() => parseWith(trainerStateSchema, readJSON(src, 'trainer.json'), statePath));
  for (const rng of ['sampler', 'dropout'] as const) {
    const s = state[rng].s;
    if (s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) || s.every((v) => v === 0)) {
      throw new CheckpointError(
        `${statePath}: ${rng}.s must be four 32-bit unsigned integers, not all zero, got [${s}]`,
      );
    }
  }
  const opt = readTensors(src, 'optimizer.safetensors');
  let steps: unknown;
  let names: unknown;
  try {
    steps = JSON.parse(opt.metadata.steps ?? 'null');
    names = JSON.parse(opt.metadata.names ?? 'null');
  } catch {
    throw new CheckpointError(`${optPath}: metadata "steps" or "names" is not JSON`);
  }
  const expected = [...lm.params.keys()].sort().join();
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string') || [...names].sort().join() !== expected) {
    throw new CheckpointError(`${optPath}: metadata "names" must list every model parameter once`);
  }
  if (!Array.isArray(steps) || steps.length !== names.length || steps.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new CheckpointError(
      `${optPath}: metadata "steps" must list one non-negative step count per parameter (${names.length})`,
    );
  }
  const get = (key: string, size: number): Float32Array => {
    const t = opt.tensors.get(key);
    if (!t) throw new CheckpointError(`${optPath}: missing tensor "${key}"`);
    if (t.dtype !== 'F32') throw new CheckpointError(`${optPath}: tensor "${key}" has dtype ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    if (data.length !== size)
      throw new CheckpointError(`${optPath}: tensor "${key}" has ${data.length} values, the parameter has ${size}`);
    if (!data.every(Number.isFinite)) throw new CheckpointError(`${optPath}: tensor "${key}" holds non-finite values`);
    return data.slice();
  };
  const optimizer: AdamWState = {
    names: names as string[],
    steps: steps as number[],
    m: (names as string[]).map((n) => get(`m.${n}`, lm.params.get(n)!.size)),
    v: (names as string[]).map((n) => get(`v.${n}`, lm.params.get(n)!.size)),
  };
  return { ...state, optimizer };
}
