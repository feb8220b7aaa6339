// The gallery: newest first, status badges, "load more", title search, thumbnails.
// Thumbnails come straight from the signed URLs the list embeds: the image's srcset (every width
// from the CDN, in the format the browser accepts) with sizes measured from the card, else the
// thumbnail rendition. No request per card, and the URLs stay the same within a time window, so a
// reload is served from the browser's cache. Expired URLs are refreshed by re-reading the list,
// never per image.
import { h } from "./dom.js";
import { candidates, coverWidth, srcsetAttribute } from "./srcset.js";

const PENDING_POLL_MS = 3000;
const URL_REFRESH_MARGIN_MS = 60_000; // re-read the list this long before the first URL expires
const URL_REFRESH_MIN_GAP_MS = 30_000; // broken images re-read the list at most this often

export const STATUS_LABELS = { pending: "Processing", ready: "Ready", rejected: "Rejected" };
const PAGE_SIZE = 24;
const THUMB_CONCURRENCY = 6;

export function statusBadge(status, extraClass = "") {
  return h("span", { class: `badge badge--${status} ${extraClass}`.trim(), text: STATUS_LABELS[status] || status });
}

export class Gallery {
  constructor({ api, messages, list, loadMore, summary, onOpen }) {
    this.api = api;
    this.messages = messages;
    this.list = list;
    this.loadMoreButton = loadMore;
    this.summary = summary;
    this.onOpen = onOpen;
    this.cards = new Map(); // id -> {image, el}
    this.filters = { q: "", status: "" };
    this.cursor = null;
    this.generation = 0;
    this.controller = null;
    this.thumbQueue = [];
    this.thumbActive = 0;
    this.urlTimer = null;
    this.refreshSoon = null;
    this.lastUrlRefresh = 0;
    this.box = null; // a card thumbnail's CSS box, measured once per layout
    this.loadMoreButton.addEventListener("click", () => this.loadPage());
    // A wider window, a zoom or another column count: new sizes, so the browser may take a wider candidate.
    new ResizeObserver(() => this.resized()).observe(this.list);
  }

  setFilters(filters) {
    this.filters = { ...this.filters, ...filters };
    return this.reload();
  }

  reset() {
    this.controller?.abort();
    this.generation++;
    this.cards.clear();
    this.list.replaceChildren();
    this.cursor = null;
    this.thumbQueue = [];
    clearTimeout(this.urlTimer);
    clearTimeout(this.refreshSoon);
    this.urlTimer = this.refreshSoon = null;
    this.loadMoreButton.hidden = true;
  }

  async reload() {
    this.reset();
    await this.loadPage();
  }

  async loadPage() {
    const generation = this.generation;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.list.setAttribute("aria-busy", "true");
    this.loadMoreButton.disabled = true;
    try {
      const page = await this.api.list({ limit: PAGE_SIZE, cursor: this.cursor || undefined, q: this.filters.q || undefined,
        status: this.filters.status || undefined }, controller.signal);
      if (generation !== this.generation) return;
      for (const image of page.items || []) this.add(image, "end");
      this.watchPending();
      this.scheduleUrlRefresh();
      this.cursor = page.next_cursor || null;
      this.loadMoreButton.hidden = !this.cursor;
      this.updateSummary();
    } catch (err) {
      if (err.name === "AbortError") return;
      this.messages.problem(err, "Could not load your images");
      this.summary.textContent = "Your images could not be loaded.";
    } finally {
      if (generation === this.generation) {
        this.list.setAttribute("aria-busy", "false");
        this.loadMoreButton.disabled = false;
      }
    }
  }

  /** Images that were still processing when listed (uploaded elsewhere or before a reload)
   * are checked again every few seconds until ingest decides, then their cards update. */
  watchPending() {
    if (this.pendingTimer) return;
    const tick = async () => {
      this.pendingTimer = null;
      const pending = [...this.cards.values()].filter((card) => card.image.status === "pending");
      if (pending.length === 0) return;
      const generation = this.generation;
      await Promise.all(pending.slice(0, PAGE_SIZE).map(async (card) => {
        try {
          const image = await this.api.get(card.image.id);
          if (generation === this.generation && image.status !== "pending") this.upsert(image);
        } catch (err) {
          if (err.status === 404) this.remove(card.image.id);
        }
      }));
      if (generation === this.generation) this.pendingTimer = setTimeout(tick, PENDING_POLL_MS);
    };
    this.pendingTimer = setTimeout(tick, PENDING_POLL_MS);
  }

  /** Re-reads the loaded part of the list (one request, up to 100 cards) for fresh signed URLs. */
  async refreshUrls() {
    const generation = this.generation;
    this.lastUrlRefresh = Date.now();
    const limit = Math.min(100, Math.max(this.cards.size, 1));
    try {
      const page = await this.api.list({ limit, q: this.filters.q || undefined, status: this.filters.status || undefined });
      if (generation !== this.generation) return;
      for (const image of page.items || []) if (this.cards.has(image.id)) this.upsert(image);
      this.scheduleUrlRefresh();
    } catch (err) {
      if (err.name !== "AbortError") console.warn("refreshing image URLs", err.message);
    }
  }

  /** One timer for the whole gallery: fires shortly before the earliest embedded URL expires. */
  scheduleUrlRefresh() {
    clearTimeout(this.urlTimer);
    const expiries = [...this.cards.values()]
      .map((card) => Date.parse(card.image.srcset?.[0]?.expires_at || card.image.renditions?.thumbnail?.expires_at || ""))
      .filter((t) => !Number.isNaN(t));
    if (!expiries.length) return;
    const due = Math.max(Math.min(...expiries) - URL_REFRESH_MARGIN_MS - Date.now(), 5_000);
    this.urlTimer = setTimeout(() => this.refreshUrls(), Math.min(due, 2 ** 31 - 1));
  }

  /** A thumbnail failed (its URL expired while the tab slept, say): re-read the list. Failures
   * close together share one re-read, and re-reads are at least URL_REFRESH_MIN_GAP_MS apart. */
  thumbFailed(card) {
    card.thumb.replaceChildren(h("span", { class: "card__placeholder", "aria-hidden": "true", text: "?" }));
    card.thumbFor = null;
    if (this.refreshSoon) return;
    const wait = Math.max(250, this.lastUrlRefresh + URL_REFRESH_MIN_GAP_MS - Date.now());
    this.refreshSoon = setTimeout(() => { this.refreshSoon = null; this.refreshUrls(); }, wait);
  }

  updateSummary() {
    const n = this.cards.size;
    const filtered = this.filters.q || this.filters.status;
    if (n === 0) {
      this.summary.textContent = filtered ? "No images match your search." : "No images yet. Upload one above to get started.";
    } else {
      const more = this.cursor ? "+" : "";
      this.summary.textContent = `${n}${more} image${n === 1 && !more ? "" : "s"}${filtered ? " match" + (n === 1 && !more ? "es" : "") : ""}`;
    }
  }

  matches(image) {
    const { q, status } = this.filters;
    if (status && image.status !== status) return false;
    if (q && !String(image.title).toLowerCase().includes(q.toLowerCase())) return false;
    return true;
  }

  /** Adds or updates the card of `image`. New images go first (newest first). */
  upsert(image) {
    const existing = this.cards.get(image.id);
    if (existing) {
      if (!this.matches(image) && this.filters.status) { this.remove(image.id); return; }
      this.update(existing, image);
    } else if (this.matches(image)) {
      this.add(image, "start");
      this.updateSummary();
    }
  }

  remove(id) {
    const card = this.cards.get(id);
    if (!card) return;
    card.el.remove();
    this.cards.delete(id);
    this.updateSummary();
  }

  get(id) { return this.cards.get(id)?.image; }

  button(id) { return this.cards.get(id)?.el.querySelector(".card__open"); }

  add(image, where) {
    if (this.cards.has(image.id)) { this.update(this.cards.get(image.id), image); return; }
    const thumb = h("span", { class: "card__thumb" });
    const open = h("button", { type: "button", class: "card__open", "aria-label": `Open ${image.title}` }, thumb);
    open.addEventListener("click", () => this.onOpen(image.id));
    const title = h("span", { class: "card__title" });
    const meta = h("span", { class: "card__meta" });
    const el = h("li", { class: "card", dataset: { id: image.id } }, open,
      h("div", { class: "card__info" }, title, meta));
    const card = { image, el, thumb, open, title, meta, thumbFor: null };
    this.cards.set(image.id, card);
    if (where === "start") this.list.prepend(el); else this.list.append(el);
    this.update(card, image);
  }

  update(card, image) {
    const previous = card.image;
    card.image = image;
    card.el.dataset.status = image.status;
    card.title.textContent = image.title;
    card.title.title = image.title;
    card.open.setAttribute("aria-label", `Open ${image.title}`);
    const details = image.status === "ready" && image.width ? `${image.width} × ${image.height}` : "";
    card.meta.replaceChildren(statusBadge(image.status), details ? h("span", { class: "card__dims", text: details }) : "");
    const img = card.thumb.querySelector("img");
    if (img) img.alt = image.title;
    if (image.status !== "ready") {
      card.thumb.replaceChildren(h("span", { class: `card__placeholder card__placeholder--${image.status}`, "aria-hidden": "true" },
        image.status === "pending" ? h("span", { class: "spinner" }) : "!"));
      card.thumbFor = null;
    } else if (image.srcset?.length) {
      this.showResponsive(card, image);
    } else if (image.renditions?.thumbnail) {
      this.showThumb(card, image.renditions.thumbnail);
    } else if (!img || card.thumbFor !== image.updated_at || previous.status !== "ready") {
      this.queueThumb(card); // a server that embeds no URLs: ask the download route
    }
  }

  showThumb(card, thumbnail) {
    if (card.thumbFor === thumbnail.url) return; // same signed URL: the <img> already shows it
    card.thumbFor = thumbnail.url;
    // width/height reserve the box before the bytes arrive (no layout shift); lazy: off-screen
    // cards cost nothing until scrolled to.
    const img = h("img", { alt: card.image.title, loading: "lazy", decoding: "async", width: thumbnail.width,
      height: thumbnail.height, src: thumbnail.url });
    img.addEventListener("load", () => img.classList.add("is-loaded"), { once: true });
    img.addEventListener("error", () => { if (card.thumbFor === thumbnail.url) this.thumbFailed(card); }, { once: true });
    card.thumb.replaceChildren(img);
  }

  /** The card's picture from the image's srcset: `sizes` is the width the picture is drawn at
   * (object-fit: cover in the card's box), the candidates those that cover it at this device pixel
   * ratio and wider (srcset.js says why), `src` the narrowest of them for browsers without srcset. */
  showResponsive(card, image) {
    const key = image.srcset[0].url; // one signature per image and window: it names the whole set
    card.responsive = image.srcset;
    if (card.thumbFor === key) { this.size(card); return; }
    card.thumbFor = key;
    const shape = image.renditions?.thumbnail || image; // width/height reserve the box (no layout shift)
    const img = h("img", { alt: image.title, loading: "lazy", decoding: "async", width: shape.width, height: shape.height });
    this.size(card, img);
    img.addEventListener("load", () => img.classList.add("is-loaded"), { once: true });
    img.addEventListener("error", () => { if (card.thumbFor === key) this.thumbFailed(card); }, { once: true });
    card.thumb.replaceChildren(img);
  }

  size(card, img = card.thumb.querySelector("img")) {
    if (!img || !card.responsive) return;
    const aspect = card.image.width && card.image.height ? card.image.width / card.image.height : 0;
    const drawn = Math.ceil(coverWidth(this.thumbBox(card), aspect)) || 256; // before layout: a card's width
    const offered = candidates(card.responsive, drawn, window.devicePixelRatio || 1);
    const sizes = `${drawn}px`;
    const srcset = srcsetAttribute(offered);
    if (img.getAttribute("sizes") !== sizes) img.setAttribute("sizes", sizes);
    if (img.getAttribute("srcset") !== srcset) img.setAttribute("srcset", srcset);
    if (img.getAttribute("src") !== offered[0].url) img.setAttribute("src", offered[0].url);
  }

  thumbBox(card) {
    if (!this.box || !this.box.width) {
      const rect = card.thumb.getBoundingClientRect(); // every card's box is the same grid cell
      this.box = { width: rect.width, height: rect.height };
    }
    return this.box;
  }

  resized() {
    this.box = null;
    for (const card of this.cards.values()) if (card.responsive && card.image.status === "ready") this.size(card);
  }

  queueThumb(card) {
    card.thumbFor = card.image.updated_at;
    this.thumbQueue.push({ card, generation: this.generation });
    this.pumpThumbs();
  }

  pumpThumbs() {
    while (this.thumbActive < THUMB_CONCURRENCY && this.thumbQueue.length) {
      const { card, generation } = this.thumbQueue.shift();
      if (generation !== this.generation || !this.cards.has(card.image.id)) continue;
      this.thumbActive++;
      this.api.downloadUrl(card.image.id, { variant: "thumbnail" })
        .then(({ url }) => {
          if (generation !== this.generation) return;
          const img = h("img", { alt: card.image.title, loading: "lazy", decoding: "async", src: url });
          img.addEventListener("load", () => img.classList.add("is-loaded"), { once: true });
          img.addEventListener("error", () => card.thumb.replaceChildren(
            h("span", { class: "card__placeholder", "aria-hidden": "true", text: "?" })), { once: true });
          card.thumb.replaceChildren(img);
        })
        .catch((err) => {
          card.thumb.replaceChildren(h("span", { class: "card__placeholder", "aria-hidden": "true", text: "?" }));
          if (err.status !== 409 && err.status !== 404) console.warn("thumbnail", card.image.id, err.message);
        })
        .finally(() => { this.thumbActive--; this.pumpThumbs(); });
    }
  }
}
