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
    if (!this.plot) this.plot = this.create();
    this.syncSeries(curves.map((c) => c.label));
    this.plot.setData(data);
  }

  /** Adds and removes series in place: rebuilding the chart when a run starts would block the page. */
  private syncSeries(labels: string[]): void {
    const plot = this.plot!;
    const shown = this.key === '' ? [] : this.key.split('\n');
    for (let i = shown.length - 1; i >= 0; i--) {
      if (labels[i] === shown[i]) continue;
      plot.delSeries(2 * i + 2);
      plot.delSeries(2 * i + 1);
      shown.splice(i, 1);
    }
    for (let i = shown.length; i < labels.length; i++) {
      const stroke = COLOURS[i % COLOURS.length]!;
      plot.addSeries({ label: `${labels[i]} train`, stroke, width: 1, spanGaps: true, points: { show: false } });
      plot.addSeries({ label: `${labels[i]} val`, stroke, width: 3, spanGaps: true, points: { show: true, size: 6 } });
    }
    this.key = labels.join('\n');
  }

  private create(): uPlot {
    return new uPlot(
      {
        ...this.size(),
        series: [{ label: 'step' }],
        axes: [{ label: 'step' }, { label: 'loss (nats / token)' }],
        scales: { x: { time: false } },
        legend: { live: false },
      },
      [[]],
      this.box,
    );
  }
}
