// Node-only: checkpoints on disk. A checkpoint is a directory of the files checkpoint-files.ts
// encodes and validates; saving replaces the directory atomically (atomic-dir.ts), so any sequence
// of kills leaves the newest complete checkpoint loadable. Loading reads a run directory, a
// checkpoint directory, or a zip of one (what the playground downloads).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { ModelConfig } from '../model/config.js';
import { parameterLayout } from '../model/parameters.js';
import { completeVersion, replaceDir, SimulatedKill, writeAll, writeDurable, type FsStepHook } from './atomic-dir.js';
import {
  CheckpointError,
  checkpointInZip,
  configJSON,
  decodeCheckpoint,
  encodeCheckpoint,
  memorySource,
  readCheckpointConfigFile,
  type Checkpoint,
  type CheckpointMeta,
  type CheckpointOrigin,
  type CheckpointSource,
  type LoadOptions,
  type WeightsDtype,
} from './checkpoint-files.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { ensureMemory } from './memory.js';
import { safetensorsHeader } from './safetensors.js';

export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  INT8_QUANTIZATION,
  SCALE_SUFFIX,
  type Checkpoint,
  type CheckpointMeta,
  type CheckpointOrigin,
  type LoadOptions,
  type WeightsDtype,
} from './checkpoint-files.js';

export interface SaveOptions {
  /** Called before every file-system step (tests inject kills and full disks here). */
  onStep?: FsStepHook;
  /** Precision of model.safetensors (default fp32; the optimizer state stays float32). */
  weightsDtype?: WeightsDtype;
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

/** Writes the checkpoint to `dir` atomically. A failed save removes its partial files. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, options: SaveOptions = {}): void {
  const hook = options.onStep ?? (() => {});
  replaceDir(
    dir,
    (tmp) => {
      for (const [file, data] of encodeCheckpoint(ckpt, options.weightsDtype))
        writing(dir, file, hook, () => writeDurable(join(tmp, file), data));
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

/** The model config of a checkpoint, validated, without reading any weights (for the analyzer). */
export function readCheckpointConfig(path: string): ModelConfig {
  return readCheckpointConfigFile(checkpointSource(path)).config;
}

/** Loads and validates a checkpoint; `path` may be a run directory, a checkpoint directory or a .zip of either. */
export function loadCheckpoint(path: string, options: LoadOptions = {}): Checkpoint {
  return decodeCheckpoint(checkpointSource(path), { ...options, beforeAllocate: ensureMemory });
}

/** The files of the checkpoint at `path`: a directory, or a zip archive of one (as the playground downloads). */
export function checkpointSource(path: string): CheckpointSource {
  if (/\.zip$/i.test(path) && existsSync(path) && statSync(path).isFile()) return zipSource(path);
  const dir = resolveCheckpointDir(path);
  return {
    freshReads: true,
    path: (file) => join(dir, file),
    has: (file) => existsSync(join(dir, file)),
    read(file) {
      try {
        const buf = readFileSync(join(dir, file));
        // A view of the Buffer's memory: `new Uint8Array(buffer)` would copy it element by element.
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new CheckpointError(`${join(dir, file)}: cannot read (${code}); the checkpoint is incomplete`);
      }
    },
  };
}

/** A zip holding the checkpoint's files at its top level or inside one folder. */
function zipSource(path: string): CheckpointSource {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(path));
  } catch (e) {
    throw new CheckpointError(`${path}: not a readable zip archive (${(e as Error).message})`);
  }
  const { label, files } = checkpointInZip(entries, path);
  return memorySource(files, label);
}
