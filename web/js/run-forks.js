// Runs forked from a point in another run's past ("train on from here"), and the link
// that names one (`forkedFrom=RUN@EPOCH`): the old run is kept, so the link forks again
// while it is there.

import { api } from "./api.js";

/** Make a fork of `parent` at `epoch` the page's run (RunControl.start); throws if refused. */
export function startFork(control, parent, epoch) {
  return control.start({
    create: (state) => api.forkRun(parent, epoch, state), keepPrevious: true,
  });
}

/**
 * The page's first run: the fork a link names (`origin` "RUN@EPOCH") while its run is
 * there, else a new run. Resolves false when the link's run is gone.
 */
export async function startFirstRun(control, origin) {
  if (origin) {
    const [id, epoch] = origin.split("@");
    try {
      if (await startFork(control, id, Number(epoch))) return true;
    } catch {
      // gone (deleted, or from another server): a new run instead
    }
    await control.start();
    return false;
  }
  await control.start();
  return true;
}

/** A run that starts past epoch 0 (a fork): its chart shows the past it carries. */
export async function fillChart(chart, session, run) {
  try {
    const { moments } = await api.timeline(run.id);
    if (session.id !== run.id) return;
    chart.reset();
    for (const m of moments) chart.add(m.epoch, m.trainLoss, m.testLoss, m);
  } catch {
    // the chart simply starts at the fork
  }
}
