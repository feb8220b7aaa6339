// Cloud sign-in for the web page: OAuth 2.0 authorization-code flow with PKCE (RFC 7636, S256)
// against the Cognito hosted UI (or any OIDC provider given its endpoints). Plain ES module, no
// build step, no dependencies: runs in browsers and under `node --test` (Node 20+).
//
// Tokens live in sessionStorage (this tab only, gone when it closes) or, with
// {storage: "memory"}, in memory only; never in local storage. The API is documented in
// docs/deploy.md ("The web page's sign-in module").

export const DEFAULT_SCOPES = Object.freeze(["openid", "email", "profile"]);
const KEY_PREFIX = "imageapi.auth.";
const PENDING_KEY = `${KEY_PREFIX}pending`; // {state, verifier, createdAt} across the redirect
const TOKENS_KEY = `${KEY_PREFIX}tokens`;
const PENDING_MAX_AGE_MS = 10 * 60 * 1000;
const REFRESH_MARGIN_MS = 60 * 1000;

export class AuthConfigError extends Error {
  constructor(errors) {
    super(`invalid sign-in configuration: ${errors.join("; ")}`);
    this.name = "AuthConfigError";
    this.errors = errors;
  }
}

export class AuthError extends Error {
  constructor(message, { title = "Sign-in failed", status = 401, redirecting = false } = {}) {
    super(message);
    this.name = "AuthError";
    this.redirecting = redirecting;
    // The shape the page's message area shows (see web/js/problem.js).
    this.problem = { title, detail: message, status, errors: [] };
  }
}

// ---------------------------------------------------------------- encoding and PKCE

export function base64UrlEncode(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const b of view) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64UrlDecodeToString(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function cryptoOf(impl) {
  const c = impl || globalThis.crypto;
  if (!c?.getRandomValues || !c?.subtle) throw new AuthError("This browser has no Web Crypto API (needs HTTPS or localhost).");
  return c;
}

/** A fresh random string of `byteLength` random bytes, base64url: a code_verifier or a state. */
export function randomString(byteLength = 32, cryptoImpl) {
  const bytes = new Uint8Array(byteLength);
  cryptoOf(cryptoImpl).getRandomValues(bytes);
  return base64UrlEncode(bytes);
}

const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** code_challenge = BASE64URL(SHA-256(ASCII(code_verifier))) (RFC 7636 §4.2, method S256). */
export async function codeChallengeS256(verifier, cryptoImpl) {
  if (typeof verifier !== "string" || !VERIFIER_RE.test(verifier)) {
    throw new AuthError("code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)");
  }
  const digest = await cryptoOf(cryptoImpl).subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/** Compares the state that came back with the one sent; false when either is missing. */
export function checkState(expected, received) {
  if (typeof expected !== "string" || typeof received !== "string" || !expected || !received) return false;
  if (expected.length !== received.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i += 1) diff |= expected.charCodeAt(i) ^ received.charCodeAt(i);
  return diff === 0;
}

/** The claims of a JWT, unverified (the API verifies; the page only reads the user's name). */
export function decodeJwtPayload(token) {
  const parts = String(token || "").split(".");
  if (parts.length !== 3) return {};
  try { return JSON.parse(base64UrlDecodeToString(parts[1])); } catch { return {}; }
}

// ---------------------------------------------------------------- configuration

function parseUrl(value) {
  try { return new URL(value); } catch { return null; }
}

function isLoopback(url) {
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

function secureUrl(value, name, errors) {
  const url = typeof value === "string" ? parseUrl(value) : null;
  if (!url) { errors.push(`${name} must be an absolute URL`); return null; }
  if (url.protocol !== "https:" && !isLoopback(url)) errors.push(`${name} must use https (or http://localhost)`);
  if (url.hash) errors.push(`${name} must not have a #fragment`);
  return url;
}

/**
 * Checks config.auth (mode "cognito") and returns the normalised settings, or throws
 * AuthConfigError listing every problem. Accepted fields:
 *   clientId (required), redirectUri (required), domain (Cognito hosted UI host, e.g.
 *   "image-api-dev-123456789012.auth.eu-west-1.amazoncognito.com") or authorizeEndpoint +
 *   tokenEndpoint (+ logoutEndpoint) for another OIDC provider, logoutUri (default redirectUri),
 *   scopes (array or space-separated, must include "openid"), region, userPoolId,
 *   tokenUse ("access" default, or "id"), storage ("session" default, or "memory").
 */
export function validateConfig(auth) {
  const errors = [];
  if (!auth || typeof auth !== "object") throw new AuthConfigError(["config.auth must be an object"]);
  if (auth.mode !== undefined && auth.mode !== "cognito") errors.push(`mode must be "cognito", not ${JSON.stringify(auth.mode)}`);
  const clientId = typeof auth.clientId === "string" ? auth.clientId.trim() : "";
  if (!clientId) errors.push("clientId is required");
  else if (!/^[\w.:-]{1,128}$/.test(clientId)) errors.push("clientId has unexpected characters");

  let authorizeEndpoint = null;
  let tokenEndpoint = null;
  let logoutEndpoint = null;
  let domain = null;
  if (auth.domain) {
    const raw = String(auth.domain).trim().replace(/\/+$/, "");
    const url = parseUrl(/^https?:\/\//.test(raw) ? raw : `https://${raw}`);
    if (!url || url.protocol !== "https:" || url.pathname !== "/" || url.search || !url.hostname.includes(".")) {
      errors.push("domain must be a host name such as <prefix>.auth.<region>.amazoncognito.com");
    } else {
      domain = url.host;
      authorizeEndpoint = `https://${domain}/oauth2/authorize`;
      tokenEndpoint = `https://${domain}/oauth2/token`;
      logoutEndpoint = `https://${domain}/logout`;
    }
  }
  for (const [name, value] of [["authorizeEndpoint", auth.authorizeEndpoint], ["tokenEndpoint", auth.tokenEndpoint],
    ["logoutEndpoint", auth.logoutEndpoint]]) {
    if (value === undefined || value === null || value === "") continue;
    const url = secureUrl(value, name, errors);
    if (url && name === "authorizeEndpoint") authorizeEndpoint = url.href;
    if (url && name === "tokenEndpoint") tokenEndpoint = url.href;
    if (url && name === "logoutEndpoint") logoutEndpoint = url.href;
  }
  if (!authorizeEndpoint || !tokenEndpoint) {
    errors.push("domain (Cognito) or both authorizeEndpoint and tokenEndpoint are required");
  }

  const redirect = secureUrl(auth.redirectUri, "redirectUri", errors);
  const logout = auth.logoutUri ? secureUrl(auth.logoutUri, "logoutUri", errors) : redirect;

  let scopes = auth.scopes ?? DEFAULT_SCOPES;
  if (typeof scopes === "string") scopes = scopes.split(/\s+/).filter(Boolean);
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string" && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    errors.push("scopes must be a list of scope names");
    scopes = [];
  } else if (!scopes.includes("openid")) {
    errors.push('scopes must include "openid"');
  }
  const tokenUse = auth.tokenUse ?? "access";
  if (!["access", "id"].includes(tokenUse)) errors.push('tokenUse must be "access" or "id"');
  const storage = auth.storage ?? "session";
  if (!["session", "memory"].includes(storage)) errors.push('storage must be "session" or "memory"');

  if (errors.length) throw new AuthConfigError(errors);
  return Object.freeze({
    mode: "cognito",
    clientId,
    domain,
    region: auth.region || null,
    userPoolId: auth.userPoolId || null,
    authorizeEndpoint,
    tokenEndpoint,
    logoutEndpoint,
    redirectUri: redirect.href,
    logoutUri: logout.href,
    scopes: Object.freeze([...new Set(scopes)]),
    tokenUse,
    storage,
  });
}

// ---------------------------------------------------------------- URLs and the token endpoint

/** The hosted UI's authorize URL for one sign-in attempt. */
export function buildAuthorizeUrl(cfg, { state, codeChallenge }) {
  if (!state || !codeChallenge) throw new AuthError("state and codeChallenge are required");
  const url = new URL(cfg.authorizeEndpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", cfg.clientId);
  url.searchParams.set("redirect_uri", cfg.redirectUri);
  url.searchParams.set("scope", cfg.scopes.join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.href;
}

/** Cognito's logout URL (ends the hosted UI session, then returns to logoutUri); null without one. */
export function buildLogoutUrl(cfg) {
  if (!cfg.logoutEndpoint) return null;
  const url = new URL(cfg.logoutEndpoint);
  url.searchParams.set("client_id", cfg.clientId);
  url.searchParams.set("logout_uri", cfg.logoutUri);
  return url.href;
}

async function tokenRequest(cfg, form, fetchImpl, now) {
  let res;
  try {
    res = await fetchImpl(cfg.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      credentials: "omit",
    });
  } catch {
    throw new AuthError("The sign-in service could not be reached.", { status: 0 });
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok || !body?.access_token) {
    const reason = body?.error_description || body?.error || `HTTP ${res.status}`;
    throw new AuthError(`The sign-in service refused the request (${reason}).`, { status: res.status || 401 });
  }
  return {
    accessToken: body.access_token,
    idToken: body.id_token || null,
    refreshToken: body.refresh_token || null,
    expiresAt: now() + Math.max(0, Number(body.expires_in) || 3600) * 1000,
  };
}

/** Trades the authorization code for tokens, proving possession of the code_verifier. */
export function exchangeCode(cfg, { code, codeVerifier }, fetchImpl = globalThis.fetch, now = Date.now) {
  return tokenRequest(cfg, {
    grant_type: "authorization_code",
    client_id: cfg.clientId,
    code,
    redirect_uri: cfg.redirectUri,
    code_verifier: codeVerifier,
  }, fetchImpl, now);
}

/** New access/ID tokens from a refresh token (Cognito keeps the refresh token the same). */
export async function refreshTokens(cfg, refreshToken, fetchImpl = globalThis.fetch, now = Date.now) {
  const tokens = await tokenRequest(cfg, { grant_type: "refresh_token", client_id: cfg.clientId, refresh_token: refreshToken },
    fetchImpl, now);
  return { ...tokens, refreshToken: tokens.refreshToken || refreshToken };
}

// ---------------------------------------------------------------- the page-facing object

class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

function readJson(storage, key) {
  try { return JSON.parse(storage.getItem(key) || "null"); } catch { return null; }
}

/**
 * What app.js uses in "cognito" mode; the same surface as LocalAuth in web/js/auth.js:
 * mode, user, canSwitchUser, token(), refresh(), setUser(), plus init(), signIn(), signOut(),
 * signedIn. Call `await auth.init()` once at start-up, before the first API call.
 */
export class PkceAuth {
  constructor(authConfig, deps = {}) {
    this.config = validateConfig(authConfig);
    this.mode = "cognito";
    this._fetch = deps.fetch || ((...args) => globalThis.fetch(...args));
    this._crypto = deps.crypto || globalThis.crypto;
    this._location = deps.location || globalThis.location;
    this._history = deps.history || globalThis.history;
    this._now = deps.now || Date.now;
    // The PKCE verifier must survive the redirect, so it always uses sessionStorage (or the
    // injected storage); tokens use it too unless storage: "memory".
    this._session = deps.storage || globalThis.sessionStorage || new MemoryStorage();
    this._tokenStore = this.config.storage === "memory" ? new MemoryStorage() : this._session;
    this._tokens = readJson(this._tokenStore, TOKENS_KEY);
    this._pending = null;
  }

  get canSwitchUser() { return false; }

  get signedIn() { return Boolean(this._tokens?.accessToken); }

  /** The signed-in user's e-mail (or sub) from the ID token; "" when signed out. */
  get user() {
    const claims = decodeJwtPayload(this._tokens?.idToken || this._tokens?.accessToken);
    return claims.email || claims["cognito:username"] || claims.username || claims.sub || "";
  }

  setUser() { throw new AuthError("The user is whoever signed in; sign out to switch.", { status: 400 }); }

  /**
   * Completes a sign-in if the page was opened by the hosted UI's redirect (?code=&state= or
   * ?error=), then removes those parameters from the address bar. Resolves to
   * {signedIn, user}; rejects with AuthError on a state mismatch or a refused exchange.
   */
  async init() {
    const here = new URL(this._location.href);
    const code = here.searchParams.get("code");
    const error = here.searchParams.get("error");
    const state = here.searchParams.get("state");
    const errorDescription = here.searchParams.get("error_description");
    if (!code && !error) return { signedIn: this.signedIn, user: this.user };
    const pending = readJson(this._session, PENDING_KEY);
    this._session.removeItem(PENDING_KEY);
    for (const name of ["code", "state", "error", "error_description"]) here.searchParams.delete(name);
    this._history?.replaceState?.(null, "", here.pathname + here.search + here.hash);
    if (error) {
      throw new AuthError(`Sign-in was not completed (${errorDescription || error}).`);
    }
    if (!pending || !checkState(pending.state, state) || this._now() - pending.createdAt > PENDING_MAX_AGE_MS) {
      throw new AuthError("The sign-in response did not match a sign-in this tab started; sign in again.");
    }
    this._store(await exchangeCode(this.config, { code, codeVerifier: pending.verifier }, this._fetch, this._now));
    return { signedIn: true, user: this.user };
  }

  /** Starts a sign-in: remembers a fresh verifier + state in this tab, then goes to the hosted UI. */
  async signIn() {
    const verifier = randomString(32, this._crypto);
    const state = randomString(16, this._crypto);
    const codeChallenge = await codeChallengeS256(verifier, this._crypto);
    this._session.setItem(PENDING_KEY, JSON.stringify({ state, verifier, createdAt: this._now() }));
    const url = buildAuthorizeUrl(this.config, { state, codeChallenge });
    this._location.assign(url);
    return url;
  }

  /** Forgets the tokens and ends the hosted UI session (returns to logoutUri). */
  signOut() {
    this._tokens = null;
    this._tokenStore.removeItem(TOKENS_KEY);
    this._session.removeItem(PENDING_KEY);
    const url = buildLogoutUrl(this.config);
    if (url) this._location.assign(url);
    return url;
  }

  /** A bearer token for the API; refreshes near expiry; with no session, starts a sign-in. */
  async token() {
    const t = this._tokens;
    if (t?.accessToken && t.expiresAt - REFRESH_MARGIN_MS > this._now()) {
      return this.config.tokenUse === "id" && t.idToken ? t.idToken : t.accessToken;
    }
    return this.refresh();
  }

  /** Forces new tokens (after a 401): the refresh token if there is one, else a new sign-in. */
  refresh() {
    if (!this._pending) {
      this._pending = this._refresh().finally(() => { this._pending = null; });
    }
    return this._pending;
  }

  async _refresh() {
    const refreshToken = this._tokens?.refreshToken;
    if (refreshToken) {
      try {
        this._store(await refreshTokens(this.config, refreshToken, this._fetch, this._now));
        const t = this._tokens;
        return this.config.tokenUse === "id" && t.idToken ? t.idToken : t.accessToken;
      } catch (err) {
        if (err?.problem?.status === 0) throw err; // offline: keep the session, let the caller retry
      }
    }
    this._tokens = null;
    this._tokenStore.removeItem(TOKENS_KEY);
    await this.signIn();
    throw new AuthError("Redirecting to sign in…", { title: "Signing in", redirecting: true });
  }

  _store(tokens) {
    this._tokens = tokens;
    this._tokenStore.setItem(TOKENS_KEY, JSON.stringify(tokens));
  }
}

/** Validates config.auth and returns a PkceAuth (throws AuthConfigError on a bad config). */
export function createCognitoAuth(authConfig, deps) {
  return new PkceAuth(authConfig, deps);
}
