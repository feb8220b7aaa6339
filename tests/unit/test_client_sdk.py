"""The Python SDK's own logic (clients/python), no stack: RFC 9457 problems as one exception, the
retry rules (against a real HTTP server on loopback that answers as scripted, on a settable
clock), waiting with backoff, paging, the presigned POST streamed from disk, and what a file is."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from imageapi_client import ApiProblem, Backoff, ConnectionFailed, ImageAPI, MissingSetting, RetryPolicy
from imageapi_client.media import clean_title, content_type_of, sniff, title_for
from imageapi_client.uploads import CountingReader, post_form, sha256_of
from tests.harness.images import jpeg, png


class Scripted:
    """A loopback HTTP server answering each request with the next scripted (status, headers, body)."""

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                scripted.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, headers, payload = scripted.answers.pop(0) if scripted.answers else (200, {}, b"{}")
                self.send_response(status)
                for name, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Scripted]:
    running = Scripted([])
    yield running
    running.close()


def _image(image_id: str, status: str = "ready", **extra: Any) -> dict[str, Any]:
    return {
        "id": image_id,
        "title": "t",
        "status": status,
        "content_type": "image/jpeg",
        "bytes": 10,
        "width": 1,
        "height": 1,
        "original": {"width": 1, "height": 1, "bytes": 10},
        "sha256": "0" * 64,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "links": {"self": "/", "download": "/", "thumbnail": "/", "analysis": "/"},
        **extra,
    }


PROBLEM = {
    "type": "urn:image-api:problem:validation-failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "size: Input should be greater than or equal to 1",
    "errors": [{"field": "size", "message": "Input should be greater than or equal to 1"}],
}


def _api(server: Scripted, sleeps: list[float] | None = None, **kwargs: Any) -> ImageAPI:
    log = sleeps if sleeps is not None else []
    return ImageAPI(server.url, "tok", sleep=log.append, **kwargs)


def test_settings_come_from_the_environment_or_fail_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEAPI_URL", raising=False)
    monkeypatch.delenv("IMAGEAPI_TOKEN", raising=False)
    with pytest.raises(MissingSetting, match="IMAGEAPI_URL"):
        ImageAPI()
    monkeypatch.setenv("IMAGEAPI_URL", "http://127.0.0.1:1/")
    with pytest.raises(MissingSetting, match="IMAGEAPI_TOKEN"):
        ImageAPI()
    monkeypatch.setenv("IMAGEAPI_TOKEN", "t")
    assert ImageAPI().url == "http://127.0.0.1:1"
    with pytest.raises(MissingSetting, match="http"):
        ImageAPI("ftp://x", "t")


def test_every_error_answer_is_one_api_problem_with_its_fields(server: Scripted) -> None:
    server.answers = [(422, {"content-type": "application/problem+json"}, json.dumps(PROBLEM).encode())]
    with _api(server) as api, pytest.raises(ApiProblem) as raised:
        api.get("01J00000000000000000000000")
    problem = raised.value
    assert (problem.status, problem.type, problem.title) == (422, PROBLEM["type"], "Validation failed")
    assert problem.detail == PROBLEM["detail"] and problem.errors[0].field == "size"
    assert str(problem) == "Validation failed: size: Input should be greater than or equal to 1"


def test_an_answer_that_is_no_problem_document_still_becomes_one() -> None:
    gateway = httpx.Response(403, json={"message": "Forbidden"})
    assert ApiProblem.from_response(gateway).one_line() == "Forbidden"
    html = httpx.Response(502, content=b"<html>Bad gateway</html>\n<body/>")
    problem = ApiProblem.from_response(html)
    assert problem.status == 502 and problem.title == "Bad Gateway" and problem.detail == "<html>Bad gateway</html>"


def test_throttling_is_retried_after_retry_after_then_answered(server: Scripted) -> None:
    throttled = (429, {"retry-after": "2"}, b'{"message": "Too Many Requests"}')
    server.answers = [throttled, throttled, (200, {}, json.dumps(_image("A")).encode())]
    sleeps: list[float] = []
    with _api(server, sleeps) as api:
        assert api.get("A").id == "A"
    assert sleeps == [2.0, 2.0] and len(server.requests) == 3
    server.answers = [throttled] * 5
    with _api(server, sleeps, retry=RetryPolicy(attempts=3)) as api, pytest.raises(ApiProblem) as raised:
        api.get("A")
    assert raised.value.status == 429 and raised.value.retry_after == 2.0


def test_a_post_is_not_repeated_after_a_gateway_error_but_a_get_is(server: Scripted) -> None:
    server.answers = [(502, {}, b"{}"), (200, {}, json.dumps(_image("A")).encode())]
    with _api(server) as api:
        assert api.get("A").id == "A"
    server.answers = [(502, {}, b"{}"), (201, {}, b"{}")]
    before = len(server.requests)
    with _api(server) as api, pytest.raises(ApiProblem) as raised:
        api.create_upload("t", "image/jpeg", 10)
    assert raised.value.status == 502 and len(server.requests) == before + 1


def test_a_refused_connection_is_retried_briefly_then_one_error() -> None:
    sleeps: list[float] = []
    with ImageAPI("http://127.0.0.1:9", "t", sleep=sleeps.append) as api, pytest.raises(ConnectionFailed) as raised:
        api.health()
    assert len(sleeps) == 2  # three tries in all
    assert raised.value.one_line() == "cannot reach http://127.0.0.1:9: connection refused"


def test_the_token_may_be_a_callable_asked_per_request(server: Scripted) -> None:
    tokens = iter(["one", "two"])
    server.answers = [(200, {}, json.dumps(_image("A")).encode())] * 2
    with ImageAPI(server.url, lambda: next(tokens)) as api:
        api.get("A")
        api.get("A")
    assert [r["headers"]["Authorization"] for r in server.requests] == ["Bearer one", "Bearer two"]


def test_iter_images_follows_every_cursor(server: Scripted) -> None:
    pages = [
        {"items": [_image("C"), _image("B")], "next_cursor": "x.AAAAAAAAAAAAAAAAAAAAAA"},
        {"items": [_image("A")], "next_cursor": None},
    ]
    server.answers = [(200, {}, json.dumps(p).encode()) for p in pages]
    with _api(server) as api:
        assert [i.id for i in api.iter_images(status="deleted", q="harb", page_size=2)] == ["C", "B", "A"]
    first, second = (r["path"] for r in server.requests)
    assert "status=deleted" in first and "q=harb" in first and "limit=2" in first and "cursor" not in first
    assert "cursor=x.AAAAAAAAAAAAAAAAAAAAAA" in second


def test_wait_polls_with_growing_pauses_until_ready_or_rejected(server: Scripted) -> None:
    pending = (200, {}, json.dumps(_image("A", "pending")).encode())
    rejected = (200, {}, json.dumps(_image("A", "rejected", rejection_reason="truncated")).encode())
    server.answers = [pending, pending, pending, rejected]
    sleeps: list[float] = []
    with _api(server, sleeps) as api:
        image = api.wait("A", backoff=Backoff(base=0.1, cap=0.3, jitter=lambda limit: limit))
    assert image.status.value == "rejected" and image.rejection_reason == "truncated"
    assert sleeps == [0.1, 0.2, 0.3]


def test_the_presigned_post_sends_the_fields_then_the_file_streamed(server: Scripted, tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    data = jpeg(200, 150)
    photo.write_bytes(data)
    server.answers = [(204, {}, b"")]
    seen: list[int] = []
    with httpx.Client() as http:
        post_form(
            http,
            server.url + "/bucket",
            {"key": "incoming/a", "policy": "p"},
            photo,
            "image/jpeg",
            on_progress=seen.append,
        )
    body = server.requests[0]["body"]
    assert body.index(b'name="key"') < body.index(b'name="policy"') < body.index(b'name="file"')
    assert data in body and sum(seen) == len(data)
    assert int(server.requests[0]["headers"]["Content-Length"]) == len(body)  # sized, as S3 requires


def test_a_storage_refusal_is_read_from_its_xml(server: Scripted, tmp_path: Path) -> None:
    from imageapi_client import StorageError

    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x" * 10)
    xml = (
        b"<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum</Message>"
        b"<ProposedSize>10</ProposedSize><MaxSizeAllowed>8</MaxSizeAllowed></Error>"
    )
    server.answers = [(400, {"content-type": "application/xml"}, xml)]
    with httpx.Client() as http, pytest.raises(StorageError) as raised:
        post_form(http, server.url, {}, photo, "image/jpeg")
    assert raised.value.code == "EntityTooLarge" and "exceeds the maximum" in raised.value.one_line()
    assert "(sent 10 bytes, allowed at most 8 bytes)" in raised.value.one_line()  # the sizes S3 names


def test_the_counting_reader_counts_and_uncounts_a_rewind(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * 1000)
    seen: list[int] = []
    with path.open("rb") as raw:
        reader = CountingReader(raw, seen.append)
        assert reader.read(600) and reader.read(600) and reader.read(600) == b""
        reader.seek(0)
    assert seen == [600, 400, -1000]
    assert sha256_of(path, chunk=7) == __import__("hashlib").sha256(b"a" * 1000).hexdigest()


def test_what_a_file_is_and_the_title_it_gets(tmp_path: Path) -> None:
    assert sniff(jpeg(8, 8)) == "image/jpeg" and sniff(png(8, 8)) == "image/png"
    assert sniff(b"GIF89a....") == "image/gif" and sniff(b"hello world") is None
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "image/heic"
    assert sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf") == "image/avif"
    unnamed = tmp_path / "scan"
    unnamed.write_bytes(png(4, 4))
    assert content_type_of(unnamed) == "image/png"
    text = tmp_path / "notes.txt"
    text.write_text("no")
    assert content_type_of(text) is None
    assert content_type_of(tmp_path / "IMG_1.HEIC") == "image/heic"  # by name, not read
    assert clean_title("Harbour_at\u200b  dusk\x07") == "Harbour at dusk"
    assert clean_title("\x00") == "Untitled image" and len(clean_title("x" * 500)) == 200
    root = tmp_path / "library"
    assert title_for(root / "2019" / "beach_day.jpg", root, "name") == "beach day"
    assert title_for(root / "2019" / "beach_day.jpg", root, "path") == "2019/beach day"
