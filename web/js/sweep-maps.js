// The small multiples of a sweep: each run's output map, computed by TensorFlow.js
// from the run's own model (model.json, then each snapshot's weights) and drawn by
// the playground's own modules (ModelView computes the grid, OutputView draws the
// map and the data points). One varied setting gives a row of maps; two give a grid,
// the first setting down the rows and the second across the columns.

/* global tf */

import { featureMatrix } from "./features.js";
import { ModelView } from "./model-view.js";
import { OutputView } from "./output-view.js";

const DENSITY = 50; // grid samples per side: a small map needs fewer than the playground's 100
const ACCURACY_EVERY_MS = 500;

/** A value as the page writes it: arrays as [4, 2], strings and numbers as they are. */
export function formatSetting(value) {
  return Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
}

/** One run's map: its model, its output view and (classification) its test accuracy. */
class RunMap {
  constructor(cell, model, details, range) {
    this.cell = cell;
    this.model = model;
    this.draws = 0;
    this.view = new OutputView(cell.querySelector(".map-box"), { density: DENSITY, range });
    this.view.setData(details.setup.train, details.setup.test);
    const test = details.setup.test ?? [];
    this.classification = details.spec.problem === "classification" && test.length > 0;
    this.test = this.classification
      ? { x: tf.tensor2d(featureMatrix(test, details.setup.features), [test.length, details.setup.features.length]),
        labels: test.map((point) => point[2]) }
      : null;
    this.accuracyAt = 0;
    this.accuracy = null;
  }

  /** Put a snapshot's weights in and draw the map; false when they do not fit. */
  show(weights) {
    if (!this.model.fits(weights)) return false;
    this.model.setWeights(weights);
    this.draw();
    if (this.test && performance.now() - this.accuracyAt > ACCURACY_EVERY_MS) {
      this.accuracyAt = performance.now();
      const out = tf.tidy(() => this.model.model.predictOnBatch(this.test.x).dataSync());
      let right = 0;
      this.test.labels.forEach((label, i) => {
        if ((out[i] >= 0 ? 1 : -1) === label) right += 1;
      });
      this.accuracy = right / this.test.labels.length;
    }
    return true;
  }

  draw() {
    this.model.compute();
    const { values, offset, stride } = this.model.outputMap();
    this.view.draw(values, offset, stride, false);
    this.draws += 1;
  }

  dispose() {
    this.test?.x.dispose();
    this.model.dispose();
  }
}

export class SweepMaps {
  /** @param {HTMLElement} root  the grid's container */
  constructor(root) {
    this.root = root;
    this.maps = new Map(); // run id → RunMap
    this.cells = new Map(); // run id → its figure
  }

  /**
   * Lay out one cell per run: rows × columns for two varied fields, one row for one.
   * @param {{vary: Record<string, any[]>, runs: object[]}} sweep
   * @param {(run: object) => {color: string, href: string, label: string}} describe
   */
  layout(sweep, describe) {
    const fields = Object.keys(sweep.vary);
    const columns = fields.length === 2 ? sweep.vary[fields[1]].length : sweep.runs.length;
    this.root.replaceChildren();
    this.root.style.gridTemplateColumns = `${fields.length === 2 ? "max-content " : ""}repeat(${columns}, max-content)`;
    this.root.dataset.rows = String(fields.length === 2 ? sweep.vary[fields[0]].length : 1);
    this.root.dataset.columns = String(columns);
    if (fields.length === 2) {
      this.root.append(document.createElement("div"));
      for (const value of sweep.vary[fields[1]]) {
        this.root.append(header("column-header", `${fields[1]} = ${formatSetting(value)}`));
      }
    }
    sweep.runs.forEach((run, i) => {
      if (fields.length === 2 && i % columns === 0) {
        const value = run.settings[fields[0]];
        this.root.append(header("row-header", `${fields[0]} = ${formatSetting(value)}`));
      }
      const { color, href, label } = describe(run);
      const cell = document.createElement("figure");
      cell.className = "map-cell";
      cell.dataset.run = run.id;
      cell.style.borderColor = color;
      cell.innerHTML = `<a class="map-link" title="Open this run in its page"><div class="map-box">
        <canvas class="heat"></canvas><canvas class="points"></canvas><svg class="axes"></svg>
        </div></a><figcaption><span class="swatch"></span><span class="map-label"></span>
        <span class="map-state"></span><span class="map-numbers"></span></figcaption>`;
      cell.querySelector(".map-link").href = href;
      cell.querySelector(".swatch").style.background = color;
      cell.querySelector(".map-label").textContent = fields.length === 2 ? "" : label;
      this.root.append(cell);
      this.cells.set(run.id, cell);
    });
  }

  /** Load a run's model into its cell (runs without a 2-D input map get none). */
  async load(details, range) {
    const cell = this.cells.get(details.id);
    if (!cell || !details.setup?.features || !details.setup?.train) {
      cell?.classList.add("no-map");
      return;
    }
    const model = await ModelView.load(details.modelUrl, details.setup.features, DENSITY, range);
    const map = new RunMap(cell, model, details, range);
    map.draw();
    this.maps.set(details.id, map);
  }

  /** A snapshot of run `id` arrived: its map is redrawn. */
  show(id, snapshot) {
    const map = this.maps.get(id);
    return map && snapshot.weights ? map.show(snapshot.weights) : false;
  }

  /** The state, epoch and loss under a run's map. */
  caption(id, { state, epoch, loss }) {
    const cell = this.cells.get(id);
    if (!cell) return;
    cell.dataset.state = state ?? "";
    cell.querySelector(".map-state").textContent = state === "running" ? "" : state ?? "";
    const numbers = Number.isFinite(loss) ? `loss ${loss.toFixed(3)}` : "";
    cell.querySelector(".map-numbers").textContent =
      `epoch ${Math.round(epoch ?? 0).toLocaleString("en-US")} ${numbers}`;
  }

  accuracy(id) {
    return this.maps.get(id)?.accuracy ?? null;
  }

  draws(id) {
    return this.maps.get(id)?.draws ?? 0;
  }

  dispose() {
    for (const map of this.maps.values()) map.dispose();
    this.maps.clear();
    this.cells.clear();
  }
}

function header(className, text) {
  const element = document.createElement("div");
  element.className = className;
  element.textContent = text;
  return element;
}
