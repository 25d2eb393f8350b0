// Live analyzer figures for the plan being designed, each against the same model without sharing,
// and the per-layer diagram: parameter sets, whose K/V and attention a layer reads, what it computes.
import { analyze, fmtBytes, fmtFlops, fmtInt, resolveConfig, type Analysis, type ModelConfig } from 'shareformer';

export function baselineOf(c: ModelConfig): ModelConfig {
  return resolveConfig({
    ...c,
    shareWeights: 'none',
    shareKv: 'none',
    shareAttention: 'none',
    kvHeads: c.heads,
    tieEmbeddings: false,
    embedDim: 0,
  });
}

const ratio = (x: number, base: number) => (base === 0 ? '–' : `${(x / base).toFixed(2)}×`);

export function renderAnalysis(table: HTMLTableElement, config: ModelConfig): Analysis {
  const a = analyze(config);
  const b = analyze(baselineOf(config));
  const rows: Array<[string, string, string, string]> = [];
  const row = (label: string, x: number, base: number, fmt: (n: number) => string) =>
    rows.push([label, fmt(x), fmt(base), ratio(x, base)]);
  row('unique parameters', a.parameters.total, b.parameters.total, fmtInt);
  for (const [component, n] of Object.entries(a.parameters.byComponent))
    if (n > 0 || (b.parameters.byComponent[component as keyof typeof a.parameters.byComponent] ?? 0) > 0)
      row(
        `  ${component}`,
        n,
        b.parameters.byComponent[component as keyof typeof a.parameters.byComponent] ?? 0,
        fmtInt,
      );
  row('weights fp32', a.weightBytes.fp32, b.weightBytes.fp32, fmtBytes);
  row('weights fp16 / bf16', a.weightBytes.fp16, b.weightBytes.fp16, fmtBytes);
  row('weights int8', a.weightBytes.int8, b.weightBytes.int8, fmtBytes);
  row('KV cache per token', a.kvCache.bytesPerToken, b.kvCache.bytesPerToken, fmtBytes);
  row(`KV cache at ${a.context} tokens`, a.kvCache.bytes, b.kvCache.bytes, fmtBytes);
  const fa = a.flops.forwardPerTokenAtContext,
    fb = b.flops.forwardPerTokenAtContext;
  row('FLOPs / token (at context)', fa.total, fb.total, fmtFlops);
  row('  of which attention', fa.scores + fa.values, fb.scores + fb.values, fmtFlops);
  row('training FLOPs / token', a.flops.trainingPerToken, b.flops.trainingPerToken, fmtFlops);
  table.innerHTML = `<thead><tr><th></th><th>this plan</th><th>no sharing</th><th>×</th></tr></thead>`;
  const body = document.createElement('tbody');
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((cell, i) => {
      const td = tr.insertCell();
      td.textContent = cell;
      if (i === 0 && cell.startsWith('  ')) td.className = 'sub';
      if (i === 3 && cell !== '–') td.className = Number.parseFloat(cell) < 0.999 ? 'better' : '';
    });
  }
  table.append(body);
  return a;
}

const NS = 'http://www.w3.org/2000/svg';

/** One row per layer: attention set, FFN set, what it computes, arrows to the layer whose K/V or probabilities it reads. */
export function renderDiagram(box: HTMLElement, a: Analysis): void {
  const layers = a.parameters.layers;
  const rowH = 34,
    top = 26,
    width = 520;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${top + rowH * layers.length + 8}`);
  svg.setAttribute('width', '100%');
  svg.setAttribute('role', 'img');
  const text = (x: number, y: number, s: string, cls = '') => {
    const t = document.createElementNS(NS, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    if (cls) t.setAttribute('class', cls);
    t.textContent = s;
    svg.append(t);
  };
  const rect = (x: number, y: number, w: number, h: number, cls: string) => {
    const r = document.createElementNS(NS, 'rect');
    for (const [k, v] of Object.entries({ x, y, width: w, height: h, rx: 4 })) r.setAttribute(k, String(v));
    r.setAttribute('class', cls);
    svg.append(r);
  };
  text(8, 16, 'layer', 'head');
  text(60, 16, 'attention set', 'head');
  text(160, 16, 'FFN set', 'head');
  text(240, 16, 'computes', 'head');
  text(340, 16, 'reads K/V · attention of', 'head');
  const hue = (set: number) => `set${set % 8}`;
  layers.forEach((l, i) => {
    const y = top + i * rowH;
    text(8, y + 20, `L${l.layer}`);
    rect(60, y + 4, 80, 24, hue(l.attentionSet));
    text(68, y + 20, `attn #${l.attentionSet}`, 'on-set');
    rect(160, y + 4, 64, 24, hue(l.ffnSet));
    text(168, y + 20, `ffn #${l.ffnSet}`, 'on-set');
    text(240, y + 20, l.computes || '—', l.computes.includes('K') ? 'computes' : 'borrows');
    const reads: string[] = [];
    if (l.kvFrom !== l.layer) reads.push(`K/V ← L${l.kvFrom}`);
    if (l.attentionFrom !== l.layer) reads.push(`probs ← L${l.attentionFrom}`);
    text(340, y + 20, reads.join('  ') || 'its own', reads.length ? 'borrows' : '');
    if (l.kvFrom !== l.layer || l.attentionFrom !== l.layer) {
      const from = l.kvFrom !== l.layer ? l.kvFrom : l.attentionFrom;
      const path = document.createElementNS(NS, 'path');
      const y0 = top + from * rowH + 16,
        y1 = y + 16;
      path.setAttribute('d', `M 330 ${y0} C ${318 - (i - from) * 4} ${y0}, ${318 - (i - from) * 4} ${y1}, 330 ${y1}`);
      path.setAttribute('class', 'arrow');
      svg.append(path);
    }
  });
  box.replaceChildren(svg);
}
