// Every op against PyTorch (float64) fixtures: outputs and input gradients, tensor by tensor,
// on every backend. Fixtures come from python/make_fixtures.py.
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../backend/backend.js';
import { BACKENDS } from '../../testing/backends.js';
import { DiffReport } from '../../testing/report.js';
import { loadFixture } from '../../verify/load.js';
import { OP_CALLS, opCases, verifyOpCase } from '../../verify/ops.js';
import * as ops from './index.js';

const fixture = loadFixture('ops.safetensors');
const cases = opCases(fixture);

describe('the op fixtures', () => {
  it('cover every differentiable op (dropout is checked on its own: PyTorch draws other random numbers)', () => {
    const tested = new Set(cases.map((c) => c.op));
    const untested = Object.keys(ops).filter(
      (k) => typeof (ops as Record<string, unknown>)[k] === 'function' && !tested.has(k) && k !== 'dropout',
    );
    expect(untested).toEqual([]);
    for (const c of cases) expect(OP_CALLS).toHaveProperty(c.op);
  });
});

describe.each(BACKENDS)('ops on the %s backend match PyTorch', (name) => {
  const report = new DiffReport(`ops vs PyTorch float64 (${name} backend)`);
  afterAll(() => report.print());

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_label, c) => {
    setBackend(name);
    const checks = verifyOpCase(fixture, c);
    expect(checks.length).toBe(c.outputs + c.inputs.length);
    for (const k of checks) expect(report.add(k.check, k.diff, k.tolerance), k.check).toBeLessThanOrEqual(k.tolerance);
  });
});
