// `shareformer train`: trains a model on a text file, a directory or a synthetic corpus, with
// periodic evaluation, a progress bar, a JSONL log, atomic checkpoints and exact resume.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { resolveConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { withContext } from '../model/context.js';
import { TransformerLM } from '../model/transformer.js';
import { analyze } from '../analyze/analyze.js';
import { completeVersion } from '../io/atomic-dir.js';
import { readCorpus, type Corpus } from '../io/corpus.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta, type WeightsDtype } from '../io/checkpoint.js';
import { ensureMemory } from '../io/memory.js';
import { lockRunDir, RunLog, truncateLog } from '../io/run-dir.js';
import { splitTokens } from '../train/data.js';
import { buildTokenizer, type Tokenizer, type TokenizerKind } from '../text/tokenizer.js';
import {
  DEFAULT_TRAIN,
  NonFiniteError,
  Trainer,
  validateTrainConfig,
  type EvalResult,
  type TrainConfig,
} from '../train/trainer.js';
import {
  addBackendOption,
  addModelOptions,
  checkConfigKeys,
  int,
  modelConfigFrom,
  num,
  readConfigFile,
  selectBackend,
} from './options.js';

const TRAIN_FLAGS: Array<keyof TrainConfig> = [
  'steps',
  'batch',
  'lr',
  'minLr',
  'warmup',
  'weightDecay',
  'beta1',
  'beta2',
  'clip',
  'gradAccum',
  'evalEvery',
  'evalWindows',
  'seed',
];

interface TrainOpts extends Record<string, unknown> {
  data?: string;
  out?: string;
  force?: boolean;
  resume?: string;
  initFrom?: string;
  tokenizer: TokenizerKind;
  vocabSize?: number;
  valFraction: number;
  checkpointEvery?: number;
  saveDtype?: WeightsDtype;
  stopAt?: number;
  json?: boolean;
  quiet?: boolean;
  backend?: string;
  config?: string;
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a language model (with any sharing plan) and save checkpoints to --out')
    .option(
      '--data <source>',
      'training text: a file, a directory of text files, or synthetic:addition | synthetic:brackets | synthetic:copy (default: synthetic:addition, or the data of the run being resumed)',
    )
    .option('--out <dir>', 'run directory: checkpoint/, log.jsonl (default runs/<date>-<time>)')
    .option('--force', 'start over in an --out directory that already holds a run')
    .option('--resume <dir>', 'continue the run saved in this directory (same data, bit-identical loss curve)')
    .option(
      '--init-from <dir>',
      'fine-tune: start from the weights and tokenizer of this checkpoint (e.g. one made by `shareformer import`), with a new optimizer; --context may shorten its windows',
    );
  addModelOptions(cmd);
  cmd
    .addOption(
      new Option('--tokenizer <kind>', 'tokenizer trained on the data')
        .choices(['char', 'byte', 'bpe'])
        .default('char'),
    )
    .option('--vocab-size <n>', 'BPE vocabulary size', int(257))
    .option('--steps <n>', `optimizer steps (default ${DEFAULT_TRAIN.steps})`, int(1))
    .option('--batch <n>', `sequences per micro-batch (default ${DEFAULT_TRAIN.batch})`, int(1))
    .option('--grad-accum <n>', 'micro-batches per optimizer step', int(1))
    .option(
      '--lr <x>',
      `peak learning rate (default ${DEFAULT_TRAIN.lr})`,
      num((n) => n > 0, 'a positive number'),
    )
    .option(
      '--min-lr <x>',
      'final learning rate of the cosine decay (default lr / 10)',
      num((n) => n >= 0, 'a number ≥ 0'),
    )
    .option('--warmup <n>', 'linear warmup steps (default 5% of steps)', int(0))
    .option(
      '--weight-decay <x>',
      `AdamW weight decay on matrices (default ${DEFAULT_TRAIN.weightDecay})`,
      num((n) => n >= 0, 'a number ≥ 0'),
    )
    .option(
      '--beta2 <x>',
      `AdamW β2 (default ${DEFAULT_TRAIN.beta2})`,
      num((n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    )
    .option(
      '--clip <x>',
      'gradient clipping by global norm',
      num((n) => n > 0, 'a positive number'),
    )
    .option('--eval-every <n>', 'evaluate every N steps (0: only at the end)', int(0))
    .option('--eval-windows <n>', 'validation windows per evaluation', int(1))
    .option(
      '--val-fraction <x>',
      'share of the data held out for validation',
      num((n) => n > 0 && n < 1, 'a number in (0, 1)'),
      0.1,
    )
    .option('--seed <n>', 'seed for initialisation, split, batches and dropout', int(0))
    .option(
      '--checkpoint-every <n>',
      'also save a checkpoint every N steps (always saved at the end and on Ctrl-C)',
      int(1),
    )
    .addOption(
      new Option(
        '--save-dtype <dtype>',
        'precision of the saved weights (fp16/bf16 halve model.safetensors; training itself and the optimizer state stay float32, and --resume continues in float32 with a notice)',
      ).choices(['fp32', 'fp16', 'bf16']),
    )
    .option('--stop-at <step>', 'stop after this step and save; --resume continues to --steps', int(1))
    .option('--json', 'print a final one-line JSON summary (losses, tokens_per_s, parameters)')
    .option('--quiet', 'no progress bar or evaluation lines');
  addBackendOption(cmd);
  return cmd.action((opts: TrainOpts) => runTrain(opts));
}

function trainConfigFrom(opts: TrainOpts, file: Record<string, unknown>, base: TrainConfig): TrainConfig {
  const t: Record<string, unknown> = { ...base };
  for (const k of TRAIN_FLAGS) if (file[k] !== undefined) t[k] = file[k];
  for (const k of TRAIN_FLAGS) if (opts[k] !== undefined) t[k] = opts[k];
  const cfg = t as unknown as TrainConfig;
  if (opts.minLr === undefined && file.minLr === undefined && base === DEFAULT_TRAIN) cfg.minLr = cfg.lr / 10;
  if (opts.warmup === undefined && file.warmup === undefined && base === DEFAULT_TRAIN)
    cfg.warmup = Math.min(cfg.warmup, Math.floor(cfg.steps / 20));
  return validateTrainConfig(cfg);
}

interface Run {
  lm: TransformerLM;
  tokenizer: Tokenizer;
  trainer: Trainer;
  train: TrainConfig;
  outDir: string;
  log: RunLog;
  save: () => void;
  quiet: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Model, tokenizer, data and trainer of a new or resumed run, checked before anything is allocated. */
function prepareRun(opts: TrainOpts): Omit<Run, 'log' | 'save' | 'quiet'> & {
  corpus: Corpus;
  meta: CheckpointMeta;
  resumed: boolean;
  /** The precision the resumed checkpoint stored its weights in. */
  resumedWeightsDtype: WeightsDtype | null;
  tokenCount: number;
} {
  const file = opts.config ? readConfigFile(opts.config) : {};
  if (opts.config) checkConfigKeys(file, opts.config, TRAIN_FLAGS);
  const resumed = opts.resume ? loadCheckpoint(opts.resume, { trainer: true }) : null;
  if (resumed && resumed.lm.quantized.size > 0) throw int8Refusal(opts.resume!);
  if (resumed && !resumed.trainer)
    throw new Error(
      `--resume ${opts.resume}: the checkpoint has no trainer state (it was not saved by a training run)`,
    );
  const corpus = readCorpus(opts.data ?? resumed?.meta.data.source ?? 'synthetic:addition');
  const hash = sha256(corpus.text);
  const stored = resumed?.meta.data.sha256;
  if (stored && stored !== hash) {
    throw new Error(
      `--resume ${opts.resume}: the training text ${corpus.source} changed since the checkpoint was saved (SHA-256 ${stored.slice(0, 12)}… then, ${hash.slice(0, 12)}… now); resuming would not follow the same loss curve. Restore the data or start a new run`,
    );
  }
  let tokenizer: Tokenizer, lm: TransformerLM, train: TrainConfig;
  if (resumed) {
    ({ tokenizer, lm } = resumed);
    train = trainConfigFrom(opts, {}, resumed.meta.train);
  } else if (opts.initFrom) {
    ({ tokenizer, lm } = initialWeights(opts, file));
    train = trainConfigFrom(opts, file, DEFAULT_TRAIN);
    const need = analyze(lm.config, { context: lm.config.context, batch: train.batch }).trainingMemory.total;
    ensureMemory(
      need,
      `fine-tuning this model with --batch ${train.batch}`,
      'lower --batch (--grad-accum keeps the effective batch)',
    );
  } else {
    tokenizer = buildTokenizer(opts.tokenizer, corpus.text, opts.vocabSize);
    train = trainConfigFrom(opts, file, DEFAULT_TRAIN);
    const config = resolveConfig({ ...modelConfigFrom(opts, file), vocabSize: tokenizer.vocabSize });
    const need = analyze(config, { context: config.context, batch: train.batch }).trainingMemory.total;
    ensureMemory(
      need,
      `training this model with --batch ${train.batch}`,
      'lower --batch (--grad-accum keeps the effective batch) or the model size',
    );
    lm = new TransformerLM(config, train.seed);
  }
  const tokens = encodeCorpus(tokenizer, corpus);
  const charsPerToken = corpus.text.length / tokens.length;
  const valFraction = resumed?.meta.data.valFraction ?? opts.valFraction;
  const split = splitTokens(tokens, lm.config.context, { valFraction, seed: train.seed, source: corpus.source });
  const trainer = new Trainer(lm, split, train, charsPerToken);
  if (resumed?.trainer) trainer.setState(resumed.trainer);
  const outDir =
    opts.resume ?? opts.out ?? `runs/${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
  const meta: CheckpointMeta = {
    data: { source: corpus.source, tokenizer: tokenizer.kind, charsPerToken, valFraction, sha256: hash },
    train,
  };
  return {
    lm,
    tokenizer,
    trainer,
    train,
    outDir,
    corpus,
    meta,
    resumed: Boolean(resumed),
    resumedWeightsDtype: resumed?.weightsDtype ?? null,
    tokenCount: tokens.length,
  };
}

function int8Refusal(run: string): Error {
  return new Error(
    `${run} holds int8 weights (shareformer quantize), which train cannot update; train the float32 run it was quantized from`,
  );
}

/**
 * The model and tokenizer a fine-tuning run starts from; the architecture and plan stay as they
 * are, except that `--context` may shorten the training windows (GPT-2's 1,024 positions are more
 * than a CPU fine-tune needs): learned positions keep their first rows.
 */
function initialWeights(opts: TrainOpts, file: Record<string, unknown>): { tokenizer: Tokenizer; lm: TransformerLM } {
  if (opts.resume)
    throw new Error('--init-from starts a new run from a checkpoint; --resume continues one: give only one');
  const { context, ...others } = modelConfigFrom(opts, file);
  const changed = Object.keys(others);
  if (changed.length > 0) {
    throw new Error(
      `--init-from keeps the checkpoint's model and sharing plan; drop ${changed.map((k) => `"${k}"`).join(', ')} (changing a trained model's plan is conversion, not fine-tuning; --context may shorten the windows)`,
    );
  }
  const start = loadCheckpoint(opts.initFrom!);
  if (start.lm.quantized.size > 0) throw int8Refusal(opts.initFrom!);
  if (context === undefined || context === start.lm.config.context) return start;
  return { tokenizer: start.tokenizer, lm: withContext(start.lm, context, opts.initFrom!, false) };
}

function encodeCorpus(tokenizer: Tokenizer, corpus: Corpus): Int32Array {
  try {
    return tokenizer.encode(corpus.text);
  } catch (e) {
    throw new Error(`${corpus.source}: ${(e as Error).message}`);
  }
}

function describeRun(run: Run, corpus: Corpus, tokens: number, blocks: [number, number], resumed: boolean): void {
  const { lm, tokenizer, trainer, train } = run;
  console.error(
    `data: ${corpus.source}, ${corpus.text.length.toLocaleString()} characters → ${tokens.toLocaleString()} ${tokenizer.kind} tokens (vocabulary ${tokenizer.vocabSize}); ${blocks[0]} training / ${blocks[1]} validation blocks`,
  );
  console.error(
    `model: ${lm.config.layers} layers, d ${lm.config.dModel}, ${lm.config.heads} heads${lm.config.headDim ? ` of ${lm.config.headDim}` : ''} / ${lm.config.kvHeads} KV heads${lm.config.qkNorm ? ', query/key head norms' : ''}, context ${lm.config.context}; ${lm.parameterCount().total.toLocaleString()} unique parameters; KV cache ${kvBytesPerToken(lm.config).toLocaleString()} bytes/token`,
  );
  const plan = lm.plan;
  if ([plan.attnSet, plan.ffnSet, plan.kv, plan.attention].some((m) => m.some((v, i) => v !== i))) {
    console.error(
      `sharing: attention sets [${plan.attnSet}], FFN sets [${plan.ffnSet}], K/V from [${plan.kv}], attention weights from [${plan.attention}]`,
    );
  }
  if (resumed) console.error(`resuming ${run.outDir} at step ${trainer.step} of ${train.steps}`);
}

/**
 * Ctrl-C (or SIGTERM) asks the loop to stop after the current step and save; a second one exits at
 * once. The loop yields to the event loop after every step so that the handler can run.
 */
function interruptions(quiet: boolean): { requested: () => boolean; dispose: () => void } {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      console.error(`\n${signal} again: exiting without saving (the last checkpoint is intact)`);
      process.exit(130);
    }
    if (!quiet) console.error(`\n${signal}: stopping after this step and saving (press Ctrl-C again to exit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    requested: () => count > 0,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function trainLoop(
  run: Run,
  opts: TrainOpts,
): Promise<{
  lastLoss: number;
  lastEval: EvalResult | null;
  interrupted: boolean;
  seconds: number;
  tokensPerS: number;
}> {
  const { trainer, train, log, quiet } = run;
  const signals = interruptions(Boolean(opts.quiet));
  const bar =
    quiet || !process.stderr.isTTY
      ? null
      : new cliProgress.SingleBar(
          {
            format: 'step {value}/{total} |{bar}| loss {loss} | {tps} tok/s | ETA {eta_formatted}',
            hideCursor: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
  bar?.start(train.steps, trainer.step, { loss: '-', tps: '-' });
  const stopAt = Math.min(opts.stopAt ?? train.steps, train.steps);
  const started = performance.now(),
    startTokens = trainer.tokensSeen;
  let lastLoss = NaN,
    lastEval: EvalResult | null = null,
    lastLine = performance.now();
  const report = (ev: EvalResult, step: number) => {
    log.append({ type: 'eval', step, val_loss: ev.loss, val_perplexity: ev.perplexity, val_bpc: ev.bitsPerChar });
    if (quiet) return;
    bar?.stop();
    console.error(
      `step ${step}: val loss ${ev.loss.toFixed(4)}, perplexity ${ev.perplexity.toFixed(2)}, ${ev.bitsPerChar.toFixed(3)} bits/char`,
    );
    if (bar && step < train.steps) bar.start(train.steps, step, { loss: lastLoss.toFixed(4), tps: '-' });
  };
  try {
    while (trainer.step < stopAt && !signals.requested()) {
      const r = trainer.trainStep();
      lastLoss = r.loss;
      const tps = (trainer.tokensSeen - startTokens) / ((performance.now() - started) / 1000);
      log.append({
        type: 'step',
        step: r.step,
        loss: r.loss,
        lr: r.lr,
        grad_norm: r.gradNorm,
        tokens: trainer.tokensSeen,
        tokens_per_s: tps,
      });
      bar?.update(r.step, { loss: r.loss.toFixed(4), tps: Math.round(tps) });
      if (!bar && !quiet && performance.now() - lastLine > 10_000) {
        console.error(`step ${r.step}/${train.steps}: loss ${r.loss.toFixed(4)}, ${Math.round(tps)} tokens/s`);
        lastLine = performance.now();
      }
      if (train.evalEvery > 0 && r.step % train.evalEvery === 0 && r.step < train.steps) {
        lastEval = trainer.evaluate();
        report(lastEval, r.step);
      }
      if (opts.checkpointEvery && r.step % opts.checkpointEvery === 0) run.save();
      await nextTick();
    }
  } finally {
    bar?.stop();
    signals.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const tokensPerS = (trainer.tokensSeen - startTokens) / Math.max(seconds, 1e-9);
  if (trainer.done) {
    lastEval = trainer.evaluate();
    report(lastEval, trainer.step);
  }
  return { lastLoss, lastEval, interrupted: signals.requested(), seconds, tokensPerS };
}

/** A diverged step: keep (and save) the last finite state, name the step, exit non-zero. */
function onDiverged(run: Run, e: NonFiniteError): never {
  const finite = run.lm.parameters().every((p) => p.data.every(Number.isFinite));
  if (finite) run.save();
  run.log.append({ type: 'diverged', step: e.step, loss: String(e.loss), grad_norm: String(e.gradNorm) });
  throw new Error(
    `${e.message}. ${finite ? `${join(run.outDir, 'checkpoint')} holds step ${run.trainer.step}, the last finite state` : 'The previous checkpoint is kept'}; lower --lr (now ${run.train.lr}) or lengthen --warmup`,
  );
}

async function runTrain(opts: TrainOpts): Promise<void> {
  const quiet = Boolean(opts.quiet || opts.json);
  selectBackend(opts.backend, Boolean(opts.quiet));
  const prepared = prepareRun(opts);
  const { outDir, corpus, meta, resumed, lm, tokenizer, trainer } = prepared;
  const releaseLock = lockRunDir(outDir);
  try {
    if (!resumed && !opts.force && completeVersion(join(outDir, 'checkpoint'))) {
      throw new Error(
        `${outDir} already holds a run; continue it with --resume ${outDir}, or pass --force to start over`,
      );
    }
    const logPath = join(outDir, 'log.jsonl');
    if (resumed) truncateLog(logPath, trainer.step);
    const log = new RunLog(logPath, !resumed);
    const ckptDir = join(outDir, 'checkpoint');
    const stored = prepared.resumedWeightsDtype;
    if (stored && stored !== 'fp32')
      console.error(
        `notice: ${opts.resume} stores its weights in ${stored}; training resumes in float32 from the rounded weights (optimizer state is float32), so the curve moves off the uninterrupted one by that rounding`,
      );
    const saveDtype = opts.saveDtype ?? (stored && stored !== 'fp32' ? stored : 'fp32');
    const run: Run = {
      ...prepared,
      log,
      quiet,
      save: () => {
        try {
          saveCheckpoint(ckptDir, { lm, tokenizer, meta, trainer: trainer.getState() }, { weightsDtype: saveDtype });
        } catch (e) {
          throw new Error(`step ${trainer.step}: ${(e as Error).message}`);
        }
      },
    };
    if (!quiet)
      describeRun(run, corpus, prepared.tokenCount, [trainer.split.train.length, trainer.split.val.length], resumed);
    let result: Awaited<ReturnType<typeof trainLoop>>;
    try {
      result = await trainLoop(run, opts);
    } catch (e) {
      if (e instanceof NonFiniteError) onDiverged(run, e);
      throw e;
    }
    run.save();
    finishRun(run, opts, result);
    log.close();
  } finally {
    releaseLock();
  }
}

function finishRun(run: Run, opts: TrainOpts, r: Awaited<ReturnType<typeof trainLoop>>): void {
  const { trainer, train, outDir, lm } = run;
  if (r.interrupted && !opts.quiet)
    console.error(
      `interrupted at step ${trainer.step}; checkpoint saved. Continue with: shareformer train --resume ${outDir}`,
    );
  const summary = {
    steps: trainer.step,
    total_steps: train.steps,
    final_train_loss: r.lastLoss,
    final_val_loss: r.lastEval?.loss ?? null,
    val_perplexity: r.lastEval?.perplexity ?? null,
    val_bpc: r.lastEval?.bitsPerChar ?? null,
    tokens_per_s: r.tokensPerS,
    seconds: r.seconds,
    parameters: lm.parameterCount().total,
    kv_bytes_per_token: kvBytesPerToken(lm.config),
    out: outDir,
  };
  run.log.append({ type: 'summary', ...summary });
  if (opts.json) console.log(JSON.stringify(summary));
  else if (!opts.quiet)
    console.error(
      `saved ${join(outDir, 'checkpoint')} (step ${trainer.step}); ${Math.round(r.tokensPerS)} tokens/s over ${r.seconds.toFixed(1)} s`,
    );
  if (r.interrupted) process.exitCode = 130;
}
