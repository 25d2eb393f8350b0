// What the shareformer Worker does, independent of how messages arrive (so Node tests drive it
// directly): trains runs step by step with pause / resume / stop, converts a run to another
// sharing plan and uptrains it, evaluates, generates with a KV-cache gauge, and turns runs into
// checkpoint files and back (a Hugging Face model directory opens as an imported run). One run
// trains at a time.
import { selectBrowserBackend } from '../backend/browser.js';
import { backend } from '../backend/backend.js';
import { generate } from '../generate/generate.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  memorySource,
  type CheckpointMeta,
  type CheckpointOrigin,
  type Checkpoint,
} from '../io/checkpoint-files.js';
import { huggingFaceCheckpoint, isHuggingFaceDirectory } from '../io/hf/import.js';
import { ggufCheckpoint, ggufFileName } from '../io/gguf/import.js';
import { exportGguf, type GgufWeightType } from '../io/gguf/gguf-export.js';
import { resolveConfig, withoutKvSharing, type ModelConfig } from '../model/config.js';
import { kvCacheBytesHeld, type KVCache } from '../model/kvcache.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { TransformerLM } from '../model/transformer.js';
import { buildTokenizer, type Tokenizer } from '../text/tokenizer.js';
import { splitTokens } from '../train/data.js';
import { DEFAULT_TRAIN, Trainer, validateTrainConfig, type TrainConfig } from '../train/trainer.js';
import { CONVERTIBLE, convertModel } from '../convert/convert.js';
import {
  calibrationData,
  calibrationEval,
  calibrationLoss,
  sharingChanges,
  uptrainConfig,
} from '../convert/uptrain.js';
import type {
  ConvertRequest,
  GenerateRequest,
  KvGauge,
  RunInfo,
  TrainRequest,
  WorkerEvent,
  WorkerRequest,
} from './protocol.js';

interface Run {
  lm: TransformerLM;
  tokenizer: Tokenizer;
  meta: CheckpointMeta;
  /** Where an imported model came from, and what the import changed (kept in its checkpoint). */
  origin?: CheckpointOrigin;
  notes?: string[];
  trainer: Trainer | null;
  tokens: { train: number; val: number };
  paused: boolean;
  stopRequested: boolean;
  wake: (() => void) | null;
}

/** The playground's defaults where the CLI's suit long runs: evaluate ten times, warm up 5%. */
export function browserTrainConfig(t: Partial<TrainConfig>): TrainConfig {
  const steps = t.steps ?? 200;
  return validateTrainConfig({
    ...DEFAULT_TRAIN,
    evalWindows: 16,
    ...t,
    steps,
    minLr: t.minLr ?? (t.lr ?? DEFAULT_TRAIN.lr) / 10,
    warmup: t.warmup ?? Math.min(DEFAULT_TRAIN.warmup, Math.floor(steps / 20)),
    evalEvery: t.evalEvery ?? Math.max(1, Math.round(steps / 10)),
  });
}

export class Session {
  private readonly runs = new Map<string, Run>();
  private training: string | null = null;
  private readonly yieldNow = yielder();

  constructor(private readonly post: (event: WorkerEvent, transfer?: Transferable[]) => void) {}

  /** Handles one request; failures become an `error` event naming the request and run. */
  async handle(req: WorkerRequest): Promise<void> {
    try {
      switch (req.type) {
        case 'init': {
          const choice = await selectBrowserBackend(req.threads === undefined ? {} : { threads: req.threads });
          this.post({ type: 'ready', backend: choice.backend.name, threads: choice.threads, notice: choice.notice });
          return;
        }
        case 'train':
          return await this.train(req);
        case 'pause':
        case 'resume':
        case 'stop':
          return this.control(req.type, req.run);
        case 'generate':
          return this.generate(req);
        case 'convert':
          return await this.convert(req);
        case 'save':
          return this.save(req.run);
        case 'open':
          return this.open(req.run, req.label, req.files);
        case 'gguf':
          return this.gguf(req.run, req.ggufType);
        case 'dispose':
          this.runs.delete(req.run);
          this.post({ type: 'disposed', run: req.run });
          return;
      }
    } catch (e) {
      const run = 'run' in req ? req.run : undefined;
      this.post({ type: 'error', ...(run !== undefined && { run }), request: req.type, message: (e as Error).message });
    }
  }

  private get(run: string): Run {
    const r = this.runs.get(run);
    if (!r) throw new Error(`no run "${run}" in this worker (known: ${[...this.runs.keys()].join(', ') || 'none'})`);
    return r;
  }

  private info(run: string, r: Run): RunInfo {
    const { config, plan } = r.lm;
    return {
      run,
      config,
      parameters: r.lm.parameterCount().total,
      kvBytesPerToken: kvBytesPerToken(config),
      plan: { attnSet: plan.attnSet, ffnSet: plan.ffnSet, kv: plan.kv, attention: plan.attention },
      steps: r.meta.train.steps,
      step: r.trainer?.step ?? 0,
      tokens: r.tokens,
      source: r.meta.data.source,
      ...(r.origin && { imported: { architecture: r.origin.architecture, notes: r.notes ?? [] } }),
    };
  }

  private async train(req: TrainRequest): Promise<void> {
    if (this.training) throw new Error(`run "${this.training}" is still training; stop it or let it finish first`);
    if (this.runs.has(req.run)) throw new Error(`a run named "${req.run}" exists already`);
    if (req.text.trim().length === 0) throw new Error(`${req.source}: the training text is empty`);
    const train = browserTrainConfig(req.train);
    const tokenizer = buildTokenizer(req.tokenizer ?? 'char', req.text);
    const config = resolveConfig({ ...req.model, vocabSize: tokenizer.vocabSize });
    const lm = new TransformerLM(config, train.seed);
    const ids = tokenizer.encode(req.text);
    const valFraction = req.valFraction ?? 0.1;
    const split = splitTokens(ids, config.context, { valFraction, seed: train.seed, source: req.source });
    const charsPerToken = req.text.length / ids.length;
    const trainer = new Trainer(lm, split, train, charsPerToken);
    const meta: CheckpointMeta = {
      data: { source: req.source, tokenizer: tokenizer.kind, charsPerToken, valFraction },
      train,
    };
    const run: Run = {
      lm,
      tokenizer,
      meta,
      trainer,
      tokens: { train: split.train.length, val: split.val.length },
      paused: false,
      stopRequested: false,
      wake: null,
    };
    this.runs.set(req.run, run);
    this.post({ type: 'started', ...this.info(req.run, run) });
    await this.trainRun(req.run, run, trainer);
  }

  /** Trains a run to its end (or stop), as the one run training. */
  private async trainRun(name: string, run: Run, trainer: Trainer): Promise<void> {
    this.training = name;
    try {
      await this.loop(name, run, trainer);
    } finally {
      this.training = null;
    }
  }

  private async convert(req: ConvertRequest): Promise<void> {
    if (this.training) throw new Error(`run "${this.training}" is still training; stop it or let it finish first`);
    if (this.runs.has(req.run)) throw new Error(`a run named "${req.run}" exists already`);
    const from = this.get(req.from);
    const { lm, calibration, converted } = this.converted(req, from);
    const steps = Math.max(0, Math.floor(req.uptrain));
    const train =
      steps > 0
        ? uptrainConfig(from.meta.train, { steps, evalEvery: Math.max(1, Math.round(steps / 10)) })
        : from.meta.train;
    const trainer = steps > 0 ? new Trainer(lm, calibration.split, train, calibration.charsPerToken) : null;
    const run: Run = {
      lm,
      tokenizer: from.tokenizer,
      meta: { data: { ...from.meta.data, source: req.source }, train },
      trainer,
      tokens: { train: calibration.split.train.length, val: calibration.split.val.length },
      paused: false,
      stopRequested: false,
      wake: null,
    };
    this.runs.set(req.run, run);
    this.post({ type: 'started', ...this.info(req.run, run) });
    if (trainer) return this.trainRun(req.run, run, trainer);
    const { loss: valLoss, bitsPerChar } = converted;
    this.post({ type: 'eval', run: req.run, step: 0, valLoss, bitsPerChar });
    this.post({
      type: 'finished',
      run: req.run,
      step: 0,
      valLoss,
      bitsPerChar,
      tokensPerS: 0,
      seconds: 0,
      stopped: false,
    });
  }

  /** The source converted to the request's sharing fields, measured on its calibration windows before and after. */
  private converted(req: ConvertRequest, from: Run) {
    const changes = sharingChanges(from.lm.config, req.model);
    if (Object.keys(changes).length === 0)
      throw new Error(
        `the plan's sharing fields (${CONVERTIBLE.join(', ')}) are those of run "${req.from}" already: change one to convert`,
      );
    let tokens: Int32Array;
    try {
      tokens = from.tokenizer.encode(req.text);
    } catch (e) {
      throw new Error(`${req.source}: ${(e as Error).message}`);
    }
    const calibration = calibrationData(tokens, req.text.length, from.lm.config.context, from.meta, {
      label: req.source,
      windows: 16,
    });
    const lossBefore = calibrationLoss(from.lm, calibration);
    const { lm, notes } = convertModel(from.lm, changes);
    const converted = calibrationEval(lm, calibration);
    this.post({
      type: 'converted',
      run: req.run,
      from: req.from,
      lossBefore,
      lossConverted: converted.loss,
      changes,
      notes,
    });
    return { lm, calibration, converted };
  }

  private async loop(name: string, run: Run, trainer: Trainer): Promise<void> {
    const evaluate = () => {
      const ev = trainer.evaluate();
      this.post({ type: 'eval', run: name, step: trainer.step, valLoss: ev.loss, bitsPerChar: ev.bitsPerChar });
      return ev;
    };
    evaluate(); // the untrained model's loss: the curve starts where learning starts
    let seconds = 0,
      tokens = 0;
    while (!trainer.done && !run.stopRequested) {
      if (run.paused) {
        this.post({ type: 'paused', run: name, step: trainer.step });
        await new Promise<void>((resolve) => {
          run.wake = resolve;
        });
        run.wake = null;
        if (run.stopRequested) break;
        this.post({ type: 'resumed', run: name, step: trainer.step });
      }
      const t0 = performance.now();
      const r = trainer.trainStep();
      seconds += (performance.now() - t0) / 1000;
      tokens += r.tokens;
      this.post({ type: 'step', run: name, step: r.step, loss: r.loss, tokensPerS: tokens / seconds, seconds });
      const every = trainer.cfg.evalEvery;
      if (every > 0 && r.step % every === 0 && !trainer.done) evaluate();
      await this.yieldNow(); // lets pause / stop messages in between steps
    }
    const last = evaluate();
    this.post({
      type: 'finished',
      run: name,
      step: trainer.step,
      valLoss: last.loss,
      bitsPerChar: last.bitsPerChar,
      tokensPerS: seconds > 0 ? tokens / seconds : 0,
      seconds,
      stopped: !trainer.done,
    });
  }

  private control(kind: 'pause' | 'resume' | 'stop', name: string): void {
    const run = this.get(name);
    if (this.training !== name) throw new Error(`run "${name}" is not training`);
    if (kind === 'pause') run.paused = true;
    else {
      if (kind === 'stop') run.stopRequested = true;
      run.paused = false;
      run.wake?.();
    }
  }

  private generate(req: GenerateRequest): void {
    const run = this.get(req.run);
    if (this.training === req.run) throw new Error(`run "${req.run}" is training; pause or stop it to generate`);
    let pending = '';
    let last: KvGauge | null = null;
    const unshared = withoutKvSharing(run.lm.config); // the gauge's baseline, resolved once per generation
    const result = generate(run.lm, run.tokenizer, req.prompt, {
      maxTokens: req.maxTokens ?? 200,
      ...(req.temperature !== undefined && { temperature: req.temperature }),
      ...(req.topK !== undefined && { topK: req.topK }),
      ...(req.topP !== undefined && { topP: req.topP }),
      seed: req.seed ?? 0,
      onText: (piece) => {
        pending += piece;
      },
      onCache: (cache) => {
        last = gauge(cache, unshared, run.lm.plan.kv);
        this.post({ type: 'token', run: req.run, text: pending, kv: last });
        pending = '';
      },
    });
    // The last token is sampled but never fed back, so no forward pass reports it.
    if (pending && last) this.post({ type: 'token', run: req.run, text: pending, kv: last });
    this.post({ type: 'generated', run: req.run, text: result.text, stats: result.stats });
  }

  private save(name: string): void {
    const run = this.get(name);
    const ckpt: Checkpoint = {
      lm: run.lm,
      tokenizer: run.tokenizer,
      meta: run.meta,
      ...(run.origin && { origin: run.origin }),
      ...(run.trainer && { trainer: run.trainer.getState() }),
    };
    const encoder = new TextEncoder();
    // Tensors imported from bf16 (or fp16) and not trained since are stored so, exactly: half the
    // bytes in the page's storage and downloads.
    const files = encodeCheckpoint(ckpt, 'exact').map(
      ([file, data]) => [file, typeof data === 'string' ? encoder.encode(data) : data] as [string, Uint8Array],
    );
    this.post(
      { type: 'checkpoint', run: name, files },
      files.map(([, d]) => d.buffer as ArrayBuffer),
    );
  }

  private gguf(name: string, type: GgufWeightType): void {
    const run = this.get(name);
    const out = exportGguf(run.lm, run.tokenizer, type);
    this.post({ type: 'gguf', run: name, bytes: out.bytes, types: out.types, notes: out.notes }, [
      out.bytes.buffer as ArrayBuffer,
    ]);
  }

  private open(name: string, label: string, files: Array<[string, Uint8Array]>): void {
    if (this.runs.has(name)) throw new Error(`a run named "${name}" exists already`);
    const map = new Map(files);
    const gguf = ggufFileName(map);
    const imported = gguf
      ? ggufCheckpoint(map, gguf)
      : isHuggingFaceDirectory(map)
        ? huggingFaceCheckpoint(map, label)
        : null;
    const ckpt = imported?.checkpoint ?? decodeCheckpoint(memorySource(map, label));
    const run: Run = {
      lm: ckpt.lm,
      tokenizer: ckpt.tokenizer,
      meta: ckpt.meta,
      ...(ckpt.origin && { origin: ckpt.origin }),
      ...(imported && { notes: imported.notes }),
      trainer: null,
      tokens: { train: 0, val: 0 },
      paused: false,
      stopRequested: false,
      wake: null,
    };
    this.runs.set(name, run);
    this.post({ type: 'opened', ...this.info(name, run) });
  }

  /** The backend the session computes on (for messages and tests). */
  backendName(): string {
    return backend().name;
  }
}

/** The cache as it stands, against `unshared` (the model without KV sharing) holding the same positions. */
function gauge(cache: KVCache, unshared: ModelConfig, reads: readonly number[]): KvGauge {
  const layers = cache.layerBytes().map((b, i) => ({
    ...b,
    positions: b.keys + b.values > 0 ? cache.layerAllocated(i) : 0,
    reads: reads[i]!,
  }));
  const baselineBytes = kvCacheBytesHeld(unshared, cache.dtype, cache.allocated);
  return { length: cache.length, allocated: cache.allocated, layers, bytes: cache.bytes(), baselineBytes };
}

/**
 * Resolves after the event loop has run once (queued messages included), without timers: nested
 * setTimeout(0) is clamped to 4 ms in browsers, a tax on every training step. Node has
 * setImmediate; its MessagePort drains up to 1000 messages per turn, which would starve timers.
 */
function yielder(): () => Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return () => new Promise((r) => g.setImmediate!(() => r()));
  if (typeof MessageChannel === 'undefined') return () => new Promise((r) => setTimeout(r, 0));
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
}
