// The top bar's optimizer and dropout pickers, built from the catalogue like the others.
// Changing the optimizer keeps the run (a PATCH: the weights stay, its state starts
// fresh); changing the dropout rate starts a new run.

import { fillSelect } from "./select-options.js";

const $ = (id) => document.getElementById(id);

export class BeyondControls {
  /**
   * @param {object} catalog  the catalogue's playground section
   * @param {(key: string, value: any) => void} onChange
   */
  constructor(catalog, onChange) {
    fillSelect($("optimizer"), catalog.optimizers);
    fillSelect($("dropout"), catalog.dropoutRates.map((rate) => ({
      key: String(rate), label: rate === 0 ? "None" : String(rate),
    })));
    $("optimizer").addEventListener("change", () => onChange("optimizer", $("optimizer").value));
    $("dropout").addEventListener("change", () => onChange("dropout", Number($("dropout").value)));
  }

  show(state) {
    $("optimizer").value = state.get("optimizer");
    const dropout = String(state.get("dropout"));
    if (![...$("dropout").options].some((o) => o.value === dropout)) {
      const option = document.createElement("option");
      option.value = option.textContent = dropout;
      $("dropout").appendChild(option);
    }
    $("dropout").value = dropout;
  }
}
