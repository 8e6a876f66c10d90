// "Draw your data": a mode of the output map where a click adds a point of the chosen
// class, a shift-click (or a click with the rubber) removes the nearest one, and a CSV of
// x1, x2, class can be uploaded. The points go into the state (`points`), which starts a
// run on them once the clicks pause. Out of draw mode, a click on the map reads the
// network's class there.

import { CLASS_COLOURS } from "./class-colours.js";
import { snapCoordinate } from "./points-code.js";

const $ = (id) => document.getElementById(id);
const SETTLE_MS = 600; // a run starts this long after the last click
const RUBBER_RADIUS = 0.4; // input units: how near a click must be to remove a point

/**
 * Parse a CSV of x1, x2, class (a header row and # comments allowed); errors name the line,
 * counting from 1 as an editor does.
 * @returns {{points: number[][]} | {error: string}}
 */
export function parsePointsCsv(text, { range, maxClasses, maxPoints }) {
  const [low, high] = range;
  const points = [];
  const lines = text.split(/\r\n|\r|\n/);
  let seenContent = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/[,;\t]/).map((f) => f.trim());
    const numeric = fields.map((f) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(f) ? Number(f) : NaN));
    if (!seenContent) {
      seenContent = true;
      if (numeric.every((v) => Number.isNaN(v))) continue; // a header
    }
    const where = `line ${i + 1}`;
    if (fields.length !== 3) return { error: `${where}: expected three values (x1, x2, class), found ${fields.length}` };
    const bad = fields.findIndex((_, k) => Number.isNaN(numeric[k]));
    if (bad >= 0) return { error: `${where}: "${fields[bad].slice(0, 20)}" is not a number` };
    const [x1, x2, cls] = numeric;
    if (x1 < low || x1 > high || x2 < low || x2 > high) {
      return { error: `${where}: x1 and x2 must lie within [${low}, ${high}]` };
    }
    if (!Number.isInteger(cls) || cls < 0 || cls >= maxClasses) {
      return { error: `${where}: the class must be a whole number from 0 to ${maxClasses - 1}` };
    }
    if (points.length === maxPoints) return { error: `${where}: more than ${maxPoints} points` };
    points.push([snapCoordinate(x1, range), snapCoordinate(x2, range), cls]);
  }
  if (points.length < 2) return { error: `at least two points are needed, found ${points.length}` };
  return { points };
}

export class DrawPoints {
  /**
   * @param {object} catalog  the catalogue's playground section
   * @param {{target: HTMLElement, area: HTMLElement, points: () => number[][],
   *   onPoints: (points) => void,
   *   preview: (points) => void, predictAt: (x1, x2) => string | null}} hooks
   */
  constructor(catalog, { target, area, points, onPoints, preview, predictAt }) {
    this.range = catalog.inputRange;
    this.limits = catalog.limits;
    this.area = area; // the map's square: clicks are placed within it
    this.points = points;
    this.onPoints = onPoints;
    this.preview = preview;
    this.predictAt = predictAt;
    this.active = false;
    this.cls = 0;
    this.rubber = false;
    this.draft = null; // points drawn since the last run started
    this.timer = 0;
    this.buildPicker();
    $("draw-toggle").addEventListener("click", () => this.setActive(!this.active));
    $("draw-clear").addEventListener("click", () => this.clear());
    $("points-csv").addEventListener("change", () => this.upload());
    target.addEventListener("click", (event) => this.onClick(event));
  }

  buildPicker() {
    const picker = $("draw-classes");
    const buttons = CLASS_COLOURS.slice(0, this.limits.classes.max).map(([r, g, b], k) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "class-pick";
      button.dataset.class = String(k);
      button.title = `Add points of class ${k}`;
      button.setAttribute("aria-label", `Class ${k}`);
      button.style.background = `rgb(${r},${g},${b})`;
      button.addEventListener("click", () => this.pick(k));
      return button;
    });
    const rubber = document.createElement("button");
    rubber.type = "button";
    rubber.id = "draw-rubber";
    rubber.className = "class-pick rubber";
    rubber.title = "Rubber: click a point to remove it (or shift-click in any mode)";
    rubber.textContent = "⌫";
    rubber.addEventListener("click", () => this.pick(null));
    picker.replaceChildren(...buttons, rubber);
    this.pick(0);
  }

  pick(cls) {
    this.rubber = cls === null;
    if (cls !== null) this.cls = cls;
    for (const button of document.querySelectorAll("#draw-classes .class-pick")) {
      const on = this.rubber ? button.id === "draw-rubber" : button.dataset.class === String(this.cls);
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", String(on));
    }
  }

  setActive(active) {
    this.active = active;
    $("draw-toggle").setAttribute("aria-pressed", String(active));
    $("draw-toggle").textContent = active ? "Done drawing" : "Draw your data";
    document.body.classList.toggle("drawing", active);
    this.note(active ? "Click the map to add a point of the chosen class; shift-click or the " +
      "rubber removes one. The network trains on your points once you pause." : "");
  }

  note(text) {
    $("draw-note").textContent = text;
  }

  /** Where a click landed, in input units (snapped to the points' grid); null outside. */
  position(event) {
    const box = this.area.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right &&
      event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) return null;
    const [low, high] = this.range;
    const x1 = low + ((event.clientX - box.left) / box.width) * (high - low);
    const x2 = high - ((event.clientY - box.top) / box.height) * (high - low);
    return [snapCoordinate(x1, this.range), snapCoordinate(x2, this.range)];
  }

  onClick(event) {
    const position = this.position(event);
    if (!position) return;
    const [x1, x2] = position;
    if (!this.active) {
      const text = this.predictAt(x1, x2);
      if (text) $("class-readout").textContent = text;
      return;
    }
    const points = [...(this.draft ?? this.points())];
    if (event.shiftKey || this.rubber) {
      let nearest = -1;
      let best = RUBBER_RADIUS;
      points.forEach(([a, b], i) => {
        const d = Math.hypot(a - x1, b - x2);
        if (d <= best) [best, nearest] = [d, i];
      });
      if (nearest < 0) return;
      points.splice(nearest, 1);
    } else {
      if (points.length >= this.limits.points.max) {
        this.note(`At most ${this.limits.points.max} points`);
        return;
      }
      points.push([x1, x2, this.cls]);
    }
    this.draft = points;
    this.preview(points);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.commit(), SETTLE_MS);
  }

  commit() {
    const points = this.draft;
    if (!points) return;
    if (points.length === 1) {
      this.note("Add at least one more point");
      return;
    }
    this.draft = null;
    this.onPoints(points);
    this.noteSharing(points);
  }

  noteSharing(points) {
    const max = this.limits.sharedPoints;
    if (points.length > max) {
      this.note(`${points.length} points are too many to share by link (at most ${max}): ` +
        "the address keeps the other settings only.");
    }
  }

  clear() {
    clearTimeout(this.timer);
    this.draft = null;
    this.onPoints([]);
    this.note("Back to the data set");
  }

  async upload() {
    const input = $("points-csv");
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const result = parsePointsCsv(await file.text(), {
      range: this.range, maxClasses: this.limits.classes.max, maxPoints: this.limits.points.max,
    });
    if (result.error) {
      this.note(`${file.name}: ${result.error}`);
      return;
    }
    this.note(`${file.name}: ${result.points.length} points`);
    this.onPoints(result.points);
    this.noteSharing(result.points);
  }
}
