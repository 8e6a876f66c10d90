// The loss chart on log scales: the playground's LineChart (its points, thinning and
// lines) plotted on a log epoch axis and a log loss axis. Curve runs span one to
// millions of epochs and losses over many decades (raw Fahrenheit starts near 1,000,
// a fitted line ends near 0.0001), which a linear chart would flatten into two lines.

import { LineChart } from "./line-chart.js";

const SERIES = [
  { key: "test", color: "#888" },
  { key: "train", color: "#000" },
];
const MARGIN = { left: 40, right: 6, top: 6, bottom: 16 };
const TINY = 1e-12;

/** "1", "10", "1k", "1M": a power of ten for the epoch axis. */
function epochLabel(power) {
  if (power >= 6) return `${10 ** (power - 6)}M`;
  if (power >= 3) return `${10 ** (power - 3)}k`;
  return String(10 ** power);
}

/** A power of ten for the loss axis: plain from 0.001 to 1000, else 1e±k. */
function lossLabel(power) {
  return power >= -3 && power <= 3 ? String(Number((10 ** power).toFixed(3))) : `1e${power}`;
}

export class LogLossChart extends LineChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    super(canvas, { series: SERIES });
  }

  /** Log scales with their grid and labels, inside MARGIN. */
  plot(width, height) {
    const { ctx, points } = this;
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of points) {
      for (const { key } of this.series) {
        if (Number.isFinite(p[key])) {
          const v = Math.log10(Math.max(p[key], TINY));
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (!Number.isFinite(lo)) return;
    if (hi - lo < 1) {
      const mid = (hi + lo) / 2;
      [lo, hi] = [mid - 0.5, mid + 0.5];
    }
    const e0 = Math.log10(points[0].epoch + 1);
    const e1 = Math.max(e0 + 1, Math.log10(points[points.length - 1].epoch + 1));
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    const x = (epoch) => MARGIN.left + ((Math.log10(epoch + 1) - e0) / (e1 - e0)) * plotW;
    const y = (loss) =>
      MARGIN.top + (1 - (Math.log10(Math.max(loss, TINY)) - lo) / (hi - lo)) * plotH;

    ctx.font = "10px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#888";
    ctx.strokeStyle = "#e4e4e4";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let p = Math.ceil(e0); p <= Math.floor(e1); p++) {
      const px = Math.round(x(10 ** p - 1)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, MARGIN.top + plotH);
      ctx.stroke();
      ctx.fillText(epochLabel(p), px, MARGIN.top + plotH + 3);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const step = Math.max(1, Math.ceil((hi - lo) / 4));
    for (let p = Math.ceil(lo); p <= Math.floor(hi); p += step) {
      const py = Math.round(y(10 ** p)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, py);
      ctx.lineTo(MARGIN.left + plotW, py);
      ctx.stroke();
      ctx.fillText(lossLabel(p), MARGIN.left - 4, py);
    }
    this.strokeFrame(MARGIN, plotW, plotH);

    this.strokeSeries(x, y);
  }
}
