// `shareformer eval --context`: a model evaluated on windows other than its trained context —
// longer for ALiBi (its purpose) and RoPE, never past a learned position table.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, suiteDir } from '../testing/cli.js';

const root = suiteDir('eval-context');
const train = (positions: string) => {
  const out = join(root, positions);
  const t = cli(
    'train',
    ...['--data', 'synthetic:copy', '--layers', '2', '--d-model', '32', '--heads', '4', '--context', '16'],
    ...['--positions', positions, '--steps', '20', '--batch', '8', '--quiet', '--out', out],
  );
  expect(t.status, t.stderr).toBe(0);
  return out;
};

describe('eval --context', () => {
  it('evaluates an ALiBi model on windows twice its trained context, saying so', () => {
    const run = train('alibi');
    const r = cli('eval', '--checkpoint', run, '--data', 'synthetic:copy', '--context', '32', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ context: 32, trained_context: 16 });
    expect(Number.isFinite(out.loss)).toBe(true);
    const text = cli('eval', '--checkpoint', run, '--data', 'synthetic:copy', '--context', '32').stdout;
    expect(text).toMatch(/batches of context 32 \(trained at 16\)/);
  });

  it('refuses windows past a learned position table, in one line', () => {
    const run = train('learned');
    const r = cli('eval', '--checkpoint', run, '--data', 'synthetic:copy', '--context', '32');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^shareformer: --context 32: .* was trained with a context of 16; windows can be shorter, not longer \(its learned position table ends there\)$/,
    );
  });
});
