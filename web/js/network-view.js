// The network diagram: feature nodes, hidden neurons and the output neuron, each
// with its own small heat map; links coloured by the sign of their weight and
// as wide as its size; bias markers; a card that shows a weight or bias on hover
// and edits it on click; and the +/- buttons for layers and neurons.
//
// Nodes are HTML (a canvas each) over one SVG of links. The layout follows the
// run's model (features in input order, then its Dense layers).

import { cardPosition, describedBoxes } from "./card-placement.js";
import { HeatMap, cssColor } from "./heatmap.js";

const NODE = 30; // node side, px
const PITCH = 42; // vertical distance between nodes
const TOP = 64; // room above the nodes for the layer buttons
const LABEL_WIDTH = 64; // room left of the feature nodes for their names
const MIN_COLUMN_STEP = 44; // px between columns of nodes, at the least
const BIAS = 6;
const MAP_SIZE = 25; // pixels per side of a node's map
const SVG_NS = "http://www.w3.org/2000/svg";

const linkWidth = (weight) => 1 + Math.min(Math.abs(weight), 5) * 1.8;

function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function html(tag, className, parent = null, text = null) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

function formatWeight(value) {
  return Number.isFinite(value) ? value.toFixed(3) : String(value);
}

export class NetworkView {
  /**
   * @param {HTMLElement} root  an empty, position:relative container
   * @param {{features: {key: string, label: string}[], limits: object, density: number,
   *   onToggleFeature: (key: string) => void, onShape: (shape: number[]) => void,
   *   onHover: (node: object|null) => void, onEdit: (target: object, value: number) => void,
   *   hiddenFeatures?: Set<string>}} options  hiddenFeatures: inputs a link hides (not drawn)
   */
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.weights = null;
    this.card = null;
    this.editing = null;
  }

  /**
   * Lay out the diagram for a network.
   * @param {{selected: string[], shape: number[]}} network
   *   selected: feature keys in input order; shape: hidden layer sizes
   */
  build({ selected, shape }) {
    const { features, limits, density } = this.options;
    this.root.replaceChildren();
    this.hideCard();
    this.editing = null;
    this.selected = selected;
    this.shape = shape;
    this.weights = null;
    const columns = shape.length + 2;
    // Never so narrow that nodes touch: a column scrolls rather than squeeze them.
    const least = LABEL_WIDTH + MIN_COLUMN_STEP * (columns - 1) + NODE + 20;
    const width = Math.max(this.root.clientWidth, 320, least);
    const firstX = LABEL_WIDTH;
    const lastX = width - NODE - 20; // room for the "Output" title centred over it
    const colX = (c) => firstX + ((lastX - firstX) * c) / (columns - 1);
    const hidden = this.options.hiddenFeatures ?? new Set();
    const shown = features.filter((feature) => !hidden.has(feature.key));
    const rows = Math.max(shown.length, ...shape, 1);
    const height = TOP + rows * PITCH;
    this.root.style.height = `${height}px`;

    const links = svg("svg", { class: "links", width, height }, this.root);
    this.linkLayer = svg("g", {}, links);
    this.hitLayer = svg("g", { class: "hits" }, links);
    this.biasLayer = svg("g", {}, links);

    this.buildHeader(colX, shape, limits);

    /** positions[c][i] = {x, y} of node i's top-left in column c (c=0: active features). */
    const positions = [];
    this.featureNodes = [];
    const featurePositions = [];
    shown.forEach((feature, row) => {
      const y = TOP + row * PITCH;
      const active = selected.includes(feature.key);
      const node = this.makeNode(colX(0), y, `feature ${active ? "active" : "inactive"}`);
      node.el.dataset.feature = feature.key;
      node.el.title = `${feature.label}: click to turn ${active ? "off" : "on"}`;
      html("div", "feature-label", node.el, feature.label);
      node.el.tabIndex = 0;
      node.el.setAttribute("role", "switch");
      node.el.setAttribute("aria-checked", String(active));
      node.el.setAttribute("aria-label", feature.label);
      node.el.addEventListener("click", () => this.options.onToggleFeature(feature.key));
      node.el.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.options.onToggleFeature(feature.key);
        }
      });
      node.el.addEventListener("mouseenter", () => this.hover({ kind: "feature", key: feature.key }));
      node.el.addEventListener("mouseleave", () => this.hover(null));
      node.map = new HeatMap(node.canvas, MAP_SIZE, density);
      node.key = feature.key;
      node.gridIndex = features.indexOf(feature); // its column in the feature grid
      this.featureNodes.push(node);
      if (active) featurePositions[selected.indexOf(feature.key)] = { x: colX(0), y };
    });
    positions.push(featurePositions);

    this.neuronNodes = [];
    const sizes = [...shape, 1];
    sizes.forEach((units, layer) => {
      const column = [];
      for (let unit = 0; unit < units; unit++) {
        const x = colX(layer + 1);
        const y = TOP + unit * PITCH;
        const output = layer === sizes.length - 1;
        const node = this.makeNode(x, y, output ? "neuron output" : "neuron");
        node.el.dataset.layer = layer;
        node.el.dataset.unit = unit;
        node.el.title = output ? "Output" : `Layer ${layer + 1}, neuron ${unit + 1}`;
        node.el.addEventListener("mouseenter", () => this.hover({ kind: "neuron", layer, unit }));
        node.el.addEventListener("mouseleave", () => this.hover(null));
        node.map = new HeatMap(node.canvas, MAP_SIZE, density);
        node.layer = layer;
        node.unit = unit;
        this.neuronNodes.push(node);
        column.push({ x, y });
      }
      positions.push(column);
    });

    // Links and biases, indexed like the server's edits: [layer][input][unit], [layer][unit].
    this.links = [];
    this.biases = [];
    for (let layer = 0; layer < sizes.length; layer++) {
      const from = positions[layer];
      const to = positions[layer + 1];
      const byInput = from.map((source, input) =>
        to.map((target, unit) => this.makeLink(source, target, { layer, input, unit })),
      );
      this.links.push(byInput);
      this.biases.push(to.map((target, unit) => this.makeBias(target, { layer, unit })));
    }
  }

  /** Lay the same network out again (the container's width changed). */
  relayout() {
    if (!this.shape) return;
    const weights = this.weights;
    this.build({ selected: this.selected, shape: this.shape });
    if (weights) this.updateWeights(weights);
  }

  buildHeader(colX, shape, limits) {
    const header = html("div", "network-header", this.root);
    const titles = html("div", "column-title features-title", header, "Features");
    titles.style.left = `${colX(0) - LABEL_WIDTH + 4}px`;
    const layerCount = html("div", "layer-count", header);
    const middle = shape.length > 0 ? (colX(1) + colX(shape.length)) / 2 + NODE / 2 : colX(0.5);
    layerCount.style.left = `${middle}px`;
    const add = html("button", "icon-button", layerCount, "+");
    add.id = "add-layer";
    add.title = "Add a hidden layer";
    add.disabled = shape.length >= limits.hiddenLayers.max;
    add.addEventListener("click", () => this.options.onShape([...shape, 2]));
    const remove = html("button", "icon-button", layerCount, "\u2212");
    remove.id = "remove-layer";
    remove.title = "Remove the last hidden layer";
    remove.disabled = shape.length <= limits.hiddenLayers.min;
    remove.addEventListener("click", () => this.options.onShape(shape.slice(0, -1)));
    const label = html("span", "layer-count-label", layerCount);
    label.id = "layer-count";
    label.textContent = `${shape.length} hidden layer${shape.length === 1 ? "" : "s"}`;

    shape.forEach((units, layer) => {
      const box = html("div", "neuron-count", header);
      box.style.left = `${colX(layer + 1) + NODE / 2}px`;
      const plus = html("button", "icon-button small", box, "+");
      plus.dataset.action = "add-neuron";
      plus.dataset.layer = layer;
      plus.title = "Add a neuron";
      plus.disabled = units >= limits.neurons.max;
      plus.addEventListener("click", () =>
        this.options.onShape(shape.map((u, i) => (i === layer ? u + 1 : u))),
      );
      const minus = html("button", "icon-button small", box, "\u2212");
      minus.dataset.action = "remove-neuron";
      minus.dataset.layer = layer;
      minus.title = "Remove a neuron";
      minus.disabled = units <= limits.neurons.min;
      minus.addEventListener("click", () =>
        this.options.onShape(shape.map((u, i) => (i === layer ? u - 1 : u))),
      );
      const count = `${units} neuron${units === 1 ? "" : "s"}`;
      box.title = count;
      html("div", "neuron-count-label", box, colX(1) - colX(0) < 60 ? String(units) : count);
    });
    const output = html("div", "column-title output-title", header, "Output");
    output.style.left = `${colX(shape.length + 1) + NODE / 2}px`;
  }

  makeNode(x, y, className) {
    const el = html("div", `node ${className}`, this.root);
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
    const canvas = html("canvas", "node-map", el);
    return { el, canvas };
  }

  makeLink(source, target, ref) {
    const x1 = source.x + NODE;
    const y1 = source.y + NODE / 2;
    const x2 = target.x;
    const y2 = target.y + NODE / 2;
    const mid = (x1 + x2) / 2;
    const d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    const path = svg("path", { class: "link", d }, this.linkLayer);
    const hit = svg("path", { class: "link-hit", d }, this.hitLayer);
    hit.dataset.layer = ref.layer;
    hit.dataset.input = ref.input;
    hit.dataset.unit = ref.unit;
    const ends = [source, target];
    this.attachCard(hit, { kind: "weight", ...ref }, () => describedBoxes(path, ends, NODE));
    return path;
  }

  makeBias(target, ref) {
    const x = target.x - BIAS - 3;
    const y = target.y + NODE - BIAS;
    const rect = svg("rect", { class: "bias", x, y, width: BIAS, height: BIAS }, this.biasLayer);
    const hit = svg("rect", {
      class: "bias-hit", x: x - 4, y: y - 4, width: BIAS + 8, height: BIAS + 8,
    }, this.biasLayer);
    hit.dataset.layer = ref.layer;
    hit.dataset.unit = ref.unit;
    this.attachCard(hit, { kind: "bias", ...ref }, () => describedBoxes(rect, [target], NODE));
    return rect;
  }

  // -- values ---------------------------------------------------------------------------

  /** Colour and size the links and biases from snapshot weights ([[kernel, bias], …]). */
  updateWeights(weights) {
    this.weights = weights;
    weights.forEach(([kernel, bias], layer) => {
      const links = this.links[layer];
      const biases = this.biases[layer];
      if (!links || !biases) return;
      kernel.forEach((row, input) =>
        row.forEach((w, unit) => {
          const path = links[input]?.[unit];
          if (!path) return;
          path.style.stroke = cssColor(w);
          path.style.strokeWidth = linkWidth(w);
        }),
      );
      bias.forEach((b, unit) => {
        if (biases[unit]) biases[unit].style.fill = cssColor(b);
      });
    });
    if (this.card && !this.editing && this.card.target) this.showValue(this.card.target);
  }

  valueOf(target) {
    if (!this.weights) return null;
    const [kernel, bias] = this.weights[target.layer] ?? [];
    if (target.kind === "weight") return kernel?.[target.input]?.[target.unit] ?? null;
    return bias?.[target.unit] ?? null;
  }

  /**
   * Draw every neuron's map.
   * @param {(layer: number, unit: number) => {values: Float32Array, offset: number, stride: number}} mapOf
   */
  drawNeuronMaps(mapOf, discretize) {
    for (const node of this.neuronNodes) {
      const { values, offset, stride } = mapOf(node.layer, node.unit);
      node.map.draw(values, offset, stride, discretize);
    }
  }

  /** @param {Float32Array} featureGrid  samples × all features (catalogue order) */
  drawFeatureMaps(featureGrid, discretize) {
    const k = this.options.features.length;
    this.featureNodes.forEach((node) => node.map.draw(featureGrid, node.gridIndex, k, discretize));
  }

  // -- hover and edit ---------------------------------------------------------------------

  hover(node) {
    this.options.onHover(node);
  }

  /** @param {() => object[]} avoid  the boxes of what the card describes (card-placement.js) */
  attachCard(hit, target, avoid) {
    hit.addEventListener("mouseenter", (event) => {
      if (this.editing) return;
      this.showValue(target);
      this.placeCard(event, avoid());
    });
    hit.addEventListener("mouseleave", () => {
      if (!this.editing) this.hideCard();
    });
    hit.addEventListener("click", (event) => {
      this.showValue(target);
      this.startEdit(target);
      this.placeCard(event, avoid()); // once the card has its input: its final size
    });
  }

  ensureCard() {
    if (this.card) return this.card;
    const el = html("div", "hovercard", this.root);
    const text = html("span", "hovercard-text", el);
    const input = html("input", "hovercard-input", el);
    input.type = "number";
    input.step = "any";
    input.setAttribute("aria-label", "New value");
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.commitEdit();
      else if (event.key === "Escape") this.hideCard();
    });
    input.addEventListener("blur", () => {
      if (this.editing) this.hideCard();
    });
    this.card = { el, text, input, target: null };
    return this.card;
  }

  /** Put the (visible) card by the pointer, clear of the boxes in `avoid`. */
  placeCard(event, avoid) {
    const card = this.ensureCard();
    const box = this.root.getBoundingClientRect();
    const pointer = { x: event.clientX - box.left, y: event.clientY - box.top };
    const size = { width: card.el.offsetWidth, height: card.el.offsetHeight };
    const { left, top } = cardPosition(size, pointer, avoid, this.root.clientWidth);
    card.el.style.left = `${left}px`;
    card.el.style.top = `${top}px`;
  }

  showValue(target) {
    const card = this.ensureCard();
    card.target = target;
    const value = this.valueOf(target);
    const name = target.kind === "weight" ? "Weight" : "Bias";
    card.text.textContent = `${name} is ${value === null ? "…" : formatWeight(value)}`;
    card.el.dataset.kind = target.kind;
    card.el.classList.add("visible");
  }

  startEdit(target) {
    const card = this.ensureCard();
    this.editing = target;
    card.el.classList.add("editing");
    const value = this.valueOf(target);
    card.input.value = value === null ? "" : String(Number(value.toFixed(6)));
    card.input.focus();
    card.input.select();
  }

  commitEdit() {
    const card = this.card;
    const target = this.editing;
    const value = Number(card.input.value);
    if (target && card.input.value.trim() !== "" && Number.isFinite(value)) {
      this.options.onEdit(target, value);
    }
    this.hideCard();
  }

  hideCard() {
    this.editing = null;
    if (!this.card) return;
    this.card.target = null;
    this.card.el.classList.remove("visible", "editing");
  }
}
