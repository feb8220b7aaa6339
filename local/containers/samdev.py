"""`make sam-dev`: the built functions in Lambda containers behind `sam local start-api`.

What runs (same interface as `make dev`: the page and API on $PORT, the AWS endpoint on $MOTO_PORT):

- the local AWS endpoint (local/aws/endpoint.py) on 127.0.0.1:$MOTO_PORT for this machine and the browser,
  and the same endpoint on the Docker bridge's gateway address, which is how the containers reach
  it (their AWS_ENDPOINT_URL, through `--env-vars`, which applies because template.yaml declares
  the variable);
- `sam build` of template.yaml for this machine's architecture (the Architecture parameter);
- `sam local start-api` over the built functions and layers in containers of the Lambda base image
  (local/containers/lambda_image.py);
- `sam local start-lambda`, which the SQS poller (local/runtime/poller.py) invokes IngestFunction through,
  as the event source mapping invokes it in AWS: a real S3 notification on the real queue;
- a front door on 127.0.0.1:$PORT: the web page, `/_local/token`, and every API route, whose
  bearer token it verifies (sam local runs no JWT authorizer) before passing the request to
  `sam local start-api`. Presigned URLs made in a container name the bridge address; the front
  door hands the browser the loopback one;
- the renditions CDN's stand-in under `/_cdn` on the front door (local/edge/cdn.py, as `make dev`
  has it): the functions in their containers sign with the key it stored in the local Secrets
  Manager, and on an edge miss it invokes RenderFunction in its container through
  `sam local start-lambda`, with the function URL event CloudFront sends (issue 20). An AVIF too
  slow for a first miss is encoded on the miss itself there (`EDGE_FILL=off`: a container ends
  with its invocation, so there is no thread to finish it, and no Lambda to invoke).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import requests
from botocore.config import Config
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

from .. import ACCESS_KEY_ID, REGION, REPO_ROOT, SECRET_ACCESS_KEY
from ..aws import LocalAwsServer, client, create_resources
from ..aws.endpoint import _quiet_handler
from ..aws.ttl import TtlReaper
from ..edge import cdn, inbox
from ..edge.auth import AuthError, LocalIssuer
from ..edge.gateway import Gateway, GatewayServer, problem, unauthorized
from ..processes import StopRequested, StopSignals, spawn
from ..runtime.environment import DEFAULT_AUDIENCE, local_environment
from ..runtime.poller import SqsPoller, pollers_for
from ..runtime.streams import StreamPoller, stream_pollers_for
from ..server import BackgroundServer
from ..template import FunctionSpec, LocalTemplate, load
from .engine import DockerEngine
from .lambda_image import ensure_base_image, find_python312
from .leftovers import end_processes, stale_sam_processes

log = logging.getLogger("local.containers.samdev")

SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"
BUILD_ROOT = REPO_ROOT / ".aws-sam"
# The label the SAM CLI puts on every Lambda container it starts.
SAM_CONTAINERS = "label=sam.cli.container.type=lambda"
# Never send the SAM CLI's usage telemetry anywhere.
SAM_ENV = {"SAM_CLI_TELEMETRY": "0", "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "host"}
# requests decodes a compressed body: its encoding header no longer applies
RESPONSE_DROPPED = {*HOP_BY_HOP, "content-encoding"}


def sam_env(engine: DockerEngine) -> dict[str, str]:
    """The SAM CLI's environment: this engine, moto's test credentials (SAM hands them to the
    containers; the local endpoint checks POST policies against them), no telemetry, no profile."""
    env = {**engine.env, **SAM_ENV, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    return env


@dataclass
class LocalBuild:
    """What `sam local` runs: the built template for one architecture and the base image."""

    engine: DockerEngine
    architecture: str
    image: str
    template: Path

    @property
    def overrides(self) -> list[str]:
        return ["--parameter-overrides", f"Architecture={self.architecture}"]


def build_inputs_digest(architecture: str, root: Path = REPO_ROOT) -> str:
    """What `sam build` reads: the template, the functions' and layers' files, the architecture."""
    digest = hashlib.sha256(architecture.encode())
    files = [root / "template.yaml", *sorted((root / "functions").rglob("*")), *sorted((root / "layers").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def sam_build(architecture: str, root: Path = REPO_ROOT) -> Path:
    """`sam build` for `architecture` into .aws-sam/local-<arch>/ (cached between runs; skipped
    when none of its inputs changed since the last build, which makes a restart quick)."""
    out = root / ".aws-sam" / f"local-{architecture}"
    built, stamp = out / "build" / "template.yaml", out / "build-inputs.sha256"
    inputs = build_inputs_digest(architecture, root)
    if built.is_file() and stamp.is_file() and stamp.read_text() == inputs:
        log.info("sam build skipped: nothing it reads changed since %s was built", built)
        return built
    stamp.unlink(missing_ok=True)  # a build stopped halfway must not count as built
    env = {
        **os.environ,
        **SAM_ENV,
        "PATH": f"{find_python312()}{os.pathsep}{os.environ.get('PATH', '')}",
        "LAMBDA_ARCHITECTURE": architecture,  # the ML layer's Makefile picks its wheels by it
    }
    args = [str(SAM), "build", "--template", str(root / "template.yaml"), "--build-dir", str(out / "build")]
    args += ["--cache-dir", str(out / "cache"), "--cached", "--parallel"]
    args += ["--parameter-overrides", f"Architecture={architecture}"]
    result = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"sam build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    stamp.write_text(inputs)
    return built


def prepare(engine: DockerEngine) -> LocalBuild:
    architecture = engine.architecture()
    image = ensure_base_image(engine)
    return LocalBuild(engine, architecture, image, sam_build(architecture))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_env_vars(path: Path, environment: Mapping[str, str | None]) -> Path:
    """An `--env-vars` file: the same values for every function (SAM applies only declared ones)."""
    path.write_text(json.dumps({"Parameters": {k: v for k, v in environment.items() if v is not None}}, indent=2))
    return path


class SamLocal:
    """One `sam local start-api|start-lambda` process, in its own process group."""

    def __init__(self, command: str, build: LocalBuild, env_vars: Path, log_path: Path, port: int = 0) -> None:
        self.command, self.build = command, build
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._args = [
            str(SAM),
            "local",
            command,
            "--template",
            str(build.template),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--env-vars",
            str(env_vars),
            "--invoke-image",
            build.image,
            "--skip-pull-image",
            # Containers start on first use and stay up: a request after the first is answered warm.
            "--warm-containers",
            "LAZY",
            *build.overrides,
        ]

    def start(self, timeout: float = 120.0) -> SamLocal:
        # If this process dies (even by SIGKILL), sam gets a signal too. With the machine's engine,
        # SIGINT (its Ctrl-C): sam then removes its warm containers itself. A private engine shuts
        # down at the same moment and kills them; sam's removal calls (its SIGINT and SIGTERM
        # handlers both make them) would only wait on it, so SIGKILL (the next start removes the
        # stopped containers).
        death = signal.SIGKILL if self.build.engine.private else signal.SIGINT
        with open(self._log_path, "ab") as out:
            env = sam_env(self.build.engine)
            self._proc = spawn(self._args, death_signal=death, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"sam local {self.command} exited: {self._log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"sam local {self.command} did not listen within {timeout:.0f} s")

    def request_stop(self) -> None:
        """SIGKILL to its process group. sam's SIGINT and SIGTERM handlers stop and remove its warm
        containers one by one through the engine (seconds each, and they wait on an engine that is
        going away); SamDev removes them all in one call right after."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class LambdaInvoker:
    """What the poller calls instead of an in-process handler: Lambda's Invoke API of
    `sam local start-lambda`. An unhandled function error raises, so the batch is retried."""

    def __init__(self, url: str) -> None:
        self._client = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(read_timeout=300, connect_timeout=5, retries={"max_attempts": 0}),
        )

    def invoke(self, fn: FunctionSpec, event: dict[str, Any]) -> Any:
        reply = self._client.invoke(FunctionName=fn.logical_id, Payload=json.dumps(event).encode())
        payload = reply["Payload"].read()
        if reply.get("FunctionError"):
            raise RuntimeError(f"{fn.logical_id} failed in its container: {payload[:2000]!r}")
        return json.loads(payload) if payload else None


class FrontDoor(Gateway):
    """The local gateway's page, token routes, CORS and JWT check, with every API route answered
    by `sam local start-api` instead of an in-process handler."""

    def __init__(
        self,
        template: LocalTemplate,
        issuer: LocalIssuer,
        api_url: str,
        rewrites: Mapping[str, str],
        web_dir: Path | None,
        origins: list[str],
    ) -> None:
        super().__init__(template, None, issuer, web_dir, origins)  # type: ignore[arg-type]
        self.api_url = api_url
        self.rewrites = dict(rewrites)
        self._session = requests.Session()

    def dispatch(self, request: Request) -> Response:
        origin = request.headers.get("Origin")
        compiled, _, _ = self.router.match(request.method, request.path)
        if compiled is None or request.path.startswith("/_local/") or request.method == "OPTIONS":
            return super().dispatch(request)  # page, token, preflight, 404/405
        if compiled.route.protected:
            try:
                self.issuer.verify(request.headers.get("Authorization"))
            except AuthError as exc:
                return self._with_cors(unauthorized(str(exc)), origin)
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            reply = self._session.request(
                request.method,
                self.api_url + raw_uri,
                headers=headers,
                data=request.get_data(cache=True),
                allow_redirects=False,
                timeout=330,
            )
        except requests.RequestException as exc:
            return self._with_cors(problem(502, "bad-gateway", "Bad gateway", f"sam local start-api: {exc}"), origin)
        response = Response(self._rewrite(reply.content), status=reply.status_code)
        response.headers.clear()
        for name, value in reply.raw.headers.items():
            if name.lower() not in RESPONSE_DROPPED:
                response.headers.add(name, self._rewrite(value.encode()).decode())
        return self._with_cors(response, origin)

    def _rewrite(self, data: bytes) -> bytes:
        for inside, outside in self.rewrites.items():
            data = data.replace(inside.encode(), outside.encode())
        return data


def _not_found(environ: dict[str, Any], start_response: Any) -> Any:
    """The inbox bridge serves the inbox only."""
    return problem(404, "not-found", "Not found", "only the webhook inbox is served here")(environ, start_response)


class SamDev:
    """Everything `make sam-dev` runs; `with SamDev() as dev: dev.api_url ...` in tests."""

    def __init__(
        self,
        port: int = 0,
        moto_port: int = 0,
        *,
        build: LocalBuild | None = None,
        state_dir: Path | None = None,
        caller_env: Mapping[str, str] | None = None,
    ) -> None:
        self._port, self._moto_port = port, moto_port
        self.build = build
        self.state_dir = state_dir or REPO_ROOT / ".local"
        self._caller_env = os.environ if caller_env is None else caller_env
        self._own_engine: DockerEngine | None = None
        self._aws: LocalAwsServer | None = None
        self._aws_bridge: BackgroundServer | None = None
        self._front: GatewayServer | None = None
        self._sam: list[SamLocal] = []
        self._pollers: list[SqsPoller] = []
        self._stream_pollers: list[StreamPoller] = []
        self._ttl: TtlReaper | None = None
        self._inbox_bridge: BackgroundServer | None = None
        self.inbox = inbox.Inbox()
        self.container_inbox_url = ""
        self._work = self.state_dir / "sam-dev"  # the --env-vars file; removed at stop
        self._lock: int | None = None
        self.template: LocalTemplate | None = None
        self.issuer: LocalIssuer | None = None
        self.environment: dict[str, str | None] = {}
        self.container_aws_url = ""
        self.cdn: cdn.LocalCdn | None = None

    def start(self) -> SamDev:
        try:
            self._take_checkout()
            if self.build is None:
                self._own_engine = DockerEngine.acquire()
                self.build = prepare(self._own_engine)
            engine = self.build.engine
            # an earlier sam-dev of this checkout that was killed: its warm containers
            engine.remove(self._sam_containers())
            gateway_ip = engine.bridge_gateway()
            self._aws = LocalAwsServer(port=self._moto_port)
            self._aws_bridge = BackgroundServer(
                self._aws.app, gateway_ip, self._aws.port, name="local-aws-bridge", request_handler=_quiet_handler()
            )
            self.container_aws_url = f"http://{gateway_ip}:{self._aws.port}"
            self._front = GatewayServer(port=self._port)
            origins = [f"http://127.0.0.1:{self._front.port}", f"http://localhost:{self._front.port}"]
            self._aws.start()
            self._aws_bridge.start()
            self.template = load(REPO_ROOT / "template.yaml", aws_url=self._aws.url)
            create_resources(self._aws.url, self.template, extra_cors_origins=origins)
            self.environment = local_environment(self.template, self.container_aws_url, self._caller_env)
            # Renditions through the CDN stand-in on the front door, as `make dev` serves them; its
            # key goes into the local Secrets Manager, which the containers read at the bridge address.
            self.cdn = self._local_cdn()
            # The webhook inbox, where containers reach it (the bridge) and the browser sees it
            # (the front door); webhooks may reach that origin whatever IMPORT_ALLOW_PRIVATE_NETWORKS.
            self._inbox_bridge = BackgroundServer(
                DispatcherMiddleware(_not_found, {inbox.MOUNT: self.inbox}),
                gateway_ip,
                self._front.port,
                name="local-inbox-bridge",
            )
            self.container_inbox_url = f"http://{gateway_ip}:{self._front.port}{inbox.MOUNT}"
            self.environment["WEBHOOK_ALLOWED_ORIGINS"] = f"http://{gateway_ip}:{self._front.port}"
            self._work.mkdir(parents=True, exist_ok=True)
            env_vars = write_env_vars(self._work / "env.json", self.environment)
            sam_log = self.state_dir / "sam-local.log"
            api = SamLocal("start-api", self.build, env_vars, sam_log)
            lam = SamLocal("start-lambda", self.build, env_vars, sam_log)
            self._sam = [api, lam]
            for process in self._sam:
                process.start()
            invoker = LambdaInvoker(lam.url)
            self.cdn.render = self._renderer(invoker)
            self.issuer = LocalIssuer(
                self.state_dir,
                issuer=f"{self._front.url}/_local",
                audience=self.template.jwt_audience or [DEFAULT_AUDIENCE],
            )
            front = FrontDoor(
                self.template,
                self.issuer,
                api.url,
                {self.container_aws_url: self._aws.url},
                REPO_ROOT / "web",
                origins,
            )
            self._front.app = DispatcherMiddleware(front, {inbox.MOUNT: self.inbox, cdn.MOUNT: self.cdn})
            self._front.start()
            self._inbox_bridge.start()
            # A message stays invisible while its batch runs in a (possibly cold) container.
            timeout = max((fn.timeout_s for fn in self.template.functions.values() if fn.sqs_triggers), default=30)
            self._pollers = pollers_for(self.template, invoker, self._aws.url, visibility_timeout=timeout + 30)  # type: ignore[arg-type]
            # The table's stream, read as the event source mapping reads it, invokes the publisher
            # in its container; DynamoDB's TTL as the local stack runs it.
            self._stream_pollers = stream_pollers_for(self.template, invoker, self._aws.url)
            ttl_tables = [(t.name, t.ttl_attribute) for t in self.template.tables.values() if t.ttl_attribute]
            self._ttl = TtlReaper(ttl_tables, self._aws.dynamodb.lock).start()
            started: list[SqsPoller | StreamPoller] = [*self._pollers, *self._stream_pollers]
            for poller in started:
                poller.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _local_cdn(self) -> cdn.LocalCdn:
        """The renditions CDN's stand-in (DELIVERY_MODE=cdn), its key stored where the containers
        read it, and the functions' CDN_* variables pointing at the front door."""
        assert self._aws and self._front
        secret = self.environment.get("CDN_PRIVATE_KEY_SECRET") or "image-api-local-CdnSigningKeySecret"
        app, env = cdn.provision(
            state_dir=self.state_dir,
            base_url=f"{self._front.url}{cdn.MOUNT}",
            secrets=client("secretsmanager", self._aws.url),
            s3=client("s3", self._aws.url),
            bucket=str(self.environment.get("BUCKET_NAME")),
            secret_name=secret.rsplit(":secret:", 1)[-1],
            ttl_seconds=int(self.environment.get("DELIVERY_URL_TTL_SECONDS") or 3600),
            widths=cdn.parse_widths(self.environment.get("EDGE_WIDTHS")),
        )
        # An empty CDN_DISTRIBUTION_ID (not unset: SAM would fill in the template's): nothing to invalidate.
        self.environment.update({**env, "DELIVERY_MODE": "cdn", "EDGE_FILL": "off", "CDN_DISTRIBUTION_ID": ""})
        return app

    def _renderer(self, invoker: LambdaInvoker) -> cdn.RenderFunction:
        """RenderFunction in its container; a 302 made there names the bridge address: the browser
        gets the loopback one, as the front door does for the API's presigned URLs."""
        assert self.template
        function = self.template.functions["RenderFunction"]

        def render(event: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = invoker.invoke(function, event)
            headers = answer.get("headers") or {}
            if "Location" in headers:
                headers["Location"] = headers["Location"].replace(self.container_aws_url, self.aws_url)
            return answer

        return render

    def stop(self) -> None:
        """Everything at once where it can be: the pollers and both sam processes are told first
        (a poller may wait on an invoke that only sam's end releases), then sam's containers go
        in one `docker rm -f`, then the servers, the engine, the checkout lock."""
        pollers: list[SqsPoller | StreamPoller] = [*self._pollers, *self._stream_pollers]
        for poller in pollers:
            poller.request_stop()
        for process in self._sam:
            process.request_stop()
        for process in self._sam:
            process.stop()
        self._sam = []
        if self.build is not None:
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                self.build.engine.remove(self._sam_containers())
        for poller in pollers:
            poller.stop(timeout=2.0)
        self._pollers, self._stream_pollers = [], []
        if self._ttl is not None:
            self._ttl.stop()
            self._ttl = None
        for server in (self._inbox_bridge, self._front, self._aws_bridge, self._aws):
            if server is not None:
                server.stop()
        self._inbox_bridge = None
        self._front = self._aws_bridge = self._aws = None
        if self._own_engine is not None:
            self._own_engine.stop()
            self._own_engine = None
        shutil.rmtree(self._work, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _take_checkout(self) -> None:
        """One sam-dev per checkout (they would share .aws-sam and its containers); holding the
        lock, any `sam local` of this checkout still running is an earlier, killed run's."""
        BUILD_ROOT.mkdir(parents=True, exist_ok=True)
        fd = os.open(BUILD_ROOT / "sam-dev.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(f"another sam-dev of this checkout is running ({BUILD_ROOT / 'sam-dev.lock'})") from None
        self._lock = fd
        stale = stale_sam_processes(BUILD_ROOT)
        if stale:
            log.info("ending %d sam local processes an earlier sam-dev left running", end_processes(stale))

    def _sam_containers(self) -> list[str]:
        """The warm Lambda containers of this checkout's sam local: in a private engine every one,
        in the machine's engine those whose code is mounted from this checkout's build."""
        if self.build is None:
            return []
        engine = self.build.engine
        ids = engine.containers(SAM_CONTAINERS)
        if engine.private or not ids:
            return ids
        fmt = "{{.Id}}{{range .Mounts}} {{.Source}}{{end}}"
        inspected = engine.docker("inspect", "--format", fmt, *ids, check=False, timeout=60).stdout
        prefix = str(BUILD_ROOT) + "/"
        rows = [line.split() for line in inspected.splitlines()]
        return [row[0] for row in rows if any(source.startswith(prefix) for source in row[1:])]

    def __enter__(self) -> SamDev:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        assert self._front is not None, "sam-dev is not running"
        return self._front.url

    @property
    def aws_url(self) -> str:
        assert self._aws is not None, "sam-dev is not running"
        return self._aws.url

    @property
    def start_api_url(self) -> str:
        return self._sam[0].url

    def token(self, sub: str = "dev", ttl: int = 3600) -> str:
        assert self.issuer is not None, "sam-dev is not running"
        return self.issuer.issue_token(sub, ttl=ttl)


def main() -> int:
    """`make sam-dev`: run until Ctrl-C (or SIGTERM, SIGHUP)."""
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    port = int(os.environ.get("PORT", "3000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5070"))
    if moto_port == 5060:
        print("MOTO_PORT=5060 is refused by browsers; choose another port", file=sys.stderr)
        return 2
    with StopSignals() as stop:
        try:
            return _run(stop, port, moto_port)
        except StopRequested:  # a signal during the start: start() has already stopped what it began
            print("stopped while starting", flush=True)
            return 0


def _run(stop: StopSignals, port: int, moto_port: int) -> int:
    print("preparing: Docker engine, Lambda base image, sam build (the first run takes a few minutes)", flush=True)
    dev = SamDev(port=port, moto_port=moto_port)
    try:
        dev.start()  # a stop signal in here raises StopRequested; start() then stops what it began
        stop.running()
        print(
            f"""
  image API (sam local)  {dev.api_url}/   (web page; API routes answered by sam local start-api)
  local AWS (moto)       {dev.aws_url}   (containers: {dev.container_aws_url})
  sam local start-api    {dev.start_api_url}   (behind the page's front door, which checks tokens)
  token for 'dev'        {dev.api_url}/_local/token?sub=dev
  webhook inbox          {dev.api_url}/_local/inbox   (register {dev.container_inbox_url}: containers reach it there)
  sam local log          {dev.state_dir / "sam-local.log"}

  export TOKEN={dev.token("dev")}

  Ctrl-C to stop.
""",
            flush=True,
        )
        stop.wait()
    finally:
        stop.running()  # a signal from here on is only noted: the stop below runs to its end
        print("stopping sam-dev: sam local, its containers, the private engine", flush=True)
        dev.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
