// The MNIST talk's keyboard: 1–6 show one panel, 7 accuracy + loss, 8 weights + biases,
// 9 training + test digits, 0 or Esc all six, Space pause / resume.

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

/** The view a key selects ("0".."9", "Escape"), or null. */
export function viewForKey(key) {
  if (key === "Escape") return "0";
  return Object.hasOwn(VIEWS, key) ? key : null;
}

/** True when typing in this element must not trigger shortcuts. */
function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  if (target.tagName !== "INPUT") return false;
  return !["checkbox", "radio", "button", "submit", "reset", "range"].includes(target.type);
}

/**
 * Listen for the shortcuts on `root`.
 * @param {{onView: (view: string) => void, onTogglePause: () => void}} handlers
 */
export function bindKeys(root, { onView, onTogglePause }) {
  root.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = isTyping(event.target);
    if (event.key === " " || event.code === "Space") {
      if (typing) return;
      // Space pauses and resumes even when a button has the focus (Enter still presses it).
      event.preventDefault();
      if (!event.repeat) onTogglePause();
      return;
    }
    if (typing && event.key !== "Escape") return;
    const view = viewForKey(event.key);
    if (view === null) return;
    event.preventDefault();
    onView(view);
  });
}
