// Human-readable reports of analyzer results: sizes with units, shares, and aligned tables.
import { headSize, type ModelConfig } from '../model/config.js';
import type { Analysis, ScalingRow } from './analyze.js';

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en');

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2)} ${units[i]}`;
}

export function fmtFlops(n: number): string {
  const units: Array<[number, string]> = [
    [1e15, 'PFLOP'],
    [1e12, 'TFLOP'],
    [1e9, 'GFLOP'],
    [1e6, 'MFLOP'],
    [1e3, 'kFLOP'],
  ];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(n / v >= 100 ? 0 : 2)} ${u}`;
  return `${n.toFixed(0)} FLOP`;
}

export function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < alignLeft ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

/** Runs of equal values as "0-3: 0, 4-5: 1" would hide the pattern; a plain list is clearest up to ~48 layers. */
const mapText = (m: readonly number[]) => (m.length <= 48 ? `[${m.join(',')}]` : `[${m.slice(0, 24).join(',')}, …]`);

const FFN_NAMES: Record<ModelConfig['ffn'], string> = {
  gelu: 'GELU',
  relu: 'ReLU',
  relu2: 'squared-ReLU',
  swiglu: 'SwiGLU',
  geglu: 'GeGLU',
};

/** Gemma 2's soft-caps, as the summary lines name them: ", soft-capped scores at 50 and logits at 30" or nothing. */
export function capsText(c: ModelConfig): string {
  const caps = [
    ...(c.attentionSoftcap ? [`scores at ${fmtInt(c.attentionSoftcap)}`] : []),
    ...(c.logitSoftcap ? [`logits at ${fmtInt(c.logitSoftcap)}`] : []),
  ];
  const scaled = c.logitScale !== 1 ? `, logits scaled by ${c.logitScale}` : '';
  return `${scaled}${caps.length ? `, soft-capped ${caps.join(' and ')}` : ''}`;
}

/** GPT-NeoX's, Phi's and GPT-J's block shape, as the summary lines name it: ", attention and FFN in parallel, exact GELU" or nothing. */
export function blockText(c: ModelConfig): string {
  const attentionBias =
    c.bias && !c.attentionBias
      ? c.attentionOutBias
        ? ', no Q/K/V biases'
        : ', no attention biases'
      : !c.bias && c.normBias && c.norm === 'layernorm'
        ? c.qkvBias
          ? ', LayerNorm biases'
          : ', biases on the LayerNorms only'
        : c.bias && !c.normBias && c.norm === 'layernorm'
          ? ', no LayerNorm biases'
          : c.bias && c.norm === 'rmsnorm'
            ? ', biases on every projection'
            : '';
  const scores =
    c.attentionScalar === 1
      ? ', scores unscaled'
      : c.attentionScalar > 0 && c.attentionScalar !== headSize(c)
        ? `, scores scaled by 1/√${fmtInt(c.attentionScalar)}`
        : '';
  const norms = `${c.qkNorm && c.qkNormFull ? ', query/key norms over whole projections' : ''}${c.preNorms ? '' : ', no norms before attention and FFN'}`;
  const multipliers = `${c.embedMultiplier !== 1 ? `, embeddings ×${c.embedMultiplier}` : ''}${c.residualMultiplier !== 1 ? `, block outputs ×${c.residualMultiplier}` : ''}`;
  return `${scores}${norms}${multipliers}${c.parallelBlocks ? ', attention and FFN in parallel' : ''}${c.geluExact ? ', exact GELU' : ''}${attentionBias}${c.headBias ? ', a biased output head' : ''}`;
}

/** GPT-NeoX's partial rotary, as the summary lines name it: ", RoPE on 16 of 64 head dimensions" or nothing. */
export function rotaryText(c: ModelConfig): string {
  const partial =
    c.ropeDims > 0 && c.ropeDims < headSize(c) ? `, RoPE on ${c.ropeDims} of ${headSize(c)} head dimensions` : '';
  const nope =
    c.noRopeEvery > 0 ? `, every ${c.noRopeEvery === 2 ? 'other' : ordinal(c.noRopeEvery)} layer without RoPE` : '';
  return partial + nope;
}

/** ", sliding window 512 (every 6th layer full)" or nothing. */
export function windowText(c: ModelConfig): string {
  if (!c.slidingWindow) return '';
  const every = c.fullAttentionEvery;
  const from = c.fullAttentionFirst ? ', from the first' : '';
  const full =
    every > 0 && (every <= c.layers || c.fullAttentionFirst)
      ? ` (every ${every === 2 ? 'other' : ordinal(every)} layer full${from})`
      : '';
  return `, sliding window ${fmtInt(c.slidingWindow)}${full}`;
}

const ordinal = (n: number) =>
  `${n}${n % 10 === 3 && n % 100 !== 13 ? 'rd' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 1 && n % 100 !== 11 ? 'st' : 'th'}`;

export function formatAnalysis(title: string, a: Analysis, scaling: ScalingRow[]): string {
  const c = a.config,
    out: string[] = [];
  const shared = (m: readonly number[]) => m.some((v, i) => v !== i);
  out.push(title);
  out.push(
    `${c.layers} layers, d ${c.dModel}, ${c.heads} heads${c.headDim ? ` of ${c.headDim}` : ''} / ${c.kvHeads} KV heads${c.qkNorm && !c.qkNormFull ? ', query/key head norms' : ''}${rotaryText(c)}${windowText(c)}, ${FFN_NAMES[c.ffn]} FFN ${c.ffnHidden}${c.postNorms && c.preNorms ? ' (norms after attention and FFN too)' : ''}${blockText(c)}, vocabulary ${fmtInt(c.vocabSize)}${c.embedDim ? `, factorized embedding E=${c.embedDim}` : ''}${c.tieEmbeddings ? ', tied output head' : ''}${capsText(c)}${a.encoder ? ', encoder' : ''}`,
  );
  const plans = [
    shared(a.plan.attnSet) && `attention sets ${mapText(a.plan.attnSet)}`,
    shared(a.plan.ffnSet) && `FFN sets ${mapText(a.plan.ffnSet)}`,
    shared(a.plan.kv) && `K/V from ${mapText(a.plan.kv)}`,
    shared(a.plan.attention) && `attention weights from ${mapText(a.plan.attention)}`,
  ].filter(Boolean);
  out.push(`sharing: ${plans.length ? plans.join('; ') : 'none'}`);
  out.push('');
  const p = a.parameters;
  out.push(
    `Parameters: ${fmtInt(p.total)} unique${p.effective !== p.total ? ` (${fmtInt(p.effective)} as used by the layers: sharing stores ${(p.effective / p.total).toFixed(1)}× fewer than it computes with)` : ''}`,
  );
  const comps = Object.entries(p.byComponent).filter(([, n]) => n > 0);
  out.push(
    table(
      ['component', 'parameters', 'share'],
      comps.map(([k, n]) => [k, fmtInt(n), pct(n, p.total)]),
    ),
  );
  out.push('');
  out.push(
    `Weights: ${Object.entries(a.weightBytes)
      .map(([k, b]) => `${k} ${fmtBytes(b)}`)
      .join(' · ')}`,
  );
  const kv = a.kvCache;
  const held = kv.bytes / (kv.bytesPerToken * a.batch);
  const mixed = c.fullAttentionEvery > 0 && (c.fullAttentionEvery <= c.layers || c.fullAttentionFirst);
  const window =
    held >= a.context
      ? ''
      : mixed
        ? ` (windowed layers hold ${fmtInt(c.slidingWindow + Math.max(1, Math.floor(c.slidingWindow / 8)))} positions, a window and a stride; full ones all ${fmtInt(a.context)}: ${(held / a.context).toFixed(3)}× of holding every position)`
        : ` (a window of ${fmtInt(c.slidingWindow)} and a stride: ${fmtInt(held)} positions held)`;
  out.push(
    `KV cache (${a.dtype}): ${fmtInt(kv.bytesPerToken)} bytes/token (${kv.keyEntries} K and ${kv.valueEntries} V entries; without GQA/CLA/attention sharing ${fmtInt(kv.baselineBytesPerToken)}, ×${(kv.bytesPerToken / kv.baselineBytesPerToken).toFixed(3)}) → ${fmtBytes(kv.bytes)} at ${fmtInt(a.context)} tokens × batch ${a.batch}${window}`,
  );
  out.push('');
  const f = a.flops.forwardPerToken;
  out.push(
    `FLOPs per token, forward, averaged over ${fmtInt(a.context)} tokens: ${fmtFlops(f.total)} (training ≈ 3× = ${fmtFlops(a.flops.trainingPerToken)}); at position ${fmtInt(a.context)}: ${fmtFlops(a.flops.forwardPerTokenAtContext.total)}`,
  );
  out.push(
    table(
      ['part', 'FLOPs/token', 'share'],
      (
        [
          ['Q/K/V/O projections', f.projections],
          ['attention scores QKᵀ', f.scores],
          ['probabilities × V', f.values],
          ['feed-forward', f.ffn],
          ['embedding + head', f.embedAndHead],
        ] as Array<[string, number]>
      ).map(([k, n]) => [k, fmtFlops(n), pct(n, f.total)]),
    ),
  );
  const sk = a.flops.skippedBySharing;
  if (sk.kv > 0 || sk.attention > 0)
    out.push(
      `skipped by activation sharing per token: ${sk.kv > 0 ? `${fmtFlops(sk.kv)} of K/V projections (CLA/YOCO)` : ''}${sk.kv > 0 && sk.attention > 0 ? ', ' : ''}${sk.attention > 0 ? `${fmtFlops(sk.attention)} of Q/K projections and scores (attention sharing)` : ''}`,
    );
  if (p.effective !== p.total)
    out.push('weight sharing saves parameters and memory, not compute: every layer still runs its (shared) weights.');
  out.push('');
  const t = a.trainingMemory;
  out.push(
    `Training memory estimate (fp32, AdamW, batch ${a.batch} × ${fmtInt(a.context)} tokens): weights ${fmtBytes(t.weights)} + gradients ${fmtBytes(t.gradients)} + AdamW ${fmtBytes(t.optimizer)} + activations ${fmtBytes(t.activations)} = ${fmtBytes(t.total)}`,
  );
  out.push('');
  out.push('Cost of a whole sequence versus its length (forward): linear layers grow like T, attention like T²');
  out.push(
    table(
      ['tokens', 'linear layers', 'attention', 'attention share', 'tokens ×', 'attention ×'],
      scaling.map((r) => [
        fmtInt(r.tokens),
        fmtFlops(r.linear),
        fmtFlops(r.attention),
        pct(r.attention, r.attention + r.linear),
        `${r.tokensGrowth}×`,
        `${Math.round(r.attentionGrowth)}×`,
      ]),
    ),
  );
  if (c.layers <= 48) {
    out.push('');
    out.push('Layers');
    out.push(
      table(
        ['layer', 'attention set', 'FFN set', 'K/V from', 'attention from', 'computes'],
        p.layers.map((l) => [
          String(l.layer),
          String(l.attentionSet),
          String(l.ffnSet),
          String(l.kvFrom),
          String(l.attentionFrom),
          l.computes,
        ]),
        0,
      ),
    );
  }
  return out.join('\n');
}
