// Chart data and Vega-Lite specs for the analyzer: KV-cache bytes versus context for several
// plans, parameters versus depth for the weight strategies, and attention versus linear cost
// versus sequence length. Rendering to SVG/PNG happens in the CLI (cli/render.ts).
import { resolveConfig, type ModelConfig } from '../model/config.js';
import { analyze, scalingTable } from './analyze.js';

export interface PlanCurve {
  label: string;
  config: ModelConfig;
}

type Spec = Record<string, unknown>;

const lengths = (max: number) => {
  const out: number[] = [];
  for (let t = 128; t <= Math.max(max, 1024); t *= 2) out.push(t);
  return out;
};

export function kvChart(plans: readonly PlanCurve[], maxContext: number, bytes: number, batch: number): Spec {
  const values = plans.flatMap((p) =>
    lengths(maxContext).map((t) => ({
      plan: p.label,
      tokens: t,
      gib:
        analyze(p.config, { context: t, batch, dtype: bytes === 2 ? 'fp16' : bytes === 1 ? 'int8' : 'fp32' }).kvCache
          .bytes /
        2 ** 30,
    })),
  );
  return {
    title: `KV cache versus context (batch ${batch}, ${bytes} bytes per value)`,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'tokens', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'context (tokens)' },
      y: { field: 'gib', type: 'quantitative', title: 'KV cache (GiB)' },
      color: { field: 'plan', type: 'nominal', title: 'plan', legend: { labelLimit: 320 } },
      // Plans with equal cache sizes (weight sharing changes none) would hide each other.
      strokeDash: { field: 'plan', type: 'nominal', legend: null },
    },
    width: 380,
    height: 260,
  };
}

export function parametersChart(base: ModelConfig, strategies: readonly string[]): Spec {
  const depths = [2, 4, 6, 8, 12, 16, 24, 32, 48].filter((l) => l <= Math.max(48, base.layers));
  const values = strategies.flatMap((s) =>
    depths.flatMap((layers) => {
      try {
        const c = resolveConfig({ ...base, layers, shareWeights: s, shareKv: 'none', shareAttention: 'none' });
        return [{ strategy: s, layers, millions: analyze(c).parameters.total / 1e6 }];
      } catch {
        return []; // the strategy needs more layers than this depth (cycle:4 at 2 layers)
      }
    }),
  );
  return {
    title: 'Unique parameters versus depth, by weight-sharing strategy',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layers', type: 'quantitative', title: 'layers' },
      y: { field: 'millions', type: 'quantitative', title: 'parameters (millions)' },
      color: { field: 'strategy', type: 'nominal', title: 'shareWeights' },
    },
    width: 380,
    height: 260,
  };
}

export function costChart(config: ModelConfig, maxContext: number, encoder: boolean): Spec {
  const values = scalingTable(config, lengths(maxContext), encoder).flatMap((r) => [
    { tokens: r.tokens, part: 'attention (∝ T²)', tflop: r.attention / 1e12 },
    { tokens: r.tokens, part: 'linear layers (∝ T)', tflop: r.linear / 1e12 },
  ]);
  return {
    title: 'Forward cost of one sequence versus its length',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'tokens', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'sequence length (tokens)' },
      y: { field: 'tflop', type: 'quantitative', scale: { type: 'log' }, title: 'TFLOP' },
      color: { field: 'part', type: 'nominal', title: null },
    },
    width: 380,
    height: 260,
  };
}

/** The three views side by side in one chart. */
export function analyzerChart(title: string, views: Spec[]): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, fontSize: 16 },
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', background: 'white' },
    hconcat: views,
    resolve: { scale: { color: 'independent' } },
  };
}
