// A sweep's results per plan (mean ± standard deviation over seeds) and its reports: results.json,
// runs.csv, report.md (tables and, for each plan, whether it differs from the baseline beyond the seed
// spread) and the Vega-Lite specs of the Pareto charts that report.html embeds.
import { pairedDifference, spread, tCritical95, type Spread } from './stats.js';

export interface RunResult {
  plan: string;
  seed: number;
  dir: string;
  config: Record<string, unknown>;
  /** On the run's whole validation split (`valWindows` windows of the context). */
  valLoss: number;
  valBpc: number;
  valWindows?: number;
  parameters: number;
  kvBytesPerToken: number;
  trainTokensPerS: number;
  decodeTokensPerS: number;
  steps: number;
  seconds: number;
  /** Validation loss at each evaluation during training (sweep --eval-every), the final one last. */
  curve?: Array<{ step: number; valLoss: number }>;
}

export interface PlanSummary {
  plan: string;
  /** The first plan of the list, the one every other is compared with. */
  baseline: boolean;
  runs: number;
  parameters: number;
  kvBytesPerToken: number;
  dModel: number;
  layers: number;
  valLoss: Spread;
  valBpc: Spread;
  /** Validation windows of the whole split of the plan's first run (seeds hold out different passages). */
  valWindows?: number;
  trainTokensPerS: Spread;
  decodeTokensPerS: Spread;
  /** Against the first plan (the baseline); null for the baseline itself. */
  vsBaseline: {
    deltaLoss: number;
    /** Standard deviation over seeds of the per-seed difference, and its t statistic (null below two seeds). */
    deltaStd: number;
    t: number | null;
    beyondSpread: boolean | null;
    parameters: number;
    kvBytes: number;
  } | null;
}

/**
 * Per plan, over the runs it has (a sweep in progress may have none for some: they are left out,
 * and without a baseline run nothing is compared).
 */
export function summarize(plans: readonly string[], runs: readonly RunResult[]): PlanSummary[] {
  const byPlan = (p: string) => runs.filter((r) => r.plan === p);
  const bySeed = (rs: readonly RunResult[]) => new Map(rs.map((r) => [r.seed, r.valLoss]));
  const base = byPlan(plans[0]!);
  return plans.flatMap((plan, i) => {
    const rs = byPlan(plan);
    const first = rs[0];
    if (!first) return [];
    const paired = pairedDifference(bySeed(rs), bySeed(base));
    return {
      plan,
      baseline: i === 0,
      runs: rs.length,
      parameters: first.parameters,
      kvBytesPerToken: first.kvBytesPerToken,
      dModel: Number(first.config.dModel),
      layers: Number(first.config.layers),
      valLoss: spread(rs.map((r) => r.valLoss)),
      valBpc: spread(rs.map((r) => r.valBpc)),
      ...(first.valWindows !== undefined && { valWindows: first.valWindows }),
      trainTokensPerS: spread(rs.map((r) => r.trainTokensPerS)),
      decodeTokensPerS: spread(rs.map((r) => r.decodeTokensPerS)),
      vsBaseline:
        i === 0 || base.length === 0
          ? null
          : {
              deltaLoss: paired.mean,
              deltaStd: paired.std,
              t: paired.t,
              beyondSpread: paired.beyond,
              parameters: first.parameters / base[0]!.parameters,
              kvBytes: first.kvBytesPerToken / base[0]!.kvBytesPerToken,
            },
    };
  });
}

const pm = (s: Spread, digits: number) =>
  !Number.isFinite(s.mean)
    ? '—'
    : s.n > 1
      ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`
      : s.mean.toFixed(digits);
const times = (x: number) => `${x.toFixed(2)}×`;

const windowsNote = (summaries: readonly PlanSummary[]) => {
  const w = [...new Set(summaries.map((s) => s.valWindows).filter((n) => n !== undefined))];
  return w.length ? ` (${w.join(', ')} windows)` : '';
};

const criticalNote = (summaries: readonly PlanSummary[]) => {
  const seeds = Math.max(...summaries.map((s) => s.runs));
  return seeds > 1 ? ` (${tCritical95(seeds - 1).toFixed(2)} for the ${seeds} seeds here)` : '';
};

export function markdownReport(title: string, setup: string, summaries: readonly PlanSummary[]): string {
  const head =
    '| plan | d_model × layers | unique params | × | KV bytes/token | × | val loss | bits/char | Δ loss vs baseline | beyond seed spread | train tok/s | decode tok/s |';
  const rule = `|${'---|'.repeat(12)}`;
  const rows = summaries.map((s) => {
    const v = s.vsBaseline;
    const unit = s.baseline ? '1.00×' : '—';
    const beyond = v
      ? v.beyondSpread === null
        ? 'one seed: no spread'
        : `${v.beyondSpread ? 'yes' : 'no'} (t = ${Number.isFinite(v.t) ? v.t!.toFixed(1) : v.t! > 0 ? '∞' : '−∞'})`
      : '—';
    return `| ${s.plan} | ${s.dModel} × ${s.layers} | ${s.parameters.toLocaleString('en-US')} | ${v ? times(v.parameters) : unit} | ${s.kvBytesPerToken.toLocaleString('en-US')} | ${v ? times(v.kvBytes) : unit} | ${pm(s.valLoss, 4)} | ${pm(s.valBpc, 3)} | ${v ? `${v.deltaLoss >= 0 ? '+' : ''}${v.deltaLoss.toFixed(4)}${v.t === null ? '' : ` ± ${v.deltaStd.toFixed(4)}`}` : '—'} | ${beyond} | ${pm(s.trainTokensPerS, 0)} | ${pm(s.decodeTokensPerS, 0)} |`;
  });
  return [
    `# ${title}`,
    '',
    setup,
    '',
    head,
    rule,
    ...rows,
    '',
    `Validation loss and bits/char over each run's whole validation split${windowsNote(summaries)}. Mean ± sample standard deviation over seeds. Runs with the same seed share the data split, batch order and validation windows, so each plan is compared with the baseline (the first plan) seed by seed: Δ is the mean of the per-seed differences ± their standard deviation, t = Δ / (sd / √seeds), and the difference is "beyond seed spread" when |t| exceeds Student's two-sided 95% value for seeds − 1 degrees of freedom${criticalNote(summaries)}.`,
    '',
  ].join('\n');
}

type Spec = Record<string, unknown>;

const WIDTH = 520,
  HEIGHT = 320;

/**
 * Where each point's label goes, in data units: beside its point unless that overlaps a label
 * already placed, then moved down (and failing that up) by a line until it is clear. Plans that
 * land close together (cycle:3 and cycle-rev:3, cla:2 and yoco:3) stay readable.
 */
export function labelPositions(points: ReadonlyArray<{ x: number; y: number; text: string }>): number[] {
  const span = (vs: number[]) => Math.max(...vs) - Math.min(...vs) || 1;
  const xs = points.map((p) => p.x),
    ys = points.map((p) => p.y);
  const px = WIDTH / span(xs),
    py = HEIGHT / span(ys);
  const line = 11,
    charWidth = 5.2;
  const placed: Array<{ left: number; right: number; top: number }> = [];
  const out = new Array<number>(points.length);
  const order = points.map((_, i) => i).sort((a, b) => ys[b]! - ys[a]!);
  for (const i of order) {
    const left = (xs[i]! - Math.min(...xs)) * px,
      right = left + 7 + points[i]!.text.length * charWidth;
    const clash = (top: number) => placed.some((q) => q.left < right && left < q.right && Math.abs(q.top - top) < line);
    // Screen y grows downward: top = (max − y)·py.
    const natural = (Math.max(...ys) - ys[i]!) * py;
    let top = natural;
    for (let k = 1; clash(top) && k < 20; k++) top = natural + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * line;
    placed.push({ left, right, top });
    out[i] = ys[i]! - (top - natural) / py;
  }
  return out;
}

/** Validation loss against a cost, one point per plan with its seed spread; lower-left is better. */
export function paretoSpec(
  summaries: readonly PlanSummary[],
  x: 'parameters' | 'kvBytesPerToken' | 'decodeTokensPerS',
): Spec {
  const titles = {
    parameters: 'unique parameters',
    kvBytesPerToken: 'KV-cache bytes per token',
    decodeTokensPerS: 'decoding tokens/s (higher is better)',
  };
  const points = summaries.map((s) => ({
    plan: s.plan,
    x: x === 'decodeTokensPerS' ? s.decodeTokensPerS.mean : s[x],
    loss: s.valLoss.mean,
    low: s.valLoss.mean - s.valLoss.std,
    high: s.valLoss.mean + s.valLoss.std,
  }));
  const labels = labelPositions(points.map((p) => ({ x: p.x, y: p.loss, text: p.plan })));
  const values = points.map((p, i) => ({ ...p, labelLoss: labels[i] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Validation loss against ${titles[x]}`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      {
        mark: { type: 'rule' },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color: { field: 'plan', type: 'nominal', scale: { scheme: 'tableau20' } },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: titles[x], scale: { zero: false, padding: 16 } },
          y: { field: 'loss', type: 'quantitative', title: 'validation loss (nats/token)', scale: { zero: false } },
          // 20 colours and a label beside each point: a study's 15 plans must not share a colour. The
          // legend goes below, so labels of the right-most points have room.
          color: {
            field: 'plan',
            type: 'nominal',
            scale: { scheme: 'tableau20' },
            legend: { orient: 'bottom', columns: 3, labelLimit: 320 },
          },
          tooltip: [{ field: 'plan' }, { field: 'x', title: titles[x] }, { field: 'loss', format: '.4f' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 9, color: '#333' },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'labelLoss', type: 'quantitative' },
          text: { field: 'plan' },
        },
      },
    ],
  };
}

/** Mean validation loss over seeds at each evaluated step, one line per plan: has it flattened? */
export function curveSpec(plans: readonly string[], runs: readonly RunResult[]): Spec | null {
  const values = plans.flatMap((plan) => {
    const byStep = new Map<number, number[]>();
    for (const r of runs.filter((x) => x.plan === plan))
      for (const p of r.curve ?? []) byStep.set(p.step, [...(byStep.get(p.step) ?? []), p.valLoss]);
    return [...byStep].map(([step, losses]) => ({
      plan,
      step,
      loss: losses.reduce((a, b) => a + b, 0) / losses.length,
    }));
  });
  if (!values.some((v) => v.step !== values[0]?.step)) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Validation loss during training (mean over seeds)',
    width: 520,
    height: 320,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'loss', type: 'quantitative', title: 'validation loss (nats/token)', scale: { zero: false } },
      color: { field: 'plan', type: 'nominal', scale: { scheme: 'tableau20' }, legend: { labelLimit: 320 } },
    },
  };
}

/** How much the baseline's mean validation loss still fell over the last quarter of its steps. */
/** One row per run, for a spreadsheet or pandas: the plan's config fields and the run's numbers. */
export function runsCsv(runs: readonly RunResult[]): string {
  const head = [
    'plan',
    'seed',
    'layers',
    'd_model',
    'parameters',
    'kv_bytes_per_token',
    'val_loss',
    'val_bpc',
    'val_windows',
    'train_tokens_per_s',
    'decode_tokens_per_s',
    'steps',
    'seconds',
  ];
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = runs.map((r) =>
    [
      r.plan,
      r.seed,
      r.config.layers,
      r.config.dModel,
      r.parameters,
      r.kvBytesPerToken,
      r.valLoss,
      r.valBpc,
      r.valWindows,
      r.trainTokensPerS,
      r.decodeTokensPerS,
      r.steps,
      r.seconds,
    ]
      .map(cell)
      .join(','),
  );
  return `${[head.join(','), ...rows].join('\n')}\n`;
}

export function lateImprovement(
  plan: string,
  runs: readonly RunResult[],
): { from: number; to: number; delta: number } | null {
  const rs = runs.filter((r) => r.plan === plan && (r.curve?.length ?? 0) > 1);
  if (rs.length === 0) return null;
  const steps = rs[0]!.steps;
  // From the last evaluation at or before three quarters of the steps (the first, if none is).
  const curve = rs[0]!.curve!;
  const from = [...curve].reverse().find((p) => p.step <= 0.75 * steps)?.step ?? curve[0]!.step;
  const at = (r: RunResult, step: number) =>
    r.curve!.reduce((best, p) => (Math.abs(p.step - step) < Math.abs(best.step - step) ? p : best)).valLoss;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const a = mean(rs.map((r) => at(r, from)));
  const b = mean(rs.map((r) => at(r, steps)));
  return { from, to: steps, delta: b - a };
}

/**
 * Whether the plans are compared after their validation loss flattened: the plans whose loss
 * still fell more than 1% over the last quarter of training, or a sentence saying none did.
 */
export function stillImproving(plans: readonly string[], results: readonly RunResult[]): string {
  const falling = plans.flatMap((plan) => {
    const l = lateImprovement(plan, results);
    const final = results.find((r) => r.plan === plan)?.curve?.at(-1)?.valLoss;
    return l && final && -l.delta > 0.01 * final ? [`${plan} (${l.delta.toFixed(4)})`] : [];
  });
  return falling.length
    ? `Still improving by more than 1% over the last quarter, so compared before their loss flattened (more --steps would change these numbers): ${falling.join(', ')}.`
    : 'Every plan moved less than 1% over the last quarter of training: compared after their loss flattened.';
}

export function htmlReport(markdownTable: string, svgs: readonly string[]): string {
  const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const lines = markdownTable.split('\n');
  const body = lines
    .map((l) => {
      if (l.startsWith('# ')) return `<h1>${escapeHtml(l.slice(2))}</h1>`;
      if (l.startsWith('|---')) return '';
      if (l.startsWith('| ')) {
        const cells = l.slice(2, -2).split(' | ');
        const tag = l.startsWith('| plan |') ? 'th' : 'td';
        return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
      }
      return l ? `<p>${escapeHtml(l).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>` : '';
    })
    .join('\n')
    .replace(/(<tr>[\s\S]*<\/tr>)/, '<table>$1</table>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shareformer sweep</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}</style>
</head><body>
${body}
${svgs.map((s) => `<figure>${s}</figure>`).join('\n')}
</body></html>
`;
}
