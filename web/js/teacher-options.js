// The classic playground's teacher options in the link: `NAME_hide=true` hides the
// control NAME (a feature key hides that input altogether), `hideText=true` hides the
// header and the text below, and the "use it in a classroom" checklist lets a teacher
// choose what to show and save the link.
//
// Hidden controls are a word each in `body[data-hidden]`; the stylesheet
// (css/teacher-options.css) says which elements each word hides, so controls the
// network view rebuilds (the layer buttons) stay hidden too. The hide keys live in the
// state's `extra` keys: they are kept in the hash and never sent to the server.

import { HIDE_SUFFIX } from "./state.js";

/** The classic's list, in its order: [label, key]. Checked = visible. */
export const HIDABLE_CONTROLS = Object.freeze([
  ["Show test data", "showTestData"],
  ["Discretize output", "discretize"],
  ["Play button", "playButton"],
  ["Step button", "stepButton"],
  ["Reset button", "resetButton"],
  ["Learning rate", "learningRate"],
  ["Activation", "activation"],
  ["Regularization", "regularization"],
  ["Regularization rate", "regularizationRate"],
  ["Problem type", "problem"],
  ["Which dataset", "dataset"],
  ["Ratio train data", "percTrainData"],
  ["Noise level", "noise"],
  ["Batch size", "batchSize"],
  ["# of hidden layers", "numHiddenLayers"],
]);

/** The keys whose `NAME_hide` is true in a state. */
export function hiddenKeys(state) {
  const keys = new Set();
  for (const [key, value] of state.extra) {
    const name = key.slice(0, -HIDE_SUFFIX.length);
    // Only a control's name counts ("a b_hide" must not hide a and b).
    if (key.endsWith(HIDE_SUFFIX) && value === "true" && /^\w+$/.test(name)) keys.add(name);
  }
  return keys;
}

/**
 * The input features a link hides (`xTimesY_hide=true`): they leave the feature column and
 * the network, as in the classic. A link that would hide every feature hides none.
 * @param {string[]} featureKeys  every feature, in input order
 */
export function hiddenFeatures(state, featureKeys) {
  const hidden = hiddenKeys(state);
  const keys = new Set(featureKeys.filter((key) => hidden.has(key)));
  return keys.size < featureKeys.length ? keys : new Set();
}

/**
 * The run spec without hidden features: a hidden input is not in the network even when the
 * link turns it on. If that leaves none, the first visible default (x, y) or feature trains.
 * @param {object} spec  the state's spec
 * @param {Set<string>} hidden  from hiddenFeatures()
 * @param {string[]} featureKeys  every feature, in input order
 */
export function specWithoutHidden(spec, hidden, featureKeys) {
  if (hidden.size === 0) return spec;
  const out = { ...spec };
  for (const key of hidden) out[key] = false;
  if (!featureKeys.some((key) => out[key] === true)) {
    const visible = featureKeys.filter((key) => !hidden.has(key));
    out[visible.find((key) => key === "x" || key === "y") ?? visible[0]] = true;
  }
  return out;
}

/** A shortcut that does nothing while its button is hidden: a teacher who hides the play
 * button (to have the class step) does not want Space to play. */
export function unlessHidden(key, action) {
  return (...args) => {
    if (!(document.body.dataset.hidden ?? "").split(" ").includes(key)) action(...args);
  };
}

/** Show a state's hidden controls and its hideText on the page. */
export function showHiddenControls(state) {
  document.body.dataset.hidden = [...hiddenKeys(state)].sort().join(" ");
  document.body.classList.toggle("hide-text", state.get("hideText") === true);
}

/**
 * The "use it in a classroom" checklist: a box per hidable control (checked = visible) and
 * a "this link" anchor that follows the link. A change is reported as
 * onChange("NAME_hide", hidden), which the page applies like any other change.
 */
export class ClassroomChecklist {
  /**
   * @param {HTMLElement} parent  where the section goes (the text below the playground)
   * @param {(key: string, hidden: boolean) => void} onChange
   */
  constructor(parent, onChange) {
    const section = document.createElement("section");
    section.className = "classroom";
    section.id = "classroom";
    section.setAttribute("aria-labelledby", "classroom-title");
    const title = document.createElement("h2");
    title.id = "classroom-title";
    title.textContent = "Use it in a classroom";
    const text = document.createElement("p");
    this.link = document.createElement("a");
    this.link.className = "hide-controls-link";
    this.link.textContent = "this link";
    text.append(
      "Choose which controls to show (unticked ones are hidden), then save ",
      this.link,
      " and share it: it opens the playground with only those controls.",
    );
    const list = document.createElement("div");
    list.className = "hide-controls";
    this.boxes = new Map();
    for (const [label, key] of HIDABLE_CONTROLS) {
      const row = document.createElement("label");
      row.className = "checkbox";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.hide = key;
      box.checked = true;
      box.addEventListener("change", () => onChange(`${key}${HIDE_SUFFIX}`, !box.checked));
      row.append(box, ` ${label}`);
      list.appendChild(row);
      this.boxes.set(key, box);
    }
    section.append(title, text, list);
    parent.appendChild(section);
  }

  /** Tick the visible controls; point the link at the state's address. */
  show(state) {
    const hidden = hiddenKeys(state);
    for (const [key, box] of this.boxes) box.checked = !hidden.has(key);
    this.link.href = `${location.origin}${location.pathname}${location.search}${state.serialize()}`;
  }
}
