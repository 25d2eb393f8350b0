// `shareformer train`: trains a model on a text file, a directory or a synthetic corpus, with
// periodic evaluation, a progress bar, a JSONL log, atomic checkpoints and exact resume.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { resolveConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { TransformerLM } from '../model/transformer.js';
import { readCorpus } from '../io/corpus.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { splitTokens } from '../train/data.js';
import { buildTokenizer, type Tokenizer, type TokenizerKind } from '../train/tokenizer.js';
import { DEFAULT_TRAIN, Trainer, validateTrainConfig, type EvalResult, type TrainConfig } from '../train/trainer.js';
import { addBackendOption, addModelOptions, int, modelConfigFrom, num, readConfigFile, selectBackend } from './options.js';

const TRAIN_FLAGS: Array<keyof TrainConfig> = ['steps', 'batch', 'lr', 'minLr', 'warmup', 'weightDecay', 'beta1', 'beta2', 'clip', 'gradAccum', 'evalEvery', 'evalWindows', 'seed'];

interface TrainOpts extends Record<string, unknown> {
  data?: string; out?: string; force?: boolean; resume?: string; tokenizer: TokenizerKind; vocabSize?: number; valFraction: number;
  checkpointEvery?: number; stopAt?: number; json?: boolean; quiet?: boolean; backend?: string; config?: string;
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a language model (with any sharing plan) and save checkpoints to --out')
    .option('--data <source>', 'training text: a file, a directory of text files, or synthetic:addition | synthetic:brackets | synthetic:copy (default: synthetic:addition, or the data of the run being resumed)')
    .option('--out <dir>', 'run directory: checkpoint/, log.jsonl (default runs/<date>-<time>)')
    .option('--force', 'start over in an --out directory that already holds a run')
    .option('--resume <dir>', 'continue the run saved in this directory (same data, bit-identical loss curve)');
  addModelOptions(cmd);
  cmd
    .addOption(new Option('--tokenizer <kind>', 'tokenizer trained on the data').choices(['char', 'byte', 'bpe']).default('char'))
    .option('--vocab-size <n>', 'BPE vocabulary size', int(257))
    .option('--steps <n>', `optimizer steps (default ${DEFAULT_TRAIN.steps})`, int(1))
    .option('--batch <n>', `sequences per micro-batch (default ${DEFAULT_TRAIN.batch})`, int(1))
    .option('--grad-accum <n>', 'micro-batches per optimizer step', int(1))
    .option('--lr <x>', `peak learning rate (default ${DEFAULT_TRAIN.lr})`, num((n) => n > 0, 'a positive number'))
    .option('--min-lr <x>', 'final learning rate of the cosine decay (default lr / 10)', num((n) => n >= 0, 'a number ≥ 0'))
    .option('--warmup <n>', 'linear warmup steps (default 5% of steps)', int(0))
    .option('--weight-decay <x>', `AdamW weight decay on matrices (default ${DEFAULT_TRAIN.weightDecay})`, num((n) => n >= 0, 'a number ≥ 0'))
    .option('--beta2 <x>', `AdamW β2 (default ${DEFAULT_TRAIN.beta2})`, num((n) => n >= 0 && n < 1, 'a number in [0, 1)'))
    .option('--clip <x>', 'gradient clipping by global norm', num((n) => n > 0, 'a positive number'))
    .option('--eval-every <n>', 'evaluate every N steps (0: only at the end)', int(0))
    .option('--eval-windows <n>', 'validation windows per evaluation', int(1))
    .option('--val-fraction <x>', 'share of the data held out for validation', num((n) => n > 0 && n < 1, 'a number in (0, 1)'), 0.1)
    .option('--seed <n>', 'seed for initialisation, split, batches and dropout', int(0))
    .option('--checkpoint-every <n>', 'also save a checkpoint every N steps (always saved at the end and on Ctrl-C)', int(1))
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
  if (opts.warmup === undefined && file.warmup === undefined && base === DEFAULT_TRAIN) cfg.warmup = Math.min(cfg.warmup, Math.floor(cfg.steps / 20));
  return validateTrainConfig(cfg);
}

function runTrain(opts: TrainOpts): void {
  const quiet = Boolean(opts.quiet || opts.json);
  selectBackend(opts.backend, Boolean(opts.quiet));
  const file = opts.config ? readConfigFile(opts.config) : {};
  let resumed: Checkpoint | null = null;
  if (opts.resume) {
    resumed = loadCheckpoint(opts.resume);
    if (!resumed.trainer) throw new Error(`--resume ${opts.resume}: the checkpoint has no trainer state (it was not saved by a training run)`);
  }
  const dataSpec = opts.data ?? resumed?.meta.data.source ?? 'synthetic:addition';
  const corpus = readCorpus(dataSpec);
  let tokenizer: Tokenizer, lm: TransformerLM, train: TrainConfig;
  if (resumed) {
    tokenizer = resumed.tokenizer;
    lm = resumed.lm;
    train = trainConfigFrom(opts, {}, resumed.meta.train);
  } else {
    tokenizer = buildTokenizer(opts.tokenizer, corpus.text, opts.vocabSize);
    train = trainConfigFrom(opts, file, DEFAULT_TRAIN);
    const config = resolveConfig({ ...modelConfigFrom(opts, file), vocabSize: tokenizer.vocabSize });
    lm = new TransformerLM(config, train.seed);
  }
  const tokens = tokenizer.encode(corpus.text);
  const charsPerToken = corpus.text.length / tokens.length;
  const valFraction = resumed?.meta.data.valFraction ?? opts.valFraction;
  const split = splitTokens(tokens, lm.config.context, { valFraction, seed: train.seed, source: corpus.source });
  const trainer = new Trainer(lm, split, train, charsPerToken);
  if (resumed?.trainer) trainer.setState(resumed.trainer);

  const outDir = opts.resume ?? opts.out ?? `runs/${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
  if (!opts.resume && !opts.force && existsSync(join(outDir, 'checkpoint'))) {
    throw new Error(`${outDir} already holds a run; continue it with --resume ${outDir}, or pass --force to start over`);
  }
  mkdirSync(outDir, { recursive: true });
  const logPath = join(outDir, 'log.jsonl');
  if (!resumed) writeFileSync(logPath, '');
  const log = (rec: object) => appendFileSync(logPath, JSON.stringify(rec) + '\n');
  const ckptDir = join(outDir, 'checkpoint');
  const meta = { data: { source: corpus.source, tokenizer: tokenizer.kind, charsPerToken, valFraction }, train };
  const save = () => saveCheckpoint(ckptDir, { lm, tokenizer, meta, trainer: trainer.getState() });

  const count = lm.parameterCount().total, kvPerToken = kvBytesPerToken(lm.config);
  if (!quiet) {
    console.error(`data: ${corpus.source}, ${corpus.text.length.toLocaleString()} characters → ${tokens.length.toLocaleString()} ${tokenizer.kind} tokens (vocabulary ${tokenizer.vocabSize}); ${split.train.length} training / ${split.val.length} validation blocks`);
    console.error(`model: ${lm.config.layers} layers, d ${lm.config.dModel}, ${lm.config.heads} heads / ${lm.config.kvHeads} KV heads, context ${lm.config.context}; ${count.toLocaleString()} unique parameters; KV cache ${kvPerToken.toLocaleString()} bytes/token`);
    const plan = lm.plan;
    if ([plan.attnSet, plan.ffnSet, plan.kv, plan.attention].some((m) => m.some((v, i) => v !== i))) {
      console.error(`sharing: attention sets [${plan.attnSet}], FFN sets [${plan.ffnSet}], K/V from [${plan.kv}], attention weights from [${plan.attention}]`);
    }
    if (resumed) console.error(`resuming ${outDir} at step ${trainer.step} of ${train.steps}`);
  }

  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const bar = quiet || !process.stderr.isTTY ? null : new cliProgress.SingleBar({
    format: 'step {value}/{total} |{bar}| loss {loss} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  bar?.start(train.steps, trainer.step, { loss: '-', tps: '-' });

  const stopAt = Math.min(opts.stopAt ?? train.steps, train.steps);
  const started = performance.now(), startTokens = trainer.tokensSeen;
  let lastLoss = NaN, lastEval: EvalResult | null = null, lastLine = performance.now();
  const report = (ev: EvalResult, step: number) => {
    const line = `step ${step}: val loss ${ev.loss.toFixed(4)}, perplexity ${ev.perplexity.toFixed(2)}, ${ev.bitsPerChar.toFixed(3)} bits/char`;
    log({ type: 'eval', step, val_loss: ev.loss, val_perplexity: ev.perplexity, val_bpc: ev.bitsPerChar });
    if (!quiet) { if (bar) bar.stop(); console.error(line); if (bar && step < train.steps) bar.start(train.steps, step, { loss: lastLoss.toFixed(4), tps: '-' }); }
  };
  while (trainer.step < stopAt && !interrupted) {
    const r = trainer.trainStep();
    lastLoss = r.loss;
    const seconds = (performance.now() - started) / 1000;
    const tps = (trainer.tokensSeen - startTokens) / seconds;
    log({ type: 'step', step: r.step, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, tokens: trainer.tokensSeen, tokens_per_s: tps });
    bar?.update(r.step, { loss: r.loss.toFixed(4), tps: Math.round(tps) });
    if (!bar && !quiet && performance.now() - lastLine > 10_000) {
      console.error(`step ${r.step}/${train.steps}: loss ${r.loss.toFixed(4)}, ${Math.round(tps)} tokens/s`);
      lastLine = performance.now();
    }
    if (train.evalEvery > 0 && r.step % train.evalEvery === 0 && r.step < train.steps) report((lastEval = trainer.evaluate()), r.step);
    if (opts.checkpointEvery && r.step % opts.checkpointEvery === 0) save();
  }
  bar?.stop();
  process.removeListener('SIGINT', onSigint);
  const seconds = (performance.now() - started) / 1000;
  const tokensPerS = (trainer.tokensSeen - startTokens) / Math.max(seconds, 1e-9);
  if (trainer.done) report((lastEval = trainer.evaluate()), trainer.step);
  save();
  if (interrupted && !quiet) console.error(`interrupted at step ${trainer.step}; checkpoint saved. Continue with: shareformer train --resume ${outDir}`);
  const summary = {
    steps: trainer.step, total_steps: train.steps, final_train_loss: lastLoss,
    final_val_loss: lastEval?.loss ?? null, val_perplexity: lastEval?.perplexity ?? null, val_bpc: lastEval?.bitsPerChar ?? null,
    tokens_per_s: tokensPerS, seconds, parameters: count, kv_bytes_per_token: kvPerToken, out: outDir,
  };
  log({ type: 'summary', ...summary });
  if (opts.json) console.log(JSON.stringify(summary));
  else if (!opts.quiet) console.error(`saved ${join(outDir, 'checkpoint')} (step ${trainer.step}); ${Math.round(tokensPerS)} tokens/s over ${seconds.toFixed(1)} s`);
  if (interrupted) process.exitCode = 130;
}
