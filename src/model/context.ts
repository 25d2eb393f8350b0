// A trained model's weights in a model of another context (window length). Shorter works for every
// model; longer only where no position table ends at the trained context — RoPE extrapolates
// poorly past it, ALiBi was made to (Press et al., "train short, test long").
import { TransformerLM } from './transformer.js';

/**
 * `lm` with context `context`: the same weights (a learned position table cut to its first rows).
 * `longer` lets RoPE and ALiBi models go past the trained context (evaluation), else it is refused
 * (a fine-tune starts from what the weights learned). Errors name `source` and why.
 */
export function withContext(lm: TransformerLM, context: number, source: string, longer: boolean): TransformerLM {
  const c = lm.config,
    trained = c.context;
  if (context === trained) return lm;
  if (context > trained && (!longer || c.positions === 'learned')) {
    const why =
      c.positions === 'learned'
        ? 'its learned position table ends there'
        : `${c.positions === 'rope' ? 'RoPE' : 'ALiBi'} was never trained at those distances; eval --context measures how it extrapolates`;
    const what = longer ? 'windows can be shorter, not longer' : 'a fine-tune can use shorter windows, not longer ones';
    throw new Error(`--context ${context}: ${source} was trained with a context of ${trained}; ${what} (${why})`);
  }
  if (lm.quantized.size > 0)
    throw new Error(
      `--context ${context}: ${source} holds int8 weights; evaluate or fine-tune its float32 checkpoint at another context`,
    );
  const other = new TransformerLM({ ...c, context }, null);
  const weights = new Map([...lm.params].map(([name, t]) => [name, t.data]));
  const pos = weights.get('pos.weight');
  if (pos) weights.set('pos.weight', pos.subarray(0, context * c.dModel));
  other.loadWeights(weights, source, { adopt: true });
  return other;
}
