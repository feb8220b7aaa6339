// Upload and import jobs: one row each in "Activity" with a real progress bar, then
// "processing" until ingest marks the image ready or rejected.
import { h } from "./dom.js";
import { postToS3, sha256Hex, contentTypeOf } from "./upload.js";
import { formatBytes } from "./util.js";
import { statusBadge } from "./gallery.js";

const POLL_DELAYS = [400, 700, 1000, 1000, 1500, 2000, 2000, 3000];
const POLL_TIMEOUT_MS = 3 * 60 * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class TaskRow {
  constructor(list, title, subtitle) {
    this.progress = h("progress", { class: "task__progress", max: "100", "aria-label": `Progress of ${title}` });
    this.state = h("span", { class: "task__state", text: "Waiting…" });
    this.badge = h("span", { class: "task__badge" });
    this.el = h("li", { class: "task", dataset: { state: "waiting" } },
      h("div", { class: "task__head" },
        h("span", { class: "task__title", text: title, title }),
        h("span", { class: "task__sub muted", text: subtitle }),
        this.badge),
      this.progress, this.state);
    list.prepend(this.el);
  }

  set(state, text) {
    this.el.dataset.state = state;
    this.state.textContent = text;
  }

  setProgress(fraction) {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    this.progress.value = pct;
    this.progress.setAttribute("aria-valuetext", `${pct}%`);
    this.set("uploading", `Uploading… ${pct}%`);
  }

  indeterminate(state, text) {
    this.progress.removeAttribute("value");
    this.set(state, text);
  }

  finish(state, text, status) {
    this.progress.hidden = true;
    this.set(state, text);
    this.badge.replaceChildren(status ? statusBadge(status) : "");
  }
}

export class Tasks {
  constructor({ api, messages, gallery, list, wrap }) {
    Object.assign(this, { api, messages, gallery, list, wrap });
  }

  row(title, subtitle) {
    this.wrap.hidden = false;
    return new TaskRow(this.list, title, subtitle);
  }

  /** Upload one file: POST /images, then the presigned form to S3, then wait for ingest. */
  async uploadFile(file, title, resize) {
    const task = this.row(title, `${file.name} · ${formatBytes(file.size)}`);
    task.indeterminate("preparing", "Preparing…");
    let sha256 = null;
    try { sha256 = await sha256Hex(file); } catch { sha256 = null; }
    let created;
    try {
      created = await this.api.createUpload({ title, content_type: contentTypeOf(file), size: file.size, sha256, resize });
    } catch (err) {
      task.finish("error", err.problem ? `${err.problem.title}${err.problem.detail ? ": " + err.problem.detail : ""}` : err.message);
      this.messages.problem(err, `“${title}” was not uploaded`);
      return null;
    }
    if (created.duplicate) {
      task.finish("duplicate", "Already uploaded — this file is in your library.", created.image.status);
      this.gallery.upsert(created.image);
      this.messages.info("Already uploaded", `“${title}” has the same bytes as “${created.image.title}”.`);
      return created.image;
    }
    this.gallery.upsert(created.image);
    task.setProgress(0);
    try {
      await postToS3(created.upload, file, { onProgress: (loaded, total) => task.setProgress(total ? loaded / total : 0) });
    } catch (err) {
      task.finish("error", `${err.problem.title}${err.problem.detail ? ": " + err.problem.detail : ""}`);
      this.messages.problem(err, `“${title}” was not uploaded`);
      // The record never received bytes: remove it rather than leave a card stuck "processing".
      this.api.remove(created.image.id).catch(() => {});
      this.gallery.remove(created.image.id);
      return null;
    }
    return this.waitForIngest(created.image, task);
  }

  /** URL import: POST /images {title, source_url}; the answer is pending or already ready. */
  async importUrl(sourceUrl, title, resize) {
    const task = this.row(title, sourceUrl);
    task.indeterminate("importing", "Fetching from URL…");
    let image;
    try {
      image = await this.api.importUrl({ title, source_url: sourceUrl, resize });
    } catch (err) {
      task.finish("error", err.problem ? `${err.problem.title}${err.problem.detail ? ": " + err.problem.detail : ""}` : err.message);
      this.messages.problem(err, "Import failed");
      return null;
    }
    this.gallery.upsert(image);
    return this.waitForIngest(image, task);
  }

  async waitForIngest(image, task) {
    const started = Date.now();
    let current = image;
    let attempt = 0;
    while (current.status === "pending") {
      task.indeterminate("processing", "Processing…");
      if (Date.now() - started > POLL_TIMEOUT_MS) {
        task.finish("processing", "Still processing — it will appear in the gallery when ready.", "pending");
        return current;
      }
      await sleep(POLL_DELAYS[Math.min(attempt++, POLL_DELAYS.length - 1)]);
      try {
        current = await this.api.get(image.id);
      } catch (err) {
        if (err.status === 404) { task.finish("error", "The image was deleted."); this.gallery.remove(image.id); return null; }
        if (err.status === 0 || err.status >= 500) continue; // transient: keep waiting
        task.finish("error", err.message);
        this.messages.problem(err, `Could not check “${image.title}”`);
        return null;
      }
      this.gallery.upsert(current);
    }
    if (current.status === "ready") {
      const dims = current.width ? ` · ${current.width} × ${current.height}` : "";
      task.finish("ready", `Ready${dims}`, "ready");
    } else {
      const reason = current.rejection_reason || "The file is not an image we can accept.";
      task.finish("rejected", `Rejected: ${reason}`, "rejected");
      this.messages.show("error", `“${current.title}” was rejected`, reason);
    }
    this.gallery.upsert(current);
    return current;
  }
}
