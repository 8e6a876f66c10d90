// A sweep's one event stream (GET /api/sweeps/<id>/events): every run's status and
// data events, each saying whose it is. A browser holds at most six connections to a
// server, so a page comparing a dozen runs cannot open a stream per run. As with a
// run's own stream, only the newest data event of each run is kept, unparsed, until
// the drawing loop takes it; status events are reported at once.

export class SweepStream {
  /**
   * @param {string} url  the sweep's events URL (with ?kinds=…)
   * @param {{onStatus?: (runId: string, status: {state: string, epoch: number}) => void,
   *          onConnection?: (state: string) => void}} options
   */
  constructor(url, { onStatus = () => {}, onConnection = () => {} } = {}) {
    this.latest = new Map(); // run id → the newest data event's JSON text
    this.closed = false;
    this.source = new EventSource(url);
    const keep = (event) => {
      if (this.closed) return;
      // {"run":"<id>","data":{…}}: the id is read without parsing the (large) data.
      const id = event.data.slice(8, event.data.indexOf('"', 8));
      this.latest.set(id, event.data);
    };
    for (const kind of ["snapshot", "metrics"]) this.source.addEventListener(kind, keep);
    this.source.addEventListener("status", (event) => {
      if (this.closed) return;
      const { run, data } = JSON.parse(event.data);
      onStatus(run, data);
    });
    this.source.addEventListener("open", () => onConnection("live"));
    this.source.addEventListener("error", () => {
      if (!this.closed) {
        onConnection(this.source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
      }
    });
  }

  /** The newest data of `runId` not taken yet, parsed; null when nothing new arrived. */
  take(runId) {
    const raw = this.latest.get(runId);
    if (raw === undefined) return null;
    this.latest.delete(runId);
    return JSON.parse(raw).data;
  }

  close() {
    this.closed = true;
    this.source.close();
  }
}
