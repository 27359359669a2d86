"""Moving bytes: the presigned upload flow (request -> POST to S3 -> finalize) and downloads,
both streamed with a progress callback, never holding a whole file in memory."""

from __future__ import annotations

import mimetypes
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests
from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from cloudshare_cli.client import USER_AGENT, ApiClient, ApiError, CliError, NetworkError, raise_for
from cloudshare_cli.durations import human_size
from cloudshare_cli.multipart import DEFAULT_THRESHOLD, multipart_upload

Progress = Callable[[int], None]  # called with the bytes sent (or received) so far
S3_TIMEOUT = (10, 600)
CHUNK = 1024 * 1024
# After the bytes are in S3 the item may stay pending for a moment (the S3 event is asynchronous).
FINISH_WAIT_SECONDS = 30


@dataclass
class UploadSource:
    name: str
    size: int
    path: Path
    temporary: bool = False  # stdin spooled to a file we must remove

    def open(self) -> BinaryIO:
        return open(self.path, "rb")

    def discard(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


def file_source(path: Path, name: str | None = None) -> UploadSource:
    """A file to upload, checked readable now: before the server is asked for anything."""
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise CliError(f"{path}: {error.strerror or error}") from None
    return UploadSource(name=name or path.name, size=path.stat().st_size, path=path)


def stdin_source(stream: BinaryIO, name: str) -> UploadSource:
    """Standard input, spooled to a private temporary file: the server wants the size up front."""
    descriptor, spooled = tempfile.mkstemp(prefix="cloudshare-stdin-")
    with os.fdopen(descriptor, "wb") as handle:
        shutil.copyfileobj(stream, handle, CHUNK)
    path = Path(spooled)
    return UploadSource(name=name, size=path.stat().st_size, path=path, temporary=True)


@dataclass
class UploadOptions:
    artifact: bool = False
    version_name: str | None = None
    password: str | None = None
    multipart_threshold: int = DEFAULT_THRESHOLD  # larger files go in parts (resumable; not with a password)
    part_jobs: int = 3  # parts of one file in flight at once


def content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_size(source: UploadSource, limit: int | None) -> None:
    if limit is not None and limit >= 0 and source.size > limit:
        raise CliError(
            f"{source.name} is {human_size(source.size)}; the most you can upload is "
            f"{human_size(limit)} (max_upload_size {limit}); nothing was uploaded"
        )


def upload(client: ApiClient, source: UploadSource, options: UploadOptions, progress: Progress) -> dict[str, Any]:
    """Asks for a presigned POST (v3, or v1 for artifacts), sends the bytes to S3, returns the v3 item.
    A file over the multipart threshold goes in parts instead (multipart.py)."""
    if source.size == 0:
        raise CliError(f"{source.name} is empty; there is nothing to upload")
    if source.size > options.multipart_threshold and not options.password:
        parted = multipart_upload(
            client,
            source.path,
            source.name,
            content_type(source.name),
            options.version_name,
            options.part_jobs,
            progress,
        )
        return _settled(client, parted, client.finish_upload(parted))
    if options.artifact:
        # v1's answer names no size limit: the account's, checked before an artifact is even created
        limit = client.account().get("max_upload_size")
        check_size(source, limit)
        answer = client.request_artifact_upload(
            source.name, source.size, options.version_name or source.name, options.password
        )
        ticket = answer.get("upload") or {}
        slug, url, fields = answer.get("slug"), ticket.get("url"), ticket.get("fields") or {}
    else:
        answer = client.request_upload(source.name, source.size)
        slug, url, fields = answer.get("slug"), answer.get("url"), answer.get("s3") or {}
        limit = answer.get("max_upload_size")
        if not fields and answer.get("uploads_remaining") == 0:
            raise CliError("Daily upload limit reached (uploads_remaining 0); nothing was uploaded")
    if not (slug and url and fields):
        raise CliError(f"the server did not hand out an upload for {source.name}")
    check_size(source, limit)
    response = _post_to_s3(url, fields, source, progress)
    location = response.headers.get("Location") if response.status_code in (301, 302, 303, 307) else None
    # S3's redirect carries our credentials only back to our own API; otherwise ask for the item ourselves.
    item = client.follow(location) if location and client.is_own(location) else client.finish_upload(slug)
    return _settled(client, slug, item)


def _post_to_s3(url: str, fields: dict[str, Any], source: UploadSource, progress: Progress) -> requests.Response:
    """Every field of the presigned POST, then the file, as one streamed multipart body; no API
    credentials go to S3 (the policy is the authorization)."""
    mime = content_type(source.name)
    parts = list(fields.items())
    if not any(name.lower() == "content-type" for name, _ in parts):
        parts.append(("Content-Type", mime))
    with source.open() as handle:
        parts.append(("file", (source.name, handle, mime)))
        monitor = MultipartEncoderMonitor(
            MultipartEncoder(fields=parts), lambda sent: progress(min(sent.bytes_read, source.size))
        )
        try:
            response = requests.post(
                url,
                data=monitor,
                allow_redirects=False,
                timeout=S3_TIMEOUT,
                headers={"Content-Type": monitor.content_type, "User-Agent": USER_AGENT},
            )
        except requests.RequestException as error:
            raise NetworkError(
                f"uploading {source.name} to storage failed: {error.__class__.__name__}: {str(error)[:200]}"
            ) from None
    raise_for(response)
    progress(source.size)
    return response


def _settled(client: ApiClient, slug: str, item: dict[str, Any]) -> dict[str, Any]:
    """The item once the server has taken the upload; its refusal (e.g. over quota) as an error."""
    deadline = time.monotonic() + FINISH_WAIT_SECONDS
    delay = 0.2
    while item.get("upload_state") == "pending" and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
        item = client.finish_upload(slug)
    state = item.get("upload_state")
    if state == "failed":
        raise ApiError(
            422,
            f"{item.get('name', slug)}: the server refused the upload: "
            f"{item.get('failure_reason') or 'no reason given'}",
            item,
        )
    if state == "pending":
        raise CliError(
            f"{item.get('name', slug)}: uploaded, but the server has not finished it yet; "
            f"check later with `cloudshare info {slug}`"
        )
    return item


def unlock(session: requests.Session, share_url: str, password: str) -> None:
    """Trades a password-protected item's password for the grant cookie its links then accept."""
    try:
        response = session.post(
            f"{share_url.rstrip('/')}/unlock",
            json={"password": password},
            headers={"Accept": "application/json"},
            allow_redirects=False,
            timeout=S3_TIMEOUT,
        )
    except requests.RequestException as error:
        raise NetworkError(f"cannot reach {share_url}: {error.__class__.__name__}") from None
    raise_for(response)


def download(
    session: requests.Session, url: str, destination: Path | None, progress: Callable[[int, int | None], None]
) -> Path | None:
    """GETs a download link (following its redirects to storage, where requests drops our
    Authorization header), streaming to `destination` (None = standard output). Writes to a
    temporary file first, so a failure leaves nothing half-done."""
    try:
        response = session.get(
            url,
            stream=True,
            timeout=S3_TIMEOUT,  # JSON: refusals in words, not a page
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
    except requests.RequestException as error:
        raise NetworkError(f"cannot download {url}: {error.__class__.__name__}") from None
    with response:
        raise_for(response)
        length = response.headers.get("Content-Length")
        # requests decodes a compressed body, so Content-Length counts what we receive only without one.
        total = int(length) if length and not response.headers.get("Content-Encoding") else None
        received = 0
        if destination is None:
            for chunk in response.iter_content(CHUNK):
                sys.stdout.buffer.write(chunk)
                received += len(chunk)
                progress(received, total)
            sys.stdout.buffer.flush()
            return None
        partial = destination.with_name(f".{destination.name}.part")
        try:
            with open(partial, "wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    received += len(chunk)
                    progress(received, total)
            if total is not None and received != total:
                raise NetworkError(f"download of {url} stopped after {received} of {total} bytes")
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return destination
