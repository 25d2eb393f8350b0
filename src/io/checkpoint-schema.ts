// The JSON files of a checkpoint directory: config.json (model, sharing plan, data, training
// settings) and trainer.json (step and random-number states). One zod schema per file; the model
// fields themselves are checked by the model config's own schema.
import { z } from 'zod';

export const CHECKPOINT_FORMAT = 'shareformer-checkpoint';
export const CHECKPOINT_VERSION = 1;

const layerMap = z.array(z.number().int().min(0));

export const trainConfigSchema = z.strictObject({
  steps: z.number().int().min(1),
  batch: z.number().int().min(1),
  lr: z.number().gt(0),
  minLr: z.number().min(0),
  warmup: z.number().int().min(0),
  weightDecay: z.number().min(0),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  clip: z.number().gt(0),
  gradAccum: z.number().int().min(1),
  evalEvery: z.number().int().min(0),
  evalWindows: z.number().int().min(1),
  seed: z.number().int().min(0),
});

export const dataMetaSchema = z.strictObject({
  source: z.string(),
  tokenizer: z.string(),
  charsPerToken: z.number().gt(0),
  valFraction: z.number().gt(0).lt(1),
  /** SHA-256 of the training text, so a resumed run can refuse data that changed. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/** A model that came from elsewhere (a Hugging Face directory, a GGUF file), for the record. */
export const originSchema = z.strictObject({
  format: z.enum(['huggingface', 'gguf']),
  architecture: z.string(),
  path: z.string(),
  dtypes: z.array(z.string()),
});

export const checkpointConfigSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  model: z.record(z.string(), z.unknown()),
  plan: z.strictObject({ attnSet: layerMap, ffnSet: layerMap, kv: layerMap, attention: layerMap }),
  parameters: z.number().int().min(0),
  data: dataMetaSchema,
  train: trainConfigSchema,
  origin: originSchema.optional(),
  /** Weight-only int8 (shareformer quantize): I8 matrices with a float32 `<name>_scale` per row. */
  quantization: z
    .strictObject({ weights: z.literal('int8'), scheme: z.literal('symmetric-per-output-channel') })
    .optional(),
});

const rngStateSchema = z.strictObject({
  s: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  spare: z.number().nullable(),
});

export const trainerStateSchema = z.strictObject({
  step: z.number().int().min(0),
  tokensSeen: z.number().int().min(0),
  sampler: rngStateSchema,
  dropout: rngStateSchema,
});

export type CheckpointConfigJSON = z.output<typeof checkpointConfigSchema>;
