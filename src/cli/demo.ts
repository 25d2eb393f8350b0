// `shareformer demo` (the README's first command): trains a baseline and four shared models on a
// built-in task, side by side on the machine's cores, scores each on problems it never saw, and
// shows what each kind of sharing buys (parameters, KV cache) and costs (score, loss).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { backend } from '../backend/backend.js';
import type { ModelConfig } from '../model/config.js';
import { QA_TASKS, qaTask } from '../text/tasks.js';
import type { DemoJob, DemoMessage, DemoRow } from './demo-worker.js';
import { addBackendOption, int, selectBackend } from './options.js';

const PLANS: Array<[string, Partial<ModelConfig>]> = [
  ['baseline (no sharing)', {}],
  ['weights all (ALBERT)', { shareWeights: 'all' }],
  ['MQA (1 KV head)', { kvHeads: 1 }],
  ['CLA:2 + 2 KV heads', { shareKv: 'cla:2', kvHeads: 2 }],
  ['attention group:2', { shareAttention: 'group:2' }],
];
const BASE: Partial<ModelConfig> = { layers: 2, dModel: 32, heads: 4 };
const SEED = 1337;

interface DemoOpts {
  task: string;
  steps?: number;
  json?: boolean;
  backend?: string;
  workers?: number;
}

export function demoCommand(): Command {
  const tasks = Object.entries(QA_TASKS)
    .map(([name, t]) => `${name} (${t.description}; learned in ${t.steps} steps)`)
    .join('; ');
  const cmd = new Command('demo')
    .summary('a baseline and four shared models learn a task side by side (the npm start job)')
    .description(
      'train a baseline and four shared models on a built-in task, score them on held-out problems, and compare size, KV cache, score and loss',
    )
    .option('--task <name>', `built-in task: ${tasks}`, 'reverse')
    .option('--steps <n>', "training steps per model (default: the task's)", int(1))
    .option('--workers <n>', 'models trained at once (default: one per core)', int(1))
    .option('--json', 'print one JSON object per model (in plan order) instead of the table');
  addBackendOption(cmd);
  return cmd.action((opts: DemoOpts) => runDemo(opts));
}

async function runDemo(opts: DemoOpts): Promise<void> {
  const task = qaTask(opts.task);
  const steps = opts.steps ?? task.steps;
  selectBackend(opts.backend, Boolean(opts.json));
  const workers = Math.min(opts.workers ?? availableParallelism(), PLANS.length);
  if (!opts.json) {
    console.log(`shareformer demo: ${opts.task} — ${task.description}`);
    console.log(
      `every model: ${BASE.layers} layers, d ${BASE.dModel}, ${BASE.heads} heads, ${steps} steps of 32 problems, seed ${SEED}; scored on 200 problems it never saw`,
    );
    console.log(`${workers} model${workers > 1 ? 's' : ''} at a time, ${backend().name} backend\n`);
  }
  const started = performance.now();
  const rows = await trainAll(opts, steps, workers);
  // Workers finish in any order; JSON consumers get plan order, so the output is the same on every run.
  if (opts.json) {
    for (const row of rows) console.log(JSON.stringify(row));
    return;
  }
  printTable(rows);
  printTradeOffs(rows);
  printShowcase(rows, task.sep);
  console.log(`\n${PLANS.length} models in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  console.log(
    [
      'Next:',
      '  shareformer sweep --data FILE --plans "none; share-weights=all; share-kv=cla:2" --seeds 3   (many plans × seeds on your text, Pareto charts)',
      '  shareformer analyze --preset llama-2-7b --compare "share-kv=cla:2; kv-heads=8"   (what sharing does to a real model)',
      '  shareformer train --help   (your own text, any sharing plan)',
      '  npm run playground   (in a clone of the repository: design a plan, train and compare in the browser)',
    ].join('\n'),
  );
}

/** Runs every plan in a pool of worker threads; rows come back in plan order. */
function trainAll(opts: DemoOpts, steps: number, workers: number): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  const tty = !opts.json && process.stderr.isTTY;
  const bars = tty
    ? new cliProgress.MultiBar(
        { format: '{name} |{bar}| {value}/{total} loss {loss}', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const barOf = new Map<number, cliProgress.SingleBar>();
  const width = Math.max(...PLANS.map(([n]) => n.length));
  let next = 0;
  return new Promise((resolve, reject) => {
    const pool = Array.from(
      { length: workers },
      () =>
        new Worker(new URL('./demo-worker.js', import.meta.url), {
          env: { ...process.env, SHAREFORMER_THREADS: '1' },
        }),
    );
    const give = (w: Worker) => {
      if (next >= PLANS.length) return void w.terminate();
      const index = next++;
      const [name, plan] = PLANS[index]!;
      const job: DemoJob = {
        index,
        name,
        plan,
        base: BASE,
        task: opts.task,
        steps,
        backend: backend().name,
        seed: SEED,
      };
      barOf.set(index, bars?.create(steps, 0, { name: name.padEnd(width), loss: '-' }) as cliProgress.SingleBar);
      w.postMessage(job);
    };
    for (const w of pool) {
      w.on('message', (m: DemoMessage) => {
        if (m.type === 'progress') barOf.get(m.index)?.update(m.step, { loss: m.loss.toFixed(3) });
        else if (m.type === 'error') {
          bars?.stop();
          for (const p of pool) void p.terminate();
          reject(new Error(`demo: ${PLANS[m.index]![0]}: ${m.message}`));
        } else {
          rows[m.index] = m.row;
          const bar = barOf.get(m.index);
          if (bar) bars?.remove(bar);
          if (!opts.json && !tty) console.log(finishedLine(m.row, rows[0]));
          if (rows.filter(Boolean).length === PLANS.length) {
            bars?.stop();
            for (const p of pool) void p.terminate();
            resolve(rows);
          } else give(w);
        }
      });
      w.on('error', (e) => reject(new Error(`demo: a worker failed: ${e.message}`)));
      give(w);
    }
  });
}

const signed = (x: number) => `${x >= -0.0005 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const pct = (x: number) => `${(100 * x).toFixed(x === 1 ? 0 : 1)}%`;
const times = (x: number, base: number) => `${(x / base).toFixed(2)}×`;

function finishedLine(r: DemoRow, base: DemoRow | undefined): string {
  const vs =
    base && base !== r
      ? ` (params ${times(r.parameters, base.parameters)}, KV ${times(r.kv_bytes_per_token, base.kv_bytes_per_token)})`
      : '';
  const learned = r.learned_at_step === null ? 'not learned' : `learned by step ${r.learned_at_step}`;
  return `done: ${r.plan}: ${learned}, ${pct(r.held_out_exact)} held-out answers exact, val loss ${r.val_loss.toFixed(3)}${vs}, ${r.seconds.toFixed(1)} s`;
}

function printTable(rows: DemoRow[]): void {
  const base = rows[0]!;
  const header = [
    'plan',
    'unique params',
    '×',
    'KV bytes/token',
    '×',
    'learned by step',
    'held-out exact',
    'val loss',
    'Δ loss',
    'tokens/s',
  ];
  const table = rows.map((r) => [
    r.plan,
    r.parameters.toLocaleString('en'),
    times(r.parameters, base.parameters),
    r.kv_bytes_per_token.toLocaleString('en'),
    times(r.kv_bytes_per_token, base.kv_bytes_per_token),
    r.learned_at_step === null ? 'not yet' : String(r.learned_at_step),
    pct(r.held_out_exact),
    r.val_loss.toFixed(3),
    r === base ? '—' : signed(r.val_loss - base.val_loss),
    Math.round(r.tokens_per_s).toLocaleString('en'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${fmt(header)}`);
  for (const r of table) console.log(fmt(r));
}

/** One sentence per plan: what it buys (parameters, KV cache) and what it costs (steps, score, loss). */
function printTradeOffs(rows: DemoRow[]): void {
  const base = rows[0]!;
  console.log('\nwhat each kind of sharing buys and costs here:');
  for (const r of rows.slice(1)) {
    const buys = [
      r.parameters < base.parameters ? `${times(r.parameters, base.parameters)} the parameters` : null,
      r.kv_bytes_per_token < base.kv_bytes_per_token
        ? `${times(r.kv_bytes_per_token, base.kv_bytes_per_token)} the KV cache`
        : null,
    ].filter(Boolean);
    const steps =
      r.learned_at_step === null || base.learned_at_step === null
        ? `learned ${r.learned_at_step === null ? 'not at all' : `by step ${r.learned_at_step}`} (baseline: ${base.learned_at_step ?? 'never'})`
        : r.learned_at_step === base.learned_at_step
          ? 'learned as fast'
          : `needed ${times(r.learned_at_step, base.learned_at_step)} the steps to learn`;
    const dLoss = r.val_loss - base.val_loss;
    console.log(
      `  ${r.plan}: ${buys.join(' and ') || 'nothing in size'}; ${steps}; ${pct(r.held_out_exact)} exact (baseline ${pct(base.held_out_exact)}), val loss ${signed(dLoss)}`,
    );
  }
}

function printShowcase(rows: DemoRow[], sep: string): void {
  const width = Math.max(...rows.map((r) => r.plan.length));
  console.log('\ngreedy answers to held-out problems (✓ exact, ✗ wrong):');
  for (const r of rows) {
    const shown = r.showcase.map((s) => `${s.question}${sep}${s.answer || '∅'} ${s.answer === s.expected ? '✓' : '✗'}`);
    console.log(`  ${r.plan.padEnd(width)}  ${shown.join('   ')}`);
  }
}
