"""The one allow-list of content types: what a client's label is reduced to before it is stored."""

import pytest

from cloudshare import content_types


@pytest.mark.parametrize(
    "label, stored",
    [
        ("image/png", "image/png"),
        ("IMAGE/PNG", "image/png"),  # types are case-insensitive; one spelling is stored
        ('image/png; name="x.png"', "image/png"),  # parameters are dropped
        (" \timage/png\t ", "image/png"),  # so is the whitespace HTTP allows around a value
        ("text/plain; charset=utf-8", "text/plain"),
        ("video/mp4,text/html", "application/octet-stream"),  # a list: Chromium would take the last one
        ("video/mp4;x=1,text/html", "application/octet-stream"),
        ("text/html", "application/octet-stream"),  # would run on the bucket's origin
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),  # SVG can hold script
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("image/png\r\nX-Injected: 1", "application/octet-stream"),  # CR/LF would split a header
        ("image/png\n", "application/octet-stream"),
        ("image/ png", "application/octet-stream"),
        ("imáge/png", "application/octet-stream"),
        ("image/png/x", "application/octet-stream"),
        ("", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_given_a_label_then_only_its_bare_allow_listed_type_is_kept(label, stored):
    assert content_types.bare(label) == stored


@pytest.mark.parametrize(
    "label, name, stored",
    [
        (None, "clip.mp4", "video/mp4"),  # no label (the seed's POST sends none): the name decides
        ("binary/octet-stream", "notes.md", "text/markdown"),  # S3's generic label says nothing
        ("video/mp4,text/html", "clip.mp4", "video/mp4"),  # a refused label says nothing either
        ("text/html", "page.html", "application/octet-stream"),  # and a name cannot bring HTML back
        ("image/svg+xml", "logo.svg", "application/octet-stream"),
        ("text/csv", "data.bin", "text/csv"),  # an allowed label wins over the name
    ],
)
def test_given_a_label_and_a_name_then_the_stored_type_is_allow_listed(label, name, stored):
    assert content_types.stored(label, name) == stored


def test_given_stored_types_then_only_harmless_ones_show_inline_and_text_as_plain_text():
    shown = {
        label: content_types.inline(label)
        for label in (
            "image/jpeg",
            "video/mp4",
            "audio/mpeg",
            "application/pdf",
            "text/markdown",
            "application/json",
            "application/zip",
            "application/octet-stream",
            "text/html",
            "image/svg+xml",
            "Image/PNG",
            None,
        )
    }
    assert shown == {
        "image/jpeg": "image/jpeg",
        "video/mp4": "video/mp4",
        "audio/mpeg": "audio/mpeg",
        "application/pdf": "application/pdf",
        "text/markdown": "text/plain; charset=utf-8",
        "application/json": "text/plain; charset=utf-8",
        "application/zip": None,
        "application/octet-stream": None,
        "text/html": None,
        "image/svg+xml": None,
        "Image/PNG": None,  # only what these rules stored (bare, lower case) is trusted at serve time
        None: None,
    }
    assert not any(
        kind
        for name, kind in content_types.ALLOWED.items()
        if any(word in name for word in ("html", "svg", "xml", "javascript", "ecmascript"))
    )
