"""Thumbnails of images, stored beside them (thumbnails/<slug>/<n>, JPEG), made off the request path.

Settling an image version only asks for its thumbnail (a message on the thumbnail queue, after the
settle has committed); ThumbnailFunction makes it with its own memory and time. A thumbnail is a
nicety: whatever an image does to the decoder, the upload stands and the thumbnail route serves a
placeholder. The decoder's cost is bounded before any pixel is decoded: the dimensions come from the
header (Image.open is lazy) and an image above MAX_PIXELS is refused there; a JPEG is decoded at
the smallest scale that still covers EDGE (draft), so a 48 MP photo costs a fraction of its size.

Pillow is imported here only, when a thumbnail is made, so no other cold start pays for it.
"""

from __future__ import annotations

import io
import warnings

from cloudshare.config import settings
from cloudshare.models import Version
from cloudshare.observability import logger
from cloudshare.store import delivery, items, objects, queues

# What Pillow decodes reliably and browsers show; anything else gets the placeholder.
SOURCE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
MAX_SOURCE_BYTES = 25 * 1024 * 1024  # the compressed file, read whole into memory
# Decoded at full size (PNG, GIF, WebP, BMP) this is 200 MB of RGBA, within ThumbnailFunction's
# 1 GB with the source and the reduced copies; 48 MP photos fit. A 9000x9000 image does not.
MAX_PIXELS = 50_000_000
EDGE = 480  # the longer side, in pixels: sharp on a phone, a few tens of kB


class ImageRefused(Exception):
    """The image is too large to decode within the function's bounds (or is a decompression bomb)."""


def request(version: Version, content_type: str, stored: objects.StoredObject) -> bool:
    """Asks for the thumbnail of a just-settled version, if it is an image worth one; False if not.

    Never raises: the settle has committed, and a lost thumbnail only means the placeholder."""
    if content_type not in SOURCE_TYPES or stored.size > MAX_SOURCE_BYTES:
        return False
    try:
        queues.send(settings().thumbnail_queue_url, {"slug": version.slug, "version": version.number})
    except Exception:  # noqa: BLE001 — see the docstring
        logger.exception("thumbnail not requested", extra={"slug": version.slug, "version": version.number})
        return False
    return True


def make(slug: str, number: int) -> bool:
    """Stores the thumbnail of a settled image version; False if none was made (gone meanwhile, or an
    image refused or broken). AWS errors propagate, so the message is delivered again."""
    version = items.get_version(slug, number)
    if version is None or version.state != "ready":  # purged meanwhile: a thumbnail now would be orphaned
        logger.info("thumbnail not needed: the version is gone", extra={"slug": slug, "version": number})
        return False
    try:
        # exactly the settled bytes, even if the presigned POST was replayed a moment ago
        jpeg = render(delivery.read(version.object_key, version.object_version))
    except ImageRefused as refused:
        logger.info("thumbnail refused", extra={"slug": slug, "version": number, "reason": str(refused)})
        return False
    except Exception:  # noqa: BLE001 — a broken or hostile image: the placeholder stands in
        logger.exception("thumbnail failed", extra={"slug": slug, "version": number})
        return False
    delivery.put_thumbnail(slug, number, jpeg)
    return True


def render(data: bytes) -> bytes:
    """A JPEG at most EDGE pixels on its longer side, upright (EXIF), transparency on white."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that, then decodes anyway.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            source = Image.open(io.BytesIO(data))  # reads the header only
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as bomb:
            raise ImageRefused(str(bomb)) from None
    with source:
        source.draft("RGB", (EDGE, EDGE))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale directly
        source.thumbnail((EDGE, EDGE))  # in place, before any copy: exif_transpose copies what it gets
        image = ImageOps.exif_transpose(source)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        output = io.BytesIO()
        image.save(output, "JPEG", quality=80, optimize=True)
    return output.getvalue()
