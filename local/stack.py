"""The whole local stack in one object: AWS endpoint, resources, gateway, pollers.

with LocalStack() as stack:          # free ports
    requests.get(stack.api_url + "/health")
    token = stack.token("alice")
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from . import REPO_ROOT
from .aws import LocalAwsServer, client, create_resources, snapshot
from .aws.s3browser import EndpointClock
from .aws.ttl import TtlReaper
from .edge import cdn, inbox
from .edge.auth import LocalIssuer
from .edge.gateway import Gateway, GatewayServer
from .edge.throttle import StageThrottle
from .runtime.environment import DEFAULT_AUDIENCE, local_environment
from .runtime.handlers import HandlerRegistry
from .runtime.poller import SqsPoller, pollers_for
from .runtime.streams import StreamPoller, stream_pollers_for
from .template import DEFAULT_NAME_PREFIX, LocalTemplate, load

log = logging.getLogger("local.stack")


class LocalStack:
    def __init__(
        self,
        port: int = 0,
        moto_port: int = 0,
        root: Path | str = REPO_ROOT,
        *,
        template: Path | str | None = None,
        state_dir: Path | str | None = None,
        name_prefix: str = DEFAULT_NAME_PREFIX,
        pollers: bool = True,
        visibility_timeout: int = 3,
        parameter_overrides: Mapping[str, str] | None = None,
        throttle: bool | StageThrottle = False,
    ) -> None:
        """``throttle``: True applies the HttpApi's throttling from the template (as `make dev`
        does), a StageThrottle applies its own limits, False (the default, for tests) none."""
        self.root = Path(root).resolve()
        self.template_path = Path(template) if template else self.root / "template.yaml"
        # LOCAL_STATE_DIR / LOCAL_BIND_HOST / LOCAL_PERSIST_STATE: the container (Dockerfile) sets them.
        self.state_dir = Path(state_dir or os.environ.get("LOCAL_STATE_DIR") or self.root / ".local")
        self._bind_host = os.environ.get("LOCAL_BIND_HOST") or "127.0.0.1"
        self._persist = os.environ.get("LOCAL_PERSIST_STATE", "").lower() == "true"
        self._port, self._moto_port = port, moto_port
        self._name_prefix = name_prefix
        self._with_pollers = pollers
        self._visibility_timeout = visibility_timeout
        self._overrides = dict(parameter_overrides or {})
        self._throttle = throttle
        self.throttle: StageThrottle | None = None
        self._aws: LocalAwsServer | None = None
        self._gateway: GatewayServer | None = None
        self._pollers: list[SqsPoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self._ttl: TtlReaper | None = None
        self.inbox = inbox.Inbox()
        self.gateway: Gateway | None = None  # the routes (served with the inbox and the CDN mounted)
        self._saved_env: dict[str, str | None] = {}
        self.template: LocalTemplate | None = None
        self.issuer: LocalIssuer | None = None
        self.cdn: cdn.LocalCdn | None = None  # the renditions CDN's stand-in (DELIVERY_MODE=cdn)
        self.environment: dict[str, str | None] = {}

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LocalStack:
        try:
            # Bind both sockets first: resources and the issuer URL need the real ports.
            self._aws = LocalAwsServer(host=self._bind_host, port=self._moto_port)
            self._gateway = GatewayServer(host=self._bind_host, port=self._port)
            origins = [f"http://127.0.0.1:{self._gateway.port}", f"http://localhost:{self._gateway.port}"]
            self._aws.start()
            self.template = load(
                self.template_path,
                aws_url=self._aws.url,
                parameter_overrides=self._overrides,
                name_prefix=self._name_prefix,
            )
            create_resources(self._aws.url, self.template, extra_cors_origins=origins)
            if self._persist:
                snapshot.restore(self._aws.url, self.state_dir / "data")

            self.environment = local_environment(self.template, self._aws.url)
            # Webhooks may reach the gateway's own inbox (and only that, unless
            # IMPORT_ALLOW_PRIVATE_NETWORKS): its origins skip the address check.
            self.environment["WEBHOOK_ALLOWED_ORIGINS"] = ",".join(origins)
            # Every local layer of every function (in-process, they share one sys.path).
            layer_dirs = [d for fn in self.template.functions.values() for d in fn.layer_dirs]
            handlers = HandlerRegistry([*dict.fromkeys(layer_dirs), self.root / "layers" / "core"])
            cdn_app = self._local_cdn(handlers) if self.environment.get("DELIVERY_MODE") == "cdn" else None
            self.cdn = cdn_app
            self._apply_env(self.environment)
            self.issuer = LocalIssuer(
                self.state_dir,
                issuer=f"{self._gateway.url}/_local",
                audience=self.template.jwt_audience or [DEFAULT_AUDIENCE],
            )
            if isinstance(self._throttle, StageThrottle):
                self.throttle = self._throttle
            elif self._throttle:
                self.throttle = StageThrottle.from_template(self.template)
            gateway = Gateway(self.template, handlers, self.issuer, self.root / "web", origins, throttle=self.throttle)
            self.gateway = gateway
            # The renditions CDN's stand-in shares the gateway's origin: <img src> needs no CORS.
            mounts: dict[str, Any] = {inbox.MOUNT: self.inbox}
            if cdn_app:
                mounts[cdn.MOUNT] = cdn_app
            self._gateway.app = DispatcherMiddleware(gateway, mounts)
            # The gateway serves last: a stack that answers HTTP has started everything (a stop
            # signal sent once it answers then finds a running stack, not one still starting).
            ttl_tables = [(t.name, t.ttl_attribute) for t in self.template.tables.values() if t.ttl_attribute]
            self._ttl = TtlReaper(ttl_tables, self._aws.dynamodb.lock).start()
            if self._with_pollers:
                self._pollers = pollers_for(self.template, handlers, self._aws.url, self._visibility_timeout)
                self.stream_pollers = stream_pollers_for(self.template, handlers, self._aws.url)
                started: list[SqsPoller | StreamPoller] = [*self._pollers, *self.stream_pollers]
                for poller in started:
                    poller.start()
            self._gateway.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """The API first (no request changes the data after the save), then the pollers, the
        save (LOCAL_PERSIST_STATE), the AWS endpoint. Safe to call twice and after a failed start."""
        pollers: list[SqsPoller | StreamPoller] = [*self._pollers, *self.stream_pollers]
        for poller in pollers:  # all at once: each may be inside a long receive or handler
            poller.request_stop()
        if self._gateway:
            self._gateway.stop()
            self._gateway = None
        for poller in pollers:
            poller.stop(timeout=2.0)
        self._pollers, self.stream_pollers = [], []
        if self._ttl:
            self._ttl.stop()
            self._ttl = None
        if self._persist and self._aws and self.template:
            try:
                snapshot.save(self._aws.url, self.template, self.state_dir / "data")
            except Exception:  # the stack still stops; the previous snapshot stays
                log.exception("could not save the local stack's data")
        if self._aws:
            self._aws.stop()
            self._aws = None
        self._restore_env()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _local_cdn(self, handlers: HandlerRegistry) -> cdn.LocalCdn:
        """DELIVERY_MODE=cdn: the stand-in for RenditionsDistribution, its key pair stored the way
        CdnKeyPair stores it in AWS, the functions' CDN_* variables pointing at both, and the render
        function's handler (in-process) as the edge's fallback origin."""
        assert self._aws and self._gateway and self.template
        secret = self.environment.get("CDN_PRIVATE_KEY_SECRET") or f"{self._name_prefix}-CdnSigningKeySecret"
        renderer = self.template.functions.get("RenderFunction")
        app, env = cdn.provision(
            state_dir=self.state_dir,
            base_url=f"{self._gateway.url}{cdn.MOUNT}",
            secrets=client("secretsmanager", self._aws.url),
            s3=client("s3", self._aws.url),
            bucket=str(self.environment.get("BUCKET_NAME")),
            secret_name=secret.rsplit(":secret:", 1)[-1],
            ttl_seconds=int(self.environment.get("DELIVERY_URL_TTL_SECONDS") or 3600),
            widths=cdn.parse_widths(self.environment.get("EDGE_WIDTHS")),
            render=(lambda event: handlers.invoke(renderer, event)) if renderer else None,
        )
        self.environment.update(env)
        return app

    @property
    def cdn_url(self) -> str | None:
        """Where signed rendition URLs point locally (None unless DELIVERY_MODE=cdn)."""
        return self.environment.get("CDN_BASE_URL") if self.environment.get("DELIVERY_MODE") == "cdn" else None

    # ------------------------------------------------------------ what callers use

    @property
    def api_url(self) -> str:
        if not self._gateway:
            raise RuntimeError("the local stack is not running")
        return self._gateway.url

    @property
    def inbox_url(self) -> str:
        """The local webhook inbox: register it as an endpoint URL to see what an app receives."""
        return self.api_url + inbox.MOUNT

    @property
    def aws_url(self) -> str:
        if not self._aws:
            raise RuntimeError("the local stack is not running")
        return self._aws.url

    @property
    def aws_clock(self) -> EndpointClock:
        """The local S3's clock (presigned URL and POST policy expiry): tests advance it."""
        if not self._aws:
            raise RuntimeError("the local stack is not running")
        return self._aws.clock

    def token(self, sub: str = "dev", ttl: int = 3600) -> str:
        if not self.issuer:
            raise RuntimeError("the local stack is not running")
        return self.issuer.issue_token(sub, ttl=ttl)

    # ------------------------------------------------------------ process environment

    def _apply_env(self, env: Mapping[str, str | None]) -> None:
        for name, value in env.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_cached_configuration()

    def _restore_env(self) -> None:
        """Leave the process environment as start() found it (tests share the process)."""
        self._restore_env_values()
        _forget_cached_configuration()

    def _restore_env_values(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}


def _forget_cached_configuration() -> None:
    """In-process handlers share one interpreter: when the environment changes (as between two
    Lambda containers), the shared package must rebuild its settings and clients."""
    import sys

    core = str(REPO_ROOT / "layers" / "core")  # the handlers' layer, as HandlerRegistry adds it
    if core not in sys.path:
        sys.path.insert(0, core)
    from imageapi.context import rebuild

    rebuild()
