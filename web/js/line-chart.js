// The small loss chart: training (dark) and test (grey) loss against the epoch.
// Points are the snapshots the page drew; when there are too many, every other
// one is dropped, so the chart costs the same however long a run trains. A chart
// with other scales overrides plot().

import { fitCanvas } from "./canvas-size.js";

const MAX_POINTS = 800;
const SERIES = [
  { key: "test", color: "#777" },
  { key: "train", color: "#000" },
];

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{series?: {key: "train"|"test", color: string}[]}} options  drawn in this order
   */
  constructor(canvas, { series = SERIES } = {}) {
    this.canvas = canvas;
    this.series = series;
    this.ctx = canvas.getContext("2d");
    this.reset();
  }

  reset() {
    this.points = [];
    this.dirty = true;
  }

  /**
   * Add a point; losses may be null (a diverged run) and are then left out. `extra`
   * holds more series' values by key (accuracies), for charts that draw them.
   */
  add(epoch, train, test, extra = {}) {
    const last = this.points[this.points.length - 1];
    if (last && last.epoch === epoch) {
      Object.assign(last, { train, test }, extra);
    } else if (last && epoch < last.epoch) {
      return; // an older state arriving late (a pause's answer after a newer snapshot)
    } else {
      this.points.push({ epoch, train, test, ...extra });
    }
    if (this.points.length > MAX_POINTS) {
      this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    }
    this.dirty = true;
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    if (this.points.length > 0) this.plot(fit.width, fit.height);
  }

  /** Both series on linear scales, filling the canvas (`width` × `height` CSS pixels). */
  plot(width, height) {
    const points = this.points;
    let maxLoss = 0;
    for (const p of points) {
      for (const { key } of this.series) {
        if (Number.isFinite(p[key])) maxLoss = Math.max(maxLoss, p[key]);
      }
    }
    if (maxLoss === 0) maxLoss = 1;
    const first = points[0].epoch;
    const span = Math.max(1, points[points.length - 1].epoch - first);
    const x = (epoch) => 1 + ((epoch - first) / span) * (width - 2);
    const y = (loss) => height - 1 - (loss / maxLoss) * (height - 2);
    this.strokeSeries(x, y);
  }

  /** The plot's left and bottom edges, inside `margin` ({left, top}), `width` × `height`. */
  strokeFrame(margin, width, height) {
    const { ctx } = this;
    ctx.strokeStyle = "#bbb";
    ctx.beginPath();
    ctx.moveTo(margin.left + 0.5, margin.top);
    ctx.lineTo(margin.left + 0.5, margin.top + height + 0.5);
    ctx.lineTo(margin.left + width, margin.top + height + 0.5);
    ctx.stroke();
  }

  /** Each series as a line through its points, with a gap where a loss is not finite. */
  strokeSeries(x, y) {
    const { ctx } = this;
    ctx.lineWidth = 1.5;
    for (const { key, color } of this.series) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      let pen = false;
      for (const p of this.points) {
        if (!Number.isFinite(p[key])) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(x(p.epoch), y(p[key]));
        else ctx.moveTo(x(p.epoch), y(p[key]));
        pen = true;
      }
      ctx.stroke();
    }
  }
}
