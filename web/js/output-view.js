// The large heat map: a 100x100 map (the output neuron's, or the hovered node's),
// the data points over it and the axes around it.

import { drawClassMap, pointColour } from "./class-colours.js";
import { HeatMap, drawPoints } from "./heatmap.js";

const SVG_NS = "http://www.w3.org/2000/svg";

export class OutputView {
  /**
   * @param {HTMLElement} root  a container holding canvas.heat, canvas.points and svg.axes
   * @param {{density: number, range: number[]}} options
   */
  constructor(root, { density, range }) {
    this.range = range;
    this.heat = new HeatMap(root.querySelector("canvas.heat"), density, density);
    this.pointsCanvas = root.querySelector("canvas.points");
    this.axes = root.querySelector("svg.axes");
    this.data = { train: [], test: [] };
    this.classes = 2;
    this.showTest = false;
    this.drawAxes();
  }

  /** Draw map values (samples × stride, this one at `offset`). */
  draw(values, offset, stride, discretize) {
    this.heat.draw(values, offset, stride, discretize);
  }

  /** A softmax map (samples × classes): the most likely class, lighter where less sure. */
  drawClasses(values, classes, discretize) {
    drawClassMap(this.heat, values, classes, discretize);
  }

  /** The run's points; `classes` > 2: labels are class numbers, coloured per class. */
  setData(train, test, classes = 2) {
    this.data = { train, test };
    this.classes = classes;
    this.drawPoints();
  }

  setShowTest(show) {
    this.showTest = show;
    this.drawPoints();
  }

  drawPoints() {
    const colour = (label) => pointColour(label, this.classes);
    drawPoints(this.pointsCanvas, { ...this.data, showTest: this.showTest, range: this.range,
      colour });
  }

  /** Ticks along the bottom (x1) and the right (x2), one per unit, like the classic playground. */
  drawAxes() {
    const [low, high] = this.range;
    const box = this.pointsCanvas.getBoundingClientRect();
    const size = box.width || 300;
    const svg = this.axes;
    svg.replaceChildren();
    svg.setAttribute("width", size + 30);
    svg.setAttribute("height", size + 24);
    const scale = (v) => ((v - low) / (high - low)) * size;
    const add = (tag, attrs, text) => {
      const el = document.createElementNS(SVG_NS, tag);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      if (text !== undefined) el.textContent = text;
      svg.appendChild(el);
    };
    add("line", { x1: 0, y1: size, x2: size, y2: size, class: "axis-line" });
    add("line", { x1: size, y1: 0, x2: size, y2: size, class: "axis-line" });
    for (let v = Math.ceil(low); v <= high; v++) {
      const x = scale(v);
      const y = size - scale(v);
      add("line", { x1: x, y1: size, x2: x, y2: size + 5, class: "axis-tick" });
      add("text", { x, y: size + 16, class: "axis-label", "text-anchor": "middle" }, String(v));
      add("line", { x1: size, y1: y, x2: size + 5, y2: y, class: "axis-tick" });
      add("text", { x: size + 8, y: y + 3.5, class: "axis-label" }, String(v));
    }
  }
}
