// web/auth/pkce.js under `node --test tests/js` (Node 20+, no packages).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AuthConfigError,
  AuthError,
  PkceAuth,
  base64UrlEncode,
  buildAuthorizeUrl,
  buildLogoutUrl,
  checkState,
  codeChallengeS256,
  decodeJwtPayload,
  exchangeCode,
  randomString,
  refreshTokens,
  validateConfig,
} from "../../web/auth/pkce.js";

const DOMAIN = "image-api-dev-123456789012.auth.eu-west-1.amazoncognito.com";
const GOOD = {
  mode: "cognito",
  region: "eu-west-1",
  userPoolId: "eu-west-1_AbCdEfGhI",
  clientId: "1example23456789abcdefghij",
  domain: DOMAIN,
  redirectUri: "https://d111111abcdef8.cloudfront.net/",
};

// RFC 7636, Appendix B.
const RFC_OCTETS = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
  105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

function jwt(claims) {
  const enc = (o) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(o)));
  return `${enc({ alg: "RS256" })}.${enc(claims)}.c2ln`;
}

class FakeStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

function fakeBrowser(href = GOOD.redirectUri) {
  const calls = { assigned: [], replaced: [], fetches: [] };
  const location = { href, assign: (url) => calls.assigned.push(url) };
  const history = { replaceState: (_s, _t, url) => calls.replaced.push(url) };
  return { calls, location, history, storage: new FakeStorage() };
}

function tokenResponse(body, status = 200) {
  return { ok: status >= 200 && status < 300, status, json: async () => body };
}

// ---------------------------------------------------------------- PKCE

test("base64url of the RFC 7636 appendix B octets is its code_verifier", () => {
  assert.equal(base64UrlEncode(Uint8Array.from(RFC_OCTETS)), RFC_VERIFIER);
});

test("S256 challenge of the RFC 7636 appendix B verifier", async () => {
  assert.equal(await codeChallengeS256(RFC_VERIFIER), RFC_CHALLENGE);
});

test("verifiers are 43+ unreserved characters and differ every time", async () => {
  const a = randomString(32);
  const b = randomString(32);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.match(await codeChallengeS256(a), /^[A-Za-z0-9_-]{43}$/);
});

test("a verifier outside RFC 7636 §4.1 is refused", async () => {
  await assert.rejects(codeChallengeS256("short"), AuthError);
  await assert.rejects(codeChallengeS256(`${"a".repeat(42)}+`), AuthError);
  await assert.rejects(codeChallengeS256("a".repeat(129)), AuthError);
});

// ---------------------------------------------------------------- state

test("state check: equal strings only, never empty", () => {
  assert.equal(checkState("abc123", "abc123"), true);
  assert.equal(checkState("abc123", "abc124"), false);
  assert.equal(checkState("abc123", "abc1234"), false);
  assert.equal(checkState("", ""), false);
  assert.equal(checkState(null, "x"), false);
  assert.equal(checkState("x", undefined), false);
});

// ---------------------------------------------------------------- configuration

test("a Cognito config normalises to the hosted UI endpoints", () => {
  const cfg = validateConfig(GOOD);
  assert.equal(cfg.authorizeEndpoint, `https://${DOMAIN}/oauth2/authorize`);
  assert.equal(cfg.tokenEndpoint, `https://${DOMAIN}/oauth2/token`);
  assert.equal(cfg.logoutEndpoint, `https://${DOMAIN}/logout`);
  assert.equal(cfg.logoutUri, GOOD.redirectUri);
  assert.deepEqual(cfg.scopes, ["openid", "email", "profile"]);
  assert.equal(cfg.tokenUse, "access");
  assert.equal(cfg.storage, "session");
  assert.ok(Object.isFrozen(cfg));
});

test("domain may be given with https:// and a trailing slash", () => {
  assert.equal(validateConfig({ ...GOOD, domain: `https://${DOMAIN}/` }).domain, DOMAIN);
});

test("another OIDC provider by explicit endpoints", () => {
  const cfg = validateConfig({
    clientId: "web", redirectUri: "http://localhost:3000/", scopes: "openid profile",
    authorizeEndpoint: "https://id.example.com/authorize", tokenEndpoint: "https://id.example.com/token",
  });
  assert.equal(cfg.logoutEndpoint, null);
  assert.deepEqual(cfg.scopes, ["openid", "profile"]);
  assert.equal(buildLogoutUrl(cfg), null);
});

test("every problem of a bad config is reported at once", () => {
  let error;
  try {
    validateConfig({ mode: "cognito", domain: "not a host/", redirectUri: "http://evil.example/", scopes: ["email"],
      tokenUse: "both", storage: "local" });
  } catch (err) { error = err; }
  assert.ok(error instanceof AuthConfigError);
  const text = error.errors.join("\n");
  for (const expected of ["clientId is required", "domain must be", "redirectUri must use https", 'include "openid"',
    "tokenUse", "storage"]) {
    assert.ok(text.includes(expected), `missing ${expected} in ${text}`);
  }
});

test("config validation rejects the local mode, missing endpoints, fragments and non-objects", () => {
  assert.throws(() => validateConfig({ ...GOOD, mode: "local" }), /mode must be "cognito"/);
  assert.throws(() => validateConfig({ ...GOOD, domain: undefined }), /domain \(Cognito\) or both/);
  assert.throws(() => validateConfig({ ...GOOD, redirectUri: "https://x.example/#a" }), /fragment/);
  assert.throws(() => validateConfig({ ...GOOD, redirectUri: "/relative" }), /absolute URL/);
  assert.throws(() => validateConfig({ ...GOOD, tokenEndpoint: "http://id.example.com/token" }), /https/);
  assert.throws(() => validateConfig(null), AuthConfigError);
});

// ---------------------------------------------------------------- URLs

test("authorize URL carries the code flow, PKCE S256, state, scopes and redirect", () => {
  const cfg = validateConfig(GOOD);
  const url = new URL(buildAuthorizeUrl(cfg, { state: "st4te", codeChallenge: RFC_CHALLENGE }));
  assert.equal(url.origin + url.pathname, `https://${DOMAIN}/oauth2/authorize`);
  const q = Object.fromEntries(url.searchParams);
  assert.deepEqual(q, {
    response_type: "code",
    client_id: GOOD.clientId,
    redirect_uri: GOOD.redirectUri,
    scope: "openid email profile",
    state: "st4te",
    code_challenge: RFC_CHALLENGE,
    code_challenge_method: "S256",
  });
  assert.throws(() => buildAuthorizeUrl(cfg, { state: "", codeChallenge: "x" }), AuthError);
});

test("logout URL names the client and where to come back", () => {
  const url = new URL(buildLogoutUrl(validateConfig({ ...GOOD, logoutUri: "http://localhost:3000/" })));
  assert.equal(url.origin + url.pathname, `https://${DOMAIN}/logout`);
  assert.equal(url.searchParams.get("client_id"), GOOD.clientId);
  assert.equal(url.searchParams.get("logout_uri"), "http://localhost:3000/");
});

// ---------------------------------------------------------------- token endpoint

test("code exchange posts a form with the verifier to the token endpoint", async () => {
  const cfg = validateConfig(GOOD);
  let seen;
  const fetchImpl = async (url, init) => {
    seen = { url, init };
    return tokenResponse({ access_token: "A", id_token: "I", refresh_token: "R", expires_in: 3600 });
  };
  const tokens = await exchangeCode(cfg, { code: "c0de", codeVerifier: RFC_VERIFIER }, fetchImpl, () => 1000);
  assert.equal(seen.url, `https://${DOMAIN}/oauth2/token`);
  assert.equal(seen.init.method, "POST");
  assert.equal(seen.init.headers["content-type"], "application/x-www-form-urlencoded");
  assert.deepEqual(Object.fromEntries(new URLSearchParams(seen.init.body)), {
    grant_type: "authorization_code", client_id: GOOD.clientId, code: "c0de",
    redirect_uri: GOOD.redirectUri, code_verifier: RFC_VERIFIER,
  });
  assert.deepEqual(tokens, { accessToken: "A", idToken: "I", refreshToken: "R", expiresAt: 1000 + 3600 * 1000 });
});

test("a refused exchange is an AuthError with the provider's reason", async () => {
  const cfg = validateConfig(GOOD);
  const fetchImpl = async () => tokenResponse({ error: "invalid_grant" }, 400);
  await assert.rejects(exchangeCode(cfg, { code: "x", codeVerifier: RFC_VERIFIER }, fetchImpl),
    (err) => err instanceof AuthError && /invalid_grant/.test(err.message) && err.problem.status === 400);
});

test("refresh keeps the refresh token when the provider does not rotate it", async () => {
  const cfg = validateConfig(GOOD);
  const fetchImpl = async (_url, init) => {
    assert.equal(new URLSearchParams(init.body).get("grant_type"), "refresh_token");
    return tokenResponse({ access_token: "A2", expires_in: 60 });
  };
  const tokens = await refreshTokens(cfg, "R", fetchImpl, () => 0);
  assert.equal(tokens.refreshToken, "R");
  assert.equal(tokens.accessToken, "A2");
});

// ---------------------------------------------------------------- the page-facing object

test("sign-in round trip: redirect with PKCE, come back, exchange, clean the URL", async () => {
  const b = fakeBrowser();
  let now = 5000;
  const idToken = jwt({ sub: "abc", email: "ada@example.com" });
  let form;
  const fetchImpl = async (_url, init) => {
    form = new URLSearchParams(init.body);
    return tokenResponse({ access_token: "ACCESS", id_token: idToken, refresh_token: "R", expires_in: 3600 });
  };
  const auth = new PkceAuth(GOOD, { ...b, fetch: fetchImpl, now: () => now });
  assert.equal(auth.signedIn, false);
  assert.equal(auth.canSwitchUser, false);
  assert.equal((await auth.init()).signedIn, false);

  await auth.signIn();
  const authorize = new URL(b.calls.assigned[0]);
  const state = authorize.searchParams.get("state");
  const challenge = authorize.searchParams.get("code_challenge");
  // Nothing sensitive in localStorage: the pending verifier is in the (session) storage given.
  const pending = JSON.parse(b.storage.getItem("imageapi.auth.pending"));
  assert.equal(await codeChallengeS256(pending.verifier), challenge);

  // The hosted UI sends the browser back; a new page load builds a new object.
  now += 30_000;
  const back = fakeBrowser(`${GOOD.redirectUri}?code=THECODE&state=${state}`);
  back.storage = b.storage;
  const auth2 = new PkceAuth(GOOD, { ...back, fetch: fetchImpl, now: () => now });
  assert.deepEqual(await auth2.init(), { signedIn: true, user: "ada@example.com" });
  assert.equal(form.get("code"), "THECODE");
  assert.equal(form.get("code_verifier"), pending.verifier);
  assert.deepEqual(back.calls.replaced, ["/"]);
  assert.equal(back.storage.getItem("imageapi.auth.pending"), null);
  assert.equal(await auth2.token(), "ACCESS");
  assert.equal(auth2.user, "ada@example.com");
});

test("a redirect whose state does not match is refused and exchanges nothing", async () => {
  const b = fakeBrowser(`${GOOD.redirectUri}?code=C&state=forged`);
  b.storage.setItem("imageapi.auth.pending", JSON.stringify({ state: "real", verifier: RFC_VERIFIER, createdAt: 0 }));
  let fetched = false;
  const auth = new PkceAuth(GOOD, { ...b, fetch: async () => { fetched = true; }, now: () => 1 });
  await assert.rejects(auth.init(), /did not match/);
  assert.equal(fetched, false);
  assert.equal(auth.signedIn, false);
});

test("a stale pending sign-in (over 10 minutes) is refused", async () => {
  const b = fakeBrowser(`${GOOD.redirectUri}?code=C&state=s`);
  b.storage.setItem("imageapi.auth.pending", JSON.stringify({ state: "s", verifier: RFC_VERIFIER, createdAt: 0 }));
  const auth = new PkceAuth(GOOD, { ...b, fetch: async () => tokenResponse({}), now: () => 11 * 60 * 1000 });
  await assert.rejects(auth.init(), /did not match/);
});

test("an error from the hosted UI is reported", async () => {
  const b = fakeBrowser(`${GOOD.redirectUri}?error=access_denied&error_description=nope&state=s`);
  const auth = new PkceAuth(GOOD, { ...b, fetch: async () => tokenResponse({}) });
  await assert.rejects(auth.init(), /nope/);
});

test("near expiry the token is refreshed; without a refresh token a sign-in starts", async () => {
  const b = fakeBrowser();
  b.storage.setItem("imageapi.auth.tokens", JSON.stringify({ accessToken: "OLD", refreshToken: "R", expiresAt: 10_000 }));
  const auth = new PkceAuth(GOOD, {
    ...b, now: () => 9_999, fetch: async () => tokenResponse({ access_token: "NEW", expires_in: 3600 }),
  });
  assert.equal(await auth.token(), "NEW");

  const c = fakeBrowser();
  const signedOut = new PkceAuth(GOOD, { ...c, fetch: async () => tokenResponse({}) });
  await assert.rejects(signedOut.token(), (err) => err.redirecting === true);
  assert.ok(c.calls.assigned[0].startsWith(`https://${DOMAIN}/oauth2/authorize?`));
});

test("sign-out forgets the tokens and goes to the logout endpoint", () => {
  const b = fakeBrowser();
  b.storage.setItem("imageapi.auth.tokens", JSON.stringify({ accessToken: "A", expiresAt: 1e15 }));
  const auth = new PkceAuth(GOOD, b);
  assert.equal(auth.signedIn, true);
  auth.signOut();
  assert.equal(auth.signedIn, false);
  assert.equal(b.storage.getItem("imageapi.auth.tokens"), null);
  assert.ok(b.calls.assigned[0].startsWith(`https://${DOMAIN}/logout?`));
});

test('storage "memory" keeps tokens out of sessionStorage', async () => {
  const b = fakeBrowser(`${GOOD.redirectUri}?code=C&state=s`);
  b.storage.setItem("imageapi.auth.pending", JSON.stringify({ state: "s", verifier: RFC_VERIFIER, createdAt: 0 }));
  const auth = new PkceAuth({ ...GOOD, storage: "memory" }, {
    ...b, now: () => 1, fetch: async () => tokenResponse({ access_token: "A", expires_in: 3600 }),
  });
  await auth.init();
  assert.equal(await auth.token(), "A");
  assert.equal(b.storage.getItem("imageapi.auth.tokens"), null);
});

test("the ID token is sent instead when tokenUse is id; JWT payloads decode", async () => {
  const idToken = jwt({ sub: "s1", "cognito:username": "u1" });
  const b = fakeBrowser();
  b.storage.setItem("imageapi.auth.tokens", JSON.stringify({ accessToken: "A", idToken, expiresAt: 1e15 }));
  const auth = new PkceAuth({ ...GOOD, tokenUse: "id" }, b);
  assert.equal(await auth.token(), idToken);
  assert.equal(auth.user, "u1");
  assert.deepEqual(decodeJwtPayload("garbage"), {});
});

test("the module never touches localStorage", async () => {
  const source = await (await import("node:fs/promises")).readFile(new URL("../../web/auth/pkce.js", import.meta.url), "utf8");
  assert.equal(/localStorage\s*[.[]/.test(source), false);
});
