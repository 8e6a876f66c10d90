// Filling a <select> with its options: the pages' pickers are built from the catalogue.

/**
 * Replace the options of `select` with the catalogue's entries: {key, label} objects, or
 * plain values (numbers, names) labelled as written.
 * @param {HTMLSelectElement} select
 * @param {({key: string, label: string}|number|string)[]} entries
 */
export function fillSelect(select, entries) {
  select.replaceChildren(
    ...entries.map((entry) => {
      const { key, label } = typeof entry === "object" ? entry : { key: entry, label: String(entry) };
      const option = document.createElement("option");
      option.value = String(key);
      option.textContent = label;
      return option;
    }),
  );
}
