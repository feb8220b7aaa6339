"""Issue 22, "upload a folder of 200 generated photos": 10 duplicates under other names, 3 corrupt
files, a HEIC, one over the size limit, a nested folder. Expect 186 ready (the HEIC among them), 10
duplicates, the 3 corrupt ones rejected with reasons, the big one refused before its upload, and an
exit status that says not everything went in. Then: a rerun stores nothing new, and another
owner's token sees nothing of it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.clients.conftest import UPLOAD_LIMIT
from tests.e2e.clients.helpers import AwsState, cli_env, json_lines, lines, noise_jpeg, run_cli
from tests.harness.corpus import heic

OWNER = "folder-owner"


@pytest.fixture(scope="module")
def library(two_hundred_photos: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library") / "library"
    nested = root / "2019" / "summer"
    nested.mkdir(parents=True)
    for photo in two_hundred_photos[:120]:
        shutil.copy(photo, root / photo.name)
    for photo in two_hundred_photos[120:185]:
        shutil.copy(photo, nested / photo.name)
    (nested / "IMG_0001.heic").write_bytes(heic())
    dups = root / "dups"
    dups.mkdir()
    for i, photo in enumerate(two_hundred_photos[:10]):
        shutil.copy(photo, dups / f"copy_{i}.jpg")  # same bytes, other names
    broken = root / "broken"
    broken.mkdir()
    (broken / "truncated.jpg").write_bytes(noise_jpeg(320, 240)[:300])
    (broken / "text.jpg").write_text("this is no photo\n" * 20)
    (broken / "garbage.png").write_bytes(os.urandom(2048))
    big = noise_jpeg(256, 192, quality=95)
    assert len(big) > UPLOAD_LIMIT
    (root / "big.jpg").write_bytes(big)
    assert sum(1 for p in root.rglob("*") if p.is_file()) == 200
    return root


@pytest.fixture(scope="module")
def first_run(stack: Any, library: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("cli-home")
    env = cli_env(stack.api_url, stack.token(OWNER), home)
    run = run_cli("upload", str(library), "--wait", "--json", env=env, cwd=home, timeout=600)
    return {"run": run, "results": json_lines(run.stdout), "env": env, "home": home}


def _by_outcome(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        grouped.setdefault(result["outcome"], []).append(result)
    return grouped


def test_a_folder_of_200_ends_186_ready_10_duplicates_3_rejected_1_refused(
    first_run: dict[str, Any], aws: AwsState, library: Path
) -> None:
    run, results = first_run["run"], first_run["results"]
    assert run.returncode == 1, run.stderr[-2000:]  # not everything went in, and the status says so
    assert len(results) == 200 and len({r["path"] for r in results}) == 200
    grouped = _by_outcome(results)
    assert {k: len(v) for k, v in grouped.items()} == {"uploaded": 186, "duplicate": 10, "rejected": 3, "refused": 1}
    assert all(r["status"] == "ready" for r in grouped["uploaded"])
    assert any(r["path"].endswith("2019/summer/IMG_0001.heic") for r in grouped["uploaded"])
    assert {Path(r["path"]).name for r in grouped["duplicate"]} == {f"copy_{i}.jpg" for i in range(10)}
    by_name = {Path(r["path"]).name: r for r in results}
    for i in range(10):  # each copy points at the image its twin made
        copy, twin = by_name[f"copy_{i}.jpg"], by_name[f"photo_{i:04d}.jpg"]
        assert copy["id"] == twin["id"] and copy["sha256"] == twin["sha256"]
        assert copy["sha256"] == hashlib.sha256((library / twin["path"]).read_bytes()).hexdigest()
    assert {Path(r["path"]).name for r in grouped["rejected"]} == {"truncated.jpg", "text.jpg", "garbage.png"}
    assert all(r["reason"] for r in grouped["rejected"])  # each with the service's reason
    (refused,) = grouped["refused"]
    assert Path(refused["path"]).name == "big.jpg" and "upload limit" in refused["reason"]
    summary = [line for line in lines(run.stderr) if "uploaded," in line]
    assert summary and summary[-1].startswith("186 uploaded, 10 duplicates skipped, 3 rejected, 1 refused, 0 failed")
    for name in ("truncated.jpg", "text.jpg", "garbage.png", "big.jpg"):  # problem files are listed on stderr
        assert any(name in line for line in lines(run.stderr) if line.startswith(("rejected:", "refused:")))

    records = aws.settled(OWNER)
    assert sorted(r["status"] for r in records).count("ready") == 186
    assert [r["status"] for r in records].count("rejected") == 3 and len(records) == 189  # big.jpg: no record
    assert len(aws.originals(OWNER)) == 186  # one stored original per distinct photo
    assert len({r["sha256"] for r in records if r["status"] == "ready"}) == 186
    assert any(r["content_type"] == "image/heic" for r in records if r["status"] == "ready")


def test_a_rerun_stores_nothing_new(first_run: dict[str, Any], aws: AwsState, library: Path) -> None:
    before = aws.records(OWNER)
    again = run_cli("upload", str(library), "--wait", env=first_run["env"], cwd=first_run["home"], timeout=600)
    assert again.returncode == 1
    assert "resuming: 199 of 200 files done in an earlier run" in again.stderr  # big.jpg is looked at again
    assert again.stdout.startswith("186 uploaded, 10 duplicates skipped, 3 rejected, 1 refused, 0 failed")
    # Without the journal, the service's sha256 answer still keeps every stored photo from being sent.
    fresh = run_cli(
        "upload", str(library), "--json", "--journal", "other.jsonl", env=first_run["env"], cwd=first_run["home"]
    )
    grouped = _by_outcome(json_lines(fresh.stdout))
    assert len(grouped["duplicate"]) == 196 and "failed" not in grouped
    assert len(aws.originals(OWNER)) == 186
    ready_after = [r for r in aws.settled(OWNER) if r["status"] == "ready"]
    assert {r["id"] for r in ready_after} == {r["id"] for r in before if r["status"] == "ready"}


def test_another_owners_token_sees_nothing_of_it(stack: Any, first_run: dict[str, Any], tmp_path: Path) -> None:
    some_id = next(r["id"] for r in first_run["results"] if r["outcome"] == "uploaded")
    other = cli_env(stack.api_url, stack.token("someone-else"), tmp_path)
    assert run_cli("ls", "--json", env=other, cwd=tmp_path).stdout.strip() == ""
    assert run_cli("ls", "--json", "--trash", env=other, cwd=tmp_path).stdout.strip() == ""
    for args in (["get", some_id], ["download", some_id, "-o", str(tmp_path / "x.jpg")], ["rm", some_id]):
        run = run_cli(*args, env=other, cwd=tmp_path)
        assert run.returncode == 1, args
        assert "Not found" in run.stderr and len(lines(run.stderr)) == 1
    assert not (tmp_path / "x.jpg").exists()
    export = run_cli("export", str(tmp_path / "theirs"), env=other, cwd=tmp_path)
    assert export.returncode == 0 and (tmp_path / "theirs" / "images.jsonl").read_text() == ""
    mine = cli_env(stack.api_url, stack.token(OWNER), tmp_path)
    assert run_cli("get", some_id, env=mine, cwd=tmp_path).returncode == 0  # still there for its owner
