"""The commands one by one against the local stack, and bad input: each mistake is one line on
stderr and a non-zero exit, with nothing half-written (no record, no object, no partial file)."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from tests.e2e.clients.helpers import (
    IMAGEAPI,
    AwsState,
    cli_env,
    drop_root_file_access,
    json_lines,
    lines,
    noise_jpeg,
    run_cli,
)


def _env(stack: Any, owner: str, home: Path, **extra: str) -> dict[str, str]:
    return cli_env(stack.api_url, stack.token(owner), home, **extra)


def _one_error_line(stderr: str) -> str:
    found = lines(stderr)
    assert len(found) == 1, stderr
    assert "Traceback" not in stderr
    return found[0]


def _nothing_stored(aws: AwsState, owner: str) -> None:
    assert aws.records(owner) == []
    assert aws.objects("incoming/") == [] and aws.originals(owner) == []


def test_the_console_script_is_installed_and_documents_every_command(tmp_path: Path) -> None:
    run = run_cli("--help", env=dict(os.environ), cwd=tmp_path)
    assert run.returncode == 0
    for command in ("upload", "ls", "get", "download", "rm", "restore", "export", "import", "login"):
        assert command in run.stdout
    assert IMAGEAPI.name == "imageapi"


def test_a_file_that_is_not_an_image_is_refused_before_anything_is_created(
    stack: Any, aws: AwsState, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a shopping list, not a photo")
    run = run_cli("upload", str(notes), env=_env(stack, "bad-text", tmp_path), cwd=tmp_path)
    assert run.returncode == 1
    line = _one_error_line(run.stderr)
    assert line.startswith("refused: ") and "notes.txt" in line and "not an image" in line
    assert "0 uploaded" in run.stdout and "1 refused" in run.stdout
    _nothing_stored(aws, "bad-text")


def test_an_unreadable_file_fails_alone_and_creates_nothing(stack: Any, aws: AwsState, tmp_path: Path) -> None:
    locked = tmp_path / "locked.jpg"
    locked.write_bytes(noise_jpeg())
    locked.chmod(0)
    try:
        run = run_cli(
            "upload",
            str(locked),
            env=_env(stack, "bad-unreadable", tmp_path),
            cwd=tmp_path,
            preexec=drop_root_file_access if os.geteuid() == 0 else None,
        )
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert run.returncode == 1
    line = _one_error_line(run.stderr)
    assert line.startswith("failed: ") and "locked.jpg" in line and "Permission denied" in line
    _nothing_stored(aws, "bad-unreadable")


def test_a_missing_path_stops_before_any_upload(stack: Any, aws: AwsState, tmp_path: Path) -> None:
    real = tmp_path / "real.jpg"
    real.write_bytes(noise_jpeg())
    run = run_cli(
        "upload", str(real), str(tmp_path / "nowhere"), env=_env(stack, "bad-missing", tmp_path), cwd=tmp_path
    )
    assert run.returncode == 1
    assert _one_error_line(run.stderr) == f"error: no such file or folder: {tmp_path / 'nowhere'}"
    _nothing_stored(aws, "bad-missing")  # not even the file that exists
    assert not (tmp_path / ".imageapi-journal.jsonl").exists()


def test_a_wrong_token_is_a_one_line_401_before_any_file_is_read(stack: Any, aws: AwsState, tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(noise_jpeg())
    env = cli_env(stack.api_url, stack.token("bad-token")[:-8] + "AAAAAAAA", tmp_path)
    for args in (["upload", str(photo)], ["ls"], ["export", str(tmp_path / "out")]):
        run = run_cli(*args, env=env, cwd=tmp_path)
        assert run.returncode == 1, args
        line = _one_error_line(run.stderr)
        assert line == "error: Missing or invalid token: Signature verification failed", line
    _nothing_stored(aws, "bad-token")
    assert not (tmp_path / "out" / "images.jsonl").exists()


def test_an_unreachable_url_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    photo = tmp_path / "p.jpg"
    photo.write_bytes(noise_jpeg())
    env = cli_env(f"http://127.0.0.1:{port}", "any-token", tmp_path)
    for args in (["upload", str(photo)], ["ls"], ["get", "01J00000000000000000000000"]):
        run = run_cli(*args, env=env, cwd=tmp_path, timeout=120)
        assert run.returncode == 1, args
        assert _one_error_line(run.stderr) == f"error: cannot reach http://127.0.0.1:{port}: connection refused"
    with_debug = run_cli("ls", "--debug", env=env, cwd=tmp_path, timeout=120)
    assert with_debug.returncode == 1 and "Traceback" in with_debug.stderr


def test_upload_get_ls_download_rm_restore_and_the_trash(stack: Any, tmp_path: Path) -> None:
    env = _env(stack, "commands", tmp_path)
    folder = tmp_path / "pics"
    folder.mkdir()
    (folder / "Harbour_at_dusk.jpg").write_bytes(noise_jpeg(96, 64))
    (folder / "Old town.jpg").write_bytes(noise_jpeg(80, 60))
    up = run_cli("upload", str(folder), "--wait", "--json", "--resize", "40x", env=env, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    results = {Path(r["path"]).name: r for r in json_lines(up.stdout)}
    assert {r["outcome"] for r in results.values()} == {"uploaded"}
    harbour = results["Harbour_at_dusk.jpg"]["id"]

    got = json.loads(run_cli("get", harbour, env=env, cwd=tmp_path).stdout)
    assert got["title"] == "Harbour at dusk" and got["status"] == "ready"
    assert got["width"] == 40 and got["original"]["width"] == 96  # --resize: the served size

    listed = json_lines(run_cli("ls", "--json", env=env, cwd=tmp_path).stdout)
    assert {i["title"] for i in listed} == {"Harbour at dusk", "Old town"}
    found = json_lines(run_cli("ls", "--json", "-q", "harb", "--status", "ready", env=env, cwd=tmp_path).stdout)
    assert [i["id"] for i in found] == [harbour]
    table = run_cli("ls", env=env, cwd=tmp_path).stdout
    assert "Harbour at dusk" in table and harbour in table

    original = tmp_path / "original.jpg"
    down = run_cli("download", harbour, "--variant", "original", "-o", str(original), env=env, cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert original.read_bytes() == (folder / "Harbour_at_dusk.jpg").read_bytes()
    small = run_cli("download", harbour, "--width", "20", "--format", "png", env=env, cwd=tmp_path)
    assert small.returncode == 0, small.stderr
    written = tmp_path / small.stdout.strip()
    assert written.read_bytes().startswith(b"\x89PNG") and not list(tmp_path.glob("*.part"))
    both = run_cli("download", harbour, "--variant", "display", "--width", "20", env=env, cwd=tmp_path)
    assert both.returncode == 2 and "exclude each other" in both.stderr

    assert run_cli("rm", harbour, env=env, cwd=tmp_path).stdout.strip() == f"trashed {harbour}"
    trash = json_lines(run_cli("ls", "--trash", "--json", env=env, cwd=tmp_path).stdout)
    assert [(i["id"], i["status"]) for i in trash] == [(harbour, "deleted")]
    again = run_cli("rm", harbour, env=env, cwd=tmp_path)
    assert again.returncode == 1 and _one_error_line(again.stderr).startswith(f"error: {harbour}: Not found")
    assert run_cli("restore", harbour, env=env, cwd=tmp_path).stdout.strip() == f"restored {harbour}"
    assert json.loads(run_cli("get", harbour, env=env, cwd=tmp_path).stdout)["status"] == "ready"
    gone = run_cli("rm", harbour, "--permanent", env=env, cwd=tmp_path)
    assert gone.stdout.strip() == f"removed {harbour}"
    assert run_cli("restore", harbour, env=env, cwd=tmp_path).returncode == 1
    assert run_cli("ls", "--trash", "--json", env=env, cwd=tmp_path).stdout.strip() == ""


def test_login_local_saves_a_token_the_other_commands_use(stack: Any, tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env(stack.api_url, "unused", tmp_path).items() if not k.startswith("IMAGEAPI_")}
    login = run_cli("login", "--local", "--url", stack.api_url, "--sub", "from-login", env=env, cwd=tmp_path)
    assert login.returncode == 0, login.stderr
    saved = tmp_path / "config" / "imageapi" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    photo = tmp_path / "mine.jpg"
    photo.write_bytes(noise_jpeg())
    up = run_cli("upload", str(photo), "--wait", env=env, cwd=tmp_path)  # no --url, no --token
    assert up.returncode == 0, up.stderr
    other = cli_env(stack.api_url, stack.token("someone-else"), tmp_path)
    assert run_cli("ls", "--json", env=other, cwd=tmp_path).stdout.strip() == ""
    mine = json_lines(run_cli("ls", "--json", env=env, cwd=tmp_path).stdout)
    assert [i["title"] for i in mine] == ["mine"]


def test_get_of_an_unknown_id_is_a_one_line_problem(stack: Any, tmp_path: Path) -> None:
    run = run_cli("get", "01J00000000000000000000000", env=_env(stack, "nobody", tmp_path), cwd=tmp_path)
    assert run.returncode == 1
    assert _one_error_line(run.stderr).startswith("error: Not found: no image with id")
