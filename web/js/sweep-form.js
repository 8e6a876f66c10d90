// The form that starts a sweep: a base spec (the configuration a page sent, or the
// playground's defaults), one or two of its settings to vary and their values.
// Fields and suggested values come from the spec itself and the catalogue; what a
// field accepts is the server's word, and its answer names the field.

import { fillSelect } from "./select-options.js";

const $ = (id) => document.getElementById(id);

/** Values to start from for a field, as the reader would type them. */
function suggestion(field, value, section) {
  if (field === "learningRate") return "0.001, 0.01, 0.03, 0.1, 0.3, 3";
  if (field === "networkShape") return "[2], [4], [4, 2], [8, 8, 8]";
  const listed = section?.[`${field}s`] ?? section?.[`${field.replace(/y$/, "ie")}s`];
  if (Array.isArray(listed)) {
    return listed.map((entry) => (typeof entry === "object" ? entry.key : entry)).join(", ");
  }
  if (typeof value === "boolean") return "true, false";
  return value === undefined ? "" : JSON.stringify(value);
}

/**
 * The values the reader typed: a JSON list without its brackets ("0.1, 0.3", "[2], [4, 2]",
 * '"relu", "tanh"'), or bare words separated by commas ("relu, tanh").
 */
export function parseValues(text) {
  const trimmed = text.trim();
  if (!trimmed) return [];
  try {
    return JSON.parse(`[${trimmed}]`);
  } catch {
    return trimmed.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
      try {
        return JSON.parse(part);
      } catch {
        return part;
      }
    });
  }
}

export class SweepForm {
  /**
   * @param {object} catalog  GET /api/catalog
   * @param {(body: object) => Promise<void>} onCreate  starts the sweep; throws an ApiError
   */
  constructor(catalog, onCreate) {
    this.catalog = catalog;
    this.onCreate = onCreate;
    this.base = {};
    $("base").addEventListener("change", () => this.readBase());
    for (const n of [1, 2]) {
      $(`vary-field-${n}`).addEventListener("change", () => {
        $(`vary-values-${n}`).value = this.suggest($(`vary-field-${n}`).value);
        this.count();
      });
      $(`vary-values-${n}`).addEventListener("input", () => this.count());
    }
    $("sweep-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  problemSection() {
    const name = this.base.problem;
    const known = this.catalog.problems.find((p) => p.key === name || p.aliases.includes(name));
    return this.catalog[known ? known.key : "playground"];
  }

  /** Show `base` and offer its fields (and the catalogue's defaults' fields) to vary. */
  setBase(base) {
    this.base = base;
    $("base").value = JSON.stringify(base, null, 1);
    this.offerFields();
  }

  /** Take the base the reader edited; false (and a message) when it is not a JSON object. */
  readBase() {
    try {
      const base = JSON.parse($("base").value || "{}");
      if (typeof base !== "object" || base === null || Array.isArray(base)) throw new Error("not an object");
      this.base = base;
      this.error("");
      this.offerFields();
      return true;
    } catch (error) {
      this.error(`base: must be a JSON object (${error.message})`);
      return false;
    }
  }

  offerFields() {
    const section = this.problemSection();
    const fields = [...new Set([...Object.keys(section?.defaults ?? {}), ...Object.keys(this.base)])]
      .filter((field) => !["problem", "csv"].includes(field));
    const first = $("vary-field-1");
    const second = $("vary-field-2");
    const keep = [first.value, second.value];
    fillSelect(first, fields);
    fillSelect(second, [{ key: "", label: "— nothing else —" }, ...fields]);
    first.value = fields.includes(keep[0]) ? keep[0] : fields.includes("learningRate") ? "learningRate" : fields[0];
    second.value = fields.includes(keep[1]) ? keep[1] : "";
    if (!$("vary-values-1").value) $("vary-values-1").value = this.suggest(first.value);
    this.count();
  }

  suggest(field) {
    if (!field) return "";
    const section = this.problemSection();
    return suggestion(field, this.base[field] ?? section?.defaults?.[field], section);
  }

  /** The sweep the form describes: {base, vary}. */
  body() {
    const vary = {};
    for (const n of [1, 2]) {
      const field = $(`vary-field-${n}`).value;
      if (field) vary[field] = parseValues($(`vary-values-${n}`).value);
    }
    return { base: this.base, vary };
  }

  count() {
    const { vary } = this.body();
    const runs = Object.values(vary).reduce((product, values) => product * values.length, 1);
    const max = this.catalog.sweeps.maxRuns;
    $("run-count").textContent = `${runs} run${runs === 1 ? "" : "s"}${runs > max ? ` (at most ${max})` : ""}`;
    $("create-sweep").disabled = runs === 0 || runs > max;
  }

  error(text) {
    $("form-error").textContent = text;
  }

  async submit() {
    if (!this.readBase()) return;
    $("create-sweep").disabled = true;
    try {
      await this.onCreate(this.body());
    } catch (error) {
      this.error(error.message);
    } finally {
      this.count();
    }
  }
}
