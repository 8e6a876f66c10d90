// The playground's progress chart: training and test loss against the epoch, and for
// classification the share of points classified right (dashed, 0–100% on the right).
// The epoch axis is linear while a run is young and logarithmic once its epochs span
// two decades, so it stays readable at every pace: a `log`-paced run moves along it
// at a steady speed, a `max` run's first second is not squeezed into one pixel. A
// marker shows the epoch the time-travel slider is at.

import { LineChart } from "./line-chart.js";
import { niceTicks, tickLabel } from "./ticks.js";

const SERIES = [
  { key: "test", color: "#777" },
  { key: "train", color: "#000" },
];
const ACCURACY_SERIES = [
  { key: "testAccuracy", color: "#8fb7d6" },
  { key: "trainAccuracy", color: "#0877bd" },
];
const MARGIN = { left: 30, right: 28, top: 5, bottom: 14 };
const LOG_FROM_DECADES = 2; // the epoch axis turns logarithmic past this span

/** "1", "10", "1k", "10k", "1M": a power of ten for the epoch axis. */
function powerLabel(power) {
  if (power >= 6) return `${10 ** (power - 6)}M`;
  if (power >= 3) return `${10 ** (power - 3)}k`;
  return String(10 ** power);
}

/** "2,500" or "25k": a linear epoch tick. */
function epochLabel(value) {
  return value >= 10_000 ? `${Math.round(value / 1000)}k` : value.toLocaleString("en-US");
}

/** The epoch axis: position (0–1) of an epoch, and its ticks. Pure; exported for tests. */
export function epochAxis(first, last) {
  const lo = Math.max(first, 0);
  const hi = Math.max(last, lo + 1);
  if (Math.log10(hi + 1) - Math.log10(lo + 1) >= LOG_FROM_DECADES) {
    const a = Math.log10(lo + 1);
    const b = Math.log10(hi + 1);
    const ticks = [];
    for (let p = Math.ceil(a); p <= Math.floor(b); p++) {
      ticks.push({ epoch: 10 ** p - 1, label: powerLabel(p) });
    }
    return { log: true, at: (epoch) => (Math.log10(epoch + 1) - a) / (b - a), ticks };
  }
  const { values } = niceTicks(lo, hi, 4);
  return {
    log: false,
    at: (epoch) => (epoch - lo) / (hi - lo),
    ticks: values.map((v) => ({ epoch: v, label: epochLabel(v) })),
  };
}

export class ProgressChart extends LineChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    super(canvas, { series: SERIES });
    this.accuracy = false;
    this.marker = null;
    this.axis = null; // the last drawn epoch axis (tests read `axis.log`)
  }

  /** Draw the accuracies too (classification runs). */
  showAccuracy(on) {
    if (this.accuracy !== on) {
      this.accuracy = on;
      this.dirty = true;
    }
  }

  /** A vertical marker at `epoch` (the time-travel slider's), or none. */
  setMarker(epoch) {
    if (this.marker !== epoch) {
      this.marker = epoch;
      this.dirty = true;
    }
  }

  plot(width, height) {
    const { ctx, points } = this;
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    if (plotW < 20 || plotH < 10) return;
    let maxLoss = 0;
    for (const p of points) {
      for (const { key } of SERIES) if (Number.isFinite(p[key])) maxLoss = Math.max(maxLoss, p[key]);
    }
    if (maxLoss === 0) maxLoss = 1;
    const axis = (this.axis = epochAxis(points[0].epoch, points[points.length - 1].epoch));
    const x = (epoch) => MARGIN.left + axis.at(epoch) * plotW;
    const yLoss = (loss) => MARGIN.top + (1 - loss / maxLoss) * plotH;
    const yShare = (share) => MARGIN.top + (1 - share) * plotH;

    ctx.font = "9px Helvetica, Arial, sans-serif";
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#eee";
    ctx.fillStyle = "#999";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const { epoch, label } of axis.ticks) {
      const px = Math.round(x(epoch)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, MARGIN.top + plotH);
      ctx.stroke();
      ctx.fillText(label, px, MARGIN.top + plotH + 2);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const lossTicks = niceTicks(0, maxLoss, 2);
    for (const value of lossTicks.values) {
      ctx.fillText(tickLabel(value, lossTicks.step), MARGIN.left - 3, yLoss(value));
    }
    if (this.accuracy) {
      ctx.textAlign = "left";
      ctx.fillStyle = ACCURACY_SERIES[1].color;
      ctx.fillText("100%", MARGIN.left + plotW + 2, yShare(1));
      ctx.fillText("50%", MARGIN.left + plotW + 2, yShare(0.5));
    }
    this.strokeFrame(MARGIN, plotW, plotH);

    this.strokeSeries(x, yLoss);
    if (this.accuracy) {
      const losses = this.series;
      ctx.setLineDash([3, 2]);
      this.series = ACCURACY_SERIES;
      this.strokeSeries(x, yShare);
      this.series = losses;
      ctx.setLineDash([]);
    }
    if (this.marker !== null && this.marker !== undefined) {
      const px = Math.round(x(this.marker)) + 0.5;
      ctx.strokeStyle = "#f59322";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, MARGIN.top + plotH);
      ctx.stroke();
    }
  }
}
