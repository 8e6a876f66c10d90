// One run's event stream. Snapshots are kept unparsed and only the newest one
// survives: the drawing loop takes it when it is ready, so a slow frame never
// builds a queue. Status events and the connection state are reported at once.

export class RunStream {
  /**
   * @param {string} url  the run's /events URL
   * @param {{onStatus?: (status: {state: string, epoch: number}) => void,
   *          onConnection?: (state: "connecting"|"live"|"reconnecting"|"closed") => void}} handlers
   */
  constructor(url, { onStatus = () => {}, onConnection = () => {} } = {}) {
    this.raw = null;
    this.version = 0;
    this.taken = 0;
    this.closed = false;
    this.onConnection = onConnection;
    this.source = new EventSource(url);
    onConnection("connecting");
    this.source.addEventListener("snapshot", (event) => {
      this.raw = event.data;
      this.version += 1;
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

  /** The newest snapshot not taken yet, parsed; null when nothing new arrived. */
  take() {
    if (this.version === this.taken || this.raw === null) return null;
    this.taken = this.version;
    return JSON.parse(this.raw);
  }

  close() {
    this.closed = true;
    this.source.close();
  }
}
