// What an orientation run shows as it trains: the top bar's figures, the accuracy and
// loss curves (the MNIST lab's charts), and after each full evaluation the 4 × 4
// confusion matrix, accuracy per direction and per digit (or per test photo), and the
// Pass / Fail galleries.

import { COLORS, CurveChart } from "./mnist-charts.js";
import { ConfusionMatrix } from "./mnist-digits.js";
import { formatCount, formatPercent } from "./number-format.js";
import { ARROWS, DIRECTIONS, Gallery } from "./orientation-images.js";

const $ = (id) => document.getElementById(id);
const fixed = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const STATS = ["epoch", "iteration", "test-accuracy", "train-accuracy", "test-loss"];
const LABELS = DIRECTIONS.map((d, i) => `${ARROWS[i]} ${d}`);

/** Horizontal bars, one per item: label, bar, value. */
function showBars(container, items) {
  container.replaceChildren(...items.map(({ label, value, title }) => {
    const row = document.createElement("div");
    row.className = "bar-row";
    row.title = title ?? "";
    const name = document.createElement("span");
    name.className = "bar-label";
    name.textContent = label;
    const track = document.createElement("span");
    track.className = "bar-track";
    const bar = document.createElement("span");
    bar.className = "bar-fill";
    bar.style.width = `${Number.isFinite(value) ? (value * 100).toFixed(1) : 0}%`;
    track.append(bar);
    const text = document.createElement("span");
    text.className = "bar-value";
    text.textContent = Number.isFinite(value) ? formatPercent(value, 1) : "–";
    row.append(name, track, text);
    return row;
  }));
}

export class OrientationProgress {
  constructor() {
    this.views = {
      accuracy: new CurveChart($("accuracy-chart"), { kind: "accuracy", legend: $("accuracy-legend") }),
      loss: new CurveChart($("loss-chart"), { kind: "loss", legend: $("loss-legend") }),
      pass: new Gallery($("pass-gallery")),
      fail: new Gallery($("fail-gallery")),
      confusion: new ConfusionMatrix($("confusion"), {
        labels: LABELS, noun: (label) => `images whose top points ${label.split(" ")[1]}`,
      }),
    };
    this.run = null;
    this.metrics = null;
    this.evaluations = 0;
    this.perClass = null;
    this.perGroup = null;
    const observer = new ResizeObserver(() => this.markDirty());
    for (const id of ["panels", "pass-gallery", "fail-gallery"]) observer.observe($(id));
  }

  /** Empty every view for `run` (null: no run yet); `reference`: the talk's accuracy. */
  reset(run, reference = null) {
    this.run = run;
    const v = this.views;
    v.accuracy.setSeries([]);
    v.accuracy.setReference(reference);
    v.loss.setSeries([]);
    v.pass.set(null);
    v.fail.set(null);
    v.confusion.set(null);
    this.metrics = null;
    this.perClass = null;
    this.perGroup = null;
    for (const id of STATS) $(id).textContent = "–";
    if (run) {
      $("epoch").textContent = `0.00 / ${run.spec.epochs}`;
      $("iteration").textContent = `0 / ${formatCount(run.setup.totalSteps)}`;
    }
    $("accuracy-note").textContent = "";
    for (const id of ["pass-note", "fail-note"]) $(id).textContent = "";
    $("confusion-note").textContent = run
      ? `After a full evaluation of the ${formatCount(run.setup.testExamples)} test images `
        + `(${formatCount(run.setup.testImages)} in four turns).`
      : "After a full evaluation of the test images.";
    $("per-group-title").textContent = run?.setup.dataset === "digits" || !run
      ? "Accuracy per digit" : "Accuracy per test photo";
    showBars($("per-class"), []);
    showBars($("per-group"), []);
    for (const panel of document.querySelectorAll(".panel")) panel.classList.remove("filled");
    document.body.classList.remove("evaluated");
  }

  showMetrics(m) {
    this.metrics = m;
    const run = this.run;
    if (!run) return;
    $("epoch").textContent = `${m.epoch.toFixed(2)} / ${run.spec.epochs}`;
    $("iteration").textContent = `${formatCount(m.batch)} / ${formatCount(run.setup.totalSteps)}`;
    $("test-accuracy").textContent = formatPercent(m.testAccuracy);
    $("accuracy-note").textContent = Number.isFinite(m.evaluatedImages)
      ? m.evaluatedImages === run.setup.testExamples ? `(all ${formatCount(m.evaluatedImages)})`
        : `(${formatCount(m.evaluatedImages)}-image sample)`
      : "";
    $("train-accuracy").textContent = formatPercent(m.trainAccuracy, 1);
    $("test-loss").textContent = fixed(m.testLoss);
  }

  /** The curves (the panels event's history). */
  showPanels(p) {
    const h = p.history;
    this.views.accuracy.setSeries([
      { label: "training", color: COLORS.train, x: h.iteration, y: h.trainAccuracy, width: 1.25 },
      { label: "test", color: COLORS.test, x: h.testIteration, y: h.testAccuracy, width: 2 },
    ]);
    this.views.loss.setSeries([
      { label: "training", color: COLORS.train, x: h.iteration, y: h.trainLoss, width: 1.25 },
      { label: "test", color: COLORS.test, x: h.testIteration, y: h.testLoss, width: 2 },
    ]);
    if (h.iteration.length + h.testIteration.length > 0) {
      for (const panel of document.querySelectorAll(".panel")) panel.classList.add("filled");
    }
  }

  /** A full evaluation: confusion, per-direction and per-digit (per-photo) accuracy, galleries. */
  showEvaluation(e) {
    this.evaluations += 1;
    const { views } = this;
    views.confusion.set(e.confusion);
    views.pass.set(e.pass, e.imageSize, e.channels);
    views.fail.set(e.fail, e.imageSize, e.channels);
    const right = e.count - e.mistakes;
    $("pass-note").textContent = `${formatCount(right)} of ${formatCount(e.count)} right`;
    $("fail-note").textContent = `${formatCount(e.mistakes)} wrong`;
    $("confusion-note").textContent = `Iteration ${formatCount(e.iteration)} (epoch ${e.epoch.toFixed(1)}): `
      + `${formatCount(views.confusion.correct)} of ${formatCount(views.confusion.total)} test images right. `
      + "Rows: where the top really points; columns: what the model said.";
    this.perClass = e.perClass;
    showBars($("per-class"), e.perClass.map((value, i) => ({ label: LABELS[i], value })));
    if (e.perDigit) {
      this.perGroup = e.perDigit;
      const worst = [...e.perDigit].sort((a, b) => a - b)[2];
      showBars($("per-group"), e.perDigit.map((value, d) => ({
        label: String(d), value, title: value <= worst ? "among the three hardest to orient" : "",
      })));
    } else if (e.perPhoto) {
      this.perGroup = e.perPhoto.map((p) => p.accuracy);
      showBars($("per-group"), e.perPhoto.map((p) => ({ label: p.name, value: p.accuracy })));
    }
    document.body.classList.add("evaluated");
    if (this.metrics) this.showMetrics(this.metrics);
  }

  markDirty() {
    for (const view of Object.values(this.views)) {
      if ("dirty" in view) view.dirty = true;
    }
  }

  draw() {
    for (const key of ["accuracy", "loss", "pass", "fail"]) this.views[key].draw();
  }
}
