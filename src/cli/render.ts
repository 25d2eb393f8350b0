// Node-only: renders a Vega-Lite spec to SVG with vega, and to PNG with resvg when the file name
// asks for it.
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

/** The chart as an SVG document. */
export async function chartSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function renderChart(spec: Record<string, unknown>, file: string): Promise<void> {
  const svg = await chartSvg(spec);
  if (/\.png$/i.test(file)) {
    const { Resvg } = await import('@resvg/resvg-js');
    const png = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true },
    })
      .render()
      .asPng();
    writeFileSync(file, png);
  } else if (/\.svg$/i.test(file)) {
    writeFileSync(file, svg);
  } else {
    throw new Error(`--chart ${file}: the file name must end in .svg or .png`);
  }
}
