// The screen's frame rate, measured from the animation frames the page draws: the
// `frame` pace trains one epoch per frame, so the server is told this rate (screens
// run at 30 to 240 Hz; a background tab's frames stop, which is not counted).

const WINDOW = 60; // the last intervals measured
const LONGEST_MS = 250; // a longer gap is a hidden tab or a stall, not a frame

export class FrameRate {
  constructor() {
    this.intervals = [];
    this.last = null;
  }

  /** Call once per animation frame with its timestamp. */
  tick(now) {
    if (this.last !== null && now - this.last < LONGEST_MS) {
      this.intervals.push(now - this.last);
      if (this.intervals.length > WINDOW) this.intervals.shift();
    }
    this.last = now;
  }

  /** Frames a second (the median interval's), rounded; `fallback` until enough are seen. */
  rate(fallback = 60) {
    if (this.intervals.length < 10) return fallback;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return Math.min(240, Math.max(1, Math.round(1000 / median)));
  }
}
