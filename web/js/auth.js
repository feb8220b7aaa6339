// Sign-in. "local": the local gateway's development issuer (GET /_local/token?sub=NAME).
// "cognito": the deployed stack's hosted UI, authorization code + PKCE (web/auth/pkce.js).
import { createCognitoAuth } from "../auth/pkce.js";
import { toProblem } from "./problem.js";

const USER_KEY = "imageapi.localUser";

function storedUser() {
  try { return localStorage.getItem(USER_KEY) || "dev"; } catch { return "dev"; }
}

export class LocalAuth {
  constructor(baseUrl) {
    this.mode = "local";
    this.baseUrl = String(baseUrl || "").replace(/\/+$/, "");
    this.user = storedUser();
    this._token = null;
    this._pending = null;
    this._pendingUser = null;
  }

  get canSwitchUser() { return true; }

  async token() { return this._token || this.refresh(); }

  refresh() {
    // One request at a time per user: concurrent 401s share a refresh. A switch of user while the
    // previous user's token is on its way starts its own request: sharing that one handed the new
    // user the old user's token (and gallery).
    if (!this._pending || this._pendingUser !== this.user) {
      const pending = this._fetchToken(this.user).finally(() => {
        if (this._pending === pending) this._pending = null;
      });
      this._pending = pending;
      this._pendingUser = this.user;
    }
    return this._pending;
  }

  async _fetchToken(user) {
    let res;
    try {
      res = await fetch(`${this.baseUrl}/_local/token?sub=${encodeURIComponent(user)}`);
    } catch {
      throw Object.assign(new Error("The local token endpoint could not be reached."), {
        problem: { title: "Sign-in failed", detail: "The local token endpoint could not be reached.", status: 0, errors: [] },
      });
    }
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    if (!res.ok || !body?.token) {
      const problem = toProblem(res.status, body);
      throw Object.assign(new Error(problem.detail || problem.title), { problem: { ...problem, title: "Sign-in failed" } });
    }
    if (user === this.user) this._token = body.token; // not a token for a user switched away from
    return body.token;
  }

  setUser(name) {
    this.user = String(name || "").trim() || "dev";
    try { localStorage.setItem(USER_KEY, this.user); } catch { /* private mode */ }
    this._token = null;
  }
}

export function createAuth(config) {
  const mode = config?.auth?.mode || "local";
  if (mode === "local") return new LocalAuth(config.apiUrl);
  // The deployed stack: authorization-code flow with PKCE against Cognito's hosted UI.
  if (mode === "cognito") return createCognitoAuth(config.auth);
  throw new Error(`unknown auth mode ${JSON.stringify(mode)} in config.json`);
}
