"""S3 for recipients: short-lived presigned GETs with safe response headers, and thumbnails.

File bytes never pass through Lambda on the way out: a public request answers with a redirect to
a presigned GET whose Content-Disposition and Content-Type S3 itself sends (ResponseContent*).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from cloudshare.config import settings
from cloudshare.store import objects
from cloudshare.store.aws import client

THUMBNAIL_PREFIX = "thumbnails/"
# RFC 8187 attr-char minus what quote() keeps anyway (letters, digits, "_.-~").
_ATTR_CHAR_PUNCTUATION = "!#$&+^`|"
_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/]')


def content_disposition(filename: str, *, attachment: bool) -> str:
    """An RFC 6266 header that survives any name: control characters (a newline would split the
    header), quotes, backslashes and slashes are neutralised; non-ASCII names are sent as
    filename*=UTF-8''… with a plain ASCII filename="…" beside it for old clients."""
    cleaned = _UNSAFE_IN_FILENAME.sub("_", unicodedata.normalize("NFC", filename)).strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.strip() or "download"
    header = f'{"attachment" if attachment else "inline"}; filename="{ascii_name}"'
    if ascii_name != cleaned:
        header += f"; filename*=UTF-8''{quote(cleaned, safe=_ATTR_CHAR_PUNCTUATION)}"
    return header


def presigned_get(key: str, *, filename: str, attachment: bool, content_type: str, expires_in: int) -> str:
    """A URL that serves this object for expires_in seconds, with the given type and disposition."""
    url: str = client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings().bucket_name,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename, attachment=attachment),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, max-age=300",
        },
        ExpiresIn=expires_in,
    )
    return url


def thumbnail_key(slug: str, version: int) -> str:
    return f"{THUMBNAIL_PREFIX}{slug}/{version}"


def read(key: str, object_version: str | None = None) -> bytes:
    """The object's bytes; with object_version, exactly those bytes even if newer ones were posted."""
    version = {"VersionId": object_version} if object_version else {}
    body: bytes = client("s3").get_object(Bucket=settings().bucket_name, Key=key, **version)["Body"].read()
    return body


def exists(key: str) -> bool:
    return objects.head(key) is not None


def put_thumbnail(slug: str, version: int, jpeg: bytes) -> None:
    objects.put(thumbnail_key(slug, version), jpeg, "image/jpeg")
