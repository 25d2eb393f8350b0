// A model's weights at another context: every window's first positions compute what the trained
// model computes (nothing but the position table depends on the context), an ALiBi or RoPE model
// evaluates past its trained context, and a learned table, a fine-tune or int8 weights refuse it.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../tensor/tensor.js';
import type { ModelConfig } from './config.js';
import { withContext } from './context.js';
import { TransformerLM } from './transformer.js';

const base: Partial<ModelConfig> = { vocabSize: 19, layers: 2, dModel: 16, heads: 4, context: 8, ffnHidden: 32 };
const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % 19);
const logits = (lm: TransformerLM, n: number) => [...noGrad(() => lm.forward(ids(n), 1)).data];

describe('withContext', () => {
  it.each(['alibi', 'rope'] as const)('lets a %s model evaluate windows twice its trained context', (positions) => {
    const lm = new TransformerLM({ ...base, positions }, 3);
    const long = withContext(lm, 16, 'run', true);
    expect(long.config.context).toBe(16);
    const out = logits(long, 16);
    // Causal: the first 8 positions of a 16-token window are the trained model's 8-token window.
    expect(out.slice(0, 8 * 19)).toEqual(logits(lm, 8));
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('cuts a learned position table to a shorter context, and refuses a longer one', () => {
    const lm = new TransformerLM({ ...base, positions: 'learned' }, 4);
    const short = withContext(lm, 5, 'run', true);
    expect(short.params.get('pos.weight')!.shape).toEqual([5, 16]);
    expect(logits(short, 5)).toEqual(logits(lm, 5));
    expect(() => withContext(lm, 9, 'run', true)).toThrow(
      /--context 9: run was trained with a context of 8; windows can be shorter, not longer \(its learned position table ends there\)/,
    );
  });

  it('refuses a longer context to a fine-tune, saying eval measures the extrapolation', () => {
    const lm = new TransformerLM({ ...base, positions: 'alibi' }, 5);
    expect(() => withContext(lm, 16, 'run', false)).toThrow(
      /a fine-tune can use shorter windows, not longer ones \(ALiBi was never trained at those distances; eval --context measures how it extrapolates\)/,
    );
  });

  it('refuses int8 weights by name', () => {
    const lm = new TransformerLM({ ...base, positions: 'alibi' }, 6);
    lm.quantizeWeights();
    expect(() => withContext(lm, 16, 'run', true)).toThrow(/run holds int8 weights/);
  });
});
