// The playground's controls, built from the server's catalogue: the top bar's pickers,
// the data set picker with previews, the data sliders and the display options.
// Every change is reported as (key, value); `show(state)` sets them all.

import { pointColour } from "./class-colours.js";
import { fillSelect } from "./select-options.js";
import { throttledSlider } from "./slider-input.js";
import { ClassroomChecklist, showHiddenControls } from "./teacher-options.js";

const $ = (id) => document.getElementById(id);

/** Select `value`, adding it as an option when a link asks for a value the list lacks. */
function selectValue(select, value) {
  const text = String(value);
  if (![...select.options].some((o) => o.value === text)) {
    const option = document.createElement("option");
    option.value = text;
    option.textContent = text;
    select.appendChild(option);
  }
  select.value = text;
}

/** A data set's preview: its points on a canvas covering `range` ([low, high]) in both axes. */
function drawPreview(canvas, points, [low, high], classes = 2) {
  const size = canvas.width;
  const scale = size / (high - low);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, size, size);
  for (const [x1, x2, label] of points) {
    ctx.fillStyle = pointColour(label, classes);
    ctx.beginPath();
    ctx.arc((x1 - low) * scale, (high - x2) * scale, size / 50, 0, 2 * Math.PI);
    ctx.fill();
  }
}

export class PlaygroundControls {
  /**
   * @param {object} catalog  the catalogue's playground section
   * @param {(key: string, value: any) => void} onChange
   * @param {Record<string, number[][]>} previews  a few points of each data set, by key
   */
  constructor(catalog, onChange, previews = {}) {
    this.catalog = catalog;
    this.onChange = onChange;
    this.previews = previews;
    this.problem = null;

    const selects = {
      learningRate: catalog.learningRates,
      activation: catalog.activations,
      regularization: catalog.regularizations,
      regularizationRate: catalog.regularizationRates,
      problem: catalog.problemTypes,
      pace: catalog.paces,
    };
    for (const [key, entries] of Object.entries(selects)) {
      const select = $(key);
      fillSelect(select, entries);
      const numeric = key === "learningRate" || key === "regularizationRate";
      select.addEventListener("change", () =>
        onChange(key, numeric ? Number(select.value) : select.value),
      );
    }

    this.sliders = {};
    for (const key of ["percTrainData", "noise", "batchSize"]) {
      const input = $(key);
      const { min, max, step = 1, sliderMax = max } = catalog.limits[key];
      Object.assign(input, { min, max: sliderMax, step });
      // The label follows the thumb; the run follows it too, a few times a second.
      this.sliders[key] = throttledSlider(input, (value) => onChange(key, value), {
        onMove: (value) => this.showSliderValue(key, value),
      });
    }

    for (const key of ["showTestData", "discretize"]) {
      const box = $(key);
      box.addEventListener("change", () => onChange(key, box.checked));
    }
    $("regenerate").addEventListener("click", () => onChange("seed", null));
    const article = document.querySelector(".article");
    this.checklist = article ? new ClassroomChecklist(article, onChange) : null;
  }

  showSliderValue(key, value) {
    $(`${key}-value`).textContent = key === "percTrainData" ? `${value}%` : String(value);
  }

  buildDatasets(problem) {
    this.problem = problem;
    const list = $("datasets");
    const key = problem === "classification" ? "dataset" : "regDataset";
    list.replaceChildren(
      ...this.catalog.datasets[problem].map((dataset) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "dataset";
        button.dataset.dataset = dataset.key;
        const classes = dataset.classes > 2 ? `, ${dataset.classes} classes` : "";
        button.title = `${dataset.label} (${dataset.points} points${classes})`;
        button.setAttribute("aria-label", dataset.label);
        const canvas = document.createElement("canvas");
        canvas.width = 64;
        canvas.height = 64;
        drawPreview(canvas, this.previews[dataset.key] ?? [], this.catalog.inputRange,
          dataset.classes ?? 2);
        button.appendChild(canvas);
        button.addEventListener("click", () => this.onChange(key, dataset.key));
        return button;
      }),
    );
  }

  /** Show a state's values in every control. */
  show(state) {
    const v = state.values;
    if (this.problem !== v.problem) this.buildDatasets(v.problem);
    const active = state.datasetKey();
    for (const button of document.querySelectorAll("#datasets .dataset")) {
      button.classList.toggle("selected", button.dataset.dataset === active);
      button.setAttribute("aria-pressed", String(button.dataset.dataset === active));
    }
    for (const key of ["learningRate", "activation", "regularization", "regularizationRate", "problem",
      "pace"]) {
      selectValue($(key), v[key]);
    }
    for (const key of ["percTrainData", "noise", "batchSize"]) {
      const input = $(key);
      // A link's noise past the slider's end (up to 80, as the classic) widens it.
      if (v[key] > Number(input.max)) input.max = String(v[key]);
      input.value = String(v[key]);
      this.showSliderValue(key, v[key]);
      this.sliders[key].reported(v[key]);
    }
    $("showTestData").checked = v.showTestData;
    $("discretize").checked = v.discretize;
    showHiddenControls(state);
    this.checklist?.show(state);
  }
}
