// The table of a sweep's runs: what each one varies, its state, epoch, losses,
// accuracy and the epochs it took to reach a loss, sortable by any column (a click on
// a heading sorts by it, a second click reverses). Runs without a value for the
// column sort last either way. Each run's settings link to the run in its own page.

import { formatCount } from "./number-format.js";

const COLUMNS = [
  { key: "label", label: "Run", kind: "text" },
  { key: "state", label: "State", kind: "text" },
  { key: "epoch", label: "Epoch", kind: "count" },
  { key: "trainLoss", label: "Training loss", kind: "loss" },
  { key: "testLoss", label: "Test loss", kind: "loss" },
  { key: "accuracy", label: "Test accuracy", kind: "percent" },
  { key: "reached", label: "Epochs to loss ≤ ", kind: "count", target: true },
];

function show(value, kind) {
  if (value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value))) {
    return "–";
  }
  if (kind === "count") return formatCount(value);
  if (kind === "loss") return value.toFixed(4);
  if (kind === "percent") return `${(100 * value).toFixed(1)}%`;
  return String(value);
}

export class SweepTable {
  /**
   * @param {HTMLTableElement} table
   * @param {{target: number, onTarget: (target: number) => void}} options
   *   target: the loss the last column counts epochs to; onTarget: the reader changed it
   */
  constructor(table, { target, onTarget }) {
    this.table = table;
    this.rows = new Map(); // run id → {id, label, color, href, …values}
    this.sort = { key: "testLoss", descending: false };
    this.dirty = true;
    const head = table.createTHead().insertRow();
    for (const column of COLUMNS) {
      const cell = document.createElement("th");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.dataset.sort = column.key;
      button.textContent = column.label;
      button.addEventListener("click", () => this.sortBy(column.key));
      cell.append(button);
      if (column.target) {
        const input = document.createElement("input");
        input.type = "number";
        input.id = "target-loss";
        input.step = "any";
        input.min = "0";
        input.value = String(target);
        input.setAttribute("aria-label", "Target loss");
        input.addEventListener("change", () => {
          const value = Number(input.value);
          if (Number.isFinite(value) && value > 0) onTarget(value);
        });
        cell.append(input);
      }
      head.append(cell);
    }
    this.body = table.createTBody();
    this.showSort();
  }

  /** @param {{id: string, label: string, color: string, href: string}[]} runs */
  setRuns(runs) {
    for (const run of runs) this.rows.set(run.id, { ...run });
    this.dirty = true;
  }

  update(id, values) {
    const row = this.rows.get(id);
    if (!row) return;
    Object.assign(row, values);
    this.dirty = true;
  }

  sortBy(key) {
    this.sort = { key, descending: this.sort.key === key ? !this.sort.descending : key === "accuracy" };
    this.showSort();
    this.dirty = true;
    this.render();
  }

  showSort() {
    for (const button of this.table.tHead.querySelectorAll("button.sort")) {
      const on = button.dataset.sort === this.sort.key;
      button.parentElement.setAttribute("aria-sort",
        on ? (this.sort.descending ? "descending" : "ascending") : "none");
    }
  }

  /** The rows in the current order: valued rows sorted, the rest after them. */
  ordered() {
    const { key, descending } = this.sort;
    const valued = (row) => row[key] !== null && row[key] !== undefined &&
      !(typeof row[key] === "number" && !Number.isFinite(row[key]));
    const rows = [...this.rows.values()];
    const withValue = rows.filter(valued);
    const without = rows.filter((row) => !valued(row));
    withValue.sort((a, b) => {
      const order = typeof a[key] === "string" ? a[key].localeCompare(b[key]) : a[key] - b[key];
      return descending ? -order : order;
    });
    return [...withValue, ...without];
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = this.ordered().map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.run = row.id;
      tr.dataset.state = row.state ?? "";
      for (const column of COLUMNS) {
        const td = tr.insertCell();
        td.className = `col-${column.key}`;
        if (column.key === "label") {
          const swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = row.color;
          const link = document.createElement("a");
          link.href = row.href;
          link.textContent = row.label;
          link.title = "Open this run in its page";
          td.append(swatch, link);
        } else {
          td.textContent = show(row[column.key], column.kind);
          if (typeof row[column.key] === "number") td.dataset.value = String(row[column.key]);
        }
      }
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
