// Around a conversion, in any runtime (the CLI and the playground's Worker): the calibration
// windows (the validation part of a text, split as the source run split its own text), the loss on
// them, and the uptraining schedule (fresh optimizer, a tenth of the source's peak learning rate).
import type { ModelConfig } from '../model/config.js';
import type { TransformerLM } from '../model/transformer.js';
import { evalBatches, splitTokens, type Split } from '../train/data.js';
import { DEFAULT_TRAIN, evaluate, validateTrainConfig, type TrainConfig } from '../train/trainer.js';
import { CONVERTIBLE } from './convert.js';

export interface Calibration {
  /** The text split as the source run split its own: val for calibration, train for uptraining. */
  split: Split;
  batches: ReturnType<typeof evalBatches>;
  windows: number;
  charsPerToken: number;
}

/** What the source run recorded about its split and training. */
export interface SourceRun {
  data: { valFraction: number };
  train: TrainConfig;
}

export function calibrationData(
  tokens: Int32Array,
  chars: number,
  context: number,
  source: SourceRun,
  options: { label: string; windows: number; batch?: number },
): Calibration {
  if (tokens.length < 2 * (context + 1))
    throw new Error(
      `${options.label}: ${tokens.length} tokens are too few for a calibration window and a training window of ${context + 1} tokens each`,
    );
  const split = splitTokens(tokens, context, {
    valFraction: source.data.valFraction,
    seed: source.train.seed,
    source: options.label,
  });
  const batches = evalBatches(split.val, context, options.batch ?? source.train.batch, options.windows);
  const windows = batches.reduce((n, b) => n + b.batch, 0);
  return { split, batches, windows, charsPerToken: chars / tokens.length };
}

export const calibrationEval = (lm: TransformerLM, c: Calibration): { loss: number; bitsPerChar: number } =>
  evaluate(lm, c.batches, c.charsPerToken);
export const calibrationLoss = (lm: TransformerLM, c: Calibration): number => calibrationEval(lm, c).loss;

export interface UptrainOptions {
  steps: number;
  lr?: number;
  warmup?: number;
  batch?: number;
  seed?: number;
  evalEvery?: number;
}

/** The source's training settings with a fresh, short schedule: peak at a tenth of the source's, 5% warmup. */
export function uptrainConfig(source: TrainConfig, o: UptrainOptions): TrainConfig {
  const lr = o.lr ?? Math.max(source.minLr, source.lr / 10);
  return validateTrainConfig({
    ...DEFAULT_TRAIN,
    ...source,
    steps: o.steps,
    lr,
    minLr: lr / 10,
    warmup: o.warmup ?? Math.floor(o.steps / 20),
    batch: o.batch ?? source.batch,
    seed: o.seed ?? source.seed,
    evalEvery: o.evalEvery ?? 0,
  });
}

/** The sharing fields of `target` that differ from the source's (what convertModel is asked to change). */
export function sharingChanges(source: ModelConfig, target: Partial<ModelConfig>): Partial<ModelConfig> {
  const changes: Record<string, unknown> = {};
  for (const key of CONVERTIBLE) {
    const value = target[key];
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(source[key])) changes[key] = value;
  }
  return changes as Partial<ModelConfig>;
}
