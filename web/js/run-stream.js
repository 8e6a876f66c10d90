// One run's event stream. Data events are kept unparsed and only the newest of each
// kind survives: the drawing loop takes it when it is ready, so a slow frame never
// builds a queue. A playground or fitting run sends `snapshot` events; an MNIST run
// sends three coalesced kinds (metrics, panels, evaluation). Status events, notices
// (why the next data is late: a compilation) and the connection state are reported at
// once; a notice is withdrawn (null) when data arrives.

export class RunStream {
  /**
   * @param {string} url  the run's /events URL
   * @param {{kinds?: string[],
   *          onStatus?: (status: {state: string, epoch: number, position?: number}) => void,
   *          onNotice?: (message: string|null) => void,
   *          onConnection?: (state: "connecting"|"live"|"reconnecting"|"closed") => void}} options
   *   kinds: the data events to keep
   */
  constructor(url, { kinds = ["snapshot"], onStatus = () => {}, onNotice = () => {},
    onConnection = () => {} } = {}) {
    let noticed = false;
    this.raw = Object.fromEntries(kinds.map((kind) => [kind, null]));
    this.closed = false;
    this.source = new EventSource(url);
    onConnection("connecting");
    for (const kind of kinds) {
      this.source.addEventListener(kind, (event) => {
        if (this.closed) return;
        this.raw[kind] = event.data;
        if (noticed) {
          noticed = false;
          onNotice(null);
        }
      });
    }
    this.source.addEventListener("notice", (event) => {
      if (this.closed) return;
      noticed = true;
      onNotice(JSON.parse(event.data).message);
    });
    this.source.addEventListener("status", (event) => {
      if (!this.closed) onStatus(JSON.parse(event.data));
    });
    this.source.addEventListener("open", () => {
      if (!this.closed) onConnection("live");
    });
    this.source.addEventListener("error", () => {
      if (this.closed) return;
      // EventSource reconnects by itself (sending Last-Event-ID) unless it gave up.
      onConnection(this.source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    });
  }

  /** The newest `kind` event not taken yet, parsed; null when nothing new arrived. */
  take(kind = "snapshot") {
    const raw = this.raw[kind];
    if (raw === null) return null;
    this.raw[kind] = null;
    return JSON.parse(raw);
  }

  close() {
    this.closed = true;
    this.source.close();
  }
}
