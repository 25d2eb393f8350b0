// Node-only: checkpoints as a directory of config.json, model.safetensors (each unique tensor once),
// tokenizer.json, optimizer.safetensors and trainer.json. Saving writes a fresh directory and swaps
// it in with renames, so a run killed mid-save leaves the previous checkpoint intact.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveConfig, type ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { tokenizerFromJSON, type Tokenizer } from '../train/tokenizer.js';
import type { TrainConfig, TrainerState } from '../train/trainer.js';
import type { AdamWState } from '../train/adamw.js';
import { readSafetensors, toFloat32, writeSafetensors, type TensorToWrite } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'shareformer-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointMeta {
  /** Where the training text came from and how many characters a token covers on average. */
  data: { source: string; tokenizer: string; charsPerToken: number; valFraction: number };
  train: TrainConfig;
}

export interface Checkpoint {
  lm: TransformerLM;
  tokenizer: Tokenizer;
  meta: CheckpointMeta;
  /** Present when saved by a training run (needed to resume). */
  trainer?: TrainerState;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

function writeDurable(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch { /* not supported on every platform; the renames are still atomic */ }
}

/** Writes the checkpoint to `dir` atomically (a new directory, then two renames). */
export function saveCheckpoint(dir: string, ckpt: Checkpoint): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`, old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const { lm, tokenizer, meta, trainer } = ckpt;
  const config = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model: lm.config,
    plan: { attnSet: lm.plan.attnSet, ffnSet: lm.plan.ffnSet, kv: lm.plan.kv, attention: lm.plan.attention },
    parameters: lm.parameterCount().total, ...meta,
  };
  writeDurable(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, p] of lm.params) tensors[name] = { shape: p.shape, data: p.data };
  writeDurable(join(tmp, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt', producer: 'shareformer' }));
  writeDurable(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()) + '\n');
  if (trainer) {
    const { names, steps, m, v } = trainer.optimizer;
    const opt: Record<string, TensorToWrite> = {};
    names.forEach((n, i) => {
      const shape = lm.params.get(n)?.shape;
      if (!shape) throw new CheckpointError(`saveCheckpoint: optimizer state for unknown parameter "${n}"`);
      opt[`m.${n}`] = { shape, data: m[i]! };
      opt[`v.${n}`] = { shape, data: v[i]! };
    });
    writeDurable(join(tmp, 'optimizer.safetensors'), writeSafetensors(opt, { steps: JSON.stringify(steps), names: JSON.stringify(names) }));
    const { optimizer: _omit, ...rest } = trainer;
    writeDurable(join(tmp, 'trainer.json'), JSON.stringify(rest) + '\n');
  }
  syncDir(tmp);
  // The swap: until the second rename, either `dir` or `dir.old` holds a complete checkpoint.
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  syncDir(parent);
  rmSync(old, { recursive: true, force: true });
}

/** The checkpoint directory for a path given by the user: a run directory or the checkpoint itself. */
export function resolveCheckpointDir(path: string): string {
  const candidates = [path, join(path, 'checkpoint')];
  for (const c of candidates) {
    if (existsSync(join(c, 'config.json'))) return c;
    // A save interrupted between its two renames leaves the previous checkpoint at <dir>.old.
    if (!existsSync(c) && existsSync(join(`${c}.old`, 'config.json'))) return `${c}.old`;
  }
  if (!existsSync(path)) throw new CheckpointError(`checkpoint ${path}: no such directory`);
  if (!statSync(path).isDirectory()) throw new CheckpointError(`checkpoint ${path}: not a directory`);
  throw new CheckpointError(`checkpoint ${path}: no config.json here or in ${join(path, 'checkpoint')} (is this a shareformer run or checkpoint directory?)`);
}

function readJSON(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the checkpoint is incomplete`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
}

function readTensors(path: string) {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the checkpoint is incomplete`);
  }
  try {
    return readSafetensors(bytes, path);
  } catch (e) {
    throw new CheckpointError(`${(e as Error).message} (the file is damaged)`);
  }
}

/** Loads and validates a checkpoint; `path` may be a run directory or a checkpoint directory. */
export function loadCheckpoint(path: string): Checkpoint {
  const dir = resolveCheckpointDir(path);
  const cfgPath = join(dir, 'config.json');
  const raw = readJSON(cfgPath) as Record<string, unknown>;
  if (raw.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${cfgPath}: "format" is ${JSON.stringify(raw.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (raw.version !== CHECKPOINT_VERSION) throw new CheckpointError(`${cfgPath}: version ${JSON.stringify(raw.version)} is not supported (this shareformer reads version ${CHECKPOINT_VERSION})`);
  let config: ModelConfig;
  try {
    config = resolveConfig(raw.model as Partial<ModelConfig>);
  } catch (e) {
    throw new CheckpointError(`${cfgPath}: ${(e as Error).message}`);
  }
  const lm = new TransformerLM(config);
  const modelPath = join(dir, 'model.safetensors');
  const model = readTensors(modelPath);
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of model.tensors) {
    const p = lm.params.get(name);
    if (p && t.shape.join() !== p.shape.join()) {
      throw new CheckpointError(`${modelPath}: tensor "${name}" has shape [${t.shape.join(', ')}], the config needs [${p.shape.join(', ')}]`);
    }
    try {
      weights.set(name, toFloat32(t));
    } catch {
      throw new CheckpointError(`${modelPath}: tensor "${name}" has dtype ${t.dtype}, expected a floating type`);
    }
  }
  try {
    lm.loadWeights(weights, modelPath);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  const tokPath = join(dir, 'tokenizer.json');
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(readJSON(tokPath), tokPath);
  } catch (e) {
    throw e instanceof CheckpointError ? e : new CheckpointError((e as Error).message);
  }
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new CheckpointError(`${tokPath}: the tokenizer has ${tokenizer.vocabSize} tokens but ${cfgPath} says vocabSize ${config.vocabSize}`);
  }
  const meta = { data: raw.data, train: raw.train } as CheckpointMeta;
  const ckpt: Checkpoint = { lm, tokenizer, meta };
  if (existsSync(join(dir, 'trainer.json'))) ckpt.trainer = loadTrainerState(dir, lm);
  return ckpt;
}

function loadTrainerState(dir: string, lm: TransformerLM): TrainerState {
  const statePath = join(dir, 'trainer.json'), optPath = join(dir, 'optimizer.safetensors');
  const state = readJSON(statePath) as Omit<TrainerState, 'optimizer'>;
  if (!Number.isInteger(state.step) || state.step < 0) throw new CheckpointError(`${statePath}: "step" must be a non-negative integer`);
  const opt = readTensors(optPath);
  let steps: number[], names: string[];
  try {
    steps = JSON.parse(opt.metadata.steps ?? 'null');
    names = JSON.parse(opt.metadata.names ?? 'null');
  } catch {
    throw new CheckpointError(`${optPath}: metadata "steps" or "names" is not JSON`);
  }
  const expected = [...lm.params.keys()].sort().join();
  if (!Array.isArray(names) || [...names].sort().join() !== expected) throw new CheckpointError(`${optPath}: metadata "names" must list every model parameter once`);
  if (!Array.isArray(steps) || steps.length !== names.length) throw new CheckpointError(`${optPath}: metadata "steps" must list one step count per parameter (${names.length})`);
  const get = (key: string, size: number): Float32Array => {
    const t = opt.tensors.get(key);
    if (!t) throw new CheckpointError(`${optPath}: missing tensor "${key}"`);
    const data = toFloat32(t);
    if (data.length !== size) throw new CheckpointError(`${optPath}: tensor "${key}" has ${data.length} values, the parameter has ${size}`);
    return data.slice();
  };
  const optimizer: AdamWState = {
    names,
    steps,
    m: names.map((n) => get(`m.${n}`, lm.params.get(n)!.size)),
    v: names.map((n) => get(`v.${n}`, lm.params.get(n)!.size)),
  };
  return { ...state, optimizer };
}
