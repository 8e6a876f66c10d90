// Drawn points in a link: five characters a point, so a few hundred fit in a URL.
//
// Points are kept to a grid of 0.01 over the input range (a click cannot be finer), so
// a point goes into the hash and comes back exactly: x1 and x2 as two base-64 digits
// each ((x + 6) · 100 is 0…1200 < 64²), the class as one decimal digit.

const DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STEP = 0.01;

/** A coordinate on the points' grid (0.01), clamped to [low, high]. */
export function snapCoordinate(value, [low, high]) {
  return Math.round(Math.min(high, Math.max(low, value)) * 100) / 100;
}

function digits(n) {
  return DIGITS[Math.floor(n / 64)] + DIGITS[n % 64];
}

function number(text, i) {
  const a = DIGITS.indexOf(text[i]);
  const b = DIGITS.indexOf(text[i + 1]);
  return a < 0 || b < 0 ? NaN : a * 64 + b;
}

/** [[x1, x2, class], …] → text for the hash (range: the input range, e.g. [-6, 6]). */
export function encodePoints(points, [low]) {
  let text = "";
  for (const [x1, x2, cls] of points) {
    text += digits(Math.round((x1 - low) / STEP)) + digits(Math.round((x2 - low) / STEP)) + cls;
  }
  return text;
}

/** The hash's text → points; null when it is not a list of points in range. */
export function decodePoints(text, [low, high], maxClasses, maxPoints) {
  if (text.length % 5 !== 0 || text.length / 5 > maxPoints) return null;
  const points = [];
  for (let i = 0; i < text.length; i += 5) {
    const x1 = low + number(text, i) * STEP;
    const x2 = low + number(text, i + 2) * STEP;
    const cls = Number(text[i + 4]);
    if (!(x1 <= high && x2 <= high) || !Number.isInteger(cls) || cls >= maxClasses) return null;
    points.push([Math.round(x1 * 100) / 100, Math.round(x2 * 100) / 100, cls]);
  }
  return points;
}
