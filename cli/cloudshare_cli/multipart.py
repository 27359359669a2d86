"""Large files in parts, straight to storage (the server's /api/v1/uploads; docs/multipart.md).

Parts go in parallel; each is read from the file when its turn comes, so memory holds at most the
parts in flight. A small state file (in the CLI's config folder, keyed by the file's path, size and
mtime) keeps the upload's id: run again after a kill or a lost connection, the CLI asks the server
which parts storage holds and sends only the others. A changed file has another key: a new upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from cloudshare_cli.client import USER_AGENT, ApiClient, ApiError, CliError, NetworkError, raise_for
from cloudshare_cli.config import config_path

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MIB = 1024 * 1024
DEFAULT_THRESHOLD = 64 * MIB
URL_BATCH = 100  # part URLs asked for at once (they expire: asked for as the parts come up)
URL_FRESH_SECONDS = 10 * 60  # the server's part URLs last 15 minutes; older ones are asked for again
PART_ATTEMPTS = 4
PART_TIMEOUT = (10, 300)
COMPLETE_ATTEMPTS = 4
MAX_LISTED_ETAGS = 1000  # the server takes this many in a complete; past it, it completes with what S3 lists


def state_folder() -> Path:
    return config_path().parent / "uploads"


def state_file(path: Path, size: int, mtime_ns: int) -> Path:
    key = hashlib.sha256(f"{path.resolve()}\0{size}\0{mtime_ns}".encode()).hexdigest()[:32]
    return state_folder() / f"{key}.json"


def _load_state(file: Path, api_url: str) -> dict[str, Any] | None:
    try:
        state = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("api_url") == api_url and state.get("upload_id") else None


def _save_state(file: Path, state: dict[str, Any]) -> None:
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = file.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(state, handle)
    os.replace(partial, file)


class _PartUrls:
    """Presigned URLs, asked for in fixed batches of URL_BATCH parts: one call per batch, whichever of its
    parts a thread needs first, and the next batch asked for in the background once this one is half used,
    so that no part waits for its URL. A batch is asked for again when its URLs near their expiry, or when
    storage refused one of them (once, however many threads saw the refusal)."""

    def __init__(self, client: ApiClient, upload_id: str, numbers: list[int]):
        self.client, self.upload_id = client, upload_id
        self.batches = [numbers[start : start + URL_BATCH] for start in range(0, len(numbers), URL_BATCH)]
        self.place = {number: divmod(index, URL_BATCH) for index, number in enumerate(numbers)}
        self.asked: dict[int, tuple[float, Future[dict[int, str]]]] = {}
        self.lock = threading.Lock()
        self.asker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="part-urls")

    def __enter__(self) -> _PartUrls:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.asker.shutdown(cancel_futures=True)

    def get(self, number: int, *, refused: str | None = None) -> str:
        """The URL of part `number`; `refused`: the URL storage refused for it (expired)."""
        batch, position = self.place[number]
        with self.lock:
            asked_at, answer = self.asked.get(batch) or self._ask(batch)
            too_old = time.monotonic() - asked_at > URL_FRESH_SECONDS
            if too_old or (refused is not None and answer.done() and answer.result().get(number) == refused):
                asked_at, answer = self._ask(batch)
            if position >= URL_BATCH // 2 and batch + 1 < len(self.batches) and batch + 1 not in self.asked:
                self._ask(batch + 1)
        return answer.result()[number]

    def _ask(self, batch: int) -> tuple[float, Future[dict[int, str]]]:
        self.asked[batch] = (
            time.monotonic(),
            self.asker.submit(self.client.part_urls, self.upload_id, self.batches[batch]),
        )
        return self.asked[batch]


def multipart_upload(
    client: ApiClient,
    path: Path,
    name: str,
    content_type: str,
    version_name: str | None,
    jobs: int,
    progress: Callable[[int], None],
) -> str:
    """Sends the file in parts (resuming an unfinished upload of the same file) and completes it;
    returns the item's slug. progress(bytes) is called with the bytes in storage so far."""
    stat = path.stat()
    state_path = state_file(path, stat.st_size, stat.st_mtime_ns)
    state = _load_state(state_path, client.base)
    stored: dict[int, dict[str, Any]] = {}
    if state is not None:
        try:
            listing = client.stored_parts(state["upload_id"])
            stored = {part["number"]: part for part in listing.get("parts", [])}
            print(f"resuming {name}: {len(stored)} of {state['part_count']} parts already in storage", file=sys.stderr)
        except ApiError as error:
            if error.status != 404:
                raise
            state = None  # aborted or abandoned meanwhile: start again
    if state is None:
        started = client.start_multipart(name, stat.st_size, content_type, version_name)
        state = {
            "api_url": client.base,
            "upload_id": started["upload_id"],
            "slug": started["slug"],
            "part_size": started["part_size"],
            "part_count": started["part_count"],
        }
        _save_state(state_path, state)
    part_size, count = state["part_size"], state["part_count"]
    etags = {
        number: part["etag"]
        for number, part in stored.items()
        if part.get("size") == _length(number, part_size, stat.st_size)
    }
    todo = [number for number in range(1, count + 1) if number not in etags]
    done = [sum(_length(number, part_size, stat.st_size) for number in etags)]
    progress(done[0])
    lock = threading.Lock()

    with _PartUrls(client, state["upload_id"], todo) as urls, ThreadPoolExecutor(max_workers=jobs) as pool:

        def send(number: int) -> None:
            etag = _send_part(urls, path, number, part_size, stat.st_size)
            with lock:
                etags[number] = etag
                done[0] += _length(number, part_size, stat.st_size)
                progress(done[0])

        for _ in pool.map(send, todo):
            pass
    listed = [{"number": number, "etag": etags[number]} for number in sorted(etags)]
    _complete(client, state["upload_id"], listed if count <= MAX_LISTED_ETAGS else None)
    state_path.unlink(missing_ok=True)
    slug: str = state["slug"]
    return slug


def _complete(client: ApiClient, upload_id: str, parts: list[dict[str, int | str]] | None) -> None:
    """Completing is idempotent on the server: an answer lost to a timeout (S3 may take a while to join
    many parts) is asked for again, and the server then finds the upload completed and settles it."""
    for attempt in range(1, COMPLETE_ATTEMPTS + 1):
        try:
            client.complete_multipart(upload_id, parts)
            return
        except (ApiError, NetworkError) as error:
            if attempt == COMPLETE_ATTEMPTS or (isinstance(error, ApiError) and error.status < 500):
                raise
            time.sleep(2**attempt)


def _length(number: int, part_size: int, size: int) -> int:
    return max(0, min(part_size, size - (number - 1) * part_size))


_THREAD = threading.local()


def _storage_session() -> requests.Session:
    """One connection pool per sending thread, kept across parts (no new TLS handshake per part); it
    carries no API credentials: the presigned URL is the authorization."""
    session = getattr(_THREAD, "session", None)
    if session is None:
        session = _THREAD.session = requests.Session()
    return session


def _read_part(path: Path, number: int, part_size: int, size: int) -> memoryview:
    """Part `number` of the file, read into this thread's buffer: one allocation per sending thread rather
    than one per part, so memory holds at most the parts in flight and no part is copied on its way."""
    buffer = getattr(_THREAD, "buffer", None)
    if buffer is None or len(buffer) < part_size:
        buffer = _THREAD.buffer = bytearray(part_size)
    view = memoryview(buffer)[: _length(number, part_size, size)]
    with open(path, "rb", buffering=0) as handle:
        handle.seek((number - 1) * part_size)
        filled = 0
        while filled < len(view):
            got = handle.readinto(view[filled:])
            if not got:
                raise CliError(f"{path} got shorter while it was being uploaded")
            filled += got
    return view


def _send_part(urls: _PartUrls, path: Path, number: int, part_size: int, size: int) -> str:
    """PUTs one part (read now, so only parts in flight are in memory); returns S3's ETag."""
    data = _read_part(path, number, part_size, size)
    refused = None
    for attempt in range(1, PART_ATTEMPTS + 1):
        url = urls.get(number, refused=refused)
        try:
            response = _storage_session().put(url, data=data, timeout=PART_TIMEOUT, headers={"User-Agent": USER_AGENT})
        except requests.RequestException as error:
            if attempt == PART_ATTEMPTS:
                raise NetworkError(f"part {number} could not be sent: {error.__class__.__name__}") from None
            continue
        if response.status_code == 403 and attempt < PART_ATTEMPTS:
            refused = url  # the URL expired: ask for another
            continue
        if response.status_code >= 500 and attempt < PART_ATTEMPTS:
            continue
        raise_for(response)
        etag = response.headers.get("ETag")
        if not etag:
            raise CliError(f"storage answered part {number} without an ETag")
        return etag
    raise CliError(f"part {number} could not be sent")
