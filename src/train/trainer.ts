// The training loop's parts: one optimizer step (with gradient accumulation, clipping and the
// schedule), evaluation (loss, perplexity, bits per character), and the state a resumed run needs
// to continue bit-identically.
import { crossEntropy } from '../tensor/ops/index.js';
import type { StorageDtype } from '../tensor/precision.js';
import { noGrad } from '../tensor/tensor.js';
import { Rng, type RngState } from '../tensor/random.js';
import type { TransformerLM } from '../model/transformer.js';
import { AdamW, type AdamWState } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { evalBatches, sampleBatch, type Batch, type Split } from './data.js';
import { warmupCosine } from './schedule.js';

export interface TrainConfig {
  steps: number;
  batch: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  clip: number;
  /** Micro-batches per optimizer step; each has `batch` sequences. */
  gradAccum: number;
  /** Evaluate every N steps (0: only at the end). */
  evalEvery: number;
  /** Validation windows per evaluation. */
  evalWindows: number;
  seed: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  steps: 1000,
  batch: 16,
  lr: 3e-3,
  minLr: 3e-4,
  warmup: 50,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  clip: 1,
  gradAccum: 1,
  evalEvery: 100,
  evalWindows: 64,
  seed: 1337,
};

export function validateTrainConfig(t: TrainConfig): TrainConfig {
  const int = (k: keyof TrainConfig, min: number) => {
    if (!Number.isSafeInteger(t[k]) || t[k] < min)
      throw new Error(`train.${k}: must be an integer ≥ ${min}, got ${t[k]}`);
  };
  int('steps', 1);
  int('batch', 1);
  int('warmup', 0);
  int('gradAccum', 1);
  int('evalEvery', 0);
  int('evalWindows', 1);
  int('seed', 0);
  const pos = (k: keyof TrainConfig, ok: (v: number) => boolean, rule: string) => {
    if (!Number.isFinite(t[k]) || !ok(t[k])) throw new Error(`train.${k}: must be ${rule}, got ${t[k]}`);
  };
  pos('lr', (v) => v > 0, 'positive');
  pos('minLr', (v) => v >= 0 && v <= t.lr, `between 0 and lr (${t.lr})`);
  pos('weightDecay', (v) => v >= 0, 'non-negative');
  pos('beta1', (v) => v >= 0 && v < 1, 'in [0, 1)');
  pos('beta2', (v) => v >= 0 && v < 1, 'in [0, 1)');
  pos('clip', (v) => v > 0, 'positive');
  if (t.warmup > t.steps) throw new Error(`train.warmup: ${t.warmup} warmup steps exceed the ${t.steps} steps`);
  return t;
}

/** A step whose loss or gradient norm is NaN or infinite: the update is refused, the model kept. */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
  ) {
    super(
      `step ${step}: the loss is ${loss} and the gradient norm ${gradNorm}; training diverged and this step's update was not applied`,
    );
    this.name = 'NonFiniteError';
  }
}

export interface TrainerState {
  step: number;
  tokensSeen: number;
  sampler: RngState;
  dropout: RngState;
  optimizer: AdamWState;
}

export interface StepResult {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

export interface EvalResult {
  loss: number;
  perplexity: number;
  bitsPerChar: number;
  tokens: number;
}

export class Trainer {
  readonly optimizer: AdamW;
  step = 0;
  tokensSeen = 0;
  private readonly sampler: Rng;
  private readonly dropoutRng: Rng;
  private readonly lrAt: (step: number) => number;
  private readonly evalSet: Batch[];

  /** charsPerToken converts nats per token into bits per character. */
  constructor(
    readonly lm: TransformerLM,
    readonly split: Split,
    readonly cfg: TrainConfig,
    readonly charsPerToken = 1,
  ) {
    validateTrainConfig(cfg);
    this.optimizer = new AdamW(lm.paramGroups(cfg.weightDecay), { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2 });
    this.sampler = new Rng(cfg.seed);
    this.dropoutRng = new Rng(cfg.seed + 1);
    this.lrAt = warmupCosine({ maxLr: cfg.lr, minLr: cfg.minLr, warmupSteps: cfg.warmup, totalSteps: cfg.steps });
    this.evalSet = evalBatches(split.val, lm.config.context, cfg.batch, cfg.evalWindows);
  }

  get done(): boolean {
    return this.step >= this.cfg.steps;
  }

  /** One optimizer step over gradAccum micro-batches; the loss reported is their mean. */
  trainStep(): StepResult {
    const { lm, cfg } = this;
    const lr = this.lrAt(this.step);
    this.optimizer.lr = lr;
    this.optimizer.zeroGrad();
    let loss = 0,
      tokens = 0;
    for (let m = 0; m < cfg.gradAccum; m++) {
      const b = sampleBatch(this.split.train, lm.config.context, cfg.batch, this.sampler);
      const out = lm.loss(b.ids, b.targets, b.batch, { training: true, rng: this.dropoutRng }).loss;
      loss += out.item() / cfg.gradAccum;
      // Each micro-batch's gradient is scaled so the sum is the mean over the whole step.
      out.backward(Float32Array.of(1 / cfg.gradAccum));
      tokens += b.ids.length;
    }
    const gradNorm = clipGradNorm(lm.parameters(), cfg.clip);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new NonFiniteError(this.step + 1, loss, gradNorm);
    this.optimizer.step();
    this.step++;
    this.tokensSeen += tokens;
    return { step: this.step, loss, lr, gradNorm, tokens };
  }

  /** Mean loss over the fixed validation windows. */
  evaluate(): EvalResult {
    return evaluate(this.lm, this.evalSet, this.charsPerToken);
  }

  getState(): TrainerState {
    return {
      step: this.step,
      tokensSeen: this.tokensSeen,
      sampler: this.sampler.getState(),
      dropout: this.dropoutRng.getState(),
      optimizer: this.optimizer.getState(),
    };
  }

  setState(s: TrainerState): void {
    this.step = s.step;
    this.tokensSeen = s.tokensSeen;
    this.sampler.setState(s.sampler);
    this.dropoutRng.setState(s.dropout);
    this.optimizer.setState(s.optimizer);
  }
}

/** Token-weighted mean loss of batches, with perplexity and bits per character. */
export function evaluate(
  lm: TransformerLM,
  batches: readonly Batch[],
  charsPerToken = 1,
  kvDtype: StorageDtype = 'fp32',
): EvalResult {
  let total = 0,
    tokens = 0;
  noGrad(() => {
    for (const b of batches) {
      // Below fp32, attention reads keys and values back from a cache in that precision, as decoding would.
      const cache = kvDtype === 'fp32' ? undefined : lm.createCache(b.batch, lm.config.context, { dtype: kvDtype });
      const logits = lm.forward(b.ids, b.batch, cache ? { cache } : {});
      total += crossEntropy(logits, b.targets).item() * b.ids.length;
      tokens += b.ids.length;
    }
  });
  const loss = total / tokens;
  return { loss, perplexity: Math.exp(loss), bitsPerChar: loss / Math.LN2 / charsPerToken, tokens };
}
