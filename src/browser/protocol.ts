// The messages between a page and the shareformer Worker (worker.ts): what the page asks for and
// what the worker reports. Plain structured-cloneable objects; tensors travel as Uint8Array files.
import type { GgufWeightType } from '../io/gguf/gguf-export.js';
import type { ModelConfig } from '../model/config.js';
import type { GenerationStats } from '../generate/generate.js';
import type { TrainConfig } from '../train/trainer.js';

export type TokenizerChoice = 'char' | 'byte';

export interface TrainRequest {
  type: 'train';
  run: string;
  model: Partial<ModelConfig>;
  train: Partial<TrainConfig>;
  text: string;
  /** Where the text came from (the checkpoint records it). */
  source: string;
  tokenizer?: TokenizerChoice;
  valFraction?: number;
}

export interface GenerateRequest {
  type: 'generate';
  run: string;
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/**
 * Convert run `from` into a new run: its size, the sharing fields of `model` (the rest of `model`
 * is ignored), calibrated on `text` split as the source split its own, then uptrained for
 * `uptrain` steps (0: none).
 */
export interface ConvertRequest {
  type: 'convert';
  run: string;
  from: string;
  model: Partial<ModelConfig>;
  text: string;
  source: string;
  uptrain: number;
}

export type WorkerRequest =
  | { type: 'init'; threads?: number }
  | TrainRequest
  | { type: 'pause' | 'resume' | 'stop' | 'save' | 'dispose'; run: string }
  | GenerateRequest
  | ConvertRequest
  | { type: 'open'; run: string; label: string; files: Array<[string, Uint8Array]> }
  /** The run as one GGUF file for llama.cpp, its matrices stored as `ggufType`. */
  | { type: 'gguf'; run: string; ggufType: GgufWeightType };

/** What a run is, sent when it starts or is opened. */
export interface RunInfo {
  run: string;
  config: ModelConfig;
  parameters: number;
  kvBytesPerToken: number;
  /** Layer i reads the keys/values layer kv[i] computed; attention[i] the probabilities it computed. */
  plan: { attnSet: number[]; ffnSet: number[]; kv: number[]; attention: number[] };
  steps: number;
  step: number;
  tokens: { train: number; val: number };
  source: string;
  /** A model imported from Hugging Face files: its class, and what the import changed on the way in. */
  imported?: { architecture: string; notes: string[] };
}

export interface KvGauge {
  /** Filled positions and allocated positions. */
  length: number;
  allocated: number;
  /**
   * Per layer: bytes of its own keys and values (0 where it reads another layer's), the positions
   * allocated for them (fewer than `allocated` where only windowed layers read them; 0 where it
   * borrows) and the layer whose entries it reads (itself when it owns them).
   */
  layers: Array<{ keys: number; values: number; positions: number; reads: number }>;
  bytes: number;
  /** What the same model without GQA/MQA, CLA/YOCO or attention sharing would hold for `allocated` positions. */
  baselineBytes: number;
}

export type WorkerEvent =
  | { type: 'ready'; backend: string; threads: number; notice: string | null }
  | ({ type: 'started' | 'opened' } & RunInfo)
  | { type: 'step'; run: string; step: number; loss: number; tokensPerS: number; seconds: number }
  | { type: 'eval'; run: string; step: number; valLoss: number; bitsPerChar: number }
  | { type: 'paused' | 'resumed'; run: string; step: number }
  | {
      type: 'converted';
      run: string;
      from: string;
      /** Calibration loss of the source and of the converted model before any uptraining. */
      lossBefore: number;
      lossConverted: number;
      changes: Partial<ModelConfig>;
      notes: string[];
    }
  | {
      type: 'finished';
      run: string;
      step: number;
      valLoss: number;
      bitsPerChar: number;
      tokensPerS: number;
      seconds: number;
      stopped: boolean;
    }
  | { type: 'token'; run: string; text: string; kv: KvGauge }
  | { type: 'generated'; run: string; text: string; stats: GenerationStats }
  | { type: 'checkpoint'; run: string; files: Array<[string, Uint8Array]> }
  | { type: 'gguf'; run: string; bytes: Uint8Array; types: string[]; notes: string[] }
  | { type: 'disposed'; run: string }
  | { type: 'error'; run?: string; request: WorkerRequest['type']; message: string };
