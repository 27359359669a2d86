"""The HTTP API as Python calls: v3 items (`/v3/...`) and, where only it can, v1 artifacts (`/api/v1/...`).

Errors of either dialect ({"errors": {"message"}} or {"status": false, "message"}) become ApiError
with the server's own message; a server that cannot be reached becomes NetworkError.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.auth import HTTPDigestAuth

from cloudshare_cli import __version__
from cloudshare_cli.config import Profile
from cloudshare_cli.durations import human_size

if TYPE_CHECKING:
    from typing import Any

USER_AGENT = f"cloudshare-cli/{__version__}"
TIMEOUT = (10, 120)  # connect, read (seconds)
_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
_LIMIT_FIELDS = ("current", "limit", "remaining", "max_upload_size", "feature")


class CliError(Exception):
    """Anything the user should read as one line; the command exits non-zero."""


class NetworkError(CliError):
    pass


class ApiError(CliError):
    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body or {}


def error_message(response: requests.Response) -> tuple[str, dict[str, Any]]:
    """The server's own words for a failed response, in either dialect (or S3's XML), and its fields."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors.get("message"):
            return str(errors["message"]), errors
        if isinstance(errors, list) and errors:
            first = errors[0]
            return str(first.get("message", first) if isinstance(first, dict) else first), body
        if body.get("message"):
            return str(body["message"]), body
    text = response.text or ""
    s3 = _S3_MESSAGE.search(text)
    if s3:
        return s3.group(1).strip(), {}
    return f"HTTP {response.status_code} {response.reason or ''}".strip(), {}


def describe_limits(fields: dict[str, Any]) -> str:
    """The numbers a limit error carries (current, limit, remaining, ...), as one short phrase."""
    parts = [f"{name} {fields[name]}" for name in _LIMIT_FIELDS if fields.get(name) not in (None, "")]
    if isinstance(fields.get("max_upload_size"), int):
        parts = [
            f"{part} = {human_size(fields['max_upload_size'])}" if part.startswith("max_upload_size") else part
            for part in parts
        ]
    return f" ({', '.join(parts)})" if parts else ""


def raise_for(response: requests.Response) -> None:
    request = response.request
    if response.status_code == 403 and request is not None and b"Missing Authentication" in response.content[:200]:
        # API Gateway's answer for a route it does not have (the credentials were not even looked at)
        path = urlsplit(str(request.url)).path
        raise ApiError(404, f"this server has no {request.method} {path} (an older version?)")
    if response.status_code >= 400:
        message, fields = error_message(response)
        raise ApiError(response.status_code, message + describe_limits(fields), fields)


class ApiClient:
    def __init__(self, profile: Profile):
        self.profile = profile
        self.base = profile.api_url.rstrip("/")
        self._local = threading.local()

    # -------------------------------------------------------------- plumbing
    def session(self) -> requests.Session:
        """One session per thread (uploads run in parallel); each with its own Digest state."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
            if self.profile.api_key:
                # Authorization (not x-api-key): requests drops it on a redirect to another host.
                session.headers["Authorization"] = f"Bearer {self.profile.api_key}"
            else:
                session.auth = HTTPDigestAuth(self.profile.email or "", self.profile.password or "")
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else urljoin(self.base + "/", path.lstrip("/"))

    def is_own(self, url: str) -> bool:
        """Whether a URL is on this API (the only place our credentials may go)."""
        mine, theirs = urlsplit(self.base), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        options.setdefault("timeout", TIMEOUT)
        url = self.url(path)
        try:
            response = self.session().request(method, url, **options)
        except requests.ConnectionError as error:
            raise NetworkError(f"cannot reach {self.base}: {_reason(error)}") from None
        except requests.Timeout:
            raise NetworkError(f"{self.base} did not answer in time") from None
        except requests.RequestException as error:
            raise NetworkError(f"request to {url} failed: {error}") from None
        raise_for(response)
        return response

    def json(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response = self.request(method, path, **options)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise ApiError(response.status_code, f"{method} {path} did not answer JSON") from None
        return body

    # -------------------------------------------------------------- account
    def account(self) -> dict[str, Any]:
        return self.json("GET", "/v3/account")

    # -------------------------------------------------------------- uploads
    def request_upload(self, name: str, size: int) -> dict[str, Any]:
        """v3 'Request to Upload': {slug, url, s3, max_upload_size, uploads_remaining}."""
        return self.json("POST", "/v3/items", json={"name": name, "file_size": size})

    def request_artifact_upload(self, name: str, size: int, version_name: str, password: str | None) -> dict[str, Any]:
        """v1: an artifact without `file` gets {slug, upload: {url, fields}} for the same presigned flow."""
        body = {"file_name": name, "file_size": size, "version_name": version_name}
        if password:
            body["password"] = password
        return self.json("POST", "/api/v1/artifacts", json=body)

    # Multipart uploads (the server's /api/v1/uploads; docs/multipart.md)
    def start_multipart(self, name: str, size: int, content_type: str, version_name: str | None) -> dict[str, Any]:
        body = {"name": name, "file_size": size, "content_type": content_type}
        if version_name:
            body["version_name"] = version_name
        return self.json("POST", "/api/v1/uploads", json=body)

    def part_urls(self, upload_id: str, numbers: list[int]) -> dict[int, str]:
        answer = self.json("POST", f"/api/v1/uploads/{quote(upload_id)}/parts", json={"numbers": numbers})
        return {part["number"]: part["url"] for part in answer.get("parts", [])}

    def stored_parts(self, upload_id: str) -> dict[str, Any]:
        """{part_size, part_count, parts: [{number, etag, size}]}: what S3 already holds."""
        return self.json("GET", f"/api/v1/uploads/{quote(upload_id)}/parts")

    def complete_multipart(self, upload_id: str, parts: list[dict[str, int | str]] | None) -> dict[str, Any]:
        return self.json(
            "POST", f"/api/v1/uploads/{quote(upload_id)}/complete", json={"parts": parts} if parts is not None else None
        )

    def finish_upload(self, slug: str) -> dict[str, Any]:
        """Where S3's redirect lands: finalizes (idempotently) and answers the item."""
        return self.json("GET", f"/v3/items/{quote(slug)}/s3")

    def follow(self, location: str) -> dict[str, Any]:
        return self.json("GET", location)

    # -------------------------------------------------------------- items
    def bookmark(self, url: str, name: str | None) -> dict[str, Any]:
        return self.json("POST", "/v3/items", json={"bookmark_url": url} | ({"name": name} if name else {}))

    def items_page(self, per_page: int, url: str | None = None) -> dict[str, Any]:
        if url:
            # A paging link names its host (a share domain, say); credentials go only to our API.
            parts = urlsplit(url)
            relative = parts.path + (f"?{parts.query}" if parts.query else "")
            return self.json("GET", url if self.is_own(url) else relative)
        return self.json("GET", "/v3/items", params={"per_page": per_page})

    def iter_pages(self, per_page: int) -> Iterator[dict[str, Any]]:
        """Every page, following links.next_url until there is none."""
        page = self.items_page(per_page)
        while True:
            yield page
            next_url = _next_url(page)
            if not next_url or not page.get("data"):
                return
            page = self.items_page(per_page, next_url)

    def item(self, slug: str) -> dict[str, Any]:
        return self.json("GET", f"/v3/items/{quote(slug)}")

    def update(self, slug: str, **changes: object) -> dict[str, Any]:
        return self.json("PUT", f"/v3/items/{quote(slug)}", json=changes)

    def delete(self, slug: str) -> None:
        self.request("DELETE", f"/v3/items/{quote(slug)}")

    def restore(self, slug: str) -> dict[str, Any]:
        return self.json("POST", f"/api/v1/artifacts/{quote(slug)}/restore")

    def set_favorite(self, slug: str, favorite: bool) -> dict[str, Any]:
        if favorite:
            return self.json("POST", f"/v3/items/{quote(slug)}/favorite", json={"favorite": True})
        self.request("DELETE", f"/v3/items/{quote(slug)}/favorite")
        return {"favorite": False}

    def expiration(self, slug: str) -> dict[str, Any]:
        return self.json("GET", f"/v3/items/{quote(slug)}/expiration")

    def set_expiration(self, slug: str, expires_at: str | None, views: int | None) -> dict[str, Any]:
        body = {
            key: value
            for key, value in (("expires_at", expires_at), ("expires_after_views", views))
            if value is not None
        }
        return self.json("POST", f"/v3/items/{quote(slug)}/expiration", json=body)

    def clear_expiration(self, slug: str) -> None:
        self.request("DELETE", f"/v3/items/{quote(slug)}/expiration")

    def share(self, slug: str, recipients: list[str], message: str | None) -> dict[str, Any]:
        body = {"recipients": recipients} | ({"message": message} if message else {})
        return self.json("POST", f"/v3/items/{quote(slug)}/share", json=body)


def _next_url(page: dict[str, Any]) -> str | None:
    link = (page.get("links") or {}).get("next_url")
    if isinstance(link, dict):
        return link.get("href")
    return link if isinstance(link, str) else None


def _reason(error: Exception) -> str:
    """The innermost cause of a connection failure, without urllib3's long wrapper text."""
    cause: BaseException = error
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    text = str(cause) or cause.__class__.__name__
    return text.split(": ", 1)[-1] if "Connection" in text and ": " in text else text
