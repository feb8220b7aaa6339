// The image dialog: preview (blurhash placeholder first), analysis, downloads, rename, resize, delete.
import { $, h, trapFocus } from "./dom.js";
import { decodeBlurhash } from "./blurhash.js";
import { formatBytes, formatDate, parseCustomDownload, parseResize, validateTitle, contrastText } from "./util.js";
import { STATUS_LABELS } from "./gallery.js";
import { pickEntry } from "./srcset.js";

const yesNo = (v) => (v ? "Yes" : "No");

function facts(dl, rows) {
  dl.replaceChildren(...rows.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([label, value, id]) => [
    h("dt", { text: label }), h("dd", { id, text: String(value) }),
  ]));
}

export class Viewer {
  constructor({ api, messages, gallery, onDeleted }) {
    this.onDeleted = onDeleted; // the trash's "Undo" message (trash.js)
    this.api = api;
    this.messages = messages;
    this.gallery = gallery;
    this.dialog = $("#viewer");
    this.image = null;
    this.opener = null;
    this.loadToken = 0;
    trapFocus(this.dialog);
    $("#viewer-close").addEventListener("click", () => this.close());
    this.dialog.addEventListener("close", () => this.onClosed());
    // A click on the backdrop (outside the dialog box) closes it too.
    this.dialog.addEventListener("click", (e) => { if (e.target === this.dialog) this.close(); });
    for (const button of this.dialog.querySelectorAll("[data-variant]")) {
      button.addEventListener("click", () => this.download({ variant: button.dataset.variant }, button.textContent.toLowerCase()));
    }
    $("#custom-download").addEventListener("submit", (e) => { e.preventDefault(); this.customDownload(); });
    $("#rename-form").addEventListener("submit", (e) => { e.preventDefault(); this.rename(); });
    $("#resize-form").addEventListener("submit", (e) => { e.preventDefault(); this.resize(); });
    $("#delete-button").addEventListener("click", () => this.askDelete(true));
    $("#delete-no").addEventListener("click", () => this.askDelete(false));
    $("#delete-yes").addEventListener("click", () => this.confirmDelete());
  }

  get isOpen() { return this.dialog.open; }

  async open(id, opener) {
    const image = this.gallery.get(id);
    this.opener = opener || document.activeElement;
    this.askDelete(false, false);
    $("#download-result").hidden = true;
    this.render(image || { id, title: "Loading…", status: "pending" });
    if (!this.dialog.open) this.dialog.showModal();
    $("#viewer-close").focus();
    try {
      const fresh = await this.api.get(id);
      this.gallery.upsert(fresh);
      this.render(fresh);
    } catch (err) {
      this.messages.problem(err, "Could not open the image");
      if (err.status === 404) { this.gallery.remove(id); this.close(); }
    }
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  onClosed() {
    this.loadToken++;
    $("#preview-img").removeAttribute("src");
    const target = this.opener && document.contains(this.opener) ? this.opener : $("#gallery-heading");
    target?.focus();
  }

  render(image) {
    const previous = this.image;
    const same = previous?.id === image.id && previous?.updated_at === image.updated_at && previous?.status === image.status;
    this.image = image;
    $("#viewer-title").textContent = image.title;
    const status = $("#viewer-status");
    status.className = `badge badge--${image.status}`;
    status.textContent = STATUS_LABELS[image.status] || image.status;
    // A refresh that lands while the person is typing a new title must not undo their typing.
    const rename = $("#rename-title");
    if (previous?.id !== image.id || rename.value === previous?.title) rename.value = image.title;
    const reason = $("#viewer-reason");
    reason.hidden = image.status !== "rejected";
    reason.textContent = image.status === "rejected" ? `Rejected: ${image.rejection_reason || "not an accepted image"}` : "";
    const ready = image.status === "ready";
    $("#download-section").hidden = !ready;
    $("#edit-section").querySelector("#resize-form").hidden = !ready;
    $("#analysis-section").hidden = !ready;
    if (!same) this.loadDetails(image);
  }

  async loadDetails(image) {
    const token = ++this.loadToken;
    const img = $("#preview-img");
    const canvas = $("#preview-blurhash");
    const note = $("#preview-note");
    const preview = $("#preview");
    img.classList.remove("is-loaded");
    img.removeAttribute("src");
    img.alt = image.title;
    canvas.hidden = true;
    note.hidden = true;
    facts($("#analysis-list"), []);
    facts($("#exif-list"), []);
    $("#swatches").replaceChildren();
    if (image.width && image.height) preview.style.aspectRatio = `${image.width} / ${image.height}`;
    else preview.style.removeProperty("aspect-ratio");
    if (image.status !== "ready") {
      note.hidden = false;
      note.textContent = image.status === "pending" ? "Processing… the preview appears when the image is ready." : "No preview: the file was rejected.";
      return;
    }
    const analysisP = this.api.analysis(image.id);
    // The srcset's width for this dialog and screen (picked once the dialog is laid out), else the
    // embedded display rendition (no request), else the download route.
    const responsive = image.srcset?.length ? image.srcset : null;
    const embedded = image.renditions?.display;
    const shape = responsive ? image : embedded; // width/height of what the preview shows
    let displayP;
    if (responsive) displayP = Promise.resolve({ url: null });
    else if (embedded) displayP = Promise.resolve(embedded);
    else displayP = this.api.downloadUrl(image.id, { variant: "display" });
    analysisP.then((analysis) => {
      if (token !== this.loadToken) return;
      this.renderAnalysis(analysis);
      if (analysis.blurhash && !img.classList.contains("is-loaded")) this.drawBlurhash(analysis.blurhash);
    }).catch((err) => { if (token === this.loadToken) this.messages.problem(err, "Could not load the analysis"); });
    displayP.then(({ url }) => {
      if (token !== this.loadToken) return;
      if (responsive) url = pickEntry(responsive, this.previewWidth(image), window.devicePixelRatio || 1).url;
      img.addEventListener("load", () => { img.classList.add("is-loaded"); }, { once: true });
      img.addEventListener("error", () => { note.hidden = false; note.textContent = "The preview could not be loaded."; }, { once: true });
      if (shape) { img.width = shape.width; img.height = shape.height; }
      else { img.removeAttribute("width"); img.removeAttribute("height"); }
      img.src = url;
    }).catch((err) => {
      if (token !== this.loadToken) return;
      note.hidden = false;
      note.textContent = "The preview could not be loaded.";
      this.messages.problem(err, "Could not load the preview");
    });
  }

  /** How wide (CSS px) the preview draws the image: object-fit contain in the figure. */
  previewWidth(image) {
    const figure = $("#preview");
    const aspect = image.width && image.height ? image.width / image.height : 0;
    const width = figure.clientWidth, height = figure.clientHeight;
    if (!width) return image.width || 1024; // not laid out: the served size
    return aspect && height ? Math.min(width, height * aspect) : width;
  }

  drawBlurhash(hash) {
    const canvas = $("#preview-blurhash");
    try {
      const pixels = decodeBlurhash(hash, canvas.width, canvas.height);
      const ctx = canvas.getContext("2d");
      const data = ctx.createImageData(canvas.width, canvas.height);
      data.data.set(pixels);
      ctx.putImageData(data, 0, 0);
      canvas.hidden = false;
    } catch (err) {
      console.warn("blurhash", err.message);
    }
  }

  renderAnalysis(a) {
    facts($("#analysis-list"), [
      ["Dimensions", `${a.width} × ${a.height} px`, "analysis-dimensions"],
      ["Format", a.mime ? `${a.format} (${a.mime})` : a.format, "analysis-format"],
      ["File size", formatBytes(a.bytes), "analysis-size"],
      ["Colour mode", a.mode],
      ["Transparency", yesNo(a.has_alpha)],
      ["Animated", a.animated ? `Yes, ${a.frames} frames` : "No"],
      ["Orientation", a.orientation],
      ["Served size", this.image?.width ? `${this.image.width} × ${this.image.height} px` : ""],
      ["Uploaded", formatDate(this.image?.created_at)],
      ["SHA-256", a.sha256],
      ["Perceptual hash", a.phash],
    ]);
    const swatches = $("#swatches");
    swatches.replaceChildren(...(a.dominant_colors || []).map((c) => {
      const chip = h("span", { class: "swatch__chip", "aria-hidden": "true" });
      chip.style.backgroundColor = c.hex;
      chip.style.color = contrastText(c.hex);
      chip.textContent = `${Math.round(c.share * 100)}%`;
      return h("li", { class: "swatch" }, chip, h("span", { class: "swatch__hex", text: c.hex }),
        h("span", { class: "visually-hidden", text: ` ${Math.round(c.share * 100)} percent` }));
    }));
    if (!swatches.children.length) swatches.append(h("li", { class: "muted", text: "No colour data." }));
    const e = a.exif || {};
    const rows = [
      ["Camera make", e.make], ["Camera model", e.model], ["Captured", e.captured_at], ["Software", e.software],
      ["EXIF orientation", e.orientation], ["GPS", e.has_gps ? "Present (location not shared)" : undefined],
    ];
    facts($("#exif-list"), rows);
    if (!rows.some(([, v]) => v !== undefined && v !== null && v !== "")) {
      $("#exif-list").replaceChildren(h("dt", { class: "visually-hidden", text: "EXIF" }), h("dd", { class: "muted", text: "No EXIF data." }));
    }
  }

  async download(params, label) {
    const image = this.image;
    const result = $("#download-result");
    try {
      const { url, expires_at } = await this.api.downloadUrl(image.id, params);
      const link = h("a", { href: url, target: "_blank", rel: "noopener", class: "download-link", text: `Open ${label} download` });
      result.replaceChildren(link, h("span", { class: "muted", text: expires_at ? ` · link valid until ${formatDate(expires_at)}` : "" }));
      result.hidden = false;
      link.click();
    } catch (err) {
      this.messages.problem(err, "Download failed");
    }
  }

  customDownload() {
    const form = $("#custom-download");
    const { params, errors } = parseCustomDownload({
      w: form.w.value, h: form.h.value, fit: form.fit.value, format: form.format.value, quality: form.quality.value,
    });
    if (!params) {
      this.messages.show("error", "Check the custom size", "", errors);
      return;
    }
    const label = `${params.w || "auto"} × ${params.h || "auto"}${params.format ? " " + params.format.toUpperCase() : ""}`;
    this.download(params, label);
  }

  async rename() {
    const input = $("#rename-title");
    const title = input.value.trim();
    const problem = validateTitle(title);
    if (problem) { this.messages.show("error", "Check the title", problem); input.focus(); return; }
    if (title === this.image.title) return;
    try {
      const updated = await this.api.patch(this.image.id, { title });
      this.gallery.upsert(updated);
      this.render(updated);
      this.messages.success("Renamed", `Now called “${updated.title}”.`);
    } catch (err) {
      this.messages.problem(err, "Rename failed");
    }
  }

  async resize() {
    const form = $("#resize-form");
    const { value, errors } = parseResize({ width: form.width.value, height: form.height.value, fit: form.fit.value });
    if (errors.length || !value) {
      this.messages.show("error", "Check the size", errors.length ? "" : "Give a width, a height or both.", errors);
      return;
    }
    try {
      const updated = await this.api.patch(this.image.id, value);
      this.gallery.upsert(updated);
      this.image = null; // force the preview to reload
      this.render(updated);
      this.messages.success("Resized", updated.width ? `Served at ${updated.width} × ${updated.height} px.` : "The new size is being rendered.");
    } catch (err) {
      this.messages.problem(err, "Resize failed");
    }
  }

  askDelete(show, focus = true) {
    $("#delete-confirm").hidden = !show;
    $("#delete-button").hidden = show;
    if (!focus) return;
    (show ? $("#delete-no") : $("#delete-button")).focus();
  }

  async confirmDelete() {
    const image = this.image;
    const yes = $("#delete-yes");
    yes.disabled = true;
    try {
      await this.api.remove(image.id);
      if (this.onDeleted) this.onDeleted(image);
      else this.messages.success("Deleted", `“${image.title}” was deleted.`);
    } catch (err) {
      if (err.status !== 404) { this.messages.problem(err, "Delete failed"); return; }
    } finally {
      yes.disabled = false;
    }
    this.gallery.remove(image.id);
    this.opener = null;
    this.close();
  }
}
