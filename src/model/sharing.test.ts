// Every sharing mode against an independent PyTorch implementation of the same plan: logits,
// loss, every unique parameter's gradient (shared sets accumulate from each layer that uses them),
// and ten AdamW steps.
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/backend.js';
import { BACKENDS } from '../testing/backends.js';
import { DiffReport } from '../testing/report.js';
import { SHARING_MODES } from '../verify/catalog.js';
import { loadFixture } from '../verify/load.js';
import { modelFromFixture, verifyModelForward, verifyModelTraining } from '../verify/models.js';

describe.each(BACKENDS)('sharing modes on the %s backend match PyTorch', (backendName) => {
  const report = new DiffReport(`sharing modes vs PyTorch float64 (${backendName} backend), worst per mode`);
  afterAll(() => report.print());

  describe.each(Object.entries(SHARING_MODES))('%s (%s)', (mode) => {
    const fx = loadFixture(`sharing/${mode}.safetensors`);

    it('stores exactly the unique parameters PyTorch has', () => {
      const { lm } = modelFromFixture(fx);
      const names = [...fx.file.tensors.keys()].filter((n) => n.startsWith('param:')).map((n) => n.slice(6));
      expect([...lm.params.keys()].sort()).toEqual(names.sort());
    });

    it('computes the same logits, loss and gradients, and trains the same for ten steps', () => {
      setBackend(backendName);
      const checks = [...verifyModelForward(fx, mode), ...verifyModelTraining(fx, mode)];
      for (const c of checks) expect(c.diff, `${mode}: ${c.check}`).toBeLessThanOrEqual(c.tolerance);
      const worst = checks.reduce((w, c) => (c.diff / c.tolerance > w.diff / w.tolerance ? c : w));
      report.add(`${mode}: ${worst.check}`, worst.diff, worst.tolerance);
    });
  });
});
