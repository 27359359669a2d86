"""Thumbnails are made off the request path: settling an image asks for one (thumbnail queue), and
ThumbnailFunction makes it, stored at thumbnails/<slug>/<n>, within bounds an image cannot break."""

import io
import zlib

import boto3
from PIL import Image, ImageFile

from cloudshare.services import thumbnails, uploads
from cloudshare.store import items
from tests.unit.helpers import BUCKET
from tests.unit.public_helpers import code, deliver_thumbnail_requests, header, png, request, shared_file


def stored_thumbnail(slug: str, number: int = 1) -> Image.Image:
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"thumbnails/{slug}/{number}")
    assert body["ContentType"] == "image/jpeg"
    return Image.open(io.BytesIO(body["Body"].read()))


def thumbnail_count() -> int:
    return boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="thumbnails/").get("KeyCount", 0)


def png_bomb(width: int, height: int) -> bytes:
    """A real grayscale PNG of width x height black pixels: a few hundred kB that decode to width*height
    bytes (and far more as RGB), made without ever holding the decoded image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    rows = b"\0" * (width + 1) * 100  # a hundred rows, each a filter byte and its pixels
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(rows) for _ in range(height // 100)]
    parts.append(compressor.compress(b"\0" * (width + 1) * (height % 100)) + compressor.flush())
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def test_given_an_image_arrives_through_the_s3_event_then_a_small_upright_jpeg_is_stored(runner, user):
    ticket = uploads.request_upload(user["user"], "wide.png", None, None, None)
    boto3.client("s3").put_object(
        Bucket=BUCKET, Key=ticket.version.object_key, Body=png(2000, 500), ContentType="image/png"
    )
    runner.call("S3FinalizeFunction", {"Records": [{"s3": {"object": {"key": ticket.version.object_key}}}]})
    assert items.get(ticket.item.slug).state == "ready"
    assert thumbnail_count() == 0  # not on the settle's path

    assert deliver_thumbnail_requests(runner) == 1
    thumbnail = stored_thumbnail(ticket.item.slug)
    assert thumbnail.format == "JPEG" and thumbnail.size == (480, 120)


def test_given_a_9000_by_9000_png_then_it_settles_without_decoding_and_gets_the_placeholder(runner, user, monkeypatch):
    # Given a 9000x9000 PNG (81 MP, a few hundred kB on disk), and a watch on Pillow's pixel decoding
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or real_load(image))
    bomb = png_bomb(9000, 9000)
    assert len(bomb) < 1_000_000
    ticket = uploads.request_upload(user["user"], "huge.png", len(bomb), None, None)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=bomb, ContentType="image/png")

    # When its S3 event settles it, then ThumbnailFunction gets its request
    runner.call("S3FinalizeFunction", {"Records": [{"s3": {"object": {"key": ticket.version.object_key}}}]})
    assert items.get(ticket.item.slug).state == "ready"
    assert thumbnail_count() == 0  # the settle's request did no image work
    assert deliver_thumbnail_requests(runner) == 1

    # Then the image was refused from its header, never decoded, and the route serves the placeholder
    assert decoded == [] and thumbnail_count() == 0
    response = runner.call(
        "PublicFunction", request(f"/{code(items.get(ticket.item.slug))}/thumbnail", accept="image/*")
    )
    assert response["statusCode"] == 200 and header(response, "Content-Type") == "image/svg+xml"


def test_given_an_image_above_the_pixel_cap_then_render_refuses_it_from_the_header():
    for width, height in ((9000, 9000), (10001, 10000)):  # Pillow's warning zone, and beyond its error
        try:
            thumbnails.render(png_bomb(width, height))
        except thumbnails.ImageRefused:
            continue
        raise AssertionError(f"{width}x{height} was decoded")


def test_given_a_48_megapixel_jpeg_then_it_is_decoded_at_a_reduced_scale(runner, user):
    photo = io.BytesIO()
    Image.new("RGB", (8000, 6000), (10, 120, 200)).save(photo, "JPEG", quality=60)
    with Image.open(io.BytesIO(photo.getvalue())) as opened:
        opened.draft("RGB", (thumbnails.EDGE, thumbnails.EDGE))
        assert opened.size == (1000, 750)  # what render decodes: an eighth of each side
    assert Image.open(io.BytesIO(thumbnails.render(photo.getvalue()))).size == (480, 360)


def test_given_a_broken_image_or_another_type_then_the_upload_settles_without_a_thumbnail(runner, user):
    broken = shared_file(user["user"], "broken.png", b"\x89PNG\r\n\x1a\n not really", "image/png")
    text = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    assert broken.state == "ready" and text.state == "ready"
    assert deliver_thumbnail_requests(runner) == 1  # the text file asks for none
    assert thumbnail_count() == 0


def test_given_the_version_was_purged_before_its_thumbnail_then_none_is_made(runner, user):
    item = shared_file(user["user"], "gone.png", png(10, 10))
    boto3.client("dynamodb").delete_item(TableName="cloudshare-test", Key=items.version_key(item.slug, 1))
    assert deliver_thumbnail_requests(runner) == 1
    assert thumbnail_count() == 0


def test_given_a_photo_taken_sideways_then_its_thumbnail_is_upright():
    photo, sideways = io.BytesIO(), Image.new("RGB", (2000, 1000), (10, 120, 200))
    exif = sideways.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    sideways.save(photo, "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(thumbnails.render(photo.getvalue()))).size == (240, 480)
