// The KV-cache gauge while text is generated: bytes each layer holds for its own keys and values,
// layers that read another layer's shown empty with an arrow, windowed layers that hold fewer
// positions marked with their count, and the total against the same model without sharing (its
// windowed layers bounded alike, so the ratio is sharing's alone).
import { fmtBytes, fmtInt, type KvGauge } from 'shareformer';

export function renderGauge(box: HTMLElement, g: KvGauge): void {
  const max = Math.max(1, ...g.layers.map((l) => l.keys + l.values));
  const rows = g.layers
    .map((l, i) => {
      const own = l.keys + l.values;
      const width = (100 * own) / max;
      const held = own > 0 && l.positions < g.allocated ? ` · ${fmtInt(l.positions)} positions` : '';
      const note = own === 0 ? `reads L${l.reads}` : `${fmtBytes(own)}${held}`;
      return `<div class="kv-row"><span>L${i}</span><span class="kv-bar"><span style="width:${width.toFixed(1)}%"></span></span><span>${note}</span></div>`;
    })
    .join('');
  const bounded = Math.min(...g.layers.filter((l) => l.keys + l.values > 0).map((l) => l.positions));
  const windowed = bounded < g.allocated ? `; windowed layers hold ${fmtInt(bounded)}` : '';
  box.innerHTML = `<p><strong data-testid="kv-bytes">${fmtBytes(g.bytes)}</strong> allocated for ${fmtInt(g.allocated)} positions (${fmtInt(g.length)} filled${windowed}); without sharing ${fmtBytes(g.baselineBytes)} — ${(g.bytes / g.baselineBytes).toFixed(2)}×</p>${rows}`;
}
