// Keyboard shortcuts for a page: a map from key to action. Keys typed into a form
// field, or pressed with a modifier, are left alone so controls keep working.

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/**
 * @param {Record<string, () => void>} actions  keyed by KeyboardEvent.key, lower-cased
 * @returns {() => void} removes the listener
 */
export function bindShortcuts(actions) {
  const onKey = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && (TYPING.has(target.tagName) || target.isContentEditable)) return;
    const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
