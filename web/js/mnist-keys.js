// The MNIST talk's keyboard: 1–6 show one panel, 7 accuracy + loss, 8 weights + biases,
// 9 training + test digits, 0 or Esc all six, Space pause / resume. Whether a key press
// is a shortcut at all is shortcuts.js' rule, the same as the playground's.

import { bindShortcuts } from "./shortcuts.js";

export const PANELS = [1, 2, 3, 4, 5, 6];

/** Which panels each view key shows. */
export const VIEWS = {
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

/**
 * Listen for the shortcuts.
 * @param {{onView: (view: string) => void, onTogglePause: () => void}} handlers
 */
export function bindKeys({ onView, onTogglePause }) {
  const actions = {
    Escape: () => onView("0"),
    // Space pauses and resumes even when a button has the focus (Enter still presses it).
    " ": (event) => {
      if (!event.repeat) onTogglePause();
    },
  };
  for (const view of Object.keys(VIEWS)) actions[view] = () => onView(view);
  bindShortcuts(actions);
}
