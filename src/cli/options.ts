// Flags shared by several commands: model shape, sharing plan, backend. Their names match the
// config.json fields (kebab-case here, camelCase there); values are validated by resolveConfig.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_ORDER, selectNodeBackend } from '../backend/node.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../model/config.js';
import { presetConfig, PRESETS } from '../model/presets.js';

export const int =
  (min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };

export const num =
  (ok: (n: number) => boolean, rule: string) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`expected ${rule}`);
    return n;
  };

/** A strategy flag: a name like "cycle:3" or an explicit JSON array "[0,0,1,1]". */
export const strategy = (v: string): string | number[] => {
  const t = v.trim();
  if (!t.startsWith('[')) return t;
  try {
    const a = JSON.parse(t);
    if (Array.isArray(a) && a.every((x) => Number.isInteger(x))) return a;
  } catch {
    /* fall through */
  }
  throw new InvalidArgumentError('expected a strategy name or a JSON array of integers such as [0,0,1,1]');
};

export function addModelOptions(
  cmd: Command,
  presetHelp = `start from a preset: ${Object.entries(PRESETS)
    .map(([n, p]) => `${n} (${p.description})`)
    .join('; ')}`,
): Command {
  return cmd
    .option('--preset <name>', presetHelp)
    .option(
      '--config <file>',
      'JSON file with model fields (layers, dModel, shareKv, ...) and training fields (steps, lr, ...)',
    )
    .option('--layers <n>', 'decoder layers', int(1))
    .option('--d-model <n>', 'model width', int(1))
    .option('--heads <n>', 'attention heads', int(1))
    .option('--head-dim <n>', 'width of each head (default d-model / heads; Qwen3 sets it apart)', int(1))
    .option(
      '--attention-scalar <n>',
      'scores are q·k / √N (default: the head width; Gemma 3 27B: 168 on heads of 128)',
      num((n) => n > 0 && n <= 1e9, 'a positive number'),
    )
    .option(
      '--attention-softcap <n>',
      'soft-cap attention scores: cap·tanh(score / cap) before the softmax (Gemma 2: 50; 0: none)',
      num((n) => n >= 0 && n <= 1e9, 'a number ≥ 0'),
    )
    .option(
      '--logit-softcap <n>',
      'soft-cap the output logits: cap·tanh(logit / cap) (Gemma 2: 30; 0: none)',
      num((n) => n >= 0 && n <= 1e9, 'a number ≥ 0'),
    )
    .option('--context <n>', 'context length in tokens', int(1))
    .option(
      '--sliding-window <n>',
      'each position attends to the newest N positions only (Mistral 7B v0.1; 0: all)',
      int(0),
    )
    .option(
      '--full-attention-every <n>',
      'with --sliding-window, every Nth layer attends to the whole context (Gemma 3: 6; 0: none)',
      int(0),
    )
    .option(
      '--full-attention-first',
      "with --full-attention-every N, the full layers are the first of each N (0, N, …: GPT-Neo's global, local, …), not the last",
    )
    .addOption(
      new Option(
        '--ffn <type>',
        'feed-forward block: GELU MLP, ReLU MLP (OPT), squared-ReLU MLP (Nemotron), SiLU-gated (Llama), GELU-gated (Gemma)',
      ).choices(['gelu', 'relu', 'relu2', 'swiglu', 'geglu']),
    )
    .option('--ffn-hidden <n>', 'feed-forward width (default 4 × d-model)', int(1))
    .option(
      '--gelu-exact',
      "the gelu and geglu FFNs' GELU in its exact form x·Φ(x) (as GPT-NeoX), not the tanh approximation",
    )
    .option('--head-bias', 'a bias on the output head (as Phi-2)')
    .option(
      '--parallel-blocks',
      'attention and FFN both read the block input: x + attn(norm1(x)) + ffn(norm2(x)) (as GPT-NeoX/Pythia)',
    )
    .addOption(new Option('--norm <type>', 'normalisation').choices(['layernorm', 'rmsnorm']))
    .addOption(
      new Option(
        '--positions <type>',
        'position encoding (alibi: per-head linear score biases, as BLOOM and MPT)',
      ).choices(['learned', 'rope', 'alibi']),
    )
    .option(
      '--rope-dims <n>',
      'with --positions rope, rotate only the first N dimensions of each head (GPT-NeoX/Pythia: a quarter; 0: all)',
      int(0),
    )
    .option(
      '--nope-every <n>',
      'with --positions rope, every Nth layer has no rotary embedding, a NoPE layer (SmolLM3: 4; 0: none)',
      int(0),
    )
    .option(
      '--dropout <p>',
      'dropout probability',
      num((n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    )
    .option('--no-bias', 'no biases in linear layers and LayerNorm')
    .option(
      '--no-attention-bias',
      'no biases on the attention projections, keeping those of the FFN and norms (as GPT-J)',
    )
    .option(
      '--attention-out-bias',
      "with --no-attention-bias, keep the output projection's bias (as GPT-Neo: none on Q/K/V, one on out_proj)",
    )
    .option('--norm-bias', 'LayerNorm biases even with --no-bias (as Falcon, StableLM)')
    .option(
      '--logit-scale <x>',
      'multiply the output logits by x (as Cohere: 0.0625)',
      num((n) => n > 0 && Number.isFinite(n), 'a positive number'),
    )
    .option('--qkv-bias', 'biases on the query, key and value projections even with --no-bias (as Qwen2)')
    .option('--qk-norm', 'RMSNorm of each query and key head before RoPE (as Qwen3)')
    .option('--qk-norm-full', 'with --qk-norm, one RMSNorm over the whole query and key projections (as OLMo 2)')
    .option('--qk-layer-norm', 'with --qk-norm, a LayerNorm per query and key head with its own gains (as Command R+)')
    .option('--no-pre-norms', 'no norm before attention and the FFN, only --post-norms after them (as OLMo 2)')
    .option('--embed-scale', 'multiply token embeddings by √d-model (as Gemma)')
    .option('--embed-norm', 'a norm on the input embeddings before the first layer (as BLOOM)')
    .option(
      '--alibi-scale <x>',
      "with --positions alibi, multiply ALiBi's slopes by x (as Falcon-RW: 1/√head size)",
      num((n) => n > 0 && Number.isFinite(n), 'a positive number'),
    )
    .option(
      '--embed-multiplier <x>',
      'multiply token embeddings by x (as Granite: 12)',
      num((n) => n > 0 && Number.isFinite(n), 'a positive number'),
    )
    .option(
      '--residual-multiplier <x>',
      'multiply each attention and FFN output by x before its residual add (as Granite: 0.22)',
      num((n) => n > 0 && Number.isFinite(n), 'a positive number'),
    )
    .option('--post-norms', 'also normalise the attention and FFN outputs before each residual add (as Gemma 2 / 3)')
    .option(
      '--share-weights <strategy>',
      'cross-layer weight sharing: none | all | sequence:M | cycle:M | cycle-rev:M | repeat:K | [array]',
      strategy,
    )
    .addOption(
      new Option('--share-scope <scope>', 'what --share-weights shares').choices(['block', 'attention', 'ffn']),
    )
    .option('--kv-heads <n>', 'key/value heads (GQA; 1 = MQA)', int(1))
    .option('--share-kv <strategy>', 'cross-layer K/V sharing: none | cla:K | yoco:K | [array]', strategy)
    .option('--share-attention <strategy>', 'attention-weight sharing: none | group:K | [array]', strategy)
    .option('--tie-embeddings', 'reuse the input embedding as the output projection')
    .option('--embed-dim <n>', 'factorized embedding width E < d-model (ALBERT)', int(1))
    .option(
      '--relax-rank <r>',
      'relaxed sharing: each layer adds its own rank-r delta to the shared matrices it uses (0: strict)',
      int(0),
    );
}

export const BACKEND_NAMES = [...BACKEND_ORDER];

export function addBackendOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--backend <name>', 'kernel backend (default: native if built, else wasm, else js)')
      .choices(BACKEND_NAMES)
      .env('SHAREFORMER_BACKEND'),
  );
}

/** Picks the backend: the one asked for, or the fastest available; says which (and why not native). */
export function selectBackend(name: string | undefined, quiet: boolean): void {
  const { backend: chosen, note } = selectNodeBackend(name ?? '');
  if (!quiet) console.error(`backend: ${chosen.name}${note ? ` (${note})` : ''}`);
}

/** Reads --config FILE: an object whose keys are config fields; errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`--config ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const v = JSON.parse(raw);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`--config ${path}: ${(e as Error).message}`);
  }
}

export const MODEL_FLAGS: Record<string, keyof ModelConfig> = {
  layers: 'layers',
  dModel: 'dModel',
  heads: 'heads',
  headDim: 'headDim',
  attentionScalar: 'attentionScalar',
  attentionSoftcap: 'attentionSoftcap',
  logitSoftcap: 'logitSoftcap',
  context: 'context',
  slidingWindow: 'slidingWindow',
  fullAttentionEvery: 'fullAttentionEvery',
  fullAttentionFirst: 'fullAttentionFirst',
  ffn: 'ffn',
  ffnHidden: 'ffnHidden',
  geluExact: 'geluExact',
  parallelBlocks: 'parallelBlocks',
  headBias: 'headBias',
  norm: 'norm',
  positions: 'positions',
  ropeDims: 'ropeDims',
  nopeEvery: 'noRopeEvery',
  dropout: 'dropout',
  shareWeights: 'shareWeights',
  shareScope: 'shareScope',
  kvHeads: 'kvHeads',
  shareKv: 'shareKv',
  shareAttention: 'shareAttention',
  tieEmbeddings: 'tieEmbeddings',
  embedDim: 'embedDim',
  relaxRank: 'relaxRank',
  qkvBias: 'qkvBias',
  normBias: 'normBias',
  attentionOutBias: 'attentionOutBias',
  logitScale: 'logitScale',
  qkNorm: 'qkNorm',
  qkNormFull: 'qkNormFull',
  qkLayerNorm: 'qkLayerNorm',
  embedScale: 'embedScale',
  embedNorm: 'embedNorm',
  alibiScale: 'alibiScale',
  embedMultiplier: 'embedMultiplier',
  residualMultiplier: 'residualMultiplier',
  postNorms: 'postNorms',
};

/** Every model field, flag or not (a sweep's plan files hold whole configs). */
const MODEL_FILE_KEYS = new Set<string>(Object.keys(DEFAULT_CONFIG));

/** A --config file's keys must all be fields a command reads; a typo is an error, not a silent default. */
export function checkConfigKeys(file: Record<string, unknown>, path: string, otherKeys: readonly string[]): void {
  const known = new Set([...MODEL_FILE_KEYS, ...otherKeys]);
  const unknown = Object.keys(file).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(
      `--config ${path}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${[...known].join(', ')})`,
    );
  }
}

/** preset < config file < flags. Returns the model part; `rest` holds the file's other keys. */
export function modelConfigFrom(
  opts: Record<string, unknown>,
  fileConfig: Record<string, unknown> = {},
  preset: Partial<ModelConfig> | null = null,
): Partial<ModelConfig> {
  const out: Record<string, unknown> = preset ? { ...preset } : opts.preset ? presetConfig(String(opts.preset)) : {};
  for (const [k, v] of Object.entries(fileConfig)) if (MODEL_FILE_KEYS.has(k)) out[k] = v;
  for (const [flag, field] of Object.entries(MODEL_FLAGS)) if (opts[flag] !== undefined) out[field] = opts[flag];
  if (opts.bias === false) out.bias = false;
  if (opts.attentionBias === false) out.attentionBias = false;
  if (opts.preNorms === false) out.preNorms = false;
  return out as Partial<ModelConfig>;
}
