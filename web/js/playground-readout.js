// The playground's numbers: the epoch counter, the losses and, for classification, the
// share of points classified right, as the classic writes them.

const $ = (id) => document.getElementById(id);

/** "001,234": the classic's six-digit epoch counter. */
export function formatEpoch(epoch) {
  return String(epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function formatLoss(loss) {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? "NaN" : loss.toFixed(3);
}

function formatShare(share) {
  return Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : "–";
}

export function showEpoch(epoch) {
  $("epoch").textContent = formatEpoch(epoch);
}

/** Write the values given (undefined ones stay as they are). */
export function showValues(trainLoss, testLoss, { trainAccuracy, testAccuracy } = {}) {
  if (trainLoss !== undefined) $("loss-train").textContent = formatLoss(trainLoss);
  if (testLoss !== undefined) $("loss-test").textContent = formatLoss(testLoss);
  if (trainAccuracy !== undefined) $("accuracy-train").textContent = formatShare(trainAccuracy);
  if (testAccuracy !== undefined) $("accuracy-test").textContent = formatShare(testAccuracy);
}
