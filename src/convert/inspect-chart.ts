// Heatmaps of an inspection as one Vega-Lite spec: weight cosine, K and V similarity (CKA) and
// attention-map divergence for every pair of layers, the layers that borrow left blank.
import type { Inspection, PairMatrix } from './inspect.js';

type Spec = Record<string, unknown>;

function heatmap(title: string, m: PairMatrix, scheme: string, domain: [number, number]): Spec {
  const values = m.flatMap((row, a) => row.map((value, b) => ({ a, b, value })).filter((c) => c.value !== null));
  const size = Math.max(160, 34 * m.length);
  return {
    title,
    width: size,
    height: size,
    data: { values },
    encoding: {
      x: { field: 'b', type: 'ordinal', title: 'layer' },
      y: { field: 'a', type: 'ordinal', title: 'layer' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'value', type: 'quantitative', scale: { scheme, domain }, legend: null } },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' } },
      },
    ],
  };
}

export function inspectionChart(r: Inspection, source: string): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `How alike the layers are: ${source}`,
      subtitle: `${r.tokens.toLocaleString('en')} calibration tokens`,
    },
    hconcat: [
      heatmap('weights: mean cosine', r.weights.mean ?? [], 'blues', [0, 1]),
      heatmap('keys: linear CKA', r.keys.cka, 'greens', [0, 1]),
      heatmap('values: linear CKA', r.values.cka, 'greens', [0, 1]),
      heatmap('attention maps: JS divergence (nats)', r.attentionJs, 'oranges', [0, Math.LN2]),
    ],
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } },
  };
}
