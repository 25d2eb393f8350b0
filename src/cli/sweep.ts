// `shareformer sweep`: trains every plan × seed (each a `train` run of its own, so each is
// resumable and killed runs lose nothing; `--jobs N` trains N at once, the threads split between
// them), measures decoding speed, and writes results.json, report.md and a self-contained
// report.html with Pareto charts. Rerunning the same command skips completed runs and resumes an
// interrupted one.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parsePlanList, planConfig } from '../analyze/plans.js';
import { timedDecoding } from '../bench/measure.js';
import { calibrationData, calibrationEval } from '../convert/uptrain.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { readCorpus } from '../io/corpus.js';
import type { ModelConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { decodingModel } from '../sweep/decoding.js';
import { planConfigFile, runDir } from '../sweep/layout.js';
import { matchParameters, uniqueParameters } from '../sweep/match.js';
import {
  curveSpec,
  htmlReport,
  lateImprovement,
  markdownReport,
  paretoSpec,
  runsCsv,
  stillImproving,
  summarize,
  type RunResult,
} from '../sweep/report.js';
import { buildTokenizer, type TokenizerKind } from '../text/tokenizer.js';
import {
  addModelOptions,
  checkConfigKeys,
  int,
  modelConfigFrom,
  num,
  readConfigFile,
  selectBackend,
} from './options.js';
import { chartSvg } from './render.js';

const BIN = fileURLToPath(new URL('../../bin/shareformer.js', import.meta.url));
const PASSED = [
  'steps',
  'batch',
  'lr',
  'warmup',
  'evalWindows',
  'valFraction',
  'gradAccum',
  'checkpointEvery',
] as const;

interface SweepOpts extends Record<string, unknown> {
  data: string;
  plans: string;
  seeds: number;
  match: 'params' | 'none';
  out: string;
  steps: number;
  batch?: number;
  lr?: number;
  warmup?: number;
  evalWindows: number;
  valFraction?: number;
  gradAccum?: number;
  evalEvery: number;
  checkpointEvery?: number;
  tokenizer: TokenizerKind;
  decodeTokens: number;
  jobs: number;
  shard?: Shard;
  backend?: string;
  config?: string;
  quiet?: boolean;
}

/** This machine's share of a sweep split across machines: every count-th run from index. */
interface Shard {
  index: number;
  count: number;
}

function shardOption(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]),
    count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new InvalidArgumentError('expected i/n with 1 ≤ i ≤ n, such as 2/3 for the second of three machines');
  return { index, count };
}

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .description('train plans × seeds on one text and report loss against parameters, KV cache and speed (resumable)')
    .requiredOption('--data <source>', 'training text: a file, a directory, or synthetic:NAME')
    .requiredOption(
      '--plans <list>',
      'plans separated by ";": "none; share-weights=all; share-kv=cla:2; kv-heads=2" (the first is the baseline)',
    )
    .requiredOption('--out <dir>', 'sweep directory: runs/, results.json, runs.csv, report.md, report.html')
    .option('--seeds <n>', 'seeds per plan', int(1), 3)
    .addOption(
      new Option('--match <what>', "params: size d_model per plan to the baseline's unique parameters")
        .choices(['params', 'none'])
        .default('none'),
    );
  addModelOptions(cmd);
  return cmd
    .addOption(
      new Option('--tokenizer <kind>', 'tokenizer trained on the data')
        .choices(['char', 'byte', 'bpe'])
        .default('char'),
    )
    .option('--steps <n>', 'optimizer steps per run', int(1), 1000)
    .option('--batch <n>', 'sequences per step', int(1))
    .option(
      '--lr <x>',
      'peak learning rate',
      num((n) => n > 0, 'a positive number'),
    )
    .option('--warmup <n>', 'warmup steps', int(0))
    .option('--grad-accum <n>', 'micro-batches per step', int(1))
    .option(
      '--eval-windows <n>',
      'validation windows of the evaluations during training (the curves); each finished run is then evaluated on its whole validation split',
      int(1),
      64,
    )
    .option(
      '--val-fraction <x>',
      'share of the data held out',
      num((n) => n > 0 && n < 1, 'a number in (0, 1)'),
    )
    .option(
      '--eval-every <n>',
      'also evaluate every N steps, for the validation curves (0: only at the end)',
      int(0),
      0,
    )
    .option('--checkpoint-every <n>', 'save every N steps, so a killed sweep resumes inside a run', int(1))
    .option('--decode-tokens <n>', 'tokens generated to time decoding (median of 5 runs after a warm-up)', int(1), 64)
    .option(
      '--jobs <n>',
      'runs trained at once, the threads split between them (a small model uses many cores poorly); each is evaluated when trained (report.md shows the runs so far), decoding timed after all training, one run at a time',
      int(1),
      1,
    )
    .option(
      '--shard <i/n>',
      'train only every n-th run, starting with the i-th (one share per machine); then gather the runs/ directories in one --out and rerun without --shard to time decoding and write the report (each shard evaluates its runs)',
      shardOption,
    )
    .addOption(
      new Option('--backend <name>', 'kernel backend for every run')
        .choices(['native', 'wasm', 'js'])
        .env('SHAREFORMER_BACKEND'),
    )
    .option('--quiet', 'no progress bar')
    .action((opts: SweepOpts) => runSweep(opts));
}

interface PlannedRun {
  plan: string;
  seed: number;
  dir: string;
  configFile: string;
  config: ModelConfig;
}

/** Every run's config, written to <out>/plans/<plan>.json, sized to the baseline under --match params. */
function planRuns(opts: SweepOpts): PlannedRun[] {
  const file = opts.config ? readConfigFile(opts.config) : {};
  if (opts.config) checkConfigKeys(file, opts.config, []);
  const corpus = readCorpus(opts.data);
  const vocabSize = buildTokenizer(opts.tokenizer, corpus.text).vocabSize;
  const base = { ...modelConfigFrom(opts, file), vocabSize };
  const plans = parsePlanList(opts.plans).map((p) => ({
    label: p.label,
    config: planConfig(base, p, '--plans'),
  }));
  const target = uniqueParameters(plans[0]!.config);
  mkdirSync(join(opts.out, 'plans'), { recursive: true });
  const sizedPlans = plans.map(({ label, config }, i) => {
    const sized =
      opts.match === 'params' && i > 0 ? matchParameters(config, target, base.ffnHidden !== undefined) : config;
    const configFile = planConfigFile(opts.out, label);
    const { vocabSize: _v, ...fields } = sized;
    writeFileSync(configFile, `${JSON.stringify(fields, null, 2)}\n`);
    return { label, sized, configFile };
  });
  // Seed-major: after the first pass every plan has a result, so a long sweep is readable early.
  return Array.from({ length: opts.seeds }, (_, s) =>
    sizedPlans.map(({ label, sized, configFile }) => ({
      plan: label,
      seed: s + 1,
      dir: runDir(opts.out, label, s + 1),
      configFile,
      config: sized,
    })),
  ).flat();
}

/**
 * The training processes running now. Each is in a process group of its own, so a Ctrl-C reaches
 * the sweep alone, which passes exactly one SIGINT to each (a second one would make a run exit
 * without saving).
 */
const live = new Set<ChildProcess>();

/** Runs the CLI in a child process; resolves with its stdout, rejects with its last stderr line. */
function child(args: string[], env: NodeJS.ProcessEnv, onTick?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    live.add(p);
    let out = '',
      err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = onTick ? setInterval(onTick, 500) : null;
    p.on('exit', (code, signal) => {
      live.delete(p);
      if (timer) clearInterval(timer);
      if (code === 0) return resolve(out);
      const why = signal ? `stopped by ${signal}` : (err.trim().split('\n').pop() ?? '') || `exit code ${code}`;
      reject(new Error(`shareformer ${args.join(' ').slice(0, 120)}… failed: ${why}`));
    });
  });
}

/** The validation curve, one point per step: a resumed run logs again the steps after its checkpoint. */
const evalCurve = (dir: string): Array<{ step: number; valLoss: number }> => {
  const byStep = new Map<number, number>();
  for (const l of readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n'))
    if (l.startsWith('{"type":"eval"')) {
      const e = JSON.parse(l) as { step: number; val_loss: number };
      byStep.set(e.step, e.val_loss);
    }
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, valLoss]) => ({ step, valLoss }));
};

const lastStepSpeed = (dir: string): number => {
  const steps = readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"type":"step"'));
  return steps.length ? (JSON.parse(steps[steps.length - 1]!) as { tokens_per_s: number }).tokens_per_s : 0;
};

const stepsLogged = (dir: string): number => {
  try {
    return readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"type":"step"')).length;
  } catch {
    return 0;
  }
};

const resultFile = (r: PlannedRun) => join(r.dir, 'sweep-result.json');
const trainedFile = (r: PlannedRun) => join(r.dir, 'sweep-trained.json');

interface Trained {
  summary: {
    parameters: number;
    tokens_per_s: number;
    steps: number;
    seconds: number;
  };
  /** The whole validation split, measured as soon as the run finished training (absent before). */
  validation?: { loss: number; bitsPerChar: number; windows: number };
}

/** Trains one run in a child process (or resumes it); its summary is kept until decoding is timed. */
async function trainOne(r: PlannedRun, opts: SweepOpts, env: NodeJS.ProcessEnv, tick: (steps: number) => void) {
  if (existsSync(resultFile(r)) || existsSync(trainedFile(r))) return;
  const flags = PASSED.flatMap((k) =>
    opts[k] === undefined ? [] : [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(opts[k])],
  );
  const common = [
    '--json',
    '--quiet',
    '--eval-every',
    String(opts.evalEvery),
    ...(opts.backend ? ['--backend', opts.backend] : []),
  ];
  const resume = existsSync(join(r.dir, 'checkpoint'));
  const args = resume
    ? ['train', '--resume', r.dir, ...common]
    : [
        'train',
        '--data',
        opts.data,
        '--config',
        r.configFile,
        '--tokenizer',
        opts.tokenizer,
        '--seed',
        String(r.seed),
        '--out',
        r.dir,
        '--force',
        ...flags,
        ...common,
      ];
  const out = await child(args, env, () => tick(stepsLogged(r.dir)));
  const summary = JSON.parse(out.trim().split('\n').pop()!) as Trained['summary'];
  // A run that had already finished (its trainer outlived a killed sweep) resumes with no steps to
  // time: its speed is the one its last logged step measured.
  if (summary.tokens_per_s === 0) summary.tokens_per_s = lastStepSpeed(r.dir);
  const trained: Trained = { summary };
  writeFileSync(trainedFile(r), `${JSON.stringify(trained)}\n`);
}

/**
 * A trained run's loss over its whole held-out split (the run's seed chose it), not the few windows
 * the curves use: the final numbers compare plans, and 64 windows are a handful of passages of the
 * text. Measured once, kept in the run's sweep-trained.json.
 */
function evaluateOne(r: PlannedRun, opts: SweepOpts, text: string): Required<Trained> {
  const trained = JSON.parse(readFileSync(trainedFile(r), 'utf8')) as Trained;
  if (trained.validation) return trained as Required<Trained>;
  const { lm, tokenizer, meta } = loadCheckpoint(r.dir);
  const split = calibrationData(tokenizer.encode(text), text.length, lm.config.context, meta, {
    label: opts.data,
    windows: Number.MAX_SAFE_INTEGER,
  });
  const { loss, bitsPerChar } = calibrationEval(lm, split);
  const evaluated = { ...trained, validation: { loss, bitsPerChar, windows: split.windows } };
  writeFileSync(trainedFile(r), `${JSON.stringify(evaluated)}\n`);
  return evaluated;
}

/** A run's numbers; decoding tokens/s is NaN until it is timed. */
function runResult(r: PlannedRun, { summary, validation }: Required<Trained>, decodeTokensPerS: number): RunResult {
  return {
    plan: r.plan,
    seed: r.seed,
    dir: r.dir,
    config: r.config as unknown as Record<string, unknown>,
    valLoss: validation.loss,
    valBpc: validation.bitsPerChar,
    valWindows: validation.windows,
    parameters: summary.parameters,
    kvBytesPerToken: kvBytesPerToken(r.config),
    trainTokensPerS: summary.tokens_per_s,
    decodeTokensPerS,
    steps: summary.steps,
    seconds: summary.seconds,
    curve: evalCurve(r.dir),
  };
}

/**
 * Times a trained run's decoding here, warm and as a median (a cold one-off `generate` measured
 * mostly the JIT); a run kept without its checkpoint is timed on a fresh model of its plan.
 */
function finishOne(r: PlannedRun, opts: SweepOpts, text: string): RunResult {
  if (existsSync(resultFile(r))) return JSON.parse(readFileSync(resultFile(r), 'utf8')) as RunResult;
  const trained = evaluateOne(r, opts, text);
  const prompt = Array.from(text.slice(0, 16)).slice(0, 8).join('');
  const { lm, tokenizer } = decodingModel(r.dir, r.config, r.seed, opts.tokenizer, text);
  const decoding = timedDecoding(lm, tokenizer, prompt, opts.decodeTokens, { repeats: 5 });
  const result = runResult(r, trained, decoding.tokensPerS);
  writeFileSync(resultFile(r), `${JSON.stringify(result)}\n`);
  return result;
}

/** One line on what a (re)started sweep finds: what is done, what resumes, what is new. */
function sweepState(runs: PlannedRun[], opts: SweepOpts, all: number): string {
  const count = (f: (r: PlannedRun) => boolean) => runs.filter(f).length;
  const done = count((r) => existsSync(resultFile(r)));
  const trained = count((r) => !existsSync(resultFile(r)) && existsSync(trainedFile(r)));
  const resume = count(
    (r) => !existsSync(resultFile(r)) && !existsSync(trainedFile(r)) && existsSync(join(r.dir, 'checkpoint')),
  );
  const plans = all / opts.seeds;
  const parts = [
    done && `${done} done`,
    trained && `${trained} trained (decoding still to time)`,
    resume && `${resume} to resume`,
    `${runs.length - done - trained - resume} to train`,
  ].filter(Boolean);
  const share = opts.shard ? `, shard ${opts.shard.index}/${opts.shard.count}: ${runs.length} of them` : '';
  return `sweep: ${all} runs (${plans} plans × ${opts.seeds} seed${opts.seeds > 1 ? 's' : ''})${share} in ${opts.out}: ${parts.join(', ')}; ${opts.jobs} at a time`;
}

/** The environment of each training child: with several jobs, each gets its share of the threads. */
function childEnv(jobs: number): NodeJS.ProcessEnv {
  if (jobs === 1 || process.env.SHAREFORMER_THREADS) return process.env;
  return { ...process.env, SHAREFORMER_THREADS: String(Math.max(1, Math.floor(availableParallelism() / jobs))) };
}

async function runSweep(opts: SweepOpts): Promise<void> {
  selectBackend(opts.backend, true); // for timing decoding here; each run trains in its own process
  const planned = planRuns(opts);
  const shard = opts.shard;
  const runs = shard ? planned.filter((_, k) => k % shard.count === shard.index - 1) : planned;
  if (!opts.quiet) console.error(sweepState(runs, opts, planned.length));
  const total = runs.length * opts.steps;
  const bar =
    opts.quiet || !process.stderr.isTTY
      ? null
      : new cliProgress.SingleBar(
          {
            format: 'sweep |{bar}| {value}/{total} steps | run {run} | ETA {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
  bar?.start(total, 0, { run: '-' });
  const env = childEnv(opts.jobs);
  const label = (i: number) => `${i + 1}/${runs.length} ${runs[i]!.plan} seed ${runs[i]!.seed}`;
  const progress = new Array<number>(runs.length).fill(0);
  const running = new Set<number>();
  const update = () =>
    bar?.update(
      progress.reduce((a, b) => a + b, 0),
      { run: [...running].map(label).join(', ') || '-' },
    );
  const results = new Array<RunResult>(runs.length);
  let text: string | undefined;
  const corpus = () => (text ??= readCorpus(opts.data).text); // once, and only if a run still needs measuring
  const report = (i: number) => {
    const result = finishOne(runs[i]!, opts, corpus());
    results[i] = result;
    if (!bar && !opts.quiet)
      console.error(
        `sweep: ${label(i)}: val loss ${result.valLoss.toFixed(4)}, ${result.parameters.toLocaleString()} parameters, ${Math.round(result.decodeTokensPerS)} decoding tokens/s`,
      );
  };
  // While other runs train, a finished one is evaluated at once (its loss does not depend on the
  // load) and report.md shows every run evaluated so far; decoding is timed later.
  const evaluated = (i: number) => {
    const { validation } = evaluateOne(runs[i]!, opts, corpus());
    writeFileSync(join(opts.out, 'report.md'), interimReport(opts, runs, planned));
    if (!bar && !opts.quiet)
      console.error(`sweep: ${label(i)}: val loss ${validation.loss.toFixed(4)} (decoding timed when no run trains)`);
  };
  // With one job each run is timed as soon as it is trained; with several, decoding waits until no
  // training shares the machine, so every run's speed is measured alike.
  // A failed run stops new ones from starting; the others finish (or save) before the error is shown.
  let next = 0;
  let failure: unknown = null;
  // Ctrl-C (or SIGTERM): every run in progress saves its checkpoint and stops; no new run starts.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130); // the runs keep saving on their own
    interrupted = true;
    failure ??= new Error('interrupted');
    bar?.stop();
    console.error(`\nsweep: ${signal}: the runs in progress save a checkpoint and stop (again: exit at once)`);
    for (const p of live) p.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const worker = async () => {
    while (next < runs.length && failure === null) {
      const i = next++;
      running.add(i);
      try {
        await trainOne(runs[i]!, opts, env, (steps) => {
          progress[i] = Math.min(steps, opts.steps);
          update();
        });
      } catch (e) {
        failure ??= e;
        return;
      } finally {
        running.delete(i);
      }
      progress[i] = opts.steps;
      update();
      if (opts.jobs === 1 && !shard) report(i);
      else evaluated(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, runs.length) }, worker));
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (interrupted) {
    console.error(`sweep: stopped; rerun the same command to resume (${opts.out})`);
    process.exit(130);
  }
  if (failure !== null) {
    bar?.stop();
    throw failure;
  }
  bar?.stop();
  if (shard) {
    // Decoding speeds from different machines would not compare: one machine times them all.
    console.error(
      `sweep: shard ${shard.index}/${shard.count}: its ${runs.length} runs are trained in ${join(opts.out, 'runs')}; when every shard is done, gather the runs/ directories in one --out and run the same command there without --shard: it keeps the trained runs, evaluates them, times decoding on that one machine and writes the report`,
    );
    return;
  }
  if (opts.jobs > 1) for (let i = 0; i < runs.length; i++) report(i);
  await writeReports(opts, runs, results);
}

/** report.md while a sweep with several jobs (or a shard) trains: the runs evaluated so far, decoding not yet timed. */
function interimReport(opts: SweepOpts, runs: PlannedRun[], planned: PlannedRun[]): string {
  const all = planned.length;
  const evaluated = runs.flatMap((r) => {
    if (!existsSync(trainedFile(r))) return [];
    const trained = JSON.parse(readFileSync(trainedFile(r), 'utf8')) as Trained;
    return trained.validation ? [runResult(r, trained as Required<Trained>, Number.NaN)] : [];
  });
  const plans = [...new Set(planned.map((r) => r.plan))];
  const which = opts.shard
    ? `of the ${runs.length} runs of shard ${opts.shard.index}/${opts.shard.count} (${all} in the sweep)`
    : `of ${all} runs`;
  const then = opts.shard
    ? 'the report of the whole sweep comes when the shards are gathered and the command rerun without --shard'
    : 'when every run is trained, decoding is timed (one run at a time) and results.json, runs.csv, report.html and the charts are written';
  const baseline = evaluated.some((r) => r.plan === plans[0])
    ? ''
    : ` No run of the baseline (${plans[0]}) is evaluated yet, so nothing is compared.`;
  const setup = `In progress: ${evaluated.length} ${which} trained and evaluated; ${then}.${baseline} Δ pairs the seeds evaluated for both plans.\n\nCommand: \`${commandLine()}\``;
  return markdownReport('shareformer sweep (in progress)', setup, summarize(plans, evaluated));
}

/** This command as a shell would take it back: arguments with spaces or shell characters quoted. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['shareformer', ...process.argv.slice(2).map(quote)].join(' ');
}

async function writeReports(opts: SweepOpts, runs: PlannedRun[], results: RunResult[]): Promise<void> {
  const plans = [...new Set(runs.map((r) => r.plan))];
  const summaries = summarize(plans, results);
  const shared =
    opts.jobs > 1
      ? ` ${opts.jobs} runs trained at once (training tokens/s are each run's while sharing the machine; decoding timed afterwards, alone).`
      : '';
  const setup = `Data ${opts.data}; ${opts.seeds} seed${opts.seeds > 1 ? 's' : ''} per plan; ${opts.steps} steps; --match ${opts.match}.${shared}`;
  const command = `Command: \`${commandLine()}\``;
  const late = lateImprovement(plans[0]!, results);
  const flat = late
    ? `Baseline validation loss from step ${late.from} to ${late.to}: ${late.delta >= 0 ? '+' : ''}${late.delta.toFixed(4)} nats (how much training was still improving it). ${stillImproving(plans, results)}`
    : '';
  const md = markdownReport('shareformer sweep', [setup, flat, command].filter(Boolean).join('\n\n'), summaries);
  writeFileSync(
    join(opts.out, 'results.json'),
    `${JSON.stringify({ setup, command: commandLine(), plans: summaries, runs: results }, null, 2)}\n`,
  );
  writeFileSync(join(opts.out, 'report.md'), md);
  writeFileSync(join(opts.out, 'runs.csv'), runsCsv(results));
  const curve = curveSpec(plans, results);
  const specs = [
    ...(['parameters', 'kvBytesPerToken', 'decodeTokensPerS'] as const).map((x) => paretoSpec(summaries, x)),
    ...(curve ? [curve] : []),
  ];
  const svgs = await Promise.all(specs.map((s) => chartSvg(s)));
  const names = ['loss-vs-parameters', 'loss-vs-kv-bytes', 'loss-vs-decoding-speed', 'validation-curves'];
  mkdirSync(join(opts.out, 'charts'), { recursive: true });
  for (const [i, svg] of svgs.entries()) writeFileSync(join(opts.out, 'charts', `${names[i]}.svg`), svg);
  writeFileSync(join(opts.out, 'report.html'), htmlReport(md, svgs));
  console.log(md);
}
