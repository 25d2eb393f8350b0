// The reference models — a small GPT (LayerNorm, GELU, learned positions, tied embeddings), a
// Llama-style one (RMSNorm, SwiGLU, RoPE, GQA, untied) and a BLOOM-style one (ALiBi) — against
// PyTorch float64: logits, loss, every parameter gradient, and ten AdamW steps with gradient
// clipping and the warmup-cosine schedule.
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/backend.js';
import { BACKENDS } from '../testing/backends.js';
import { DiffReport } from '../testing/report.js';
import { REFERENCE_MODELS } from '../verify/catalog.js';
import { loadFixture } from '../verify/load.js';
import { modelFromFixture, verifyModelForward, verifyModelTraining } from '../verify/models.js';

describe.each(BACKENDS)('reference models on the %s backend match PyTorch', (backendName) => {
  describe.each(Object.keys(REFERENCE_MODELS))('%s', (model) => {
    const fx = loadFixture(`${model}.safetensors`);
    const report = new DiffReport(`${model} vs PyTorch float64 (${backendName} backend)`);
    afterAll(() => report.print());

    it('has exactly the parameters of the PyTorch model', () => {
      const { lm } = modelFromFixture(fx);
      const names = [...fx.file.tensors.keys()].filter((n) => n.startsWith('param:')).map((n) => n.slice(6));
      expect([...lm.params.keys()].sort()).toEqual(names.sort());
    });

    it('computes the same logits, loss and every parameter gradient', () => {
      setBackend(backendName);
      const checks = verifyModelForward(fx, model);
      expect(checks.filter((c) => c.check.startsWith('grad ')).length).toBe(
        [...fx.file.tensors.keys()].filter((n) => n.startsWith('grad:')).length,
      );
      for (const c of checks)
        expect(report.add(c.check, c.diff, c.tolerance), c.check).toBeLessThanOrEqual(c.tolerance);
    });

    it('follows the same loss curve for ten AdamW steps with clipping and warmup-cosine', () => {
      setBackend(backendName);
      const ref = fx.f64('step_losses');
      expect(ref[ref.length - 1]!).toBeLessThan(ref[0]!); // the reference run does learn
      for (const c of verifyModelTraining(fx, model))
        expect(report.add(c.check, c.diff, c.tolerance), c.check).toBeLessThanOrEqual(c.tolerance);
    });
  });
});
