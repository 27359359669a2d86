"""The content types cloudshare stores and serves: one allow-list of bare `type/subtype`, and how each shows.

Whoever uploads labels the file as they like (a presigned POST's Content-Type field, a multipart part's
header): `video/mp4,text/html` starts like a video yet Chromium reads it as HTML, `text/html; charset=…`
hides HTML behind parameters, a CR/LF would split a header. So a label counts only as its bare,
lower-case `type/subtype`, and only if that is on the list below; anything else is stored and served
as application/octet-stream. A file is shown inline only as one of the preview kinds below, each a
type a browser displays without running anything of the file's (never HTML, SVG, XML or script);
every other type is sent as an attachment.
"""

from __future__ import annotations

import mimetypes
import re

OCTET_STREAM = "application/octet-stream"
TEXT_INLINE = "text/plain; charset=utf-8"  # how every text kind is shown: as its source, never rendered

# bare type -> its preview kind (image, video, audio, pdf, text), or None: stored as itself, downloaded only.
ALLOWED: dict[str, str | None] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
    "image/avif": "image",
    "image/bmp": "image",
    "image/heic": None,
    "image/tiff": None,
    "image/vnd.microsoft.icon": None,
    "video/mp4": "video",
    "video/webm": "video",
    "video/ogg": "video",
    "video/quicktime": "video",
    "video/x-matroska": None,
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
    "audio/wav": "audio",
    "audio/x-wav": "audio",
    "audio/webm": "audio",
    "audio/flac": "audio",
    "audio/aac": "audio",
    "application/pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "text",
    "text/csv": "text",
    "text/tab-separated-values": "text",
    "text/x-python": "text",
    "text/calendar": "text",
    "text/vcard": "text",
    "application/json": "text",
    "application/sql": "text",
    "application/zip": None,
    "application/gzip": None,
    "application/x-tar": None,
    "application/x-bzip2": None,
    "application/x-xz": None,
    "application/x-7z-compressed": None,
    "application/vnd.rar": None,
    "application/msword": None,
    "application/vnd.ms-excel": None,
    "application/vnd.ms-powerpoint": None,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": None,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": None,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": None,
    "application/vnd.oasis.opendocument.text": None,
    "application/rtf": None,
    "application/epub+zip": None,
    "application/java-archive": None,
    "application/vnd.android.package-archive": None,
    "application/vnd.debian.binary-package": None,
    "application/x-apple-diskimage": None,
    "application/x-iso9660-image": None,
    "application/x-msdos-program": None,
    "application/wasm": None,
    "font/ttf": None,
    "font/otf": None,
    "font/woff": None,
    "font/woff2": None,
    OCTET_STREAM: None,
}
PREVIEWABLE = frozenset(bare for bare, kind in ALLOWED.items() if kind)

_TOKEN = r"[a-z0-9!#$&^_.+-]+"  # RFC 6838 restricted-name characters
_BARE = re.compile(rf"{_TOKEN}/{_TOKEN}")
_NEVER_IN_A_LABEL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f,]")  # controls but tab (CR/LF!), lists of types


def bare(label: str | None) -> str:
    """The allow-listed bare type a label stands for; application/octet-stream for anything else."""
    if not label or not label.isascii() or _NEVER_IN_A_LABEL.search(label):
        return OCTET_STREAM
    candidate = label.split(";", 1)[0].strip(" \t").lower()
    return candidate if _BARE.fullmatch(candidate) and candidate in ALLOWED else OCTET_STREAM


def for_name(name: str) -> str:
    """The allow-listed type a file name implies (application/octet-stream if none)."""
    return bare(mimetypes.guess_type(name)[0])


def stored(label: str | None, name: str) -> str:
    """What to store for a file labelled so: the label's bare type, or, when the label is missing,
    generic or refused, the type the file's name implies."""
    kept = bare(label)
    return kept if kept != OCTET_STREAM else for_name(name)


def preview(content_type: str | None) -> str | None:
    """How a stored file shows on its page and inline: image, video, audio, pdf, text, or None (an
    icon; download only). Exact: a type stored under these rules is bare already, and anything else
    (a record from before them) is not shown."""
    return ALLOWED.get(content_type or "")


def served(content_type: str | None) -> str:
    """The type a stored file is sent as when downloaded."""
    return content_type if content_type in ALLOWED else OCTET_STREAM


def inline(content_type: str | None) -> str | None:
    """The type a stored file is shown inline as, or None when it may only be downloaded."""
    kind = preview(content_type)
    if kind is None:
        return None
    return TEXT_INLINE if kind == "text" else content_type
