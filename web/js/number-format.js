// Numbers as the MNIST lab writes them.

/** A count with thousands separators: 55000 → "55,000". */
export function formatCount(n) {
  return Math.round(n).toLocaleString("en-US");
}

/** A fraction as a percentage (0.9246 → "92.46%"); "–" when it is not a number. */
export function formatPercent(value, digits = 2) {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : "–";
}
