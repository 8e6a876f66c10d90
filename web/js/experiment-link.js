// The "Experiments" link every page shows: one click takes the page's current
// configuration to the experiments page (as #base=<spec JSON>), where one or two of
// its settings are varied and every combination trains side by side.

/**
 * Keep `anchor` pointing at the experiments page with the configuration `currentSpec()`
 * gives, read when the reader is about to follow it (hover, focus, click, middle click).
 * @param {HTMLAnchorElement|null} anchor
 * @param {() => object|null} currentSpec
 */
export function linkExperiments(anchor, currentSpec) {
  if (!anchor) return;
  const update = () => {
    try {
      const spec = currentSpec();
      if (spec) anchor.href = `/experiments.html#base=${encodeURIComponent(JSON.stringify(spec))}`;
    } catch {
      // the page is not ready yet: the plain link opens the experiments page's defaults
    }
  };
  for (const type of ["pointerenter", "focus", "click", "auxclick", "contextmenu"]) {
    anchor.addEventListener(type, update);
  }
}
