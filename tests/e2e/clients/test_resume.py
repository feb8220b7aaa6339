"""Issue 22, "interrupt an upload of 200" and "round trip". The same `imageapi upload` of 200 photos
is stopped three times: Ctrl-C after about 50 files, Ctrl-C after about 120, and once by cutting
its connection to the local S3 midway (a forward proxy the test cuts, tests/e2e/clients/netcut.py);
each rerun resumes from the count the earlier runs finished, and the last one completes. Every
photo is then stored exactly once (S3 originals and DynamoDB records counted), with no pending
record left. That owner's 200 images are exported, imported into a new owner and exported again:
same sha256 and titles, byte-identical originals; an interrupted export resumes."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.clients.helpers import (
    IMAGEAPI,
    AwsState,
    Interrupted,
    cli_env,
    json_lines,
    run_cli,
    sigint,
    upload_until,
)
from tests.e2e.clients.netcut import ForwardProxy
from tests.harness.stopping import sigint_default

OWNER = "resumer"


@pytest.fixture(scope="module")
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running


@pytest.fixture(scope="module")
def runs(
    stack: Any,
    aws: AwsState,
    proxy: ForwardProxy,
    two_hundred_photos: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("resume-home")
    folder = home / "photos"
    folder.mkdir()
    for photo in two_hundred_photos:
        shutil.copy(photo, folder / photo.name)
    # Presigned POSTs go through the proxy; the API stays direct.
    env = cli_env(stack.api_url, stack.token(OWNER), home, HTTP_PROXY=proxy.url, NO_PROXY=stack.api_url)
    args = ["upload", str(folder), "--json"]
    seen: dict[str, Any] = {"home": home, "folder": folder, "env": env}

    seen["a"] = upload_until(args, env, home, after=50, then=sigint)
    seen["after_a"] = aws.settled(OWNER)
    seen["originals_a"] = len(aws.originals(OWNER))
    done_a = len(seen["a"].new("uploaded"))
    seen["b"] = upload_until(args, env, home, after=120 - done_a, then=sigint)
    seen["after_b"] = aws.settled(OWNER)
    seen["originals_b"] = len(aws.originals(OWNER))
    forwarded_before_c = proxy.forwarded
    seen["c"] = upload_until(args, env, home, after=20, then=lambda proc: proxy.cut())
    seen["forwarded_c"] = proxy.forwarded - forwarded_before_c
    proxy.restore()
    seen["after_c"] = aws.settled(OWNER)
    seen["d"] = upload_until(args, env, home, after=0, then=lambda proc: None)
    seen["final"] = aws.settled(OWNER)
    return seen


def test_ctrl_c_stops_cleanly_and_each_rerun_resumes_from_the_right_count(runs: dict[str, Any]) -> None:
    a, b = runs["a"], runs["b"]
    assert a.returncode == 130 and "interrupted" in a.stderr and "Traceback" not in a.stderr
    assert 50 <= len(a.new("uploaded")) < 200 and not a.new("failed")
    # A clean stop: the files in flight were finished, so every record has its bytes (none pending).
    assert [r["status"] for r in runs["after_a"]].count("pending") == 0
    assert len(runs["after_a"]) == runs["originals_a"] == len(a.new("uploaded"))
    # The rerun starts where the first stopped: the progress bar's first count.
    assert b.resumed_from() == len(a.new("uploaded"))
    assert not set(_paths(b.new("uploaded"))) & set(_paths(a.new("uploaded")))  # nothing sent twice
    assert b.returncode == 130 and 120 <= len(a.new("uploaded")) + len(b.new("uploaded")) < 200
    assert [r["status"] for r in runs["after_b"]].count("pending") == 0
    assert runs["originals_b"] == len(a.new("uploaded")) + len(b.new("uploaded"))


def test_a_cut_connection_stops_the_run_and_the_rerun_completes_it(runs: dict[str, Any]) -> None:
    a, b, c, d = runs["a"], runs["b"], runs["c"], runs["d"]
    assert c.resumed_from() == len(a.new("uploaded")) + len(b.new("uploaded"))
    assert runs["forwarded_c"] >= 20  # the uploads did go through the proxy
    assert c.returncode == 1 and "the connection keeps failing" in c.stderr and "Traceback" not in c.stderr
    assert c.new("failed") and len(c.new("uploaded")) >= 20
    assert any(r["outcome"] == "not attempted" for r in c.results)  # it stopped instead of grinding on
    finished = sum(len(run.new("uploaded")) for run in (a, b, c))
    assert d.resumed_from() == finished
    assert d.returncode == 0, d.stderr[-2000:]
    assert sorted(_paths(d.results)) == sorted(str(p) for p in runs["folder"].iterdir())
    assert {r["outcome"] for r in d.results} == {"uploaded"}
    # Sent now: what no run finished, less any upload the cut left stored after all (confirmed, not re-sent).
    assert 200 - finished - c.new("failed").__len__() <= len(d.new("uploaded")) <= 200 - finished


def test_every_photo_is_stored_exactly_once_and_nothing_is_left_pending(runs: dict[str, Any], aws: AwsState) -> None:
    records = runs["final"]
    assert len(records) == 200 and {r["status"] for r in records} == {"ready"}
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in runs["folder"].iterdir()}
    assert sorted(r["sha256"] for r in records) == sorted(hashes)  # each photo once, none twice
    assert len(aws.originals(OWNER)) == 200
    assert aws.objects("incoming/") == []


def test_export_import_export_is_lossless_and_an_interrupted_export_resumes(
    stack: Any, runs: dict[str, Any], tmp_path: Path
) -> None:
    owner_env = cli_env(stack.api_url, stack.token(OWNER), tmp_path)
    first = tmp_path / "first"
    _interrupted_export(first, owner_env, tmp_path)
    assert not (first / "images.jsonl").exists()  # nothing half-written: the index comes last
    resumed = run_cli("export", str(first), env=owner_env, cwd=tmp_path, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming:" in resumed.stderr and "from an earlier run" in resumed.stdout
    exported = _index(first)
    assert len(exported) == 200 and not list(first.rglob("*.part"))
    for line in exported:
        assert hashlib.sha256((first / line["file"]).read_bytes()).hexdigest() == line["sha256"]
        assert {"id", "title", "created_at", "updated_at", "bytes", "content_type", "width", "height"} <= set(line)
        assert line["analysis"]["sha256"] == line["sha256"] and line["analysis"]["format"] == "JPEG"

    newcomer_env = cli_env(stack.api_url, stack.token("newcomer"), tmp_path)
    imported = run_cli(
        "import", str(first), "--json", "--journal", "import.jsonl", env=newcomer_env, cwd=tmp_path, timeout=600
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert {r["outcome"] for r in json_lines(imported.stdout)} == {"uploaded"}
    second = tmp_path / "second"
    again = run_cli("export", str(second), env=newcomer_env, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    round_trip = _index(second)

    def pairs(lines: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(line["sha256"], line["title"]) for line in lines}

    assert len(round_trip) == 200 and pairs(round_trip) == pairs(exported)
    assert {line["id"] for line in round_trip}.isdisjoint({line["id"] for line in exported})  # new images
    before = {line["sha256"]: (first / line["file"]).read_bytes() for line in exported}
    for line in round_trip:
        assert (second / line["file"]).read_bytes() == before[line["sha256"]]


def _interrupted_export(folder: Path, env: dict[str, str], cwd: Path) -> None:
    """Ctrl-C an export once about 60 images are in (its progress file says so)."""
    proc = subprocess.Popen(
        [str(IMAGEAPI), "export", str(folder)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=sigint_default,  # Ctrl-C as from a terminal, whatever the CI runner ignores
    )
    state = folder / ".imageapi-export.jsonl"
    deadline = time.monotonic() + 300
    while not (state.exists() and len(state.read_text().splitlines()) >= 60):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the export made no progress"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr.decode()[-2000:]


def _index(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "images.jsonl").read_text().splitlines()]


def _paths(results: list[dict[str, Any]]) -> list[str]:
    return [r["path"] for r in results]


_ = Interrupted  # the type of runs["a"] ... runs["d"]
