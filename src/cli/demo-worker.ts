// Node-only: one demo model, trained and scored in a worker thread so the demo's models share the
// machine's cores (small models gain more from running side by side than from splitting each
// matrix product across threads).
import { parentPort } from 'node:worker_threads';
import { selectNodeBackend } from '../backend/node.js';
import { generate } from '../generate/generate.js';
import type { ModelConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { TransformerLM } from '../model/transformer.js';
import { heldOutProblems, qaData, qaTask } from '../text/tasks.js';
import { DEFAULT_TRAIN, Trainer } from '../train/trainer.js';

export interface DemoJob {
  index: number;
  name: string;
  plan: Partial<ModelConfig>;
  base: Partial<ModelConfig>;
  task: string;
  steps: number;
  backend: string;
  seed: number;
}

export interface DemoRow {
  plan: string;
  parameters: number;
  kv_bytes_per_token: number;
  val_loss: number;
  /** Fraction of held-out problems answered exactly. */
  held_out_exact: number;
  held_out_problems: number;
  /** First checked step at which ≥ 90% of 50 held-out problems were answered exactly (null: never). */
  learned_at_step: number | null;
  tokens_per_s: number;
  seconds: number;
  showcase: Array<{ question: string; expected: string; answer: string }>;
}

export type DemoMessage =
  | { type: 'progress'; index: number; step: number; loss: number }
  | { type: 'done'; index: number; row: DemoRow }
  | { type: 'error'; index: number; message: string };

const HELD_OUT = 200;
const BATCH = 32;
/** Every CHECK_EVERY steps the model answers QUICK held-out problems: when did it learn the task? */
const CHECK_EVERY = 25;
const QUICK = 50;
const LEARNED = 0.9;
const WINDOWS = 6000;

function answer(
  lm: TransformerLM,
  data: ReturnType<typeof qaData>,
  question: string,
  sep: string,
  len: number,
): string {
  return generate(lm, data.tokenizer, `\n${question}${sep}`, { maxTokens: len + 1, temperature: 0 }).text.split(
    '\n',
  )[0]!;
}

function run(job: DemoJob, post: (m: DemoMessage) => void): DemoRow {
  selectNodeBackend(job.backend);
  const task = qaTask(job.task);
  const data = qaData(task, WINDOWS, job.seed, 1);
  const lm = new TransformerLM(
    { ...job.base, ...job.plan, vocabSize: data.tokenizer.vocabSize, context: data.context },
    job.seed,
  );
  const trainer = new Trainer(lm, data.split, {
    ...DEFAULT_TRAIN,
    steps: job.steps,
    batch: BATCH,
    lr: 1e-2,
    minLr: 1e-3,
    warmup: Math.floor(job.steps / 10),
    evalEvery: 0,
    evalWindows: 128,
    seed: job.seed,
  });
  const problems = heldOutProblems(task, HELD_OUT, job.seed + 1);
  const score = (ps: typeof problems) =>
    ps.filter((p) => answer(lm, data, p.question, task.sep, p.answer.length) === p.answer).length / ps.length;
  let learnedAt: number | null = null,
    checking = 0;
  const started = performance.now();
  let last = 0;
  while (!trainer.done) {
    const { step, loss } = trainer.trainStep();
    if (learnedAt === null && step % CHECK_EVERY === 0) {
      const t = performance.now();
      if (score(problems.slice(0, QUICK)) >= LEARNED) learnedAt = step;
      checking += performance.now() - t;
    }
    if (performance.now() - last > 200 || trainer.done) {
      last = performance.now();
      post({ type: 'progress', index: job.index, step, loss });
    }
  }
  const seconds = (performance.now() - started - checking) / 1000;
  return {
    plan: job.name,
    parameters: lm.parameterCount().total,
    kv_bytes_per_token: kvBytesPerToken(lm.config),
    val_loss: trainer.evaluate().loss,
    held_out_exact: score(problems),
    learned_at_step: learnedAt,
    held_out_problems: problems.length,
    tokens_per_s: trainer.tokensSeen / seconds,
    seconds,
    showcase: task.showcase.map((q) => {
      const expected = task.solve(q);
      return { question: q, expected, answer: answer(lm, data, q, task.sep, expected.length) };
    }),
  };
}

parentPort?.on('message', (job: DemoJob) => {
  const post = (m: DemoMessage) => parentPort!.postMessage(m);
  try {
    post({ type: 'done', index: job.index, row: run(job, post) });
  } catch (e) {
    post({ type: 'error', index: job.index, message: (e as Error).message });
  }
});
