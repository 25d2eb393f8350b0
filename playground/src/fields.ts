// Every setting the page offers, under the CLI's flag names (the URL uses them too): which config
// or training field it sets, how it is parsed, its default, and where the form shows it.
import type { ModelConfig, TrainConfig } from 'shareformer';

export type Group = 'shape' | 'sharing' | 'embeddings' | 'training' | 'data';

export interface Field {
  flag: string;
  label: string;
  group: Group;
  kind: 'int' | 'number' | 'choice' | 'text' | 'bool';
  choices?: readonly string[];
  /** Suggestions shown under a text field (strategies). */
  examples?: readonly string[];
  default: string;
  model?: keyof ModelConfig;
  train?: keyof TrainConfig;
  help: string;
}

export const CORPORA = ['shakespeare', 'synthetic:addition', 'synthetic:brackets', 'synthetic:copy', 'pasted', 'file'];

export const FIELDS: readonly Field[] = [
  {
    flag: 'layers',
    label: 'layers',
    group: 'shape',
    kind: 'int',
    default: '4',
    model: 'layers',
    help: 'decoder layers',
  },
  { flag: 'd-model', label: 'd_model', group: 'shape', kind: 'int', default: '64', model: 'dModel', help: 'width' },
  { flag: 'heads', label: 'heads', group: 'shape', kind: 'int', default: '4', model: 'heads', help: 'attention heads' },
  {
    flag: 'kv-heads',
    label: 'KV heads',
    group: 'sharing',
    kind: 'int',
    default: '4',
    model: 'kvHeads',
    help: 'key/value heads: fewer than heads is GQA, 1 is MQA',
  },
  { flag: 'context', label: 'context', group: 'shape', kind: 'int', default: '64', model: 'context', help: 'tokens' },
  {
    flag: 'ffn',
    label: 'FFN',
    group: 'shape',
    kind: 'choice',
    choices: ['gelu', 'relu', 'relu2', 'swiglu', 'geglu'],
    default: 'gelu',
    model: 'ffn',
    help: 'feed-forward block',
  },
  {
    flag: 'ffn-hidden',
    label: 'FFN width',
    group: 'shape',
    kind: 'int',
    default: '',
    model: 'ffnHidden',
    help: 'default 4 × d_model',
  },
  {
    flag: 'norm',
    label: 'norm',
    group: 'shape',
    kind: 'choice',
    choices: ['layernorm', 'rmsnorm'],
    default: 'layernorm',
    model: 'norm',
    help: 'normalisation',
  },
  {
    flag: 'positions',
    label: 'positions',
    group: 'shape',
    kind: 'choice',
    choices: ['learned', 'rope', 'alibi'],
    default: 'learned',
    model: 'positions',
    help: 'position encoding: learned embeddings, rotary (RoPE) or ALiBi score biases',
  },
  {
    flag: 'share-weights',
    label: 'share weights',
    group: 'sharing',
    kind: 'text',
    examples: ['none', 'all', 'cycle:2', 'cycle-rev:2', 'sequence:2', 'repeat:2', '[0,0,1,1]'],
    default: 'none',
    model: 'shareWeights',
    help: 'which parameter set each layer uses',
  },
  {
    flag: 'share-scope',
    label: 'scope',
    group: 'sharing',
    kind: 'choice',
    choices: ['block', 'attention', 'ffn'],
    default: 'block',
    model: 'shareScope',
    help: 'what share-weights shares',
  },
  {
    flag: 'share-kv',
    label: 'share K/V',
    group: 'sharing',
    kind: 'text',
    examples: ['none', 'cla:2', 'cla:3', 'yoco:2', '[0,0,2,2]'],
    default: 'none',
    model: 'shareKv',
    help: 'cross-layer KV sharing: whose keys/values each layer reads',
  },
  {
    flag: 'share-attention',
    label: 'share attention',
    group: 'sharing',
    kind: 'text',
    examples: ['none', 'group:2', '[0,0,2,2]'],
    default: 'none',
    model: 'shareAttention',
    help: 'whose attention probabilities each layer reuses',
  },
  {
    flag: 'relax-rank',
    label: 'relax rank',
    group: 'sharing',
    kind: 'int',
    default: '0',
    model: 'relaxRank',
    help: 'relaxed sharing: each layer adds its own rank-r delta to the shared matrices it uses',
  },
  {
    flag: 'tie-embeddings',
    label: 'tie embeddings',
    group: 'embeddings',
    kind: 'bool',
    default: 'false',
    model: 'tieEmbeddings',
    help: 'the output head reuses the input embedding',
  },
  {
    flag: 'embed-dim',
    label: 'embedding dim',
    group: 'embeddings',
    kind: 'int',
    default: '',
    model: 'embedDim',
    help: 'factorized embedding width E < d_model (ALBERT); empty: none',
  },
  {
    flag: 'steps',
    label: 'steps',
    group: 'training',
    kind: 'int',
    default: '300',
    train: 'steps',
    help: 'optimizer steps',
  },
  {
    flag: 'batch',
    label: 'batch',
    group: 'training',
    kind: 'int',
    default: '16',
    train: 'batch',
    help: 'sequences per step',
  },
  {
    flag: 'lr',
    label: 'learning rate',
    group: 'training',
    kind: 'number',
    default: '0.003',
    train: 'lr',
    help: 'peak',
  },
  {
    flag: 'eval-every',
    label: 'eval every',
    group: 'training',
    kind: 'int',
    default: '',
    train: 'evalEvery',
    help: 'steps between validation losses (default: a tenth of the run)',
  },
  {
    flag: 'seed',
    label: 'seed',
    group: 'training',
    kind: 'int',
    default: '1337',
    train: 'seed',
    help: 'initialisation and batches',
  },
  {
    flag: 'data',
    label: 'text',
    group: 'data',
    kind: 'choice',
    choices: CORPORA,
    default: 'shakespeare',
    help: 'built-in Shakespeare excerpt (98 KB), a synthetic task, pasted text or a file',
  },
  {
    flag: 'tokenizer',
    label: 'tokenizer',
    group: 'data',
    kind: 'choice',
    choices: ['char', 'byte'],
    default: 'char',
    help: 'characters seen in the text, or the 256 bytes',
  },
];

export type Settings = Record<string, string>;

export const defaults = (): Settings => Object.fromEntries(FIELDS.map((f) => [f.flag, f.default]));

/** Settings from a query string: known flags only; `autostart` is read separately. */
export function settingsFromQuery(query: string): { settings: Settings; autostart: boolean; unknown: string[] } {
  const params = new URLSearchParams(query);
  const settings = defaults();
  const unknown: string[] = [];
  const known = new Set(FIELDS.map((f) => f.flag));
  for (const [key, value] of params) {
    if (known.has(key))
      settings[key] = FIELDS.find((f) => f.flag === key)!.kind === 'bool' && value === '' ? 'true' : value;
    else if (!['autostart', 'mode', 'preset', 'compare', 'analyze-context', 'threads'].includes(key)) unknown.push(key);
  }
  // kv-heads follows heads unless given: "heads=8" alone must not become GQA by accident.
  if (!params.has('kv-heads')) settings['kv-heads'] = settings.heads!;
  return { settings, autostart: params.has('autostart'), unknown };
}

/** The query string for settings: only what differs from the defaults, in field order. */
export function queryFromSettings(settings: Settings): string {
  const params = new URLSearchParams();
  for (const f of FIELDS) {
    const v = settings[f.flag] ?? '';
    if (f.flag === 'kv-heads' && v === settings.heads) continue;
    if (v !== f.default) params.set(f.flag, v);
  }
  return params.toString();
}

export class FieldError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
  }
}

/** The model and training parts of the settings, each value parsed (an error names its flag). */
export function configsFrom(settings: Settings): { model: Partial<ModelConfig>; train: Partial<TrainConfig> } {
  const model: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const raw = (settings[f.flag] ?? '').trim();
    if (raw === '' || (!f.model && !f.train)) continue;
    const value = parse(f, raw);
    if (f.model) model[f.model] = value;
    else train[f.train!] = value;
  }
  return { model: model as Partial<ModelConfig>, train: train as Partial<TrainConfig> };
}

function parse(f: Field, raw: string): unknown {
  if (f.kind === 'int') {
    if (!/^\d+$/.test(raw)) throw new FieldError(f.flag, `${f.flag}: expected a whole number, got "${raw}"`);
    return Number(raw);
  }
  if (f.kind === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new FieldError(f.flag, `${f.flag}: expected a positive number, got "${raw}"`);
    return n;
  }
  if (f.kind === 'bool') {
    if (raw !== 'true' && raw !== 'false')
      throw new FieldError(f.flag, `${f.flag}: expected true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (f.kind === 'choice' && !f.choices!.includes(raw))
    throw new FieldError(f.flag, `${f.flag}: expected one of ${f.choices!.join(', ')}, got "${raw}"`);
  if (f.kind === 'text' && raw.startsWith('[')) {
    try {
      const a = JSON.parse(raw);
      if (Array.isArray(a) && a.every(Number.isInteger)) return a;
    } catch {
      /* reported below */
    }
    throw new FieldError(f.flag, `${f.flag}: expected a strategy or a JSON array of integers such as [0,0,1,1]`);
  }
  return raw;
}

/** The flag a library error is about (config.heads: … / shareKv: …), so the page shows it beside that field. */
export function flagOfError(message: string): string | null {
  const m = /^(?:config\.)?(\w+)(?:\[\d+\])?:/.exec(message);
  if (!m) return null;
  const field = FIELDS.find((f) => f.model === m[1] || f.train === m[1] || f.flag === m[1]);
  return field?.flag ?? null;
}
