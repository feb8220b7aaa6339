"""The local gateway: the template's HttpApi routes, the JWT authorizer and CORS as API Gateway
applies them, handlers called in-process with payload 2.0 events, the web page at `/`, and the
local-only `/_local/token` and `/_local/jwks.json`."""

from __future__ import annotations

import json
import logging
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from ..runtime.handlers import HandlerRegistry
from ..server import BackgroundServer
from ..template import FunctionSpec, HttpRoute, LocalTemplate
from . import accesslog
from .apigw import HttpRequest, build_http_event, http_response
from .auth import AuthError, LocalIssuer
from .throttle import TOO_MANY_REQUESTS_BODY, StageThrottle, too_many_requests_headers

log = logging.getLogger("local.edge.gateway")

PROBLEM_TYPE_BASE = "urn:image-api:problem:"  # the same URNs as imageapi.domain.errors
_LOCAL_ORIGINS = "http://127.0.0.1:* http://localhost:*"
WEB_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
        f"img-src 'self' blob: data: {_LOCAL_ORIGINS} https:; connect-src 'self' {_LOCAL_ORIGINS} https:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def problem(status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/problem+json")


def unauthorized(detail: str) -> Response:
    """The authorizer's 401 for a missing or invalid bearer token."""
    return problem(
        401, "unauthorized", "Missing or invalid token", detail, {"WWW-Authenticate": 'Bearer realm="image-api"'}
    )


# ---------------------------------------------------------------- routing


@dataclass
class CompiledRoute:
    route: HttpRoute
    function: FunctionSpec
    pattern: re.Pattern[str] | None  # None for $default
    params: list[str]
    specificity: tuple[int, ...]  # per segment: 0 literal, 1 {param}, 2 {greedy+}


def compile_route(route: HttpRoute, fn: FunctionSpec) -> CompiledRoute:
    if route.path == "$default":
        return CompiledRoute(route, fn, None, [], (3,))
    parts, params, kinds = [], [], []
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        m = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
        if m:
            params.append(m.group(1))
            greedy = bool(m.group(2))
            parts.append(f"(?P<p{len(params) - 1}>{'.+' if greedy else '[^/]+'})")
            kinds.append(2 if greedy else 1)
        else:
            parts.append(re.escape(segment))
            kinds.append(0)
    return CompiledRoute(route, fn, re.compile("^/" + "/".join(parts) + "/?$"), params, tuple(kinds))


class Router:
    def __init__(self, routes: list[tuple[HttpRoute, FunctionSpec]]) -> None:
        # Most specific first, as API Gateway prefers literal segments over parameters.
        self.routes = sorted((compile_route(r, fn) for r, fn in routes), key=lambda c: c.specificity)

    def match(self, method: str, path: str) -> tuple[CompiledRoute | None, dict[str, str], list[str]]:
        """(route, path parameters, methods the path allows when no route takes `method`)."""
        allowed: list[str] = []
        fallback: CompiledRoute | None = None
        for compiled in self.routes:
            if compiled.pattern is None:
                fallback = compiled
                continue
            m = compiled.pattern.match(path)
            if not m:
                continue
            if compiled.route.method in (method, "ANY"):
                params = {name: unquote(m.group(f"p{i}")) for i, name in enumerate(compiled.params)}
                return compiled, params, []
            allowed.append(compiled.route.method)
        if fallback and not allowed:
            return fallback, {}, []
        return None, {}, allowed


# ---------------------------------------------------------------- the WSGI app


class Gateway:
    def __init__(
        self,
        template: LocalTemplate,
        handlers: HandlerRegistry,
        issuer: LocalIssuer,
        web_dir: Path | None = None,
        extra_cors_origins: list[str] | None = None,
        throttle: StageThrottle | None = None,
    ) -> None:
        self.template = template
        self.throttle = throttle
        self.handlers = handlers
        self.issuer = issuer
        self.router = Router(template.routes)
        self.web_dir = web_dir if web_dir and web_dir.is_dir() else None
        cors = template.api_cors
        self.cors: dict[str, Any] | None = None
        if cors:
            self.cors = {**cors, "AllowOrigins": [*cors.get("AllowOrigins", []), *(extra_cors_origins or [])]}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        accesslog.record_of(request)  # starts the request's clock
        try:
            response = self.dispatch(request)
        except Exception:
            traceback.print_exc()
            response = problem(500, "internal", "Internal error", "The local gateway failed.")
        accesslog.write(request, response)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        origin = request.headers.get("Origin")
        if path.startswith("/_local/"):
            return self._local_route(request)
        if self.cors and method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            return self._preflight(request, origin)

        compiled, params, allowed = self.router.match(method, path)
        if compiled is None:
            if allowed:
                return problem(
                    405,
                    "method-not-allowed",
                    "Method not allowed",
                    f"{method} is not allowed on {path}.",
                    {"Allow": ", ".join(sorted(set(allowed)))},
                )
            static = self._static(request)
            if static is not None:
                return static
            return problem(404, "not-found", "Not found", f"No route for {method} {path}.")

        access = accesslog.record_of(request)
        access.route = compiled.route.route_key

        if self.throttle is not None and not self.throttle.allow(compiled.route.route_key):
            # The stage's limits, before the authorizer runs: API Gateway's own answer.
            throttled = Response(TOO_MANY_REQUESTS_BODY, status=429, headers=too_many_requests_headers())
            return self._with_cors(throttled, origin)

        claims = None
        if compiled.route.protected:
            try:
                claims = self.issuer.verify(request.headers.get("Authorization"))
                access.sub = claims.get("sub")
            except AuthError as exc:
                access.authorizer_error = str(exc)
                return self._with_cors(unauthorized(str(exc)), origin)

        event = build_http_event(_http_request(request), compiled.route.route_key, params or None, claims)
        access.request_id = event["requestContext"]["requestId"]
        access.start_integration()
        try:
            result = self.handlers.invoke(compiled.function, event)
            status, headers, body = http_response(result)
            access.end_integration(200)
        except Exception as exc:
            access.end_integration(None, exc)
            traceback.print_exc()
            return self._with_cors(
                problem(500, "internal", "Internal error", "The function failed; see the local stack's log."), origin
            )
        response = Response(body, status=status)
        response.headers.clear()
        for name, value in headers:
            response.headers.add(name, value)
        return self._with_cors(response, origin)

    # ------------------------------------------------------------ local-only routes and the web page

    def _local_route(self, request: Request) -> Response:
        if request.path == "/_local/token" and request.method == "GET":
            sub = request.args.get("sub", "dev")
            ttl = request.args.get("ttl", "3600")
            if not sub or not ttl.lstrip("-").isdigit():
                return problem(400, "bad-request", "Malformed request", "sub must be non-empty, ttl an integer.")
            token = self.issuer.issue_token(sub, ttl=int(ttl))
            return Response(json.dumps({"token": token}), content_type="application/json")
        if request.path == "/_local/jwks.json" and request.method == "GET":
            return Response(json.dumps(self.issuer.jwks()), content_type="application/json")
        return problem(404, "not-found", "Not found", f"No route for {request.method} {request.path}.")

    def _static(self, request: Request) -> Response | None:
        if self.web_dir is None or request.method not in ("GET", "HEAD"):
            return None
        name = request.path.lstrip("/")
        if not name or name.endswith("/"):
            name += "index.html"
        try:
            response = send_from_directory(self.web_dir, name, request.environ)
        except NotFound:
            return None
        # What the CloudFront response headers policy adds in AWS (infra/web-hosting.yaml), with
        # the local origins (gateway, AWS endpoint) in place of the deployed ones.
        response.headers.update(WEB_SECURITY_HEADERS)
        return response

    # ------------------------------------------------------------ CORS as the HttpApi's CorsConfiguration

    def _origin_allowed(self, origin: str | None) -> bool:
        if not self.cors or not origin:
            return False
        allowed = self.cors.get("AllowOrigins", [])
        return "*" in allowed or origin in allowed

    def _preflight(self, request: Request, origin: str) -> Response:
        response = Response(status=204)
        if self._origin_allowed(origin) and self.cors:
            c = self.cors
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in c["AllowOrigins"] else origin
            response.headers["Access-Control-Allow-Methods"] = ",".join(c.get("AllowMethods", ["*"]))
            if c.get("AllowHeaders"):
                response.headers["Access-Control-Allow-Headers"] = ",".join(c["AllowHeaders"])
            if c.get("MaxAge") is not None:
                response.headers["Access-Control-Max-Age"] = str(c["MaxAge"])
            if c.get("AllowCredentials"):
                response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    def _with_cors(self, response: Response, origin: str | None) -> Response:
        if not self.cors:
            return response
        # Like API Gateway: with a CORS configuration, the function's own CORS headers are ignored.
        for name in [n for n, _ in response.headers.items() if n.lower().startswith("access-control-")]:
            del response.headers[name]
        if not self._origin_allowed(origin):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in self.cors["AllowOrigins"] else str(origin)
        if self.cors.get("ExposeHeaders"):
            response.headers["Access-Control-Expose-Headers"] = ",".join(self.cors["ExposeHeaders"])
        if self.cors.get("AllowCredentials"):
            response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers.add("Vary", "Origin")
        return response


def _http_request(request: Request) -> HttpRequest:
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    # The dev server keeps the request line as sent; API Gateway's rawPath is not decoded either.
    raw_path = raw_uri.split("?", 1)[0] if raw_uri else quote(environ.get("PATH_INFO", "/"), safe="/%:@&=+$,;~!*'()")
    raw_query = environ.get("QUERY_STRING", "")
    return HttpRequest(
        method=request.method,
        raw_path=raw_path or "/",
        raw_query=raw_query,
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
        source_ip=request.remote_addr or "127.0.0.1",
    )


class GatewayServer(BackgroundServer):
    """The gateway on 127.0.0.1, threaded, in a background thread."""

    def __init__(self, app: Any = None, host: str = "127.0.0.1", port: int = 3000) -> None:
        super().__init__(app, host, port, name="local-gateway")
