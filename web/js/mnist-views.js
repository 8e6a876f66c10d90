// Which of the lab's six panels show: the toolbar's buttons and the talk's keys (1–6
// one panel, 7 accuracy + loss, 8 weights + biases, 9 training + test digits, 0 or Esc
// all six).

const $ = (id) => document.getElementById(id);

const PANELS = [1, 2, 3, 4, 5, 6];

/** Which panels each view shows, by its key. */
const VIEWS = {
  1: [1],
  2: [2],
  3: [3],
  4: [4],
  5: [5],
  6: [6],
  7: [2, 3],
  8: [4, 5],
  9: [1, 6],
  0: PANELS,
};

export class PanelViews {
  /** @param {{onChange: () => void}} handlers  onChange: other panels show (charts redraw) */
  constructor({ onChange }) {
    this.onChange = onChange;
    this.view = "0";
    for (const button of document.querySelectorAll(".view-button")) {
      button.addEventListener("click", () => this.show(button.dataset.view));
    }
  }

  /** The shortcuts that choose a view, for bindShortcuts. */
  keys() {
    const keys = { Escape: () => this.show("0") };
    for (const view of Object.keys(VIEWS)) keys[view] = () => this.show(view);
    return keys;
  }

  show(view) {
    const shown = VIEWS[view];
    if (!shown) return;
    this.view = view;
    for (const n of PANELS) $(`panel-${n}`).hidden = !shown.includes(n);
    $("panels").dataset.count = String(shown.length);
    for (const button of document.querySelectorAll(".view-button")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === view));
    }
    this.onChange();
  }

  /** The panels on show, by number. */
  visible() {
    return PANELS.filter((n) => !$(`panel-${n}`).hidden);
  }
}
