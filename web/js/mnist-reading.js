// The drawing pad, read by the run's own model in the page: what the model sees of the
// drawing, the digit it reads and its ten probabilities; when to load the run's model
// is run-model.js's ModelRefresh.

import { DigitClassifier, DrawPad, showDigit } from "./mnist-draw.js";
import { ModelRefresh } from "./run-model.js";

const $ = (id) => document.getElementById(id);

export class DigitReader {
  /** @param {import("./status-line.js").StatusLine} status  with a "model" part */
  constructor(status) {
    this.status = status;
    this.classifier = new DigitClassifier();
    this.refresh = new ModelRefresh(this.classifier, {
      loaded: () => this.read(),
      failed: (error) => status.set("model", error
        ? `Could not load the model into the page (${error.message}); retrying` : ""),
    });
    this.readPending = false; // the drawing changed mid-stroke: read it at the next frame
    this.prediction = null;
    this.probabilities = null;
    this.bars = buildBars();
    this.pad = new DrawPad($("draw"), {
      onChange: (final) => {
        if (final) this.read();
        else this.readPending = true;
      },
    });
    $("clear").addEventListener("click", () => {
      this.pad.clear();
      this.read();
    });
    this.read();
  }

  get run() {
    return this.refresh.run;
  }

  get modelLoads() {
    return this.refresh.loads;
  }

  /** A new run (or none): its model replaces the previous run's once its weights exist. */
  setRun(run) {
    this.refresh.setRun(run);
    this.read();
  }

  setState(state) {
    this.refresh.setState(state);
  }

  weightsPublished() {
    this.refresh.weightsPublished();
  }

  weightsChanged() {
    this.refresh.weightsChanged();
  }

  /** Once per animation frame: read a changed drawing, load the model when it is due. */
  frame(now) {
    if (this.readPending) this.read();
    this.refresh.frame(now);
  }

  /** Read the drawing with the model: the digit, the ten bars and a note. */
  read() {
    this.readPending = false;
    const pixels = this.pad.digit();
    showDigit($("draw-preview"), pixels);
    const probabilities = pixels ? this.classifier.classify(pixels) : null;
    this.probabilities = probabilities;
    if (!probabilities) {
      this.prediction = null;
      $("prediction").textContent = "–";
      this.showBars(null);
      $("draw-note").textContent = !this.run
        ? "Start a run: its model, as trained so far, reads your digit."
        : pixels ? "Loading the model…" : "Draw a digit in the black square.";
      return;
    }
    const digit = probabilities.indexOf(Math.max(...probabilities));
    this.prediction = digit;
    $("prediction").textContent = String(digit);
    this.showBars(probabilities);
    $("draw-note").textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure, with ${this.refresh.describe()}.`;
  }

  showBars(probabilities) {
    const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    this.bars.forEach(({ item, bar, value }, d) => {
      const p = probabilities ? probabilities[d] : 0;
      bar.style.height = `${(p * 100).toFixed(1)}%`;
      value.textContent = probabilities ? `${Math.round(p * 100)}` : "";
      item.classList.toggle("top", d === best);
      item.title = probabilities ? `${d}: ${(p * 100).toFixed(1)}%` : "";
    });
  }
}

/** One bar per digit in #probabilities: its value above, its track, the digit below. */
function buildBars() {
  const bars = [];
  for (let d = 0; d < 10; d++) {
    const bar = document.createElement("span");
    bar.className = "prob-bar";
    const track = document.createElement("span");
    track.className = "prob-track";
    track.append(bar);
    const value = document.createElement("span");
    value.className = "prob-value";
    const digit = document.createElement("span");
    digit.className = "prob-digit";
    digit.textContent = String(d);
    const item = document.createElement("div");
    item.className = "prob";
    item.append(value, track, digit);
    bars.push({ item, bar, value });
  }
  $("probabilities").replaceChildren(...bars.map((b) => b.item));
  return bars;
}
