import { describe, expect, it } from 'vitest';
import { Rng } from '../tensor/random.js';
import { heldOutProblems, isHeldOut, qaData, qaTask, QA_TASKS } from './tasks.js';

describe.each(Object.keys(QA_TASKS))('question/answer task %s', (name) => {
  const task = qaTask(name);
  const data = qaData(task, 500, 7);
  const decode = (ids: Int32Array) => data.tokenizer.decode(ids);

  it('starts every window at a line start, one problem per window, as the model is prompted', () => {
    for (const w of [...data.split.train, ...data.split.val]) {
      expect(w.length).toBe(data.context + 1);
      const text = decode(w);
      expect(text.startsWith('\n')).toBe(true);
      const [question, answer] = text.slice(1).split('\n')[0]!.split(task.sep);
      expect(task.solve(question!)).toBe(answer);
    }
  });

  it('never trains on a held-out problem or a showcase problem', () => {
    const trained = data.split.train.map((w) => decode(w).slice(1).split(task.sep)[0]!);
    expect(trained.some((q) => isHeldOut(task, q))).toBe(false);
    for (const q of task.showcase) expect(isHeldOut(task, q)).toBe(true);
  });

  it('draws distinct held-out problems, about one in ten of all', () => {
    const ps = heldOutProblems(task, 200, 1);
    expect(new Set(ps.map((p) => p.question)).size).toBe(200);
    expect(ps.every((p) => isHeldOut(task, p.question) && task.solve(p.question) === p.answer)).toBe(true);
    const rng = new Rng(3);
    const share = Array.from({ length: 10_000 }, () => isHeldOut(task, task.draw(rng).question)).filter(Boolean).length;
    expect(share / 10_000).toBeGreaterThan(0.08);
    expect(share / 10_000).toBeLessThan(0.12);
  });
});

it('an unknown task names the known ones', () => {
  expect(() => qaTask('sorting')).toThrow(/unknown task "sorting" \(known: reverse, addition\)/);
});
