// Loss curves of every run in one uPlot chart: training loss thin, validation loss thick with
// points, one colour per run; redrawn at most once per animation frame however fast steps arrive.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Curve {
  label: string;
  train: Array<[number, number]>;
  val: Array<[number, number]>;
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

export class LossChart {
  private plot: uPlot | null = null;
  private key = '';
  private pending = false;
  private curves: Curve[] = [];

  constructor(private readonly box: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(box);
  }

  private size() {
    return { width: Math.max(320, this.box.clientWidth), height: 300 };
  }

  update(curves: Curve[]): void {
    this.curves = curves;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const curves = this.curves;
    const steps = [...new Set(curves.flatMap((c) => [...c.train, ...c.val].map(([s]) => s)))].sort((a, b) => a - b);
    const index = new Map(steps.map((s, i) => [s, i]));
    const column = (points: Array<[number, number]>) => {
      const col: Array<number | null> = new Array(steps.length).fill(null);
      for (const [s, v] of points) col[index.get(s)!] = v;
      return col;
    };
    const data: uPlot.AlignedData = [steps, ...curves.flatMap((c) => [column(c.train), column(c.val)])];
    const key = curves.map((c) => c.label).join('\n');
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.key = key;
    this.plot?.destroy();
    const series: uPlot.Series[] = [{ label: 'step' }];
    curves.forEach((c, i) => {
      const stroke = COLOURS[i % COLOURS.length]!;
      series.push({ label: `${c.label} train`, stroke, width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: `${c.label} val`, stroke, width: 3, spanGaps: true, points: { show: true, size: 6 } });
    });
    this.plot = new uPlot(
      {
        ...this.size(),
        series,
        axes: [{ label: 'step' }, { label: 'loss (nats / token)' }],
        scales: { x: { time: false } },
        legend: { live: false },
      },
      data,
      this.box,
    );
  }
}
