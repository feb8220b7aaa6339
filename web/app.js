// Entry point: reads config.json, signs in, and wires the page's parts together.
import { $, h } from "./js/dom.js";
import { Api } from "./js/api.js";
import { createAuth } from "./js/auth.js";
import { Messages } from "./js/messages.js";
import { Gallery } from "./js/gallery.js";
import { Tasks } from "./js/tasks.js";
import { Trash } from "./js/trash.js";
import { Webhooks } from "./js/webhooks.js";
import { acceptAttribute, describeTypes, loadFileTypes } from "./js/upload.js";
import { Viewer } from "./js/viewer.js";
import { debounce, formatBytes, parseResize, titleFromFilename, titleFromUrl, validateTitle } from "./js/util.js";

const DEFAULT_CONFIG = { apiUrl: "", auth: { mode: "local" } };

async function loadConfig() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) return DEFAULT_CONFIG;
    const config = await res.json();
    return { ...DEFAULT_CONFIG, ...config, auth: { ...DEFAULT_CONFIG.auth, ...(config.auth || {}) } };
  } catch {
    return DEFAULT_CONFIG;
  }
}

function readResize(messages) {
  const { value, errors } = parseResize({
    width: $("#resize-width").value, height: $("#resize-height").value, fit: $("#resize-fit").value,
  });
  if (errors.length) {
    $("#resize-options").open = true;
    messages.show("error", "Check the target size", "", errors);
    return { ok: false };
  }
  return { ok: true, value };
}

function setupUploads({ tasks, messages }) {
  const input = $("#file-input");
  const zone = $("#drop-zone");
  const form = $("#staged-form");
  const list = $("#staged-list");
  let staged = [];
  let nextId = 0;

  const render = () => {
    form.hidden = staged.length === 0;
    $("#upload-button").textContent = staged.length === 1 ? "Upload 1 file" : `Upload ${staged.length} files`;
    list.replaceChildren(...staged.map((item) => {
      const inputId = `staged-title-${item.id}`;
      const titleInput = h("input", { id: inputId, class: "staged__input", value: item.title, maxlength: "200", autocomplete: "off", required: true });
      titleInput.value = item.title;
      titleInput.addEventListener("input", () => { item.title = titleInput.value; });
      const remove = h("button", { type: "button", class: "icon-button icon-button--small", "aria-label": `Remove ${item.file.name}` }, "×");
      remove.addEventListener("click", () => {
        staged = staged.filter((s) => s !== item);
        render();
        (list.querySelector("input") || $("#pick-files")).focus();
      });
      return h("li", { class: "staged__item" },
        h("div", { class: "field staged__field" },
          h("label", { for: inputId }, "Title ", h("span", { class: "muted", text: `for ${item.file.name} · ${formatBytes(item.file.size)}` })),
          titleInput),
        remove);
    }));
  };

  const addFiles = (files) => {
    for (const file of files) staged.push({ id: nextId++, file, title: titleFromFilename(file.name) });
    render();
    if (files.length) list.querySelector(".staged__item:last-child input")?.focus();
  };

  $("#pick-files").addEventListener("click", () => input.click());
  input.addEventListener("change", () => { addFiles(Array.from(input.files || [])); input.value = ""; });
  $("#clear-staged").addEventListener("click", () => { staged = []; render(); $("#pick-files").focus(); });

  // Drag and drop: anywhere on the drop zone; the whole page ignores stray drops.
  let depth = 0;
  zone.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; zone.classList.add("is-dragover"); });
  zone.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; zone.classList.remove("is-dragover"); } });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove("is-dragover");
    addFiles(Array.from(e.dataTransfer?.files || []));
  });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    for (const item of staged) {
      const problem = validateTitle(item.title);
      if (problem) {
        messages.show("error", `Check the title for ${item.file.name}`, problem);
        document.getElementById(`staged-title-${item.id}`)?.focus();
        return;
      }
    }
    const resize = readResize(messages);
    if (!resize.ok) return;
    const batch = staged;
    staged = [];
    render();
    $("#pick-files").focus();
    // Each file runs on its own; a failure of one never stops the others.
    for (const item of batch) tasks.uploadFile(item.file, item.title.trim(), resize.value);
  });
}

function setupImport({ tasks, messages }) {
  const form = $("#import-form");
  const urlInput = $("#import-url");
  const titleInput = $("#import-title");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const url = urlInput.value.trim();
    let parsed = null;
    try { parsed = new URL(url); } catch { /* invalid */ }
    if (!parsed || !/^https?:$/.test(parsed.protocol)) {
      urlInput.setAttribute("aria-invalid", "true");
      messages.show("error", "Check the URL", "Enter a full http:// or https:// address of an image.");
      urlInput.focus();
      return;
    }
    urlInput.removeAttribute("aria-invalid");
    const title = titleInput.value.trim() || titleFromUrl(url);
    const problem = validateTitle(title);
    if (problem) { messages.show("error", "Check the title", problem); titleInput.focus(); return; }
    const resize = readResize(messages);
    if (!resize.ok) return;
    form.reset();
    tasks.importUrl(url, title, resize.value);
  });
}

function setupSearch(gallery) {
  const search = $("#search");
  const status = $("#status-filter");
  const apply = () => gallery.setFilters({ q: search.value.trim(), status: status.value });
  const debounced = debounce(apply, 300);
  search.addEventListener("input", debounced);
  status.addEventListener("change", apply);
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); debounced.cancel(); apply(); });
}

function setupUser({ auth, gallery, messages }) {
  const form = $("#user-form");
  const status = $("#auth-status");
  if (!auth.canSwitchUser) {
    status.hidden = false;
    status.textContent = auth.user ? `Signed in as ${auth.user}` : "";
    const signOut = $("#sign-out");
    signOut.hidden = false;
    signOut.addEventListener("click", () => auth.signOut());
    return;
  }
  const input = $("#user-name");
  form.hidden = false;
  input.value = auth.user;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) { messages.show("error", "Enter a user name"); input.focus(); return; }
    if (name === auth.user) return;
    auth.setUser(name);
    try {
      await auth.refresh();
      messages.success(`Signed in as ${name}`, "You now see only this user's images.");
    } catch (err) {
      messages.problem(err);
    }
    gallery.reload();
  });
}

async function main() {
  const config = await loadConfig();
  const messages = new Messages($("#messages"));
  let auth;
  try {
    auth = createAuth(config);
  } catch (err) {
    messages.show("error", "The page is misconfigured", err.message);
    return;
  }
  if (auth.mode === "cognito") {
    try {
      await auth.init(); // completes a hosted-UI redirect (?code=&state=) if this is one
      if (!auth.signedIn) { await auth.signIn(); return; } // navigates to the sign-in page
    } catch (err) {
      messages.problem(err, "Sign-in failed");
      return;
    }
  }
  // The accepted types, from the server's format registry: the picker and the drop zone's hint.
  loadFileTypes(config.apiUrl).then((types) => {
    if (!Object.keys(types).length) return;
    $("#file-input").setAttribute("accept", acceptAttribute(types));
    $("#file-types-hint").textContent = `${describeTypes(types)}. Each file's title starts as its name.`;
  });
  const api = new Api({
    baseUrl: config.apiUrl,
    auth,
    onSessionExpired: () => messages.info("Session expired", "Signing in again…"),
  });
  const viewer = { open: () => {} };
  const gallery = new Gallery({
    api, messages, list: $("#gallery"), loadMore: $("#load-more"), summary: $("#gallery-summary"),
    onOpen: (id) => viewer.open(id, gallery.button(id)),
  });
  const tasks = new Tasks({ api, messages, gallery, list: $("#activity"), wrap: $("#activity-wrap") });
  const trash = new Trash({ api, messages, gallery });
  new Webhooks({ api, messages });
  const realViewer = new Viewer({ api, messages, gallery, onDeleted: (image) => trash.deleted(image) });
  viewer.open = (id, opener) => realViewer.open(id, opener);

  setupUser({ auth, gallery, messages });
  setupUploads({ tasks, messages });
  setupImport({ tasks, messages });
  setupSearch(gallery);
  document.body.dataset.ready = "true";
  await gallery.reload();
}

main();
