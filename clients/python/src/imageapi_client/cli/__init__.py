"""`imageapi`: the command line of the Serverless Image API (click + rich).

Every command takes --url/--token (or IMAGEAPI_URL/IMAGEAPI_TOKEN, or the token `imageapi login`
saved). Errors are one line on stderr (a traceback only with --debug). Exit status: 0 when all went
well; 1 when something failed (for `upload`/`import`: a file that did not end uploaded or
duplicate); 2 for a usage error; 130 after Ctrl-C.
"""

from __future__ import annotations

import json
import re
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click
import httpx
from rich.console import Console
from rich.table import Table

from imageapi_client import __version__
from imageapi_client.cli.archive import Exporter, import_tasks
from imageapi_client.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    Session,
    api_command,
    fail,
    one_line,
    save_credentials,
    stderr_console,
    token_owner,
)
from imageapi_client.cli.files import FileTask, MissingPath, collect
from imageapi_client.cli.journal import DEFAULT_NAME, Journal
from imageapi_client.cli.progress import TransferDisplay
from imageapi_client.cli.uploader import GOOD, FileResult, Outcome, Uploader, UploadOptions
from imageapi_client.errors import ApiProblem, ImageApiError
from imageapi_client.generated.models import Fit, ImageOut, ResizeSpec

LOCAL_URL = "http://127.0.0.1:3000"  # make dev's gateway (PORT's default)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="imageapi")
def cli() -> None:
    """Upload, list, download, export and import images of the Serverless Image API."""


def main() -> None:
    cli(prog_name="imageapi")


# --------------------------------------------------------------------------- upload / import


def _resize(value: str | None, fit: str) -> ResizeSpec | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d*)x(\d*)", value.strip().lower())
    if not match or not any(match.groups()):
        raise click.BadParameter("expected WxH, Wx or xH (pixels), e.g. 1600x1200", param_hint="--resize")
    width, height = (int(g) if g else None for g in match.groups())
    for side in (width, height):
        if side is not None and not 1 <= side <= 4096:
            raise click.BadParameter("each side is 1..4096 pixels", param_hint="--resize")
    from imageapi_client.generated.types import UNSET

    return ResizeSpec(width=width or UNSET, height=height or UNSET, fit=Fit(fit))


def _run_uploads(
    session: Session,
    tasks: list[FileTask],
    options: UploadOptions,
    journal_path: Path,
    as_json: bool,
    label: str,
    skipped: int = 0,
) -> None:
    err = stderr_console()
    token = session.resolved_token()
    with session.api(connections=max(4, options.concurrency * 2)) as api:
        journal = Journal(journal_path.resolve(), api.url, token_owner(token))
        journal.load()
        display = TransferDisplay(err, label)

        def report(result: FileResult) -> None:
            if as_json:
                click.echo(json.dumps(result.as_json()))
            if result.outcome not in GOOD and result.outcome is not Outcome.NOT_ATTEMPTED:
                display.say(f"{result.outcome.value}: {result.task.path}: {result.reason or ''}".rstrip(": "))

        uploader = Uploader(api, journal, options, display, report)
        presses = 0

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            nonlocal presses
            presses += 1
            if presses > 1:
                raise KeyboardInterrupt
            display.say("interrupted: finishing the files in flight (Ctrl-C again to quit at once)")
            uploader.interrupt()

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            report_ = uploader.run(tasks)
        finally:
            display.stop()
            signal.signal(signal.SIGINT, previous)

    counts = report_.counts
    sent = report_.bytes_sent
    rate = sent / report_.seconds if report_.seconds > 0 else 0.0
    summary = (
        f"{counts.get('uploaded', 0)} uploaded, {counts.get('duplicate', 0)} duplicates skipped, "
        f"{counts.get('rejected', 0)} rejected, {counts.get('refused', 0)} refused, {counts.get('failed', 0)} failed"
    )
    if counts.get(Outcome.NOT_ATTEMPTED.value):
        summary += f", {counts[Outcome.NOT_ATTEMPTED.value]} not attempted"
    summary += f" ({len(tasks)} files; {sent / 1e6:.1f} MB sent in {report_.seconds:.1f} s, {rate / 1e6:.1f} MB/s)"
    if skipped:
        summary += f"; {skipped} files in the folders are no images and were left out"
    (err.print if as_json else click.echo)(summary)
    if report_.stopped:
        err.print(
            f"stopped: {report_.stopped}; run the same command again to go on (journal {journal_path})", markup=False
        )
    if report_.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if any(r.outcome not in GOOD for r in report_.results):
        sys.exit(EXIT_PROBLEMS)


_journal_option = click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_NAME,
    show_default=True,
    help="The resume journal (JSON Lines; see the README). A rerun goes on where the last run stopped.",
)
_concurrency_option = click.option(
    "--concurrency", "-c", type=click.IntRange(1, 32), default=4, show_default=True, help="Files in flight at once."
)
_json_option = click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@_concurrency_option
@click.option("--resize", metavar="WxH", help="Serve the images scaled to fit WxH (Wx or xH: one side).")
@click.option("--fit", type=click.Choice([f.value for f in Fit]), default="contain", show_default=True)
@click.option("--title-from", type=click.Choice(["name", "path"]), default="name", show_default=True)
@click.option("--wait", is_flag=True, help="Wait until every image is ready or rejected.")
@_journal_option
@_json_option
@api_command
def upload(
    paths: tuple[str, ...],
    concurrency: int,
    resize: str | None,
    fit: str,
    title_from: str,
    wait: bool,
    journal_path: Path,
    as_json: bool,
    session: Session,
) -> None:
    """Upload files, folders (recursively: their image files) and glob patterns.

    Identical files are sent once; a file the service already holds (same sha256, ready) is not sent
    again. Interrupted (Ctrl-C, a dropped connection)? Run the same command again: it goes on.
    """
    spec = _resize(resize, fit)
    try:
        tasks, skipped = collect(list(paths))
    except MissingPath as missing:
        fail(f"no such file or folder: {missing}")
    if not tasks:
        fail("no image files found in " + ", ".join(paths))
    options = UploadOptions(concurrency=concurrency, resize=spec, title_from=title_from, wait=wait)
    _run_uploads(session, tasks, options, journal_path, as_json, "Uploading", skipped)


@cli.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_concurrency_option
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until every image is ready.")
@_journal_option
@_json_option
@api_command
def import_(folder: Path, concurrency: int, wait: bool, journal_path: Path, as_json: bool, session: Session) -> None:
    """Upload an export (`imageapi export`) into this account, with the same titles."""
    try:
        tasks = import_tasks(folder)
    except MissingPath as missing:
        fail(f"no such file or folder: {missing}")
    options = UploadOptions(concurrency=concurrency, wait=wait)
    _run_uploads(session, tasks, options, journal_path, as_json, "Importing")


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_concurrency_option
@api_command
def export(folder: Path, concurrency: int, session: Session) -> None:
    """Every ready image's original, byte for byte, and images.jsonl (titles, timestamps, analysis).

    Resumes when run again on the same folder; every file is checked against its sha256."""
    err = stderr_console()
    with session.api(connections=max(4, concurrency * 2)) as api:
        display = TransferDisplay(err, "Exporting")
        try:
            report = Exporter(api, folder, display, concurrency).run()
        finally:
            display.stop()
    click.echo(
        f"{report.images} images exported to {folder} ({report.downloaded} downloaded, {report.resumed} from an "
        f"earlier run; {report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s)"
    )


# --------------------------------------------------------------------------- reading


def _size(value: object) -> str:
    return f"{int(value) / 1e6:.1f} MB" if isinstance(value, int) else ""


@cli.command("ls")
@click.option("--status", type=click.Choice(["pending", "ready", "rejected", "deleted"]))
@click.option("-q", "query", metavar="TEXT", help="Titles containing TEXT (case-insensitive).")
@click.option("--trash", is_flag=True, help="The trash (same as --status deleted).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many images.")
@_json_option
@api_command
def ls(status: str | None, query: str | None, trash: bool, limit: int | None, as_json: bool, session: Session) -> None:
    """List images, newest first (every page)."""
    wanted = "deleted" if trash else status
    with session.api() as api:
        table = Table("id", "status", "title", "size", "created", box=None, pad_edge=False)
        for count, image in enumerate(api.iter_images(status=wanted, q=query), start=1):
            if as_json:
                click.echo(json.dumps(_public(image)))
            else:
                original = image.original
                table.add_row(
                    image.id,
                    image.status.value,
                    image.title,
                    _size(original.bytes_ if original else image.bytes_),
                    image.created_at.strftime("%Y-%m-%d %H:%M"),
                )
            if limit and count >= limit:
                break
    if not as_json:
        Console(highlight=False, soft_wrap=True).print(table)


def _public(image: ImageOut) -> dict[str, Any]:
    return image.to_dict()


@cli.command()
@click.argument("image_id")
@api_command
def get(image_id: str, session: Session) -> None:
    """One image as JSON."""
    with session.api() as api:
        click.echo(json.dumps(_public(api.get(image_id)), indent=2))


@cli.command()
@click.argument("image_id")
@click.option("--variant", type=click.Choice(["original", "display", "compressed", "thumbnail"]))
@click.option("--width", type=click.IntRange(1, 4096))
@click.option("--height", type=click.IntRange(1, 4096))
@click.option("--fit", type=click.Choice([f.value for f in Fit]))
@click.option("--format", "format_", type=click.Choice(["jpeg", "png", "webp", "avif", "gif", "auto"]))
@click.option("--quality", type=click.IntRange(1, 100))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write ('-': stdout).")
@api_command
def download(
    image_id: str,
    variant: str | None,
    width: int | None,
    height: int | None,
    fit: str | None,
    format_: str | None,
    quality: int | None,
    output: Path | None,
    session: Session,
) -> None:
    """Download a variant (default: display) or an on-demand transform."""
    transform = any(v is not None for v in (width, height, fit, format_, quality))
    if variant and transform:
        raise click.UsageError("--variant and --width/--height/--fit/--format/--quality exclude each other")
    with session.api() as api:
        link = api.download_link(
            image_id, variant=variant, width=width, height=height, fit=fit, format=format_, quality=quality
        )
        if output is not None and str(output) == "-":
            with api.storage.stream("GET", link.url) as response:
                if response.status_code != 200:
                    response.read()
                    raise ApiProblem.from_response(response)
                for chunk in response.iter_bytes():
                    sys.stdout.buffer.write(chunk)
            return
        target = output or Path(_download_name(api.storage, link.url, image_id))
        api.fetch(link.url, target)
    click.echo(str(target))


def _download_name(storage: httpx.Client, url: str, image_id: str) -> str:
    """The file name the storage's Content-Disposition proposes (the title and the right extension)."""
    head = storage.head(url)
    match = re.search(r'filename="?([^";]+)"?', head.headers.get("content-disposition", ""))
    name = Path(match.group(1)).name if match else ""
    return name or f"{image_id}.bin"


# --------------------------------------------------------------------------- changes


def _each(ids: tuple[str, ...], action: Any, done: str) -> None:
    failed = 0
    err = stderr_console()
    for image_id in ids:
        try:
            action(image_id)
        except ApiProblem as problem:
            failed += 1
            err.print(f"error: {image_id}: {problem.one_line()}", markup=False)
            continue
        click.echo(f"{done} {image_id}")
    if failed:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--permanent", is_flag=True, help="Remove every byte and record now (also from the trash).")
@api_command
def rm(ids: tuple[str, ...], permanent: bool, session: Session) -> None:
    """Move images to the trash (restorable), or remove them for good with --permanent."""
    with session.api() as api:
        _each(ids, lambda i: api.delete(i, permanent=permanent), "removed" if permanent else "trashed")


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@api_command
def restore(ids: tuple[str, ...], session: Session) -> None:
    """Bring images back from the trash."""
    with session.api() as api:
        _each(ids, api.restore, "restored")


@cli.command()
@click.option("--local", "local", is_flag=True, required=True, help="Against `make dev`: its /_local/token.")
@click.option("--sub", default="dev", show_default=True, help="The owner to get a token for.")
@click.option("--url", envvar="IMAGEAPI_URL", default=LOCAL_URL, show_default=True, help="The local gateway.")
@click.option("--debug", is_flag=True)
def login(local: bool, sub: str, url: str, debug: bool) -> None:
    """Get a development token from a local stack and save it for the other commands."""
    url = url.rstrip("/")
    try:
        response = httpx.get(f"{url}/_local/token", params={"sub": sub}, timeout=10)
        if response.status_code != 200:
            raise ApiProblem.from_response(response)
        token = str(response.json()["token"])
    except (httpx.HTTPError, ImageApiError, KeyError, ValueError) as error:
        if debug:
            raise
        stderr_console().print(f"error: no token from {url}/_local/token: {one_line(error)}", markup=False)
        sys.exit(EXIT_PROBLEMS)
    path = save_credentials(url, token)
    click.echo(f"logged in to {url} as {sub} (token saved in {path})")
