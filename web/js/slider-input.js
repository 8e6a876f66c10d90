// A range input that reports its value while the thumb moves, as the classic
// playground's sliders do, but at most every `interval` ms (each report can start a
// new run on the server), and always once more when the thumb is let go, so the last
// value is never lost. A value equal to the last one reported is not reported again.

/**
 * @param {HTMLInputElement} input  a range input
 * @param {(value: number) => void} onValue  called with the new value
 * @param {{interval?: number, onMove?: (value: number) => void}} options
 *   interval: the least time between two reports while dragging; onMove: called on every
 *   movement (e.g. to show the value beside the slider), before any report
 * @returns {{reported: (value: number) => void}}  tell it the value the page shows now, so
 *   a drag back to it is reported
 */
export function throttledSlider(input, onValue, { interval = 150, onMove = null } = {}) {
  let last = Number(input.value);
  let lastAt = -Infinity;
  let timer = 0;

  const report = () => {
    clearTimeout(timer);
    timer = 0;
    const value = Number(input.value);
    lastAt = performance.now();
    if (value === last) return;
    last = value;
    onValue(value);
  };

  input.addEventListener("input", () => {
    onMove?.(Number(input.value));
    const wait = interval - (performance.now() - lastAt);
    if (wait <= 0) report();
    else if (!timer) timer = setTimeout(report, wait);
  });
  input.addEventListener("change", report); // let go (or a key press): report now

  return {
    reported(value) {
      last = Number(value);
    },
  };
}
