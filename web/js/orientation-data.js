// The data card: the three data sets (from the catalogue), the input size, and for
// "Your photos" the drop zone that sends each file to the upload endpoint, one request a
// file, and lists what was kept and what was skipped (by name, with the server's reason).

import { ApiError } from "./api.js";
import { formatCount } from "./number-format.js";

const $ = (id) => document.getElementById(id);
const UPLOADS = "/api/orientation/uploads";

async function requestJson(method, url, { body, type } = {}) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = type;
    init.body = body;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, `the server cannot be reached (${error.message})`);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error ?? response.statusText, data?.field ?? null);
    error.fileName = data?.name ?? null;
    throw error;
  }
  return data;
}

/** The type a file is sent with: what the browser says, if the server takes it. */
function contentType(file) {
  return ["image/jpeg", "image/png"].includes(file.type) ? file.type : "application/octet-stream";
}

export class DataPicker {
  /**
   * @param {object} catalog  the catalogue's `orientation` section
   * @param {{onChange: () => void}} handlers  the data set, the size or the photos changed
   */
  constructor(catalog, { onChange }) {
    this.catalog = catalog;
    this.datasets = new Map(catalog.datasets.map((d) => [d.key, d]));
    this.onChange = onChange;
    this.dataset = catalog.defaults.dataset;
    this.side = this.datasets.get(this.dataset).defaults.imageSize;
    this.upload = null; // {id, photos, rejected}
    this.uploading = 0;
    this.kept = 0;
    this.rejected = [];
    $("datasets").replaceChildren(...catalog.datasets.map((d) => {
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name: "dataset", value: d.key });
      input.addEventListener("change", () => {
        if (input.checked) this.choose(d.key);
      });
      const title = document.createElement("span");
      title.className = "preset-title";
      title.textContent = d.label;
      const text = document.createElement("span");
      text.className = "preset-text";
      text.append(title);
      const label = document.createElement("label");
      label.className = "preset";
      label.dataset.dataset = d.key;
      label.append(input, text);
      return label;
    }));
    $("image-size").addEventListener("change", () => {
      this.side = Number($("image-size").value);
      this.onChange();
    });
    this.bindUploads();
    this.choose(this.dataset, { quiet: true });
  }

  get info() {
    return this.datasets.get(this.dataset);
  }

  get input() {
    return { side: this.side, channels: this.info.channels };
  }

  choose(key, { quiet = false } = {}) {
    this.dataset = key;
    const info = this.info;
    for (const input of document.querySelectorAll('#datasets input[name="dataset"]')) {
      input.checked = input.value === key;
    }
    $("dataset-description").textContent = info.description;
    if (!info.sides.includes(this.side)) this.side = info.defaults.imageSize;
    $("image-size").replaceChildren(...info.sides.map((side) => {
      const option = document.createElement("option");
      option.value = String(side);
      option.textContent = `${side} × ${side}${info.channels === 3 ? " RGB" : " grey"}`;
      option.selected = side === this.side;
      return option;
    }));
    $("image-size").disabled = info.sides.length < 2;
    $("uploads").hidden = key !== "uploaded";
    if (!quiet) this.onChange();
  }

  /** The body's data fields. */
  body() {
    const body = { dataset: this.dataset, imageSize: this.side };
    if (this.dataset === "uploaded") body.upload = this.upload?.id ?? null;
    return body;
  }

  // -- uploads ----------------------------------------------------------------------------

  bindUploads() {
    const zone = $("drop-zone");
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      this.addFiles(await droppedFiles(event.dataTransfer));
    });
    zone.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") $("upload-files").click();
    });
    $("upload-files").addEventListener("change", () => {
      this.addFiles([...$("upload-files").files]);
      $("upload-files").value = "";
    });
    $("upload-delete").addEventListener("click", () => this.deleteSet());
  }

  /** Send files one at a time into this page's upload set (made on the first file). */
  async addFiles(files) {
    if (!files.length) return;
    this.uploading += files.length;
    this.showUploads();
    try {
      if (!this.upload) this.upload = await requestJson("POST", UPLOADS);
      for (const file of files) {
        const url = `${UPLOADS}/${encodeURIComponent(this.upload.id)}/photos?name=${encodeURIComponent(file.webkitRelativePath || file.name)}`;
        try {
          if (file.size > this.catalog.uploads.maxFileBytes) {
            throw new ApiError(400, `the file is ${formatCount(file.size)} bytes; the most is ${formatCount(this.catalog.uploads.maxFileBytes)}`, "file");
          }
          const kept = await requestJson("POST", url, { body: file, type: contentType(file) });
          this.kept = kept.photos;
        } catch (error) {
          if (error.status === 404) this.upload = null; // the set is gone: start a new one
          this.rejected.push({ name: file.name, error: error.message.replace(/^file: /, "") });
        } finally {
          this.uploading -= 1;
          this.showUploads();
        }
      }
    } catch (error) {
      this.uploading = 0;
      this.rejected.push({ name: `${files.length} file(s)`, error: error.message });
      this.showUploads();
    }
    this.onChange();
  }

  async deleteSet() {
    if (!this.upload) return;
    try {
      await requestJson("DELETE", `${UPLOADS}/${encodeURIComponent(this.upload.id)}`);
    } catch (error) {
      this.rejected.push({ name: "Deleting", error: error.message });
      this.showUploads();
      return;
    }
    this.upload = null;
    this.kept = 0;
    this.rejected = [];
    this.showUploads();
    this.onChange();
  }

  /** The server no longer has the set (it went with the last run trained on it). */
  forgetSet() {
    this.upload = null;
    this.kept = 0;
    this.showUploads();
  }

  showUploads() {
    const { minPhotos, maxPhotos } = this.catalog.uploads;
    const parts = [`${formatCount(this.kept)} photo${this.kept === 1 ? "" : "s"} on the server`];
    if (this.uploading) parts.push(`sending ${formatCount(this.uploading)}…`);
    if (this.rejected.length) parts.push(`${formatCount(this.rejected.length)} skipped`);
    if (this.kept < minPhotos) parts.push(`training needs at least ${minPhotos}`);
    else parts.push(`at most ${maxPhotos}`);
    $("upload-summary").textContent = `${parts.join(" · ")}.`;
    $("upload-rejected").replaceChildren(...this.rejected.slice(-50).map(({ name, error }) => {
      const item = document.createElement("li");
      const strong = document.createElement("strong");
      strong.textContent = name;
      item.append(strong, `: ${error}`);
      return item;
    }));
    $("upload-delete").hidden = !this.upload;
  }
}

/** Every file of a drop, folders walked (Chromium's entries API), else the plain list. */
async function droppedFiles(transfer) {
  const items = [...(transfer.items ?? [])].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!items.length || items.every((entry) => entry.isFile)) return [...transfer.files];
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of items) await walk(entry);
  return files.filter((f) => /\.(jpe?g|png)$/i.test(f.name) || f.type.startsWith("image/"));
}
