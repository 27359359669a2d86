"""Thumbnails of images: made once, when an image version is settled, and stored beside it
(thumbnails/<slug>/<n>, JPEG).

Pillow is imported here only, and only for an image, so no other cold start pays for it. A function
packaged without Pillow makes no thumbnail; the thumbnail route then serves a placeholder.
"""

from __future__ import annotations

import io

from cloudshare.models import Version
from cloudshare.observability import logger
from cloudshare.store import delivery

# What Pillow decodes reliably and browsers show; anything else gets the placeholder.
SOURCE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
MAX_SOURCE_BYTES = 25 * 1024 * 1024  # within a 512 MB function's memory once decoded
MAX_PIXELS = 50_000_000  # decompression bombs are refused by Pillow above this
EDGE = 480  # the longer side, in pixels: sharp on a phone, a few tens of kB


def make(version: Version, content_type: str, size: int) -> bool:
    """Stores the thumbnail of a just-settled image version; False if none was made.

    Never raises: a thumbnail is a nicety, and the upload must settle whatever an image does to the
    decoder (truncated, hostile, a decompression bomb) or whether this function has Pillow.
    """
    if content_type not in SOURCE_TYPES or size > MAX_SOURCE_BYTES:
        return False
    try:
        jpeg = render(delivery.read(version.object_key))
        delivery.put_thumbnail(version.slug, version.number, jpeg)
    except ImportError:
        logger.info("no Pillow in this function; thumbnail left to the placeholder")
        return False
    except Exception:  # noqa: BLE001 — see the docstring: whatever went wrong, the upload stands
        logger.exception("thumbnail failed", extra={"slug": version.slug, "version": version.number})
        return False
    return True


def render(data: bytes) -> bytes:
    """A JPEG at most EDGE pixels on its longer side, upright (EXIF), transparency on white."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(io.BytesIO(data)) as source:
        source.draft("RGB", (EDGE, EDGE))  # JPEG decodes at a smaller scale directly: much faster
        image = ImageOps.exif_transpose(source)
        image.thumbnail((EDGE, EDGE))
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
