// The fitting page's controls, built from the catalogue's `fitting` section: lessons,
// data set, sliders, model and optimizer choices, the normalise switch and the CSV box.
// They only report what the learner asked for (`onChange(key, value)`); the page
// decides what that means (a new run, or a live change) and calls `show()` back.

import { fillSelect } from "./select-options.js";

const $ = (id) => document.getElementById(id);

/** An example for the CSV box, clearly labelled: y = x² on a grid (a line cannot fit it). */
function exampleCsv() {
  const rows = ["# An example: y = x² at 21 points. Paste your own pairs, or load a file.", "x,y"];
  for (let i = -10; i <= 10; i++) {
    const x = i / 5;
    rows.push(`${x},${Number((x * x).toFixed(4))}`);
  }
  return rows.join("\n");
}

/** Bytes as megabytes, one decimal: 900000 → "0.9 MB". */
function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** "10" or "8, 4" → [10] or [8, 4]; null when it is not a list of whole numbers. */
function parseLayers(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || !parts.every((p) => /^\d+$/.test(p))) return null;
  return parts.map(Number);
}

export class FittingControls {
  /**
   * @param {object} fitting  the catalogue's `fitting` section
   * @param {{onChange: (key: string, value: any) => void, onLesson: (key: string) => void,
   *          onInvalid: (message: string) => void}} handlers
   */
  constructor(fitting, { onChange, onLesson, onInvalid }) {
    this.fitting = fitting;
    this.onChange = onChange;
    this.onInvalid = onInvalid;

    const lessons = $("lessons");
    for (const lesson of fitting.lessons) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "lesson";
      button.dataset.key = lesson.key;
      const title = document.createElement("span");
      title.className = "lesson-title";
      title.textContent = lesson.title;
      const text = document.createElement("span");
      text.className = "lesson-text";
      text.textContent = lesson.text;
      button.append(title, text);
      button.addEventListener("click", () => onLesson(lesson.key));
      lessons.append(button);
    }

    const datasets = $("datasets");
    for (const dataset of fitting.datasets) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dataset-choice";
      button.dataset.key = dataset.key;
      button.setAttribute("role", "radio");
      button.textContent = dataset.label;
      button.title = dataset.equation ?? `${dataset.yLabel} against ${dataset.xLabel}`;
      button.addEventListener("click", () => onChange("dataset", dataset.key));
      datasets.append(button);
    }

    fillSelect($("optimizer"), fitting.optimizers);
    fillSelect($("model"), fitting.models);
    fillSelect($("activation"), fitting.activations);
    this.rates = [...fitting.learningRates];
    this.fillRates();
    $("learningRate").title = fitting.learningRateNote;
    for (const key of ["learningRate", "optimizer", "model", "activation"]) {
      $(key).addEventListener("change", () => {
        const value = $(key).value;
        onChange(key, key === "learningRate" ? Number(value) : value);
      });
    }
    $("normalize").addEventListener("change", () => onChange("normalize", $("normalize").checked));
    $("hiddenLayers").addEventListener("change", () => {
      const layers = parseLayers($("hiddenLayers").value);
      const { hiddenLayers, neurons } = fitting.limits;
      const ok = layers && layers.length >= hiddenLayers.min && layers.length <= hiddenLayers.max &&
        layers.every((n) => n >= neurons.min && n <= neurons.max);
      if (ok) onChange("hiddenLayers", layers);
      else {
        onInvalid(`Hidden layers: ${hiddenLayers.min} to ${hiddenLayers.max} numbers of nodes ` +
          `from ${neurons.min} to ${neurons.max}, e.g. 10 or 8, 4`);
      }
    });

    const sliders = {
      numPoints: [fitting.limits.numPoints, (v) => String(v)],
      noise: [fitting.limits.noise, (v) => v.toFixed(3)],
      percTrainData: [fitting.limits.percTrainData, (v) => `${v}%`],
    };
    this.formats = {};
    for (const [key, [limits, format]] of Object.entries(sliders)) {
      const input = $(key);
      input.min = limits.min;
      input.max = limits.max;
      input.step = limits.step;
      this.formats[key] = format;
      input.addEventListener("input", () => this.showSlider(key, Number(input.value)));
      input.addEventListener("change", () => onChange(key, Number(input.value)));
    }

    $("csv-rows-max").textContent = fitting.limits.csvRows.max.toLocaleString("en");
    $("csv").value = exampleCsv();
    $("use-csv").addEventListener("click", () => onChange("csv", $("csv").value));
    $("csv-file").addEventListener("change", async () => {
      const file = $("csv-file").files[0];
      $("csv-file").value = "";
      if (!file) return;
      const { csvRows, csvBytes } = fitting.limits;
      if (file.size > csvBytes.max) {
        this.showCsvError(`${file.name} is ${megabytes(file.size)}; at most ` +
          `${csvRows.max.toLocaleString("en")} rows (up to ${megabytes(csvBytes.max)}) are taken`);
        return;
      }
      $("csv").value = await file.text();
      onChange("csv", $("csv").value);
    });
    $("regenerate").addEventListener("click", () => onChange("seed", null));
  }

  /** The rate list, with a rate that is not on it (from a lesson or the API) added in order. */
  fillRates(current) {
    if (current !== undefined && !this.rates.includes(current)) {
      this.rates = [...this.rates, current].sort((a, b) => a - b);
    }
    fillSelect($("learningRate"), this.rates);
  }

  showSlider(key, value) {
    $(`${key}-value`).textContent = this.formats[key](value);
  }

  showCsvError(message) {
    $("csv-error").textContent = message;
  }

  /** Show `settings` in every control; the body's classes show the sections that apply. */
  show(settings) {
    if (!this.rates.includes(settings.learningRate)) this.fillRates(settings.learningRate);
    $("learningRate").value = String(settings.learningRate);
    $("optimizer").value = settings.optimizer;
    $("model").value = settings.model;
    $("activation").value = settings.activation;
    $("normalize").checked = settings.normalize;
    if (document.activeElement !== $("hiddenLayers")) {
      $("hiddenLayers").value = settings.hiddenLayers.join(", ");
    }
    for (const key of ["numPoints", "noise", "percTrainData"]) {
      $(key).value = settings[key];
      this.showSlider(key, settings[key]);
    }
    for (const button of document.querySelectorAll(".dataset-choice")) {
      const on = button.dataset.key === settings.dataset;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-checked", String(on));
    }
    const body = document.body.classList;
    for (const { key } of this.fitting.datasets) body.toggle(`dataset-${key}`, key === settings.dataset);
    body.toggle("model-network", settings.model === "network");
    body.toggle("model-linear", settings.model !== "network");
  }

  /** Mark the lesson whose spec the settings match (or none). */
  showLesson(key) {
    for (const button of document.querySelectorAll(".lesson")) {
      button.classList.toggle("selected", button.dataset.key === key);
    }
  }
}
