"""Thumbnails are made when an image version is settled, stored at thumbnails/<slug>/<n>, and never
stop an upload from settling."""

import io

import boto3
from PIL import Image

from cloudshare.services import uploads
from cloudshare.store import items
from tests.unit.conftest import BUCKET
from tests.unit.public_helpers import png, shared_file


def stored_thumbnail(slug: str, number: int = 1) -> Image.Image:
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"thumbnails/{slug}/{number}")
    assert body["ContentType"] == "image/jpeg"
    return Image.open(io.BytesIO(body["Body"].read()))


def test_given_an_image_arrives_through_the_s3_event_then_a_small_upright_jpeg_is_stored(runner, user):
    ticket = uploads.request_upload(user["user"], "wide.png", None, None, None)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=png(2000, 500),
                                  ContentType="image/png")
    runner.call("S3FinalizeFunction", {"Records": [{"s3": {"object": {"key": ticket.version.object_key}}}]})
    assert items.get(ticket.item.slug).state == "ready"
    thumbnail = stored_thumbnail(ticket.item.slug)
    assert thumbnail.format == "JPEG" and thumbnail.size == (480, 120)


def test_given_a_broken_image_or_another_type_then_the_upload_settles_without_a_thumbnail(runner, user):
    broken = shared_file(user["user"], "broken.png", b"\x89PNG\r\n\x1a\n not really", "image/png")
    text = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    assert broken.state == "ready" and text.state == "ready"
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="thumbnails/")
    assert listed.get("KeyCount", 0) == 0


def test_given_pillow_is_missing_then_uploads_still_settle(user, monkeypatch):
    import builtins

    real_import, image = builtins.__import__, png(10, 10)

    def without_pillow(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pillow)
    item = shared_file(user["user"], "photo.png", image)
    assert item.state == "ready"
    assert boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="thumbnails/").get("KeyCount", 0) == 0
