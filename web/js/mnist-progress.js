// What a run shows as it trains: the figures on the top bar (epoch, iteration, accuracy,
// loss, learning rate), the six panels, the confusion matrix and the softmax weight
// maps, from its metrics, panels and evaluation events. Charts draw only when on show.

import { BandChart, COLORS, CurveChart } from "./mnist-charts.js";
import { ConfusionMatrix, DigitGrid, WeightMaps } from "./mnist-digits.js";
import { formatCount, formatPercent } from "./number-format.js";

const $ = (id) => document.getElementById(id);
const fixed = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const STATS = ["epoch", "iteration", "test-accuracy", "train-accuracy", "test-loss", "learning-rate-now"];

export class LabProgress {
  constructor() {
    this.views = {
      trainDigits: new DigitGrid($("train-digits")),
      testDigits: new DigitGrid($("test-digits")),
      accuracy: new CurveChart($("accuracy-chart"), { kind: "accuracy", legend: $("accuracy-legend") }),
      loss: new CurveChart($("loss-chart"), { kind: "loss", legend: $("loss-legend") }),
      weights: new BandChart($("weights-chart"), $("weights-legend")),
      biases: new BandChart($("biases-chart"), $("biases-legend")),
      weightMaps: new WeightMaps($("weight-maps")),
      confusion: new ConfusionMatrix($("confusion")),
    };
    /** The views of panels 1–6, in order. */
    const v = this.views;
    this.panels = [v.trainDigits, v.accuracy, v.loss, v.weights, v.biases, v.testDigits];
    this.run = null;
    this.metrics = null;
    this.panelsEvents = 0;
    this.evaluations = 0;
    new ResizeObserver(() => this.markDirty()).observe($("panels"));
    new ResizeObserver(() => {
      v.weightMaps.dirty = true;
    }).observe($("weight-maps"));
  }

  /**
   * Empty every view for `run` (null: no run yet).
   * @param {{value: number, label: string}|null} reference  the accuracy the talk reports
   */
  reset(run, reference = null) {
    this.run = run;
    const v = this.views;
    v.trainDigits.set(null);
    v.testDigits.set(null);
    v.accuracy.setSeries([]);
    v.accuracy.setReference(reference);
    v.loss.setSeries([]);
    v.weights.setBands([]);
    v.biases.setBands([]);
    v.weightMaps.set(null);
    v.confusion.set(null);
    this.metrics = null;
    for (const id of STATS) $(id).textContent = "–";
    if (run) {
      $("epoch").textContent = `0.00 / ${run.spec.epochs}`;
      $("iteration").textContent = `0 / ${formatCount(run.setup.totalSteps)}`;
    }
    $("accuracy-note").textContent = "";
    $("batch-note").textContent = "";
    $("test-note").textContent = "";
    $("confusion-note").textContent = run
      ? `After a full evaluation of the ${formatCount(run.setup.testImages)} test images.`
      : "After a full evaluation of the test images.";
    for (const panel of document.querySelectorAll(".panel")) panel.classList.remove("filled");
    $("weight-maps").classList.add("empty");
  }

  /** The figures on the top bar. */
  showMetrics(m) {
    this.metrics = m;
    const run = this.run;
    if (!run) return;
    $("epoch").textContent = `${m.epoch.toFixed(2)} / ${run.spec.epochs}`;
    $("iteration").textContent = `${formatCount(m.batch)} / ${formatCount(run.setup.totalSteps)}`;
    $("test-accuracy").textContent = formatPercent(m.testAccuracy);
    $("accuracy-note").textContent = Number.isFinite(m.evaluatedImages)
      ? m.evaluatedImages === run.setup.testImages ? `(all ${formatCount(m.evaluatedImages)} images)`
        : `(${formatCount(m.evaluatedImages)}-image sample)`
      : "";
    $("accuracy-note").title = Number.isFinite(m.evaluationShare)
      ? `Evaluating has taken ${(m.evaluationShare * 100).toFixed(1)}% of training time` : "";
    $("train-accuracy").textContent = formatPercent(m.trainAccuracy, 1);
    $("test-loss").textContent = fixed(m.testLoss);
    $("learning-rate-now").textContent = Number.isFinite(m.learningRate)
      ? Number(m.learningRate.toPrecision(3)).toString() : "–";
  }

  /** The latest batch, the curves, the weight and bias bands and the weight maps. */
  showPanels(p) {
    this.panelsEvents += 1;
    const { views } = this;
    if (p.batch) {
      views.trainDigits.set(p.batch);
      const shift = this.run?.spec?.shift;
      const seen = shift ? ` · shifted ±${shift} px, as trained` : "";
      $("batch-note").textContent = `${p.batch.mistakes} of ${p.batch.count} wrong${seen}`;
      fill(1);
    }
    const h = p.history;
    views.accuracy.setSeries([
      { label: "training", color: COLORS.train, x: h.iteration, y: h.trainAccuracy, width: 1.25 },
      { label: "test", color: COLORS.test, x: h.testIteration, y: h.testAccuracy, width: 2 },
    ]);
    views.loss.setSeries([
      { label: "training", color: COLORS.train, x: h.iteration, y: h.trainLoss, width: 1.25 },
      { label: "test", color: COLORS.test, x: h.testIteration, y: h.testLoss, width: 2 },
    ]);
    if (h.iteration.length + h.testIteration.length > 0) {
      fill(2);
      fill(3);
    }
    views.weights.setBands(p.bands.filter((b) => b.kind === "weights"));
    views.biases.setBands(p.bands.filter((b) => b.kind === "bias"));
    if (p.bands.length) {
      fill(4);
      fill(5);
    }
    views.weightMaps.set(p.weightMaps);
    $("weight-maps").classList.toggle("empty", !p.weightMaps);
    $("weight-maps-note").textContent = p.weightMaps
      ? `Iteration ${formatCount(p.iteration)}: blue pixels vote for the digit, orange ones against it (±${p.weightMaps.scale.toFixed(3)}).`
      : "Weight maps show for a softmax regression (step a): its one layer is 784 × 10, one 28×28 map per digit.";
  }

  /** A full evaluation: the test digits and the confusion matrix. */
  showEvaluation(e) {
    this.evaluations += 1;
    const { views } = this;
    views.testDigits.set(e.digits);
    fill(6);
    const { mistakes, count } = e.digits;
    $("test-note").textContent = `${formatPercent(e.testAccuracy)} right · ${formatCount(mistakes)} of ${formatCount(count)} wrong`;
    views.confusion.set(e.confusion);
    $("confusion-note").textContent = `Iteration ${formatCount(e.iteration)} (epoch ${e.epoch.toFixed(1)}): `
      + `${formatCount(views.confusion.correct)} of ${formatCount(views.confusion.total)} test digits right. `
      + "Rows: the true digit; columns: what the model read.";
    if (this.metrics) this.showMetrics(this.metrics);
  }

  /** Redraw every chart at its next draw (panels shown or resized). */
  markDirty() {
    for (const view of Object.values(this.views)) {
      if ("dirty" in view) view.dirty = true;
    }
  }

  /** Draw what changed, of the panels on show (`visible`: their numbers) and the weight maps. */
  draw(visible) {
    this.panels.forEach((view, i) => {
      if (visible.includes(i + 1)) view.draw();
    });
    this.views.weightMaps.draw();
  }
}

function fill(panel) {
  $(`panel-${panel}`).classList.add("filled");
}
