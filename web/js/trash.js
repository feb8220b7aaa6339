// The trash (SPEC §3.4): "Undo" right after a delete, and a trash view listing deleted images
// (newest deletion first) with Restore and Delete forever. Deleted images show no thumbnail:
// their bytes are hidden (noncurrent versions) until restored.
import { $, h, trapFocus } from "./dom.js";
import { formatBytes, formatDate } from "./util.js";

const PAGE_SIZE = 24;

export class Trash {
  constructor({ api, messages, gallery }) {
    this.api = api;
    this.messages = messages;
    this.gallery = gallery;
    this.dialog = $("#trash-dialog");
    this.list = $("#trash-list");
    this.summary = $("#trash-summary");
    this.more = $("#trash-more");
    this.cursor = null;
    this.opener = null;
    trapFocus(this.dialog);
    $("#open-trash").addEventListener("click", () => this.open());
    $("#trash-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (e) => { if (e.target === this.dialog) this.dialog.close(); });
    this.dialog.addEventListener("close", () => this.opener?.focus());
    this.more.addEventListener("click", () => this.load(false));
  }

  /** After a delete: a message with an Undo button (the message fades like any other). */
  deleted(image) {
    const el = this.messages.show("success", "Moved to the trash", `“${image.title}” can be restored from the trash.`);
    const undo = h("button", { type: "button", class: "button button--small message__action", "data-undo": image.id }, "Undo");
    undo.addEventListener("click", async () => {
      undo.disabled = true;
      if (await this.restore(image.id)) el.remove();
      else undo.disabled = false;
    });
    el.querySelector(".message__body").append(undo);
    return el;
  }

  async restore(id) {
    try {
      const image = await this.api.restore(id);
      this.messages.success("Restored", `“${image.title}” is back in your images.`);
      await this.gallery.reload(); // in its place: newest first by upload time
      return image;
    } catch (err) {
      this.messages.problem(err, "Restore failed");
      return null;
    }
  }

  async open() {
    this.opener = document.activeElement;
    if (!this.dialog.open) this.dialog.showModal();
    $("#trash-close").focus();
    await this.load(true);
  }

  async load(reset) {
    if (reset) { this.cursor = null; this.list.replaceChildren(); }
    this.list.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    try {
      const page = await this.api.list({ status: "deleted", limit: PAGE_SIZE, cursor: this.cursor || undefined });
      for (const image of page.items || []) this.list.append(this.row(image));
      this.cursor = page.next_cursor || null;
      this.more.hidden = !this.cursor;
    } catch (err) {
      this.messages.problem(err, "Could not load the trash");
    } finally {
      this.list.setAttribute("aria-busy", "false");
      this.more.disabled = false;
      this.updateSummary();
    }
  }

  updateSummary() {
    const n = this.list.children.length;
    this.summary.textContent = n === 0 ? "The trash is empty." : `${n}${this.cursor ? "+" : ""} deleted image${n === 1 ? "" : "s"}`;
  }

  row(image) {
    const restore = h("button", { type: "button", class: "button button--small", "data-action": "restore" }, "Restore");
    const forever = h("button", { type: "button", class: "button button--danger button--small", "data-action": "forever" }, "Delete forever…");
    const sure = h("button", { type: "button", class: "button button--danger button--small", "data-action": "forever-yes" }, "Yes, delete forever");
    const keep = h("button", { type: "button", class: "button button--small", "data-action": "forever-no" }, "Cancel");
    const confirm = h("div", { class: "button-row", hidden: true }, h("span", { text: "This cannot be undone." }), sure, keep);
    const actions = h("div", { class: "button-row" }, restore, forever);
    const bytes = image.original?.bytes ?? image.bytes;
    const li = h("li", { class: "trash__item", dataset: { id: image.id } },
      h("div", { class: "trash__info" },
        h("span", { class: "trash__title", text: image.title }),
        h("span", { class: "muted trash__meta", text: [
          bytes ? formatBytes(bytes) : "",
          image.deleted_at ? `deleted ${formatDate(image.deleted_at)}` : "",
          image.purge_at ? `purged ${formatDate(image.purge_at)}` : "",
        ].filter(Boolean).join(" · ") })),
      actions, confirm);
    const busy = (on) => { for (const b of [restore, forever, sure, keep]) b.disabled = on; };
    const gone = () => { li.remove(); this.updateSummary(); (this.list.querySelector("button") || $("#trash-close")).focus(); };
    restore.addEventListener("click", async () => {
      busy(true);
      if (await this.restore(image.id)) gone(); else busy(false);
    });
    forever.addEventListener("click", () => { actions.hidden = true; confirm.hidden = false; keep.focus(); });
    keep.addEventListener("click", () => { confirm.hidden = true; actions.hidden = false; forever.focus(); });
    sure.addEventListener("click", async () => {
      busy(true);
      try {
        await this.api.purge(image.id);
        this.messages.success("Deleted forever", `“${image.title}” is gone.`);
        gone();
      } catch (err) {
        if (err.status === 404) { gone(); return; } // purged already (or its window ended)
        this.messages.problem(err, "Delete failed");
        busy(false);
      }
    });
    return li;
  }
}
