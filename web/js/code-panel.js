// "Show code": the Keras script of the current run (GET /api/runs/<id>/code.py): the
// network, its optimizer and loss, and model.fit, as the server builds them. Copyable,
// and downloadable as a file that runs on its own.

const $ = (id) => document.getElementById(id);

export class CodePanel {
  /** @param {() => string | null} runId  the current run's id */
  constructor(runId) {
    this.runId = runId;
    this.shownFor = null;
    $("show-code").addEventListener("click", () => this.toggle());
    $("copy-code").addEventListener("click", () => this.copy());
  }

  get open() {
    return !$("code-panel").hidden;
  }

  async toggle() {
    const panel = $("code-panel");
    panel.hidden = !panel.hidden;
    $("show-code").setAttribute("aria-expanded", String(!panel.hidden));
    $("show-code").textContent = panel.hidden ? "Show code" : "Hide code";
    if (!panel.hidden) await this.refresh();
  }

  /** Fetch the script again (a new run, another optimizer); only while the panel is open. */
  async refresh() {
    const id = this.runId();
    if (!this.open || !id) return;
    const response = await fetch(`/api/runs/${id}/code.py`);
    if (!response.ok) {
      $("code-text").textContent = `# No code for this run (${response.status})`;
      return;
    }
    $("code-text").textContent = await response.text();
    $("download-code").href = `/api/runs/${id}/code.py`;
    this.shownFor = id;
  }

  async copy() {
    try {
      await navigator.clipboard.writeText($("code-text").textContent);
      $("copy-code").textContent = "Copied";
    } catch {
      // No clipboard (an insecure origin): select the text so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents($("code-text"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("copy-code").textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { $("copy-code").textContent = "Copy"; }, 2000);
  }
}
