// Fetch wrappers for the server's JSON API; a rejected request throws an ApiError
// that carries the server's reason and the field it names.

export class ApiError extends Error {
  /**
   * @param {number} status  HTTP status (0 when the server could not be reached)
   * @param {string} reason
   * @param {string|null} field
   */
  constructor(status, reason, field = null) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

async function request(method, url, body, { keepalive = false } = {}) {
  const init = { method, keepalive, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, `the server cannot be reached (${error.message})`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? response.statusText, data?.field ?? null);
  }
  return data;
}

const runUrl = (id) => `/api/runs/${encodeURIComponent(id)}`;
const sweepUrl = (id) => `/api/sweeps/${encodeURIComponent(id)}`;

export const api = {
  catalog: () => request("GET", "/api/catalog"),
  /**
   * Create a run in `state`: "paused" (the playground's and the fitting page's runs
   * start paused, like the classic playground after a reset) or "running".
   */
  createRun: (spec, state) => request("POST", `/api/runs?state=${encodeURIComponent(state)}`, spec),
  patchRun: (id, changes) => request("PATCH", runUrl(id), changes),
  step: (id) => request("POST", `${runUrl(id)}/step`),
  getRun: (id) => request("GET", runUrl(id)),
  /** The states a run kept (log-spaced epochs), for the time-travel slider. */
  timeline: (id) => request("GET", `${runUrl(id)}/timeline`),
  /** A new run from the state a run kept at `epoch` ("train on from here"). */
  forkRun: (id, epoch, state) =>
    request("POST", `${runUrl(id)}/fork?state=${encodeURIComponent(state)}`, { epoch }),
  /** Delete a run; `keepalive` lets the request outlive the page (on pagehide). */
  deleteRun: (id, { keepalive = false } = {}) =>
    request("DELETE", runUrl(id), undefined, { keepalive }),
  eventsUrl: (id) => `${runUrl(id)}/events`,
  exportUrl: (id) => `${runUrl(id)}/export.zip`,
  getRun: (id) => request("GET", runUrl(id)),
  /** A sweep: `{base, vary: {field: [values]}}` → `{id, runs: [{id, settings, …}]}`. */
  createSweep: (body) => request("POST", "/api/sweeps", body),
  listSweeps: () => request("GET", "/api/sweeps"),
  getSweep: (id, { history = false } = {}) =>
    request("GET", `${sweepUrl(id)}${history ? "?history=1" : ""}`),
  patchSweep: (id, changes) => request("PATCH", sweepUrl(id), changes),
  deleteSweep: (id) => request("DELETE", sweepUrl(id)),
  sweepEventsUrl: (id, kinds) => `${sweepUrl(id)}/events?kinds=${kinds.join(",")}`,
};
