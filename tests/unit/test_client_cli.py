"""The `imageapi` command's own logic (clients/python/src/imageapi_client/cli), no stack: the resume
journal, which files a PATH means, option parsing, the progress display starting from a resumed
count."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from rich.console import Console

from imageapi_client.cli import _resize
from imageapi_client.cli.common import token_owner
from imageapi_client.cli.files import MissingPath, collect
from imageapi_client.cli.journal import Journal
from imageapi_client.cli.progress import TransferDisplay

API = "http://127.0.0.1:3000"


def test_the_journal_keeps_the_latest_state_per_owner_and_survives_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    alice = Journal(path, API, "alice")
    alice.load()
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    alice.record("created", sha256="a" * 64, id="IMG1", form={"url": "u", "fields": {}, "expires_at": soon})
    alice.record("uploaded", sha256="a" * 64, id="IMG1")
    alice.record("done", path="/p/1.jpg", size=10, mtime_ns=5, sha256="a" * 64, outcome="uploaded", id="IMG1")
    Journal(path, API, "bob").record("created", sha256="b" * 64, id="IMG2", form={"expires_at": soon})
    with path.open("a") as fh:
        fh.write('{"v": 1, "api": "http://127.0.0.1:3000", "owner": "alice", "event": "fin')  # a crash mid-line

    again = Journal(path, API, "alice")
    again.load()
    state = again.bytes_state("a" * 64)
    assert state and state.event == "uploaded" and state.image_id == "IMG1" and state.form is None
    assert again.bytes_state("b" * 64) is None  # bob's line is not alice's
    assert again.file_state(Path("/p/1.jpg"), 10, 5) is not None
    assert again.file_state(Path("/p/1.jpg"), 11, 5) is None  # changed since: hashed and looked at again
    elsewhere = Journal(path, "http://other:3000", "alice")
    elsewhere.load()
    assert elsewhere.bytes_state("a" * 64) is None
    bob = Journal(path, API, "bob")
    bob.load()
    bob_state = bob.bytes_state("b" * 64)
    assert bob_state and bob_state.form_valid(datetime.now(UTC))
    assert not bob_state.form_valid(datetime.now(UTC) + timedelta(minutes=10))  # expired (or about to)


def test_a_long_journal_is_compacted_to_one_line_per_key(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, API, "alice")
    for i in range(60):
        journal.record("created", sha256=f"{i % 3:064d}", id=f"IMG{i}", form={"expires_at": "x"})
    reloaded = Journal(path, API, "alice")
    reloaded.load()
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and {json.loads(line)["id"] for line in lines} == {"IMG57", "IMG58", "IMG59"}
    state = reloaded.bytes_state(f"{0:064d}")
    assert state and state.image_id == "IMG57"


def test_paths_files_folders_and_globs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = tmp_path / "library"
    (library / "2019" / ".thumbnails").mkdir(parents=True)
    for name in ("b.jpg", "a.PNG", "notes.txt", ".hidden.jpg", "2019/c.heic", "2019/.thumbnails/t.jpg"):
        (library / name).write_bytes(b"x")
    single = tmp_path / "scan.txt"
    single.write_bytes(b"x")
    tasks, skipped = collect([str(library), str(single), str(library / "b.jpg")])
    names = [t.path.relative_to(tmp_path).as_posix() for t in tasks]
    assert names == ["library/a.PNG", "library/b.jpg", "library/2019/c.heic", "scan.txt"]  # each once
    assert skipped == 1  # notes.txt (hidden files and folders are not counted)
    assert tasks[2].root == library.resolve() and tasks[3].root is None
    monkeypatch.chdir(tmp_path)
    globbed, _ = collect(["library/**/*.heic"])
    assert [t.path.name for t in globbed] == ["c.heic"]
    with pytest.raises(MissingPath, match="nowhere"):
        collect([str(library), "nowhere", "library/*.gif"])


def test_resize_accepts_wxh_wx_and_xh_only() -> None:
    spec = _resize("1600x1200", "cover")
    assert spec is not None and (spec.width, spec.height, spec.fit.value) == (1600, 1200, "cover")
    width_only = _resize("800x", "contain")
    assert width_only is not None and width_only.to_dict() == {"width": 800, "fit": "contain"}
    assert _resize(None, "contain") is None
    for bad in ("x", "800", "0x10", "5000x1", "axb"):
        with pytest.raises(click.BadParameter):
            _resize(bad, "contain")


def test_the_journal_owner_is_the_tokens_subject() -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "alice"}).encode()).decode().rstrip("=")
    assert token_owner(f"h.{payload}.s") == "alice"
    assert token_owner("opaque").startswith("token-") and token_owner("opaque") != token_owner("other")


def test_the_progress_bar_starts_from_the_resumed_count() -> None:
    console = Console(record=True, force_terminal=True, width=140)
    display = TransferDisplay(console, "Uploading", live=True)
    display.start(files=200, total_bytes=2_000_000, files_done=120, bytes_done=1_200_000)
    display.file_done(10_000)
    display.stop()
    text = console.export_text()
    first, last = text.index("120/200 files"), text.rindex("121/200 files")  # drawn from 120 on, then 121
    assert first < last and "1.2 MB/2.0 MB" in text
