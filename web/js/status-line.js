// The status line at the foot of a page (#status and #backend): a few named parts,
// such as an error message, the connection and the run's state, shown in a fixed
// order on one line, amber while a part that is a warning has text; and the
// TensorFlow.js backend the page draws with.

export class StatusLine {
  /**
   * @param {string[]} parts  the parts' names, in the order they show
   * @param {{quiet?: string[]}} options  quiet: parts that are no warning (a note)
   */
  constructor(parts, { quiet = [] } = {}) {
    this.element = document.getElementById("status");
    this.texts = Object.fromEntries(parts.map((part) => [part, ""]));
    this.quiet = new Set(quiet);
  }

  /** Set one part's text ("" clears it). */
  set(part, text) {
    this.texts[part] = text;
    const shown = Object.values(this.texts).filter(Boolean);
    const warning = Object.entries(this.texts).some(([name, t]) => t && !this.quiet.has(name));
    this.element.textContent = shown.join(" · ");
    this.element.classList.toggle("warning", warning);
  }

  /** Log an error and show it as the message: "prefix: reason". */
  error(prefix, error) {
    console.warn(prefix, error);
    this.set("message", `${prefix}: ${error.message}`);
  }

  /** The backend chooseBackend() picked, and why, if it says. */
  showBackend({ name, reason }) {
    document.getElementById("backend").textContent =
      `TensorFlow.js backend: ${name}${reason ? ` (${reason})` : ""}`;
  }
}
