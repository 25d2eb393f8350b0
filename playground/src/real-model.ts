// "Analyze a real model": a published configuration (gpt2 … llama-2-70b) with a sharing plan and
// a context slider; parameters, weights, the KV cache at that length and FLOPs per token, each
// against the preset as published, and the quadratic cost chart (attention against linear layers).
import uPlot from 'uplot';
import {
  ANALYZER_PRESETS,
  analyze,
  fmtBytes,
  fmtFlops,
  fmtInt,
  parsePlan,
  presetWith,
  scalingTable,
  type ModelConfig,
} from 'shareformer';

const CONTEXTS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

/** Builds the tab; returns a redraw for when it becomes visible (a hidden chart has no width). */
export function mountRealModel(box: HTMLElement, query: URLSearchParams): () => void {
  const names = Object.keys(ANALYZER_PRESETS);
  const preset0 = query.get('preset') && names.includes(query.get('preset')!) ? query.get('preset')! : 'llama-2-7b';
  const ctx0 = Number(query.get('analyze-context') ?? 32768);
  box.innerHTML = `
    <h2>Analyze a real model <small>what a sharing plan does to a published configuration</small></h2>
    <div class="gen-controls">
      <label>model <select id="rm-preset" data-testid="rm-preset">${names.map((n) => `<option${n === preset0 ? ' selected' : ''}>${n}</option>`).join('')}</select></label>
      <label>sharing plan <input id="rm-plan" data-testid="rm-plan" size="40" value="${query.get('compare') ?? 'share-kv=cla:2'}" placeholder="none | share-kv=cla:2,kv-heads=8 | share-weights=cycle:4"></label>
      <label>context <input id="rm-context" data-testid="rm-context" type="range" min="0" max="${CONTEXTS.length - 1}" value="${Math.max(0, CONTEXTS.indexOf(ctx0))}"> <output id="rm-context-value"></output></label>
    </div>
    <p class="plan-error" id="rm-error" hidden></p>
    <table id="rm-table" data-testid="rm-table"></table>
    <div id="rm-chart"></div>`;
  const $ = <T extends HTMLElement>(id: string) => box.querySelector<T>(`#${id}`)!;
  let plot: uPlot | null = null;
  const render = () => {
    const name = $<HTMLSelectElement>('rm-preset').value;
    const context = CONTEXTS[Number($<HTMLInputElement>('rm-context').value)]!;
    $<HTMLOutputElement>('rm-context-value').textContent = `${fmtInt(context)} tokens`;
    const preset = ANALYZER_PRESETS[name]!;
    let config: ModelConfig;
    try {
      const plan = parsePlan($<HTMLInputElement>('rm-plan').value || 'none', 'plan');
      config = presetWith(preset, { ...plan.overrides, context: Math.max(context, preset.config.context ?? 0) });
    } catch (e) {
      $('rm-error').hidden = false;
      $('rm-error').textContent = (e as Error).message;
      return;
    }
    $('rm-error').hidden = true;
    const base = presetWith(preset, { context: config.context });
    const a = analyze(config, { context, dtype: 'bf16' }, preset.encoder);
    const b = analyze(base, { context, dtype: 'bf16' }, preset.encoder);
    const rows: Array<[string, number, number, (n: number) => string]> = [
      ['unique parameters', a.parameters.total, b.parameters.total, fmtInt],
      ['weights bf16', a.weightBytes.bf16, b.weightBytes.bf16, fmtBytes],
      ['KV cache per token (bf16)', a.kvCache.bytesPerToken, b.kvCache.bytesPerToken, fmtBytes],
      [`KV cache at ${fmtInt(context)} tokens`, a.kvCache.bytes, b.kvCache.bytes, fmtBytes],
      [
        'FLOPs / token at that length',
        a.flops.forwardPerTokenAtContext.total,
        b.flops.forwardPerTokenAtContext.total,
        fmtFlops,
      ],
      [
        '  of which attention',
        a.flops.forwardPerTokenAtContext.scores + a.flops.forwardPerTokenAtContext.values,
        b.flops.forwardPerTokenAtContext.scores + b.flops.forwardPerTokenAtContext.values,
        fmtFlops,
      ],
    ];
    $<HTMLTableElement>('rm-table').innerHTML =
      `<thead><tr><th></th><th>with the plan</th><th>${name} as published</th><th>×</th></tr></thead><tbody>${rows
        .map(([l, x, y, f]) => `<tr><td>${l}</td><td>${f(x)}</td><td>${f(y)}</td><td>${(x / y).toFixed(2)}×</td></tr>`)
        .join('')}</tbody>`;
    const lengths = CONTEXTS.filter((t) => t <= Math.max(context, 1024));
    const table = scalingTable(config, lengths, Boolean(preset.encoder));
    const data: uPlot.AlignedData = [lengths, table.map((r) => r.attention), table.map((r) => r.linear)];
    plot?.destroy();
    plot = new uPlot(
      {
        width: Math.max(480, box.clientWidth - 40),
        height: 260,
        title: 'forward FLOPs of a whole sequence: attention grows like T², linear layers like T',
        scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
        axes: [
          { label: 'tokens' },
          { label: 'FLOPs', size: 90, values: (_u, v) => v.map((x) => (x == null ? '' : fmtFlops(x))) },
        ],
        legend: { live: false },
        series: [
          { label: 'tokens' },
          { label: 'attention', stroke: '#dc2626', width: 2 },
          { label: 'linear layers', stroke: '#2563eb', width: 2 },
        ],
      },
      data,
      $('rm-chart'),
    );
  };
  box.addEventListener('input', render);
  box.addEventListener('change', render);
  render();
  return render;
}
