// The drawing pad, read by the run's own model in the page: what the model sees of the
// drawing, the digit it reads and its ten probabilities, and when to load the run's
// model (once its first weights exist, every few seconds while it trains, and once
// more after it pauses, steps or ends).

import { DigitClassifier, DrawPad, showDigit } from "./mnist-draw.js";

const MODEL_REFRESH_MS = 3000; // reload the run's model this often while it trains
const $ = (id) => document.getElementById(id);

export class DigitReader {
  /** @param {import("./status-line.js").StatusLine} status  with a "model" part */
  constructor(status) {
    this.status = status;
    this.classifier = new DigitClassifier();
    this.run = null;
    this.state = null;
    this.weightsExist = false; // the run has published its first panels
    this.modelWanted = false; // load the run's model at the next frame
    this.readPending = false; // the drawing changed mid-stroke: read it at the next frame
    this.modelLoads = 0;
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

  /** A new run (or none): its model replaces the previous run's once its weights exist. */
  setRun(run) {
    this.run = run;
    this.classifier.reset();
    this.weightsExist = false;
    this.modelWanted = false;
    this.status.set("model", "");
    this.read();
  }

  /** The run's state: a run that stops training gets its newest weights loaded, once. */
  setState(state) {
    this.state = state;
    if (state !== "running") this.modelWanted = true;
  }

  /** The run published its weights' figures (a panels event): the first time, load them. */
  weightsPublished() {
    if (this.weightsExist) return;
    this.weightsExist = true;
    this.modelWanted = true;
  }

  /** A step changed the weights: load them. */
  weightsChanged() {
    this.weightsExist = true;
    this.modelWanted = true;
  }

  /** Once per animation frame: read a changed drawing, load the model when it is due. */
  frame(now) {
    if (this.readPending) this.read();
    const { classifier } = this;
    if (!this.run || !this.weightsExist || classifier.busy) return;
    const due = now - classifier.attemptedAt >= MODEL_REFRESH_MS;
    if (this.modelWanted || (due && (this.state === "running" || !classifier.model))) {
      this.modelWanted = false;
      this.loadModel();
    }
  }

  loadModel() {
    const run = this.run;
    this.classifier.load(run.modelUrl).then((changed) => {
      if (!changed || this.run !== run) return;
      this.modelLoads += 1;
      this.status.set("model", "");
      this.read();
    }).catch((error) => {
      if (this.run !== run) return;
      console.warn("Could not load the run's model", error);
      this.status.set("model", `Could not load the model into the page (${error.message}); retrying`);
    });
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
    const which = this.state === "running" ? "the model as of a few seconds ago (it is still training)"
      : this.state === "finished" ? "the trained model" : "the model as it is now";
    $("draw-note").textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure, with ${which}.`;
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
