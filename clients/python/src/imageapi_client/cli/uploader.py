"""The bulk uploader behind `imageapi upload` and `imageapi import`.

Workers (``concurrency`` threads) take files from a queue: hash the file (sha256, in chunks), claim
its bytes (a second file with the same sha256 in this run follows the first and is never sent),
look the bytes up in the journal (an earlier run's upload is confirmed or waited for, never sent
twice), ask for a presigned form with the sha256 (a ready image with those bytes answers as a
duplicate: nothing is sent), stream the file to the storage, and hand the image to the main thread.
The main thread reports, writes the file's outcome to the journal, waits for ``ready`` (``--wait``,
or an earlier run's upload still pending) by listing the pending images with backoff, and stops
the run on Ctrl-C (workers finish the file they hold), on a rejected token, or when the connection
keeps failing.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from imageapi_client.cli.files import FileTask
from imageapi_client.cli.journal import Journal
from imageapi_client.cli.progress import TransferDisplay
from imageapi_client.errors import ApiProblem, ConnectionFailed, ImageApiError, StorageError
from imageapi_client.generated.models import DuplicateImage, ImageOut, ImageStatus, ResizeSpec, UploadForm
from imageapi_client.media import content_type_of, title_for
from imageapi_client.sdk import ImageAPI
from imageapi_client.uploads import sha256_of


class Outcome(StrEnum):
    UPLOADED = "uploaded"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # the service looked at the bytes and refused them (ingest)
    REFUSED = "refused"  # refused before any byte was sent (size limit, type, validation)
    FAILED = "failed"  # could not finish (connection, storage, throttling); a rerun goes on
    NOT_ATTEMPTED = "not attempted"  # the run stopped first


GOOD = (Outcome.UPLOADED, Outcome.DUPLICATE)
RESUMED = (Outcome.UPLOADED.value, Outcome.DUPLICATE.value, Outcome.REJECTED.value)


@dataclass
class FileResult:
    task: FileTask
    outcome: Outcome
    image_id: str | None = None
    sha256: str | None = None
    reason: str | None = None
    status: str | None = None  # the image's status when known
    duplicate_of: str | None = None  # the file of this run with the same bytes
    earlier: bool = False  # settled by an earlier run (journal)
    transport: bool = False  # failed on the connection (counts toward stopping the run)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": str(self.task.path), "outcome": self.outcome.value}
        for name in ("image_id", "sha256", "status", "reason", "duplicate_of"):
            if (value := getattr(self, name)) is not None:
                data["id" if name == "image_id" else name] = value
        if self.earlier:
            data["earlier_run"] = True
        return data


@dataclass
class UploadOptions:
    concurrency: int = 4
    resize: ResizeSpec | None = None
    title_from: str = "name"
    wait: bool = False
    wait_timeout: float = 900.0
    stop_after_failures: int = 0  # consecutive connection failures that stop the run (0: max(3, concurrency))


class Fatal(Exception):
    """Every further file would fail the same way (the token was refused)."""


@dataclass
class _Watched:
    task: FileTask
    sha256: str
    image_id: str
    earlier: bool


@dataclass
class RunReport:
    results: list[FileResult]
    resumed: int
    stopped: str | None = None  # why the run stopped early, if it did
    interrupted: bool = False
    bytes_sent: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


class Uploader:
    def __init__(
        self,
        api: ImageAPI,
        journal: Journal,
        options: UploadOptions,
        display: TransferDisplay,
        on_result: Callable[[FileResult], None],
    ) -> None:
        self.api, self.journal, self.options, self.display, self.on_result = api, journal, options, display, on_result
        self.stop = threading.Event()
        self.stop_reason: str | None = None
        self.interrupted = False
        self.limit: int | None = None
        self._messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._leaders: dict[str, FileTask] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the run
    def run(self, tasks: list[FileTask]) -> RunReport:
        self.limit = self._upload_limit()
        resumed_tasks, todo = self._split_resumed(tasks)
        self.display.start(
            len(tasks), sum(t.size for t in tasks), len(resumed_tasks), sum(t.size for t, _ in resumed_tasks)
        )
        if resumed_tasks:
            self.display.say(
                f"resuming: {len(resumed_tasks)} of {len(tasks)} files done in an earlier run "
                f"(journal {self.journal.path})"
            )
        results: dict[Path, FileResult] = {}
        leaders_final: dict[str, FileResult] = {}
        followers: dict[str, list[FileTask]] = {}
        watched: dict[str, list[_Watched]] = {}
        failures = 0
        stop_after = self.options.stop_after_failures or max(3, self.options.concurrency)

        precounted = {task.path for task, _ in resumed_tasks}

        def settle(result: FileResult, *, counted: bool = True) -> None:
            results[result.task.path] = result
            if counted and result.task.path not in precounted:
                self.display.file_done(result.task.size)
            if result.outcome is not Outcome.NOT_ATTEMPTED and result.sha256:
                self.journal.record(
                    "done",
                    path=str(result.task.path),
                    size=result.task.size,
                    mtime_ns=result.task.mtime_ns,
                    sha256=result.sha256,
                    outcome=result.outcome.value,
                    id=result.image_id,
                    reason=result.reason,
                )
            self.on_result(result)
            if result.sha256 and results.get(result.task.path) is result and result.duplicate_of is None:
                leaders_final.setdefault(result.sha256, result)
                for follower in followers.pop(result.sha256, []):
                    settle(_follow(follower, result))

        confirm: list[tuple[FileTask, str]] = []
        for task, state in resumed_tasks:
            if state.outcome == Outcome.UPLOADED.value and self._unconfirmed(state.sha256):
                confirm.append((task, state.sha256))  # a worker looks it up (and it may be waited for)
                continue
            result = FileResult(
                task,
                Outcome(state.outcome),
                image_id=state.image_id,
                sha256=state.sha256,
                reason=state.reason,
                earlier=True,
            )
            results[task.path] = result
            self.on_result(result)

        jobs: queue.Queue[FileTask] = queue.Queue()
        for task in todo:
            jobs.put(task)
        workers = [
            threading.Thread(target=self._work, args=(jobs, confirm), daemon=True, name=f"upload-{i}")
            for i in range(max(1, self.options.concurrency))
        ]
        for worker in workers:
            worker.start()

        poll_at, poll_interval = 0.0, 0.2
        deadline: float | None = None
        while True:
            busy = any(w.is_alive() for w in workers)
            try:
                kind, payload = self._messages.get(timeout=0.05)
            except queue.Empty:
                kind, payload = "", None
            if kind == "result":
                if payload.transport:
                    failures += 1
                    if failures >= stop_after and not self.stop.is_set():
                        self.stop_reason = f"the connection keeps failing ({payload.reason})"
                        self.stop.set()
                elif payload.outcome in GOOD:
                    failures = 0
                settle(payload)
            elif kind == "follow":
                task, sha = payload
                if sha in leaders_final:
                    settle(_follow(task, leaders_final[sha]))
                else:
                    followers.setdefault(sha, []).append(task)
            elif kind == "watch":
                item: _Watched = payload
                watched.setdefault(item.image_id, []).append(item)
                poll_at = min(poll_at, time.monotonic() + 0.1) if poll_at else time.monotonic() + 0.1
            elif kind == "fatal":
                self.stop_reason = str(payload)
                self.stop.set()

            if watched and not self.interrupted and time.monotonic() >= poll_at:
                finished = self._poll(watched)
                for item, image in finished:
                    final = _final(item, image)
                    if image is not None:
                        self.journal.record(
                            "final", sha256=item.sha256, id=image.id, status=image.status.value, reason=final.reason
                        )
                    settle(final)
                poll_interval = 0.2 if finished else min(2.0, poll_interval * 2)
                poll_at = time.monotonic() + poll_interval
                if deadline is None and not busy:
                    deadline = time.monotonic() + self.options.wait_timeout
                if deadline is not None and time.monotonic() > deadline:
                    self.stop_reason = f"images still pending after {self.options.wait_timeout:g} s"
                    break
            if not busy and self._messages.empty() and (not watched or self.interrupted or self.stop_reason):
                break

        for items in watched.values():  # not waited for (interrupted): their bytes are stored
            for item in items:
                settle(FileResult(item.task, Outcome.UPLOADED, item.image_id, item.sha256, status="pending"))
        for task in todo:
            if task.path not in results:
                settle(FileResult(task, Outcome.NOT_ATTEMPTED), counted=False)
        ordered = [results[t.path] for t in tasks if t.path in results]
        counts: dict[str, int] = {}
        for result in ordered:
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        return RunReport(
            ordered,
            len(resumed_tasks),
            self.stop_reason,
            self.interrupted,
            self.display.bytes_sent,
            self.display.elapsed,
            counts,
        )

    def interrupt(self) -> None:
        """Ctrl-C: start no new file; the ones in flight finish (their pending records get bytes)."""
        self.interrupted = True
        self.stop_reason = self.stop_reason or "interrupted"
        self.stop.set()

    # ------------------------------------------------------------------ before the workers
    def _upload_limit(self) -> int | None:
        """The service's upload limit (GET /health), and a first authenticated call: a wrong token or
        an unreachable URL stops the command here, before any file is touched."""
        limits = self.api.health().limits
        next(self.api.iter_images(page_size=1), None)
        return int(limits.max_upload_bytes)

    def _split_resumed(self, tasks: list[FileTask]) -> tuple[list[tuple[FileTask, Any]], list[FileTask]]:
        resumed, todo = [], []
        for task in tasks:
            state = self.journal.file_state(task.path, task.size, task.mtime_ns)
            if state and state.outcome in RESUMED:
                resumed.append((task, state))
            else:
                todo.append(task)
        return resumed, todo

    def _unconfirmed(self, sha256: str) -> bool:
        state = self.journal.bytes_state(sha256)
        return state is not None and state.event != "final"

    # ------------------------------------------------------------------ workers
    def _work(self, jobs: queue.Queue[FileTask], confirm: list[tuple[FileTask, str]]) -> None:
        while True:
            with self._lock:
                pending_confirm = confirm.pop() if confirm else None
            if pending_confirm:
                task, sha = pending_confirm
                self._guarded(task, functools.partial(self._confirm, task, sha))
                continue
            if self.stop.is_set():
                return
            try:
                task = jobs.get_nowait()
            except queue.Empty:
                return
            self._guarded(task, functools.partial(self._process, task))

    def _guarded(self, task: FileTask, call: Callable[[], None]) -> None:
        try:
            call()
        except Fatal as error:
            self._messages.put(("fatal", str(error)))
            self._messages.put(("result", FileResult(task, Outcome.FAILED, reason=str(error))))
        except ConnectionFailed as error:
            self._result(task, Outcome.FAILED, reason=error.one_line(), transport=True)
        except ImageApiError as error:
            self._result(task, Outcome.FAILED, reason=error.one_line())
        except OSError as error:
            self._result(task, Outcome.FAILED, reason=f"cannot read: {error.strerror or error}")
        except Exception as error:  # a bug must not hang the run: report it on the file
            self._result(task, Outcome.FAILED, reason=f"{type(error).__name__}: {error}")

    def _result(self, task: FileTask, outcome: Outcome, **data: Any) -> None:
        self._messages.put(("result", FileResult(task, outcome, **data)))

    def _confirm(self, task: FileTask, sha: str) -> None:
        """A file an earlier run uploaded: wait for it if still pending, never send it again."""
        state = self.journal.bytes_state(sha)
        image = self._lookup(state.image_id if state else None)
        if image is None:
            self._process(task)
        elif image.status is ImageStatus.PENDING:
            self._messages.put(("watch", _Watched(task, sha, image.id, earlier=True)))
        else:
            self._messages.put(("result", _final(_Watched(task, sha, image.id, earlier=True), image)))

    def _process(self, task: FileTask) -> None:
        sha = self._sha256(task)
        if task.sha256 and sha != task.sha256.lower():
            self._result(task, Outcome.REFUSED, sha256=sha, reason="the file's sha256 differs from images.jsonl")
            return
        with self._lock:
            leader = self._leaders.setdefault(sha, task)
        if leader is not task:
            self._messages.put(("follow", (task, sha)))
            return
        state = self.journal.bytes_state(sha)
        if state and state.image_id and state.event != "final":
            image = self._lookup(state.image_id)
            if image is not None and image.status is not ImageStatus.PENDING:
                self._messages.put(("result", _final(_Watched(task, sha, image.id, earlier=True), image)))
                return
            if image is not None and state.event == "uploaded":
                self._messages.put(("watch", _Watched(task, sha, image.id, earlier=True)))
                return
            if image is not None and state.form and state.form_valid(datetime.now(UTC)):
                form = UploadForm.from_dict(state.form)
                kind = str(state.form.get("content_type") or self._content_type(task) or "")
                self._send(task, sha, image.id, form, kind)
                return
            if image is not None:  # created, never uploaded, form expired: start over
                self._forget(image.id)
        elif state and state.event == "final" and state.status == ImageStatus.REJECTED.value:
            self._result(task, Outcome.REJECTED, image_id=state.image_id, sha256=sha, reason=state.reason)
            return
        self._fresh(task, sha)

    def _fresh(self, task: FileTask, sha: str) -> None:
        kind = self._content_type(task)
        if kind is None:
            reason = "not an image file (no image extension, no image signature in its first bytes)"
            self._result(task, Outcome.REFUSED, sha256=sha, reason=reason)
            return
        if task.size == 0:
            self._result(task, Outcome.REFUSED, sha256=sha, reason="the file is empty")
            return
        if self.limit is not None and task.size > self.limit:
            reason = f"{task.size} bytes is over the service's upload limit of {self.limit} bytes (GET /health)"
            self._result(task, Outcome.REFUSED, sha256=sha, reason=reason)
            return
        title = task.title or title_for(task.path, task.root, self.options.title_from)
        try:
            created = self.api.create_upload(title, kind, task.size, sha256=sha, resize=self.options.resize)
        except ApiProblem as problem:
            if problem.status in (401, 403):
                raise Fatal(problem.one_line()) from problem
            outcome = Outcome.FAILED if problem.status == 429 or problem.status >= 500 else Outcome.REFUSED
            self._result(task, outcome, sha256=sha, reason=problem.one_line())
            return
        except ValueError as error:  # a type the generated enum does not know (an older API)
            self._result(task, Outcome.REFUSED, sha256=sha, reason=str(error))
            return
        if isinstance(created, DuplicateImage):
            image = created.image
            self.journal.record("final", sha256=sha, id=image.id, status=image.status.value)
            self._result(task, Outcome.DUPLICATE, image_id=image.id, sha256=sha, status=image.status.value)
            return
        form = created.upload
        image_id = created.image.id
        self.journal.record("created", sha256=sha, id=image_id, form={**form.to_dict(), "content_type": kind})
        self._send(task, sha, image_id, form, kind)

    def _send(self, task: FileTask, sha: str, image_id: str, form: UploadForm, kind: str) -> None:
        try:
            self.api.send_file(form, task.path, kind, on_progress=self.display.sent)
        except StorageError as error:
            self._result(task, Outcome.FAILED, image_id=image_id, sha256=sha, reason=error.one_line())
            return
        self.journal.record("uploaded", sha256=sha, id=image_id)
        if self.options.wait:
            self._messages.put(("watch", _Watched(task, sha, image_id, earlier=False)))
        else:
            self._result(task, Outcome.UPLOADED, image_id=image_id, sha256=sha, status="pending")

    # ------------------------------------------------------------------ helpers
    def _sha256(self, task: FileTask) -> str:
        state = self.journal.file_state(task.path, task.size, task.mtime_ns)
        return state.sha256 if state else sha256_of(task.path)

    def _content_type(self, task: FileTask) -> str | None:
        return task.content_type or content_type_of(task.path)

    def _lookup(self, image_id: str | None) -> ImageOut | None:
        if not image_id:
            return None
        try:
            return self.api.get(image_id)
        except ApiProblem as problem:
            if problem.status == 404:
                return None
            raise

    def _forget(self, image_id: str) -> None:
        """A pending record whose form expired unused: delete it, so none is left behind."""
        try:
            self.api.delete(image_id)
        except ApiProblem as problem:
            if problem.status != 404:
                raise

    def _poll(self, watched: dict[str, list[_Watched]]) -> list[tuple[_Watched, ImageOut | None]]:
        """Which watched images are no longer pending: one listing of the pending images (a page
        per 100 images), then one GET for each that left it (None: it is gone, deleted meanwhile)."""
        finished: list[tuple[_Watched, ImageOut | None]] = []
        try:
            still = {image.id for image in self.api.iter_images(status="pending")}
            for image_id in [i for i in watched if i not in still]:
                image = self._lookup(image_id)
                if image is None or image.status is not ImageStatus.PENDING:
                    finished.extend((item, image) for item in watched.pop(image_id))
        except ImageApiError:
            pass  # asked again at the next poll
        return finished


def _final(item: _Watched, image: ImageOut | None) -> FileResult:
    if image is None:
        return FileResult(
            item.task, Outcome.FAILED, item.image_id, item.sha256, reason="the image was deleted meanwhile"
        )
    if image.status is ImageStatus.READY:
        return FileResult(item.task, Outcome.UPLOADED, image.id, item.sha256, status="ready", earlier=item.earlier)
    reason = image.rejection_reason if isinstance(image.rejection_reason, str) else "rejected"
    return FileResult(
        item.task, Outcome.REJECTED, image.id, item.sha256, reason=reason, status="rejected", earlier=item.earlier
    )


def _follow(task: FileTask, leader: FileResult) -> FileResult:
    """A file with the same bytes as an earlier file of this run shares its fate, without a send."""
    same = f"same bytes as {leader.task.path.name}"
    if leader.outcome in GOOD:
        return FileResult(
            task,
            Outcome.DUPLICATE,
            leader.image_id,
            leader.sha256,
            status=leader.status,
            duplicate_of=str(leader.task.path),
        )
    reason = f"{same}: {leader.reason}" if leader.reason else same
    return FileResult(
        task, leader.outcome, leader.image_id, leader.sha256, reason=reason, duplicate_of=str(leader.task.path)
    )
