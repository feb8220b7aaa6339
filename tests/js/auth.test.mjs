// web/js/auth.js's local sign-in under `node --test tests/js`: the token request each user gets.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LocalAuth } from "../../web/js/auth.js";

/** A fetch whose answers the test releases one by one, recording what was asked. */
function heldFetch() {
  const asked = [];
  const waiting = [];
  const fetch = (url) =>
    new Promise((resolve) => {
      const sub = new URL(url).searchParams.get("sub");
      asked.push(sub);
      waiting.push(() => resolve({ ok: true, status: 200, json: async () => ({ token: `token-of-${sub}` }) }));
    });
  return { fetch, asked, release: () => waiting.shift()() };
}

test("a switch of user while the previous user's token is on its way gets its own token", async () => {
  const held = heldFetch();
  globalThis.fetch = held.fetch;
  const auth = new LocalAuth("http://127.0.0.1:3000");
  const first = auth.token(); // the page's first sign-in, as the stored user ("dev")
  auth.setUser("alice"); // the user switcher, before that answer came
  const second = auth.refresh();
  held.release();
  held.release();
  assert.equal(await first, "token-of-dev");
  assert.equal(await second, "token-of-alice");
  assert.deepEqual(held.asked, ["dev", "alice"]);
  assert.equal(await auth.token(), "token-of-alice"); // the kept token is alice's, not dev's
});

test("concurrent refreshes for one user share one request", async () => {
  const held = heldFetch();
  globalThis.fetch = held.fetch;
  const auth = new LocalAuth("http://127.0.0.1:3000");
  const a = auth.refresh();
  const b = auth.refresh();
  held.release();
  assert.equal(await a, await b);
  assert.deepEqual(held.asked, ["dev"]);
});
