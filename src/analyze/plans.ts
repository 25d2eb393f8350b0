// Sharing plans written on one line, as --compare and sweep --plans take them: "none", or
// KEY=VALUE pairs joined by commas (share-weights=cycle:3,share-scope=ffn; a value may be an
// explicit layer map, share-kv=[0,0,2,3,0,0]), several plans joined by semicolons. Each becomes
// config overrides with a label.
import { resolveConfig, type ModelConfig } from '../model/config.js';

export const PLAN_KEYS: Record<string, keyof ModelConfig> = {
  'share-weights': 'shareWeights',
  'share-scope': 'shareScope',
  'kv-heads': 'kvHeads',
  'share-kv': 'shareKv',
  'share-attention': 'shareAttention',
  'tie-embeddings': 'tieEmbeddings',
  'embed-dim': 'embedDim',
  'relax-rank': 'relaxRank',
  layers: 'layers',
};

/** "none" or "share-kv=cla:2,kv-heads=8" → config overrides. */
export function parsePlan(text: string, flag = '--compare'): { label: string; overrides: Partial<ModelConfig> } {
  if (text.trim() === 'none')
    return { label: 'none', overrides: { shareWeights: 'none', shareKv: 'none', shareAttention: 'none' } };
  const overrides: Record<string, unknown> = {};
  // Commas inside [...] belong to an explicit map, not to the list of pairs.
  for (const part of text.split(/,(?![^[]*\])/)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const field = PLAN_KEYS[key ?? ''];
    if (!field || value === undefined || value === '') {
      throw new Error(
        `${flag}: "${part}" is not KEY=VALUE with KEY one of ${Object.keys(PLAN_KEYS).join(', ')} (or "none")`,
      );
    }
    overrides[field] = value.startsWith('[')
      ? layerMap(value, part, flag)
      : /^\d+$/.test(value) && field !== 'shareWeights'
        ? Number(value)
        : value === 'true'
          ? true
          : value === 'false'
            ? false
            : value;
  }
  return { label: text.trim(), overrides: overrides as Partial<ModelConfig> };
}

function layerMap(value: string, part: string, flag: string): number[] {
  let map: unknown;
  try {
    map = JSON.parse(value);
  } catch {
    map = null;
  }
  if (!Array.isArray(map) || !map.every((x) => Number.isInteger(x) && x >= 0))
    throw new Error(`${flag}: "${part}": an explicit map is a list of layer indices, e.g. [0,0,2,3,0,0]`);
  return map;
}

/** "none; share-kv=cla:2; kv-heads=2" → one plan per ;-separated part. */
export function parsePlanList(text: string): Array<{ label: string; overrides: Partial<ModelConfig> }> {
  const parts = text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('--plans: no plan given (e.g. "none; share-weights=all; share-kv=cla:2")');
  const plans = parts.map((p) => parsePlan(p, '--plans'));
  const labels = new Set<string>();
  for (const p of plans) {
    if (labels.has(p.label)) throw new Error(`--plans: "${p.label}" is listed twice`);
    labels.add(p.label);
  }
  return plans;
}

/** The base config with a plan's overrides, its errors naming the plan (`--plans "share-kv=[0,0]": …`). */
export function planConfig(
  base: Partial<ModelConfig>,
  plan: { label: string; overrides: Partial<ModelConfig> },
  flag: string,
): ModelConfig {
  try {
    return resolveConfig({ ...base, ...plan.overrides });
  } catch (e) {
    throw new Error(`${flag} "${plan.label}": ${(e as Error).message}`);
  }
}
