// Time travel: the slider under the network (#scrub) over the epochs trained so far.
// Dragging it shows the network as it was, from the states the server kept (every
// epoch early on, fewer later: GET /api/runs/<id>/timeline); its far right end is
// "now". The slider is logarithmic in the epoch, like the progress chart, so early
// epochs are as easy to reach as late ones. Grabbing it pauses the run (the past
// stays still while you look); "Train on from here" forks a new run from the state
// shown. The page says what to do with a state (show it, fork from it).

const STEPS = 1000; // slider positions
const THROTTLE_MS = 50;

/** The epoch a slider position stands for, on a log scale up to `last`. Pure. */
export function epochAt(position, last) {
  if (position >= STEPS) return last;
  return Math.round((last + 1) ** (position / STEPS) - 1);
}

/** The kept moment nearest to `epoch` on the log scale. Pure. */
export function nearestMoment(moments, epoch) {
  let best = null;
  let bestGap = Infinity;
  for (const moment of moments) {
    const gap = Math.abs(Math.log1p(moment.epoch) - Math.log1p(epoch));
    if (gap < bestGap) {
      best = moment;
      bestGap = gap;
    }
  }
  return best;
}

export class TimeTravel {
  /**
   * @param {{slider: HTMLInputElement, label: HTMLElement, forkButton: HTMLButtonElement,
   *          timeline: (runId: string) => Promise<{moments: object[]}>,
   *          hold: () => Promise<void>,
   *          show: (moment: object|null) => void,
   *          onFork: (epoch: number) => void}} options
   *   timeline: fetch the run's kept states; hold: pause the run before looking back;
   *   show: draw a past state (null: back to now); onFork: train on from an epoch
   */
  constructor({ slider, label, forkButton, timeline, hold, show, onFork }) {
    Object.assign(this, { slider, label, forkButton, fetchTimeline: timeline, hold });
    this.showMoment = show;
    this.runId = null;
    this.lastEpoch = 0;
    this.moments = [];
    this.shown = null; // the moment on screen, or null for "now"
    this.loading = null;
    this.throttled = 0;
    slider.min = "0";
    slider.max = String(STEPS);
    slider.value = String(STEPS);
    const grab = () => this.grab();
    slider.addEventListener("pointerdown", grab);
    slider.addEventListener("keydown", grab);
    slider.addEventListener("input", () => this.scheduleShow());
    slider.addEventListener("change", () => this.showPosition());
    forkButton.addEventListener("click", () => {
      if (this.shown) onFork(this.shown.epoch);
    });
    this.update();
  }

  /** A new run on the page: back to "now" with nothing kept yet. */
  attach(runId, epoch) {
    this.runId = runId;
    this.moments = [];
    this.loading = null;
    this.lastEpoch = epoch;
    this.goLive();
  }

  /** The run trained on (a snapshot): "now" moves; a slider left at "now" stays there. */
  progress(epoch) {
    this.lastEpoch = Math.max(this.lastEpoch, epoch);
    if (!this.shown) this.update();
  }

  get live() {
    return this.shown === null;
  }

  /** Back to the newest state (play pressed, a new run). */
  goLive() {
    const was = this.shown;
    this.shown = null;
    this.slider.value = String(STEPS);
    this.update();
    if (was) this.showMoment(null);
  }

  /** The slider was grabbed: pause the run and fetch what it kept. */
  grab() {
    if (this.loading || !this.runId) return this.loading;
    const runId = this.runId;
    this.loading = (async () => {
      await this.hold();
      const { moments } = await this.fetchTimeline(runId);
      if (this.runId !== runId) return;
      this.moments = moments;
      if (moments.length) this.lastEpoch = moments[moments.length - 1].epoch;
      this.showPosition();
    })().catch(() => {}).finally(() => {
      if (this.runId === runId) this.loading = null;
    });
    return this.loading;
  }

  scheduleShow() {
    if (this.throttled) return;
    this.throttled = setTimeout(() => {
      this.throttled = 0;
      this.showPosition();
    }, THROTTLE_MS);
  }

  /** Show the kept state nearest the slider (or "now" at its right end). */
  showPosition() {
    const position = Number(this.slider.value);
    if (position >= STEPS || this.moments.length === 0) {
      if (position >= STEPS) this.goLive();
      else this.grab();
      return;
    }
    const moment = nearestMoment(this.moments, epochAt(position, this.lastEpoch));
    if (moment === this.shown) return;
    this.shown = moment;
    this.update();
    this.showMoment(moment);
  }

  update() {
    const { shown } = this;
    this.label.textContent = shown
      ? `epoch ${shown.epoch.toLocaleString("en-US")} of ${this.lastEpoch.toLocaleString("en-US")}`
      : "now";
    this.slider.setAttribute("aria-valuetext", this.label.textContent);
    this.forkButton.disabled = !shown || shown.epoch === this.lastEpoch;
    document.body.classList.toggle("looking-back", Boolean(shown));
  }
}
