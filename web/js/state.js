// The page's configuration and its URL hash, with the classic playground's keys.
//
// Choices, limits and defaults come from the server's catalogue; this module only
// knows the hash format (key order, how lists and booleans are written) and the
// keys that belong to the page alone (display options and keys the classic
// playground writes that this server does not train with).

import { decodePoints, encodePoints } from "./points-code.js";

/** Keys the classic playground writes that only the page uses; never sent to the server. */
const PAGE_DEFAULTS = Object.freeze({
  showTestData: false,
  discretize: false,
  hideText: false,
  cosX: false,
  cosY: false,
  collectStats: false,
});

/** The classic playground's serialisation order; keys not listed here follow at the end. */
const HASH_ORDER = [
  "activation", "regularization", "batchSize", "dataset", "regDataset", "learningRate",
  "regularizationRate", "noise", "networkShape", "seed", "showTestData", "discretize",
  "percTrainData", "x", "y", "xTimesY", "xSquared", "ySquared", "cosX", "sinX", "cosY", "sinY",
  "collectStats", "problem", "initZero", "hideText", "pace", "forkedFrom",
];

/** `NAME_hide=true` hides the control NAME (the classic's teacher option). */
export const HIDE_SUFFIX = "_hide";

/** Keys whose change keeps the trained network (sent as a PATCH to the run). */
const LIVE_KEYS = Object.freeze(["learningRate", "regularizationRate", "pace", "optimizer"]);

/** Keys the page keeps in the hash but that are not configuration: where a run came from. */
const ORIGIN_KEYS = Object.freeze(["forkedFrom"]);

/**
 * @param {object} catalog  the catalogue's playground section
 * @returns {{specKeys: string[], defaults: object}}
 */
function schema(catalog) {
  const specKeys = [...Object.keys(catalog.defaults), "seed"];
  return { specKeys, defaults: { ...catalog.defaults, ...PAGE_DEFAULTS } };
}

/** A link's noise and ratio are used as they are, as the classic does (noise=12 is not
 * rounded to the slider's 10); past the range, the classic's rule: noise above its
 * link maximum falls back to where the slider ends, anything else is clamped. */
function linkNumber(value, { min, max, sliderMax }) {
  if (value > max && sliderMax !== undefined) return sliderMax;
  return Math.min(max, Math.max(min, value));
}

/** Decode a hash part; a malformed escape ("%E0%A4%A") is kept as written, not an error. */
function decodePart(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function snap(value, { min, max, step = 1 }) {
  const clamped = Math.min(max, Math.max(min, value));
  return min + Math.round((clamped - min) / step) * step;
}

function parseValue(key, text, catalog, fallback) {
  const { limits } = catalog;
  const number = Number(text);
  const finite = text.trim() !== "" && Number.isFinite(number);
  switch (key) {
    case "problem":
      return catalog.problemTypes.some((p) => p.key === text) ? text : fallback;
    case "dataset":
      return catalog.datasets.classification.some((d) => d.key === text) ? text : fallback;
    case "regDataset":
      return catalog.datasets.regression.some((d) => d.key === text) ? text : fallback;
    case "activation":
      return catalog.activations.some((a) => a.key === text) ? text : fallback;
    case "regularization":
      return catalog.regularizations.some((r) => r.key === text) ? text : fallback;
    case "pace":
      return catalog.paces.some((p) => p.key === text) ? text : fallback;
    case "optimizer":
      return catalog.optimizers.some((o) => o.key === text) ? text : fallback;
    case "dropout":
      return finite && number >= limits.dropout.min && number <= limits.dropout.max
        ? number : fallback;
    case "points":
      return decodePoints(text, catalog.inputRange, limits.classes.max, limits.sharedPoints)
        ?? fallback;
    case "forkedFrom":
      return /^[\w-]{1,64}@\d{1,12}$/.test(text) ? text : fallback;
    case "noise":
    case "percTrainData":
      return finite ? linkNumber(number, limits[key]) : fallback;
    case "batchSize":
      return finite ? snap(number, limits[key]) : fallback;
    case "learningRate":
    case "regularizationRate": {
      const { min, max } = limits[key];
      return finite && number >= min && number <= max ? number : fallback;
    }
    case "networkShape": {
      if (text.trim() === "") return [];
      const units = text.split(",").map(Number);
      if (!units.every((u) => Number.isInteger(u))) return fallback;
      return units
        .slice(0, limits.hiddenLayers.max)
        .map((u) => Math.min(limits.neurons.max, Math.max(limits.neurons.min, u)));
    }
    case "seed":
      return text.length > 0 && text.length <= limits.seedLength ? text : fallback;
    default:
      if (typeof fallback === "boolean") {
        if (text === "true") return true;
        if (text === "false") return false;
        return fallback;
      }
      return fallback;
  }
}

function formatValue(value, key, catalog) {
  if (key === "points") return encodePoints(value, catalog.inputRange);
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

/** The configuration, read from and written to `location.hash`. */
class PlaygroundState {
  /** @param {object} catalog */
  constructor(catalog) {
    this.catalog = catalog;
    const { specKeys, defaults } = schema(catalog);
    this.specKeys = specKeys;
    this.defaults = defaults;
    this.featureKeys = catalog.features.map((f) => f.key);
    /** @type {Record<string, any>} */
    this.values = { ...defaults };
    /** Keys the page does not use (`tutorial`, `NAME_hide`, anyone's own), raw text → raw
     * text in the order the link had them: kept in the hash, never sent to the server. */
    this.extra = new Map();
    this.written = null;
  }

  /** Parse a hash ("#a=1&b=2" or "a=1&b=2"); unknown keys are ignored, bad values defaulted. */
  static parse(hash, catalog) {
    const state = new PlaygroundState(catalog);
    const text = hash.startsWith("#") ? hash.slice(1) : hash;
    const values = { ...state.defaults };
    for (const part of text.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      const key = decodePart(eq < 0 ? part : part.slice(0, eq));
      if (key.endsWith(HIDE_SUFFIX)) {
        // The classic's teacher options: written back as true or false, like the classic.
        state.extra.set(key, String(eq >= 0 && part.slice(eq + 1) === "true"));
        continue;
      }
      if (eq < 0 || (!(key in values) && key !== "seed" && !ORIGIN_KEYS.includes(key))) {
        state.extra.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? null : part.slice(eq + 1));
        continue;
      }
      // The seed is the hash's raw text, as the classic reads it: `seed=hello%20world`
      // seeds with exactly "hello%20world".
      const text = part.slice(eq + 1);
      const raw = key === "seed" ? text : decodePart(text);
      values[key] = parseValue(key, raw, catalog, values[key]);
    }
    if (!state.featureKeys.some((key) => values[key] === true)) {
      // The network needs an input: a link with every feature off gets the defaults.
      for (const key of state.featureKeys) values[key] = catalog.defaults[key];
    }
    state.values = values;
    return state;
  }

  clone() {
    const copy = new PlaygroundState(this.catalog);
    copy.values = structuredClone(this.values);
    copy.extra = new Map(this.extra);
    return copy;
  }

  get(key) {
    return this.values[key];
  }

  /** A copy with a key the page does not use set (raw text; null: a key without "="). */
  withExtra(key, value) {
    const copy = this.clone();
    copy.extra.set(key, value);
    return copy;
  }

  /** A copy with some values changed. */
  with(changes) {
    const copy = this.clone();
    for (const [key, value] of Object.entries(changes)) {
      if (key.endsWith(HIDE_SUFFIX)) copy.extra.set(key, String(value === true));
      else copy.values[key] = structuredClone(value);
    }
    return copy;
  }

  /** The hash, in the classic playground's key order (regularization "none" included). */
  serialize() {
    const keys = [...HASH_ORDER, ...Object.keys(this.values).filter((k) => !HASH_ORDER.includes(k))];
    const parts = [];
    for (const key of keys) {
      const value = this.values[key];
      if (value === undefined || value === null) continue;
      if (key === "points" && !this.pointsShareable()) continue;
      parts.push(`${key}=${formatValue(value, key, this.catalog)}`);
    }
    for (const [key, value] of this.extra) parts.push(value === null ? key : `${key}=${value}`);
    return `#${parts.join("&")}`;
  }

  /** The run spec for POST /api/runs: the catalogue's keys and the seed, nothing page-only. */
  spec() {
    const spec = {};
    for (const key of this.specKeys) {
      const value = this.values[key];
      if (value !== undefined && value !== null) spec[key] = structuredClone(value);
    }
    return spec;
  }

  /** Drawn points go into the link while there are some and not too many. */
  pointsShareable() {
    const points = this.values.points ?? [];
    return points.length > 0 && points.length <= this.catalog.limits.sharedPoints;
  }

  /** Selected feature keys, in the network's input order. */
  features() {
    return this.featureKeys.filter((key) => this.values[key] === true);
  }

  /** The data set in use for the current problem. */
  datasetKey() {
    return this.values.problem === "classification" ? this.values.dataset : this.values.regDataset;
  }

  /**
   * What changing from `this` to `next` needs: a new run, a PATCH of live keys, or a redraw.
   * @returns {{newRun: boolean, live: Record<string, number>, view: string[]}}
   */
  diff(next) {
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const live = {};
    const view = [];
    let newRun = false;
    if (!same([...this.extra], [...next.extra])) view.push("extra");
    const keys = new Set([...Object.keys(this.values), ...Object.keys(next.values)]);
    for (const key of keys) {
      if (same(this.values[key], next.values[key])) continue;
      if (ORIGIN_KEYS.includes(key)) continue;
      if (LIVE_KEYS.includes(key)) live[key] = next.values[key];
      else if (this.specKeys.includes(key)) newRun = true;
      else view.push(key);
    }
    return { newRun, live, view };
  }
}

/**
 * Keeps `location.hash` and the state in step: user changes add a history entry,
 * values the server fills in (the seed) replace it, and back/forward (or an edited
 * address) reports the parsed state to `onExternalChange`.
 */
export class HashHistory {
  constructor(catalog, onExternalChange) {
    this.catalog = catalog;
    this.lastHash = null;
    const handler = () => {
      if (location.hash === this.lastHash) return;
      this.lastHash = location.hash;
      onExternalChange(PlaygroundState.parse(location.hash, catalog));
    };
    window.addEventListener("popstate", handler);
    window.addEventListener("hashchange", handler);
  }

  read() {
    return PlaygroundState.parse(location.hash, this.catalog);
  }

  /** Write the state's hash; `push` adds a history entry, otherwise the current one changes. */
  write(state, { push = false } = {}) {
    const hash = state.serialize();
    if (hash === location.hash) {
      this.lastHash = hash;
      return;
    }
    if (push) history.pushState(null, "", hash);
    else history.replaceState(null, "", hash);
    this.lastHash = location.hash;
  }
}
