// The "Webhooks" dialog (SPEC §3.11): add an endpoint (URL and event types) and see its signing
// secret once, send a test, see the delivery log with each attempt and redeliver, rotate the
// secret, delete. Everything is built with h() (no innerHTML): URLs and answers are text.
import { $, h, trapFocus } from "./dom.js";
import { formatDate } from "./util.js";

export const EVENT_TYPES = [
  "image.created", "image.ready", "image.rejected", "image.updated", "image.deleted", "image.restored", "image.purged",
];

export class Webhooks {
  constructor({ api, messages }) {
    this.api = api;
    this.messages = messages;
    this.dialog = $("#webhooks-dialog");
    this.list = $("#webhooks-list");
    this.summary = $("#webhooks-summary");
    this.form = $("#webhook-form");
    this.opener = null;
    trapFocus(this.dialog);
    $("#webhook-event-types").replaceChildren(...EVENT_TYPES.map((type) => h("label", {},
      h("input", { type: "checkbox", name: "event", value: type, checked: type === "image.ready" || type === "image.rejected" }),
      type)));
    $("#open-webhooks").addEventListener("click", () => this.open());
    $("#webhooks-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (e) => { if (e.target === this.dialog) this.dialog.close(); });
    this.dialog.addEventListener("close", () => { $("#webhook-secret").hidden = true; this.opener?.focus(); });
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.add(); });
  }

  async open() {
    this.opener = document.activeElement;
    if (!this.dialog.open) this.dialog.showModal();
    $("#webhook-url").focus();
    await this.load();
  }

  async load() {
    this.list.setAttribute("aria-busy", "true");
    try {
      const { items } = await this.api.webhooks();
      this.list.replaceChildren(...items.map((w) => this.row(w)));
      this.summary.textContent = items.length ? `${items.length} endpoint${items.length === 1 ? "" : "s"}` : "No endpoints yet.";
      await Promise.all(items.map((w) => this.loadDeliveries(w.id)));
    } catch (err) {
      this.messages.problem(err, "Could not load the webhooks");
    } finally {
      this.list.setAttribute("aria-busy", "false");
    }
  }

  showSecret(secret) {
    $("#webhook-secret-value").textContent = secret;
    $("#webhook-secret").hidden = false;
  }

  async add() {
    const url = $("#webhook-url").value.trim();
    const events = Array.from(this.form.querySelectorAll('input[name="event"]:checked')).map((i) => i.value);
    if (!url || !events.length) {
      this.messages.show("error", "Add an endpoint", "", [!url && "Enter the endpoint's URL.", !events.length && "Choose at least one event type."].filter(Boolean));
      return;
    }
    try {
      const created = await this.api.createWebhook({ url, events });
      this.showSecret(created.secret);
      $("#webhook-url").value = "";
      this.messages.success("Endpoint added", `Events go to ${created.url}.`);
      await this.load();
    } catch (err) {
      this.messages.problem(err, "Could not add the endpoint");
    }
  }

  row(webhook) {
    const status = webhook.enabled ? "enabled" : `disabled: ${webhook.disabled_reason || ""}`;
    const deliveries = h("ul", { class: "webhook__deliveries", "data-deliveries": webhook.id, "aria-label": `Deliveries to ${webhook.url}` });
    const button = (label, action, extra = {}) => {
      const el = h("button", { type: "button", class: "button button--small", ...extra }, label);
      el.addEventListener("click", async () => { el.disabled = true; try { await action(); } finally { el.disabled = false; } });
      return el;
    };
    return h("li", { class: "trash__item", "data-webhook": webhook.id },
      h("div", { class: "trash__info" },
        h("span", { class: "trash__title", text: webhook.url }),
        h("span", { class: "trash__meta muted", text: `${webhook.events.join(", ")} · ${status}` }),
        deliveries),
      h("div", { class: "button-row" },
        button("Send test", () => this.sendTest(webhook)),
        button("Refresh log", () => this.loadDeliveries(webhook.id)),
        button("Rotate secret", () => this.rotate(webhook)),
        button("Delete", () => this.remove(webhook), { class: "button button--small button--danger" })));
  }

  async loadDeliveries(id) {
    const target = this.list.querySelector(`[data-deliveries="${CSS.escape(id)}"]`);
    if (!target) return;
    try {
      const page = await this.api.deliveries(id, { limit: 10 });
      target.replaceChildren(...page.items.map((d) => this.delivery(id, d)));
    } catch (err) {
      this.messages.problem(err, "Could not load the delivery log");
    }
  }

  delivery(webhookId, d) {
    const attempts = d.attempts.map((a) => `${formatDate(a.at)}: ${a.status_code ?? (a.error || "no answer")} (${a.latency_ms} ms)`);
    const redeliver = h("button", { type: "button", class: "button button--small", "data-redeliver": d.id }, "Redeliver");
    redeliver.addEventListener("click", async () => {
      redeliver.disabled = true;
      try {
        await this.api.redeliver(webhookId, d.id);
        this.messages.success("Redelivering", `${d.event_type} goes out again.`);
        await this.waitForLog(webhookId, d.id);
      } catch (err) {
        this.messages.problem(err, "Could not redeliver");
      } finally {
        redeliver.disabled = false;
      }
    });
    return h("li", { "data-delivery": d.id, "data-status": d.status },
      h("span", { text: `${d.event_type} · ${d.status} · ${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}` }),
      " ",
      redeliver,
      h("div", { class: "webhook__attempts", text: attempts.join(" · ") }));
  }

  async sendTest(webhook) {
    try {
      await this.api.testWebhook(webhook.id);
      this.messages.success("Test sent", `A webhook.test event is on its way to ${webhook.url}.`);
      await this.waitForLog(webhook.id);
    } catch (err) {
      this.messages.problem(err, "Could not send a test");
    }
  }

  /** The log again once the delivery (by default the newest) is no longer pending: a few polls, then it stops. */
  async waitForLog(id, deliveryId) {
    for (let i = 0; i < 40; i++) {
      const page = await this.api.deliveries(id, { limit: 10 });
      const delivery = deliveryId ? page.items.find((d) => d.id === deliveryId) : page.items[0];
      if (delivery && delivery.status !== "pending") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await this.loadDeliveries(id);
  }

  async rotate(webhook) {
    try {
      const rotated = await this.api.rotateWebhookSecret(webhook.id);
      this.showSecret(rotated.secret);
      this.messages.success("Secret rotated", "The old secret keeps signing beside the new one for 24 hours.");
    } catch (err) {
      this.messages.problem(err, "Could not rotate the secret");
    }
  }

  async remove(webhook) {
    try {
      await this.api.deleteWebhook(webhook.id);
      this.messages.success("Endpoint deleted", `${webhook.url} receives no more events.`);
      await this.load();
    } catch (err) {
      this.messages.problem(err, "Could not delete the endpoint");
    }
  }
}
