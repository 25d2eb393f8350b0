// The trainer: gradient accumulation is the same step as one bigger batch, and a run restored from
// its state continues exactly as if it had never stopped.
import { describe, expect, it } from 'vitest';
import { TransformerLM } from '../model/transformer.js';
import { splitTokens } from './data.js';
import { syntheticText } from '../text/synthetic.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { DEFAULT_TRAIN, Trainer, validateTrainConfig } from './trainer.js';

const text = syntheticText('addition', 20_000);
const tok = CharTokenizer.fromText(text);
const split = splitTokens(tok.encode(text), 16, { seed: 1 });
const model = () => new TransformerLM({ vocabSize: tok.vocabSize, layers: 2, dModel: 16, heads: 2, context: 16 }, 3);
const cfg = { ...DEFAULT_TRAIN, steps: 6, warmup: 2, evalWindows: 8 };

describe('Trainer', () => {
  it('takes the same step with 2 micro-batches of 2 as with one batch of 4', () => {
    const a = new Trainer(model(), split, { ...cfg, batch: 4, gradAccum: 1 });
    const b = new Trainer(model(), split, { ...cfg, batch: 2, gradAccum: 2 });
    for (let i = 0; i < 3; i++) {
      const ra = a.trainStep(),
        rb = b.trainStep();
      expect(rb.loss).toBeCloseTo(ra.loss, 5);
      expect(rb.tokens).toBe(ra.tokens);
    }
    for (const [name, p] of a.lm.params) {
      const q = b.lm.params.get(name)!;
      expect(Math.max(...p.data.map((v, i) => Math.abs(v - q.data[i]!))), name).toBeLessThan(1e-5);
    }
  });

  it('continues bit-identically from a saved state', () => {
    const whole = new Trainer(model(), split, cfg);
    const losses = Array.from({ length: 6 }, () => whole.trainStep().loss);
    const first = new Trainer(model(), split, cfg);
    for (let i = 0; i < 3; i++) first.trainStep();
    // A new trainer on the same weights, given the first one's state (as a checkpoint restores it).
    const second = new Trainer(first.lm, split, cfg);
    second.setState(first.getState());
    expect(Array.from({ length: 3 }, () => second.trainStep().loss)).toEqual(losses.slice(3));
  });

  it('rejects impossible settings with the field name', () => {
    expect(() => validateTrainConfig({ ...cfg, warmup: 10 })).toThrow(
      /train\.warmup: 10 warmup steps exceed the 6 steps/,
    );
    expect(() => validateTrainConfig({ ...cfg, lr: 0 })).toThrow(/train\.lr: must be positive/);
    expect(() => validateTrainConfig({ ...cfg, batch: 0 })).toThrow(/train\.batch: must be an integer ≥ 1/);
  });
});
