// Keyboard shortcuts for a page, and the one rule for when a key press is a shortcut:
// not when a modifier is held or an earlier handler took the key, and not when the
// focused element uses that key itself (typing in a field, choosing in a list, moving
// a slider, ticking a box). Escape always reaches the page: no field keeps it.

/** Input types that take no typing: only the keys listed for them in `usesKey` are theirs. */
const NOT_TYPED = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);
const ARROWS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"]);
const SLIDER_KEYS = new Set([...ARROWS, "Home", "End", "PageUp", "PageDown"]);

/** True when `element` handles `key` itself. */
function usesKey(element, key) {
  if (!(element instanceof Element) || key === "Escape") return false;
  if (element.isContentEditable) return true;
  if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
  if (element.tagName !== "INPUT") return false;
  if (!NOT_TYPED.has(element.type)) return true; // text, number, search, …
  if (element.type === "range") return SLIDER_KEYS.has(key);
  if (element.type === "checkbox" || element.type === "radio") return key === " " || ARROWS.has(key);
  return false; // buttons: Space is the page's (Enter still presses them)
}

/** True when this key press is the page's to act on. */
function isShortcut(event) {
  if (event.defaultPrevented || event.isComposing) return false;
  if (event.altKey || event.ctrlKey || event.metaKey) return false;
  return !usesKey(event.target, event.key);
}

/**
 * Act on shortcut keys anywhere on the page.
 * @param {Record<string, (event: KeyboardEvent) => void>} actions  keyed by
 *   KeyboardEvent.key, single characters lower-cased (" " is Space)
 */
export function bindShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action || !isShortcut(event)) return;
    event.preventDefault();
    action(event);
  });
}
