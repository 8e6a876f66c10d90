// The playground page's parts beyond the classic (issue 16), wired in one place: the
// optimizer and dropout pickers, "draw your data" with its class readout, and the
// "Show code" panel. `page` is the playground page's state object.

import { BeyondControls } from "./beyond-controls.js";
import { previewRows, readAt } from "./class-reading.js";
import { CodePanel } from "./code-panel.js";
import { DrawPoints } from "./draw-points.js";

const $ = (id) => document.getElementById(id);

/**
 * @param {object} page  the playground page (state, output, control, …)
 * @param {object} catalog  the catalogue's playground section
 * @param {{onControl: Function, applyState: Function, probe: object}} hooks
 */
export function setUpBeyond(page, catalog, { onControl, applyState, probe }) {
  page.beyond = new BeyondControls(catalog, onControl);
  page.beyond.show(page.state);
  page.draw = new DrawPoints(catalog, {
    target: $("heatmap"),
    area: $("heatmap").querySelector("canvas.points"),
    points: () => page.state.get("points") ?? [],
    // Drawn points are classes: a regression page turns to classification with them.
    onPoints: (points) => applyState(page.state.with({
      points, ...(points.length > 0 ? { problem: "classification" } : {}),
    })),
    // Points being drawn show at once, before their run starts.
    preview: (points) => {
      const { rows, classes } = previewRows(points);
      page.output.setData(rows, [], classes);
    },
    predictAt: (x1, x2) => {
      const { model } = page.control;
      if (!model) return null;
      const { text, cls } = readAt(model, page.state.features(), page.state.get("problem"),
        x1, x2);
      probe.lastClass = cls;
      return text;
    },
  });
  page.code = new CodePanel(() => page.control?.session.id ?? null);
}
