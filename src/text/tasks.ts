// Question/answer tasks with held-out problems, for the demo: a model is scored on problems it
// never saw, by the exact answer it writes. Training windows start at a line start, so a problem
// sits at the same positions in training as when the model is asked it.
import { Rng } from '../tensor/random.js';
import type { Split } from '../train/data.js';
import { CharTokenizer } from './tokenizer.js';

export interface QaTask {
  description: string;
  /** A fresh problem: the model is prompted with `question` + `sep` and must write `answer`. */
  draw(rng: Rng): { question: string; answer: string };
  sep: string;
  /** Problems to show, chosen by hand and always held out. */
  showcase: string[];
  /** Solves a showcase question (the same rule as `draw`). */
  solve(question: string): string;
  /** Steps at which every demo plan learns the task (measured; see the demo's help). */
  steps: number;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const QA_TASKS: Record<string, QaTask> = {
  reverse: {
    description: 'write a five-letter string backwards, "parts>strap": attention must find each letter by position',
    sep: '>',
    draw: (rng) => {
      const q = Array.from({ length: 5 }, () => LETTERS[rng.int(26)]).join('');
      return { question: q, answer: [...q].reverse().join('') };
    },
    solve: (q) => [...q].reverse().join(''),
    showcase: ['parts', 'stops', 'lemon', 'drawn', 'smart'],
    steps: 700,
  },
  addition: {
    description: 'add two two-digit numbers, "07+35=042": the carry needs both digits of both numbers',
    sep: '=',
    draw: (rng) => {
      const a = rng.int(100),
        b = rng.int(100);
      return { question: `${pad(a, 2)}+${pad(b, 2)}`, answer: pad(a + b, 3) };
    },
    solve: (q) => {
      const [a, b] = q.split('+').map(Number);
      return pad(a! + b!, 3);
    },
    showcase: ['58+74', '19+81', '66+07', '99+99', '40+25'],
    steps: 2000,
  },
};

export function qaTask(name: string): QaTask {
  const t = QA_TASKS[name];
  if (!t) throw new Error(`unknown task "${name}" (known: ${Object.keys(QA_TASKS).join(', ')})`);
  return t;
}

/** One problem in ten (by a hash of the question) and the showcase are never trained on. */
export function isHeldOut(task: QaTask, question: string): boolean {
  let h = 2166136261;
  for (const ch of question) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % 10 === 0 || task.showcase.includes(question);
}

const line = (task: QaTask, p: { question: string; answer: string }) => `${p.question}${task.sep}${p.answer}\n`;

/** `count` distinct held-out problems, seeded. */
export function heldOutProblems(
  task: QaTask,
  count: number,
  seed: number,
): Array<{ question: string; answer: string }> {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Array<{ question: string; answer: string }> = [];
  for (let tries = 0; out.length < count && tries < count * 1000; tries++) {
    const p = task.draw(rng);
    if (isHeldOut(task, p.question) && !seen.has(p.question)) {
      seen.add(p.question);
      out.push(p);
    }
  }
  return out;
}

export interface QaData {
  tokenizer: CharTokenizer;
  split: Split;
  /** Context length: a leading newline and `perWindow` problems. */
  context: number;
}

/**
 * Training and validation windows of `perWindow` problems each, every window starting with a
 * newline (as the model is prompted) and none holding a held-out problem.
 */
export function qaData(task: QaTask, windows: number, seed: number, perWindow = 3): QaData {
  const rng = new Rng(seed);
  const texts: string[] = [];
  while (texts.length < windows) {
    const lines: string[] = [];
    while (lines.length < perWindow) {
      const p = task.draw(rng);
      if (!isHeldOut(task, p.question)) lines.push(line(task, p));
    }
    texts.push(`\n${lines.join('')}`);
  }
  const width = Math.max(...texts.map((t) => t.length));
  const padded = texts.map((t) => t.padEnd(width, '\n'));
  const tokenizer = CharTokenizer.fromText(padded.join('') + task.showcase.join(task.sep), false);
  const blocks = padded.map((t) => tokenizer.encode(t));
  const nVal = Math.max(1, Math.floor(windows / 10));
  return { tokenizer, split: { train: blocks.slice(nVal), val: blocks.slice(0, nVal) }, context: width - 1 };
}
