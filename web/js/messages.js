// The non-blocking message area (aria-live): problems, confirmations, notices.
import { h } from "./dom.js";
import { fieldLabel } from "./problem.js";

const MAX_MESSAGES = 5;

export class Messages {
  constructor(root) { this.root = root; }

  /** kind: "error" | "success" | "info". Errors stay until dismissed; others fade after a while. */
  show(kind, title, detail = "", errors = []) {
    const close = h("button", { type: "button", class: "message__close", "aria-label": "Dismiss message" }, "×");
    const el = h("div", { class: `message message--${kind}`, role: kind === "error" ? "alert" : "status" },
      h("div", { class: "message__body" },
        h("p", { class: "message__title", text: title }),
        detail ? h("p", { class: "message__detail", text: detail }) : null,
        errors.length ? h("ul", { class: "message__errors" },
          errors.map((e) => h("li", {}, h("strong", { text: `${fieldLabel(e.field)}: ` }), e.message))) : null),
      close);
    close.addEventListener("click", () => el.remove());
    this.root.append(el);
    while (this.root.children.length > MAX_MESSAGES) this.root.firstElementChild.remove();
    if (kind !== "error") setTimeout(() => el.remove(), 7000);
    return el;
  }

  /** Shows an ApiError/UploadError (or any Error) as its problem's title, detail and field errors. */
  problem(err, context = "") {
    if (err?.redirecting) return null; // the page is leaving for the sign-in page
    const p = err?.problem;
    if (!p) {
      console.error(err);
      return this.show("error", context || "Something went wrong", err?.message || String(err));
    }
    const title = context ? `${context}: ${p.title}` : p.title;
    return this.show("error", title, p.detail && p.detail !== p.title ? p.detail : "", p.errors || []);
  }

  success(title, detail) { return this.show("success", title, detail); }
  info(title, detail) { return this.show("info", title, detail); }
}
