// The KV-cache gauge while text is generated: bytes each layer holds for its own keys and values,
// layers that read another layer's shown empty with an arrow, and the total against no sharing.
import { fmtBytes, type KvGauge } from 'shareformer';

export function renderGauge(box: HTMLElement, g: KvGauge, kv: number[], baselinePerToken: number): void {
  const max = Math.max(1, ...g.layers.map((l) => l.keys + l.values));
  const rows = g.layers
    .map((l, i) => {
      const own = l.keys + l.values;
      const width = (100 * own) / max;
      const note = own === 0 ? `reads L${kv[i]}` : fmtBytes(own);
      return `<div class="kv-row"><span>L${i}</span><span class="kv-bar"><span style="width:${width.toFixed(1)}%"></span></span><span>${note}</span></div>`;
    })
    .join('');
  const baseline = baselinePerToken * g.allocated;
  box.innerHTML = `<p><strong data-testid="kv-bytes">${fmtBytes(g.bytes)}</strong> allocated for ${g.allocated} positions (${g.length} filled); without sharing ${fmtBytes(baseline)} — ${(g.bytes / baseline).toFixed(2)}×</p>${rows}`;
}
