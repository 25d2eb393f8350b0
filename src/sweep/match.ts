// --match params: each plan gets the d_model (a multiple of the heads, even per head under RoPE)
// that brings its unique parameters closest to the baseline's, so a shared deeper model is
// compared with an unshared one of the same size.
import { resolveConfig, type ModelConfig } from '../model/config.js';
import { countParameters, parameterLayout } from '../model/parameters.js';

export const uniqueParameters = (c: ModelConfig): number => countParameters(parameterLayout(c)).total;

/** The config with the d_model (and a 4× FFN, unless fixed) whose parameter count is nearest `target`. */
export function matchParameters(config: Partial<ModelConfig>, target: number, fixedFfn: boolean): ModelConfig {
  const heads = config.heads ?? 4;
  const step = heads * (config.positions === 'rope' ? 2 : 1);
  let best: ModelConfig | null = null;
  let bestGap = Infinity;
  for (let d = step; d <= 8192; d += step) {
    if (config.embedDim && config.embedDim >= d) continue; // the factorized width must stay below d_model
    let c: ModelConfig;
    try {
      c = resolveConfig({ ...config, dModel: d, ...(fixedFfn ? {} : { ffnHidden: 4 * d }) });
    } catch {
      continue;
    }
    const gap = Math.abs(uniqueParameters(c) - target);
    if (gap < bestGap) {
      best = c;
      bestGap = gap;
    }
    if (uniqueParameters(c) > target * 1.5) break;
  }
  if (!best) throw new Error('--match params: no d_model fits this plan');
  return best;
}
