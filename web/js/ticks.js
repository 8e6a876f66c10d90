// Axis ticks for the charts and plots: round values 1, 2, 2.5 or 5 × a power of ten
// apart, and labels written with just the decimals their step needs.

/**
 * About `count` round tick values covering [low, high].
 * @returns {{step: number, values: number[]}}  values ascending, `step` apart
 */
export function niceTicks(low, high, count = 5) {
  const span = high - low;
  if (!(span > 0) || !Number.isFinite(span)) return { step: 1, values: [low] };
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const values = [];
  const last = Math.floor(high / step + 1e-9);
  for (let k = Math.ceil(low / step - 1e-9); k <= last; k++) {
    values.push(Number((k * step).toPrecision(12)));
  }
  return { step, values };
}

/** The fewest decimals that write every multiple of `step` exactly (0.25 needs 2, 0.2 needs 1). */
function decimalsFor(step) {
  for (let decimals = 0; decimals < 12; decimals++) {
    const scaled = Math.abs(step) * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return decimals;
  }
  return 12;
}

/** A tick's label: `value` with the decimals its ticks' `step` needs. */
export function tickLabel(value, step) {
  return value.toFixed(decimalsFor(step));
}
