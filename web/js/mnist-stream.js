// One MNIST run's event stream. The playground's RunStream keeps only `snapshot`
// events; an MNIST run sends three coalesced kinds (metrics, panels, evaluation),
// so this keeps the newest unparsed payload of each and hands them over when the
// drawing loop is ready. Status changes and the connection state are reported at once.

export const KINDS = ["metrics", "panels", "evaluation"];

export class MnistStream {
  /**
   * @param {string} url  the run's /events URL
   * @param {{onStatus?: (status: {state: string, epoch: number}) => void,
   *          onConnection?: (state: "connecting"|"live"|"reconnecting"|"closed") => void,
   *          onData?: () => void}} handlers  onData: something new arrived
   */
  constructor(url, { onStatus = () => {}, onConnection = () => {}, onData = () => {} } = {}) {
    this.raw = Object.fromEntries(KINDS.map((kind) => [kind, null]));
    this.closed = false;
    this.source = new EventSource(url);
    onConnection("connecting");
    for (const kind of KINDS) {
      this.source.addEventListener(kind, (event) => {
        if (this.closed) return;
        this.raw[kind] = event.data;
        onData(kind);
      });
    }
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
  take(kind) {
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
