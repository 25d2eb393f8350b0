// Node-only: checkpoints as a directory of config.json, model.safetensors (each unique tensor once),
// tokenizer.json, optimizer.safetensors and trainer.json. Saving replaces the directory atomically
// (atomic-dir.ts), so any sequence of kills leaves the newest complete checkpoint loadable.
// Loading trusts nothing: every JSON file is checked against its schema, the stored sharing plan
// against the one the fields define, tensor names and shapes against the config before the model
// is allocated, and every weight for NaN and infinity.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { planOf, resolveConfig, type ModelConfig } from '../model/config.js';
import { parameterLayout } from '../model/parameters.js';
import { buildPlan } from '../model/plan.js';
import { TransformerLM } from '../model/transformer.js';
import { parseWith } from '../schema/validate.js';
import type { QuantizedWeight } from '../tensor/ops/quantized.js';
import { floatToBf16, floatToHalf } from '../tensor/precision.js';
import { tokenizerFromJSON, type Tokenizer } from '../text/tokenizer.js';
import type { AdamWState } from '../train/adamw.js';
import type { TrainConfig, TrainerState } from '../train/trainer.js';
import { completeVersion, replaceDir, SimulatedKill, writeAll, writeDurable, type FsStepHook } from './atomic-dir.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkpointConfigSchema,
  trainerStateSchema,
  type originSchema,
  type CheckpointConfigJSON,
} from './checkpoint-schema.js';
import { ensureMemory } from './memory.js';
import {
  readSafetensors,
  safetensorsHeader,
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

export interface SaveOptions {
  /** Called before every file-system step (tests inject kills and full disks here). */
  onStep?: FsStepHook;
  /** Precision of model.safetensors (default fp32; the optimizer state stays float32). */
  weightsDtype?: WeightsDtype;
}

export type WeightsDtype = 'fp32' | 'fp16' | 'bf16';

/** A float32 tensor in the stored precision. */
function stored(shape: readonly number[], data: Float32Array, dtype: WeightsDtype = 'fp32'): TensorToWrite {
  if (dtype === 'fp32') return { shape, data };
  const narrow = dtype === 'fp16' ? floatToHalf : floatToBf16;
  return { shape, data: Uint16Array.from(data, narrow), dtype: dtype === 'fp16' ? 'F16' : 'BF16' };
}

/** Runs one file's write; a failure says which file and why, and that the previous checkpoint is kept. */
function writing(dir: string, file: string, hook: FsStepHook, write: () => void): void {
  try {
    hook(`write ${file}`);
    write();
  } catch (e) {
    if (e instanceof SimulatedKill) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'the disk is full (a save needs room for two checkpoints)' : (e as Error).message;
    throw new CheckpointError(`saving ${join(dir, file)}: ${why}; the previous checkpoint is kept`);
  }
}

export const INT8_QUANTIZATION = { weights: 'int8', scheme: 'symmetric-per-output-channel' } as const;
/** The float32 per-row scales of an int8 tensor are stored beside it under this suffix. */
export const SCALE_SUFFIX = '_scale';

function configJSON(config: ModelConfig, meta: CheckpointMeta, origin?: CheckpointOrigin, int8 = false): string {
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

/** Writes the checkpoint to `dir` atomically. A failed save removes its partial files. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, options: SaveOptions = {}): void {
  const hook = options.onStep ?? (() => {});
  replaceDir(
    dir,
    (tmp) => {
      const { lm, tokenizer, meta, trainer } = ckpt;
      const write = (file: string, data: Uint8Array | string) =>
        writing(dir, file, hook, () => writeDurable(join(tmp, file), data));
      write('config.json', configJSON(lm.config, meta, ckpt.origin, lm.quantized.size > 0));
      const tensors: Record<string, TensorToWrite> = {};
      for (const [name, p] of lm.params) tensors[name] = stored(p.shape, p.data, options.weightsDtype);
      for (const [name, w] of lm.quantized) {
        tensors[name] = { shape: w.shape, data: w.q, dtype: 'I8' };
        tensors[`${name}${SCALE_SUFFIX}`] = { shape: [w.shape[0]], data: w.scales };
      }
      write('model.safetensors', writeSafetensors(tensors, { format: 'pt', producer: 'shareformer' }));
      write('tokenizer.json', `${JSON.stringify(tokenizer.toJSON())}\n`);
      if (trainer) {
        write('optimizer.safetensors', optimizerFile(lm, trainer.optimizer));
        const { optimizer: _omit, ...rest } = trainer;
        write('trainer.json', `${JSON.stringify(rest)}\n`);
      }
    },
    hook,
  );
}

export interface WeightsToSave {
  config: ModelConfig;
  tokenizer: Tokenizer;
  meta: CheckpointMeta;
  origin?: CheckpointOrigin;
  /** Each parameter of the config's layout, produced one at a time as it is written. */
  read(name: string): Float32Array;
}

/**
 * Writes a checkpoint (no trainer state) from weights produced one tensor at a time, without
 * building the model: memory stays at one tensor however large the model is (import uses this).
 */
export function saveWeightsCheckpoint(dir: string, w: WeightsToSave, options: SaveOptions = {}): void {
  const hook = options.onStep ?? (() => {});
  const layout = parameterLayout(w.config);
  replaceDir(
    dir,
    (tmp) => {
      const write = (file: string, data: Uint8Array | string) =>
        writing(dir, file, hook, () => writeDurable(join(tmp, file), data));
      write('config.json', configJSON(w.config, w.meta, w.origin));
      writing(dir, 'model.safetensors', hook, () => {
        const entries = layout.map((p) => ({ name: p.name, dtype: 'F32' as const, shape: p.shape }));
        const fd = openSync(join(tmp, 'model.safetensors'), 'w');
        try {
          writeAll(fd, safetensorsHeader(entries, { format: 'pt', producer: 'shareformer' }));
          for (const p of layout) {
            const data = w.read(p.name);
            const size = p.shape.reduce((a, b) => a * b, 1);
            if (data.length !== size)
              throw new CheckpointError(`${p.name}: ${data.length} values for shape [${p.shape.join(', ')}]`);
            writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          }
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      });
      write('tokenizer.json', `${JSON.stringify(w.tokenizer.toJSON())}\n`);
    },
    hook,
  );
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

/** The checkpoint directory for a path given by the user: a run directory or the checkpoint itself. */
export function resolveCheckpointDir(path: string): string {
  for (const c of [join(path, 'checkpoint'), path]) {
    const complete = completeVersion(c);
    if (complete && existsSync(join(complete, 'config.json'))) return complete;
  }
  if (!existsSync(path)) throw new CheckpointError(`checkpoint ${path}: no such directory`);
  if (!statSync(path).isDirectory()) throw new CheckpointError(`checkpoint ${path}: not a directory`);
  throw new CheckpointError(
    `checkpoint ${path}: no config.json here or in ${join(path, 'checkpoint')} (is this a shareformer run or checkpoint directory?)`,
  );
}

function readJSON(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${errCode(e)}); the checkpoint is incomplete`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
}

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function readTensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(path);
    // A view of the Buffer's memory: `new Uint8Array(buffer)` would copy it element by element.
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${errCode(e)}); the checkpoint is incomplete`);
  }
  try {
    return readSafetensors(bytes, path);
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

function readConfig(cfgPath: string): { json: CheckpointConfigJSON; config: ModelConfig } {
  const raw = readJSON(cfgPath);
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
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new CheckpointError(
        `${modelPath}: tensor "${name}" holds ${data[bad]} at index ${bad}; the weights are not finite (the run diverged or the file is corrupt)`,
      );
    }
    weights.set(name, data);
  }
  return { weights, quantized };
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

/** The model config of a checkpoint, validated, without reading any weights (for the analyzer). */
export function readCheckpointConfig(path: string): ModelConfig {
  const dir = resolveCheckpointDir(path);
  return readConfig(join(dir, 'config.json')).config;
}

export interface LoadOptions {
  /** Also read the optimizer and trainer state (needed to resume; eval and generate skip it). */
  trainer?: boolean;
}

/** Loads and validates a checkpoint; `path` may be a run directory or a checkpoint directory. */
export function loadCheckpoint(path: string, options: LoadOptions = {}): Checkpoint {
  const dir = resolveCheckpointDir(path);
  const cfgPath = join(dir, 'config.json');
  const { json, config } = readConfig(cfgPath);
  const modelPath = join(dir, 'model.safetensors');
  const parameters = parameterLayout(config).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  if (json.parameters !== parameters) {
    throw new CheckpointError(
      `${cfgPath}: "parameters" is ${json.parameters} but the model fields define ${parameters}; the file was edited or is corrupt`,
    );
  }
  ensureMemory(
    parameters * 4 * (options.trainer ? 4 : 1),
    `loading ${modelPath} (${parameters.toLocaleString()} parameters)`,
  );
  const file = readTensors(modelPath);
  const { weights, quantized } = checkWeights(modelPath, file, config);
  const dtypes = new Set([...file.tensors.values()].map((t) => t.dtype));
  const lm = new TransformerLM(config, null);
  asCheckpointError(() => lm.loadQuantized(quantized, modelPath));
  asCheckpointError(() => lm.loadWeights(weights, modelPath));
  const tokPath = join(dir, 'tokenizer.json');
  const tokenizer = asCheckpointError(() => tokenizerFromJSON(readJSON(tokPath), tokPath));
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
  if (options.trainer && existsSync(join(dir, 'trainer.json'))) ckpt.trainer = loadTrainerState(dir, lm);
  return ckpt;
}

function loadTrainerState(dir: string, lm: TransformerLM): TrainerState {
  const statePath = join(dir, 'trainer.json');
  const optPath = join(dir, 'optimizer.safetensors');
  const state = asCheckpointError(() => parseWith(trainerStateSchema, readJSON(statePath), statePath));
  for (const rng of ['sampler', 'dropout'] as const) {
    const s = state[rng].s;
    if (s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) || s.every((v) => v === 0)) {
      throw new CheckpointError(
        `${statePath}: ${rng}.s must be four 32-bit unsigned integers, not all zero, got [${s}]`,
      );
    }
  }
  const opt = readTensors(optPath);
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
