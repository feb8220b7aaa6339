"""What every command shares: --url, --token and --debug, the saved login, one-line errors."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from imageapi_client.errors import ImageApiError
from imageapi_client.sdk import ImageAPI

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PROBLEMS = 1  # some file or id failed, or the command could not run
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- saved login


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "imageapi" / "credentials.json"


def load_credentials() -> dict[str, Any]:
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(url: str, token: str) -> Path:
    """`imageapi login`: the token for ``url`` (and ``url`` as the default), readable by the user only."""
    data = load_credentials()
    data["default_url"] = url
    data.setdefault("tokens", {})[url] = token
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)
    return path


def token_owner(token: str) -> str:
    """Whose token it is, for the journal: the JWT's ``sub`` (read, not verified: the API verifies),
    or a digest of the token when it is no JWT."""
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            if isinstance(payload, dict) and payload.get("sub"):
                return str(payload["sub"])
        except ValueError:
            pass
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- the session


@dataclass
class Session:
    url: str | None
    token: str | None
    debug: bool

    def resolved_url(self) -> str:
        url = self.url or load_credentials().get("default_url")
        if not url:
            fail("no API URL: pass --url or set IMAGEAPI_URL (or run `imageapi login --local`)")
        return str(url).rstrip("/")

    def resolved_token(self) -> str:
        token = self.token or load_credentials().get("tokens", {}).get(self.resolved_url())
        if not token:
            fail("no token: pass --token or set IMAGEAPI_TOKEN (or run `imageapi login --local` against make dev)")
        return str(token)

    def api(self, **options: Any) -> ImageAPI:
        return ImageAPI(self.resolved_url(), self.resolved_token(), **options)


class Failure(Exception):
    """A one-line error the command stops on."""


def fail(message: str) -> NoReturn:
    raise Failure(message)


def api_command(func: F) -> F:
    """Adds --url, --token and --debug to a command, hands it a ``session``, and turns every error
    into one line on stderr and exit status 1 (a traceback only with --debug); Ctrl-C exits 130."""

    @click.option("--debug", is_flag=True, help="On an error, show the full traceback.")
    @click.option(
        "--token",
        envvar="IMAGEAPI_TOKEN",
        metavar="JWT",
        help="Bearer token [env IMAGEAPI_TOKEN; else the saved login]",
    )
    @click.option("--url", envvar="IMAGEAPI_URL", metavar="URL", help="API base URL [env IMAGEAPI_URL]")
    @functools.wraps(func)
    def wrapper(*args: Any, url: str | None, token: str | None, debug: bool, **kwargs: Any) -> Any:
        session = Session(url=url, token=token, debug=debug)
        try:
            return func(*args, session=session, **kwargs)
        except click.exceptions.Exit:
            raise
        except KeyboardInterrupt:
            if debug:
                raise
            stderr_console().print("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except (Failure, ImageApiError, OSError) as error:
            if debug:
                raise
            stderr_console().print(f"error: {one_line(error)}", markup=False)
            sys.exit(EXIT_PROBLEMS)

    return wrapper  # type: ignore[return-value]


def one_line(error: BaseException) -> str:
    if isinstance(error, ImageApiError):
        text = error.one_line()
    elif isinstance(error, OSError) and error.filename is not None:
        text = f"{error.filename}: {error.strerror or error}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())
