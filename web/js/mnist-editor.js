// The preset picker and the model editor: the talk's ladder (from the catalogue) and the
// learner's changes to it (layers, activation, optimizer, learning rate and its decay,
// shifted training digits, batch size, epoch budget, training images). It produces the
// body of POST /api/runs.

import { formatCount } from "./number-format.js";
import { describeLayers } from "./mnist-layers.js";
import { fillSelect } from "./select-options.js";

const LAYER_LABELS = {
  dense: "Dense",
  conv: "Convolution",
  maxpool: "Max-pool",
  dropout: "Dropout",
  batchnorm: "Batch norm",
};
const PARAM_LABELS = { units: "units", filters: "filters", kernel: "kernel", stride: "stride", size: "size", rate: "drop rate" };
const PARAM_STEPS = { rate: 0.05 }; // the others are whole numbers
const NEW_LAYER = {
  dense: { units: 100 },
  conv: { filters: 8, kernel: 5, stride: 1 },
  maxpool: { size: 2 },
  dropout: { rate: 0.25 },
  batchnorm: {},
};
/** Training-image counts the field suggests below the whole set (which it suggests too). */
const SUGGESTED_TRAIN_IMAGES = [1000, 2000, 5000, 10000, 20000];

const clone = (value) => JSON.parse(JSON.stringify(value));

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function option(value, label, selected = false) {
  return element("option", { value, textContent: label, selected });
}

/** What the ladder says under a preset: the talk's figure, and what we add to its recipe. */
function presetNote(preset) {
  const parts = [];
  if (preset.reported) parts.push(`the talk reports ${preset.reported}`);
  if (preset.spec.shift) parts.push(`+ digits shifted ±${preset.spec.shift} px`);
  if (preset.note) parts.push(preset.note);
  return parts.join(" · ");
}

/** The first percentage in a "reported" text ("98%, overfitting tamed" → 0.98), or null. */
export function reportedAccuracy(text) {
  const match = /(\d+(?:\.\d+)?)\s*%/.exec(text ?? "");
  return match ? Number(match[1]) / 100 : null;
}

export class ModelEditor {
  /**
   * @param {object} mnist  the catalogue's `mnist` section (or another image classifier's,
   *   with its presets' `spec` holding their layers for the current input)
   * @param {{onChange: () => void, problem?: string,
   *          input?: {side: number, channels: number}, classes?: number,
   *          extraBody?: () => object}} options
   *   problem: the body's `problem`; input and classes: the model's shapes (MNIST's by
   *   default); extraBody: the page's own fields of the body (a data set, say). Fields the
   *   page has no control for (MNIST's shift) are left out.
   */
  constructor(mnist, { onChange, problem = "mnist", input = { side: 28, channels: 1 }, classes = 10,
    extraBody = () => ({}) }) {
    this.catalog = mnist;
    this.presets = new Map(mnist.presets.map((p) => [p.key, p]));
    this.onChange = onChange;
    this.problem = problem;
    this.input = input;
    this.classes = classes;
    this.extraBody = extraBody;
    this.$ = (id) => document.getElementById(id);
    this.preset = mnist.presets[0].key;
    this.values = null;
    this.buildStatic();
    this.choose(this.preset, { trainImages: mnist.defaults.trainImages });
  }

  get presetInfo() {
    return this.presets.get(this.preset);
  }

  // -- building -----------------------------------------------------------------------------

  buildStatic() {
    const { $, catalog } = this;
    $("presets").replaceChildren(...catalog.presets.map((preset) => {
      const input = element("input", { type: "radio", name: "preset", value: preset.key });
      input.addEventListener("change", () => {
        if (input.checked) this.choose(preset.key);
      });
      return element("label", { className: "preset", dataset: { preset: preset.key } },
        input,
        element("span", { className: "preset-text" },
          element("span", { className: "preset-title", textContent: preset.title }),
          element("span", { className: "preset-reported", textContent: presetNote(preset) })));
    }));
    fillSelect($("activation"), catalog.activations);
    fillSelect($("init"), catalog.inits);
    fillSelect($("optimizer"), catalog.optimizers);
    fillSelect($("add-layer-type"),
      Object.keys(catalog.layerTypes).map((type) => ({ key: type, label: LAYER_LABELS[type] ?? type })));
    const limits = catalog.limits;
    const bounds = {
      "learning-rate": limits.learningRate,
      "decay-steps": limits.decaySteps,
      "batch-size": limits.batchSize,
      shift: limits.shift,
      epochs: limits.epochs,
      "train-images": limits.trainImages,
    };
    for (const [id, limit] of Object.entries(bounds)) {
      if (!$(id) || !limit) continue;
      $(id).min = String(limit.min);
      $(id).max = String(limit.max);
    }
    this.suggestTrainImages(limits.trainImages);
    const fields = {
      activation: (v) => ({ activation: v }),
      init: (v) => ({ init: v }),
      optimizer: (v) => ({ optimizer: v }),
      "learning-rate": (v) => ({ learningRate: Number(v) }),
      "batch-size": (v) => ({ batchSize: Number(v) }),
      shift: (v) => ({ shift: Number(v) }),
      epochs: (v) => ({ epochs: Number(v) }),
      "train-images": (v) => ({ trainImages: Number(v) }),
    };
    for (const [id, read] of Object.entries(fields)) {
      $(id)?.addEventListener("change", () => this.update(read($(id).value)));
    }
    for (const id of ["decay", "decay-to", "decay-steps"]) {
      $(id).addEventListener("change", () => this.update({ learningRateDecay: this.readDecay() }));
    }
    $("add-layer").addEventListener("click", () => this.addLayer($("add-layer-type").value));
    $("revert").addEventListener("click", () => this.choose(this.preset));
  }

  /** The training-images field's range and suggestions. */
  suggestTrainImages(images) {
    const { $ } = this;
    $("train-images").min = String(images.min);
    $("train-images").max = String(images.max);
    $("train-image-choices").replaceChildren(
      ...[...SUGGESTED_TRAIN_IMAGES.filter((n) => n >= images.min && n < images.max), images.max]
        .map((n) => element("option", { value: String(n) })));
  }

  /**
   * Another input, other presets (their layers scaled to it) or another range of training
   * images: the chosen preset is loaded again for them, with `trainImages`.
   */
  reconfigure({ input, presets, trainImagesLimit, trainImages }) {
    if (input) this.input = input;
    if (presets) this.presets = new Map(presets.map((p) => [p.key, p]));
    if (trainImagesLimit) this.suggestTrainImages(trainImagesLimit);
    this.choose(this.preset, { trainImages });
  }

  readDecay() {
    const { $ } = this;
    if (!$("decay").checked) return null;
    return { to: Number($("decay-to").value), steps: Number($("decay-steps").value) };
  }

  // -- state -------------------------------------------------------------------------------

  /** Load a preset's settings (the number of training images stays, unless given). */
  choose(key, { trainImages } = {}) {
    const preset = this.presets.get(key);
    if (!preset) return;
    this.preset = key;
    const keep = trainImages ?? this.values?.trainImages ?? this.catalog.defaults.trainImages;
    this.values = { ...clone(preset.spec), trainImages: keep };
    this.render();
    this.onChange();
  }

  update(changes) {
    Object.assign(this.values, changes);
    this.renderFields();
    this.renderSummary();
    this.onChange();
  }

  /** True when the settings differ from the preset's (the training images aside). */
  get modified() {
    const { trainImages: _, ...mine } = this.values;
    const spec = this.presetInfo.spec;
    return Object.keys(spec).some((k) => JSON.stringify(spec[k]) !== JSON.stringify(mine[k]));
  }

  /** The body of POST /api/runs. */
  body() {
    const v = this.values;
    const body = {
      problem: this.problem,
      preset: this.preset,
      layers: clone(v.layers),
      activation: v.activation,
      init: v.init,
      optimizer: v.optimizer,
      learningRate: v.learningRate,
      learningRateDecay: v.learningRateDecay ? { ...v.learningRateDecay } : null,
      shift: v.shift,
      batchSize: v.batchSize,
      epochs: v.epochs,
      trainImages: v.trainImages,
      ...this.extraBody(),
    };
    if (body.shift === undefined) delete body.shift;
    return body;
  }

  addLayer(type) {
    if (this.values.layers.length >= this.catalog.maxLayers) return;
    this.values.layers.push({ type, ...clone(NEW_LAYER[type] ?? {}) });
    this.renderLayers();
    this.renderSummary();
    this.onChange();
  }

  // -- rendering ------------------------------------------------------------------------------

  render() {
    for (const input of document.querySelectorAll('#presets input[name="preset"]')) {
      input.checked = input.value === this.preset;
    }
    this.renderFields();
    this.renderLayers();
    this.renderSummary();
  }

  renderFields() {
    const { $, values: v } = this;
    const set = (id, value) => {
      if ($(id) && value !== undefined) $(id).value = String(value);
    };
    set("activation", v.activation);
    set("init", v.init);
    set("optimizer", v.optimizer);
    set("learning-rate", v.learningRate);
    set("batch-size", v.batchSize);
    set("shift", v.shift);
    set("epochs", v.epochs);
    set("train-images", v.trainImages);
    const decay = v.learningRateDecay;
    $("decay").checked = Boolean(decay);
    $("decay-to").disabled = !decay;
    $("decay-to").max = String(v.learningRate); // the rate decays down, never up
    $("decay-steps").disabled = !decay;
    set("decay-to", decay ? decay.to : 0.0001);
    set("decay-steps", decay ? decay.steps : 2000);
  }

  renderLayers() {
    const { layers } = this.values;
    const types = Object.keys(this.catalog.layerTypes);
    const rows = layers.map((layer, i) => {
      const number = i + 1;
      const type = element("select", { className: "layer-type", "aria-label": `Layer ${number}: type` },
        ...types.map((t) => option(t, LAYER_LABELS[t] ?? t, t === layer.type)));
      type.addEventListener("change", () => {
        layers[i] = { type: type.value, ...clone(NEW_LAYER[type.value] ?? {}) };
        this.renderLayers();
        this.renderSummary();
        this.onChange();
      });
      const tool = (label, text, action, disabled = false) => {
        const button = element("button", {
          type: "button", className: "tool-button", textContent: text, title: label,
          "aria-label": `${label} (layer ${number})`, disabled,
        });
        button.addEventListener("click", action);
        return button;
      };
      const move = (delta) => () => {
        const [moved] = layers.splice(i, 1);
        layers.splice(i + delta, 0, moved);
        this.renderLayers();
        this.renderSummary();
        this.onChange();
      };
      const head = element("div", { className: "layer-head" },
        element("span", { className: "layer-number", textContent: String(number) }),
        type,
        element("span", { className: "layer-shape" }),
        element("span", { className: "layer-tools" },
          tool("Move up", "↑", move(-1), i === 0),
          tool("Move down", "↓", move(1), i === layers.length - 1),
          tool("Remove", "×", () => {
            layers.splice(i, 1);
            this.renderLayers();
            this.renderSummary();
            this.onChange();
          })));
      const params = element("div", { className: "layer-params" });
      const limits = this.catalog.layerTypes[layer.type] ?? {};
      const numberField = (key, [min, max], step, label) => {
        const input = element("input", {
          type: "number", min: String(min), max: String(max), step: String(step),
          value: String(layer[key]), className: "layer-param", dataset: { param: key },
          "aria-label": `Layer ${number}: ${label}`,
        });
        input.addEventListener("change", () => {
          layer[key] = Number(input.value);
          this.renderSummary();
          this.onChange();
        });
        params.append(element("label", { className: "param" },
          element("span", { textContent: label }), input));
      };
      for (const [key, range] of Object.entries(limits)) {
        numberField(key, range, PARAM_STEPS[key] ?? 1, PARAM_LABELS[key] ?? key);
      }
      if (layer.type === "dense" || layer.type === "conv") {
        const act = element("select", { className: "layer-activation", "aria-label": `Layer ${number}: activation` },
          option("", "model’s activation", !layer.activation),
          ...this.catalog.activations.map((a) => option(a, a, layer.activation === a)));
        act.addEventListener("change", () => {
          if (act.value) layer.activation = act.value;
          else delete layer.activation;
          this.onChange();
        });
        params.append(element("label", { className: "param" }, element("span", { textContent: "activation" }), act));
      }
      return element("li", { className: "layer", dataset: { index: String(i), type: layer.type } }, head, params);
    });
    this.$("layers").replaceChildren(...rows);
    this.$("add-layer").disabled = layers.length >= this.catalog.maxLayers;
  }

  renderSummary() {
    const { layers, activation } = this.values;
    const { rows, total } = describeLayers(layers, activation, { ...this.input, classes: this.classes });
    const items = this.$("layers").children;
    rows.forEach((row, i) => {
      const item = items[i];
      if (!item) return;
      item.querySelector(".layer-shape").textContent = row.error ? row.error : `→ ${row.shape}`;
      item.classList.toggle("invalid", Boolean(row.error));
    });
    const steps = Math.max(1, Math.floor(this.values.trainImages / this.values.batchSize));
    const most = this.catalog.limits.parameters.max;
    const tooMany = total > most;
    const text = Number.isFinite(total) && Number.isFinite(steps)
      ? `${formatCount(total)} trainable parameters${tooMany ? `, more than the ${formatCount(most)} the server trains` : ""}`
        + ` · ${formatCount(steps)} batches per epoch`
      : "";
    this.$("param-count").textContent = text;
    this.$("param-count").classList.toggle("over-limit", tooMany);
    for (const label of document.querySelectorAll("#presets .preset")) {
      label.classList.toggle("modified", label.dataset.preset === this.preset && this.modified);
    }
  }

  /** Mark the field a rejected request names (e.g. "layers[2].units", "batchSize"). */
  markInvalid(field) {
    for (const node of document.querySelectorAll(".setup .invalid-field")) node.classList.remove("invalid-field");
    if (!field) return;
    const layer = /^layers\[(\d+)\](?:\.(\w+))?/.exec(field);
    let target = null;
    if (layer) {
      const row = this.$("layers").children[Number(layer[1])];
      target = (layer[2] && row?.querySelector(`[data-param="${layer[2]}"]`)) || row;
    } else {
      const ids = {
        activation: "activation", init: "init", optimizer: "optimizer", learningRate: "learning-rate",
        learningRateDecay: "decay", "learningRateDecay.to": "decay-to", "learningRateDecay.steps": "decay-steps",
        batchSize: "batch-size", shift: "shift", epochs: "epochs", trainImages: "train-images",
        layers: "layers",
      };
      target = ids[field] ? this.$(ids[field]) : null;
    }
    target?.classList.add("invalid-field");
  }
}
