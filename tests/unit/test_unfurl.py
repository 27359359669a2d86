"""Link previews: Open Graph / Twitter card tags on share pages, GET /oembed, and what unfurls count.

An unfurl (a known link previewer's User-Agent, or an oEmbed fetch) counts no view and gets nothing that
would fetch the file uncounted; protected, unpublished, expired and deleted items reveal nothing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudshare.dialects import pages
from cloudshare.services.passwords import hash_password
from cloudshare.store import public
from devtools import fuzz
from tests.unit.public_helpers import (
    BASE,
    BROWSER,
    change,
    code,
    counted,
    deliver_thumbnail_requests,
    header,
    meta_tags,
    page,
    request,
    shared_file,
)

SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
IMESSAGE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) facebookexternalhit/1.1 Facebot Twitterbot/1.0"
UNFURLERS = [
    SLACKBOT,
    IMESSAGE,
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
]
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)


def unfurl(runner, item, agent: str = SLACKBOT) -> dict:
    return page(runner, item, headers={"User-Agent": agent})


def oembed(runner, url: str, agent: str = SLACKBOT, **query) -> dict:
    return runner.call(
        "PublicFunction",
        request("/oembed", accept="application/json", headers={"User-Agent": agent}, query={"url": url, **query}),
    )


def test_given_the_user_agents_of_link_previewers_then_each_is_an_unfurler_and_browsers_are_not():
    assert all(pages.is_unfurler(agent) for agent in UNFURLERS)
    assert not any(pages.is_unfurler(agent) for agent in (BROWSER_AGENT, "curl/8.5.0", "cloudshare-cli/0.1.0", ""))


def test_given_a_shared_image_when_an_unfurler_fetches_the_link_then_tags_and_no_view(runner, user):
    item = shared_file(user["user"], "Sky & sea.png")
    response = unfurl(runner, item, IMESSAGE)
    assert response["statusCode"] == 200
    tags = meta_tags(response["body"])
    share = f"{BASE}/{code(item)}"
    assert tags["og:title"] == tags["twitter:title"] == "Sky & sea.png"
    assert tags["og:type"] == "website" and tags["og:url"] == share and tags["og:site_name"] == "cloudshare"
    assert tags["og:image"] == tags["twitter:image"] == f"{share}/thumbnail"
    assert tags["twitter:card"] == "summary_large_image" and tags["og:description"].endswith(" · image/png")
    discovery = urlsplit(tags["oembed"])
    assert f"{discovery.scheme}://{discovery.netloc}{discovery.path}" == f"{BASE}/oembed"
    assert parse_qs(discovery.query) == {"url": [share], "format": ["json"]}
    # Nothing on the page fetches the file without counting: no ticket, no content or download link.
    assert "?t=" not in response["body"] and "/content/" not in response["body"]
    assert "/download/" not in response["body"]
    assert counted(item.slug).view_counter == 0


def test_given_a_browser_when_it_opens_the_link_then_the_same_tags_and_one_view(runner, user):
    item = shared_file(user["user"], "a.png")
    response = page(runner, item, headers={"User-Agent": BROWSER_AGENT})
    assert meta_tags(response["body"])["og:image"] == f"{BASE}/{code(item)}/thumbnail"
    assert "/content/a.png?t=" in response["body"]
    assert counted(item.slug).view_counter == 1


def test_given_an_unfurler_asking_for_json_then_it_is_an_api_client_and_counts(runner, user):
    item = shared_file(user["user"], "a.png")
    response = page(runner, item, accept="application/json", headers={"User-Agent": SLACKBOT})
    assert json.loads(response["body"])["content_url"] and counted(item.slug).view_counter == 1


def test_given_a_video_then_og_video_is_its_content_link_and_none_when_views_are_limited(runner, user):
    video = shared_file(user["user"], "clip.mp4", MP4, "video/mp4")
    tags = meta_tags(unfurl(runner, video)["body"])
    assert tags["og:type"] == "video.other" and tags["og:video:type"] == "video/mp4"
    assert tags["og:video"] == tags["og:video:secure_url"] == f"{BASE}/{code(video)}/content/clip.mp4"
    assert "og:image" not in tags and tags["twitter:card"] == "summary"
    # A chat app that prefetches the video would use up a view of an item that ends after N views.
    limited = shared_file(user["user"], "once.mp4", MP4, "video/mp4", expires_after_views=1)
    assert "og:video" not in meta_tags(unfurl(runner, limited)["body"])


def test_given_an_item_ending_after_one_view_when_unfurled_then_the_recipient_still_gets_that_view(runner, user):
    item = shared_file(user["user"], "once.png", expires_after_views=1)
    assert unfurl(runner, item)["statusCode"] == 200
    assert oembed(runner, f"{BASE}/{code(item)}")["statusCode"] == 200
    assert page(runner, item)["statusCode"] == 200
    assert page(runner, item)["statusCode"] == 410
    public.forget_cached_items()  # unfurls read the item as cached, at most ITEM_CACHE_SECONDS old
    assert unfurl(runner, item)["statusCode"] == 410  # used up: nothing to preview any more


def test_given_the_og_image_then_an_unfurler_fetches_the_thumbnail_without_a_browser_or_a_view(runner, user):
    item = shared_file(user["user"], "big.png")
    deliver_thumbnail_requests(runner)
    image = urlsplit(meta_tags(unfurl(runner, item)["body"])["og:image"])
    fetched = runner.call("PublicFunction", request(image.path, accept="image/*", headers={"User-Agent": SLACKBOT}))
    assert fetched["statusCode"] == 302
    location = urlsplit(header(fetched, "Location"))
    assert f"thumbnails/{item.slug}/1" in location.path and "X-Amz-Signature" in location.query
    assert counted(item.slug).view_counter == 0


PROTECTED = {
    "password": {"password_hash": hash_password("open sesame")},
    "unpublished": {"is_published": False},
    "expired": {"expiration_time": "2020-01-01T00:00:00Z"},
    "deleted": {"deleted_at": "2026-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("state", sorted(PROTECTED))
def test_given_a_protected_item_then_neither_its_page_nor_oembed_reveals_anything(runner, user, state):
    item = shared_file(user["user"], "Quarterly numbers.png", **PROTECTED[state])
    for response in (unfurl(runner, item), page(runner, item, accept=BROWSER)):
        assert response["statusCode"] in (403, 404, 410)
        assert "Quarterly" not in response["body"] and item.slug not in response["body"].replace(
            f"/{code(item)}/unlock", ""
        )  # the password form posts to the link it was opened at
        assert not [name for name in meta_tags(response["body"]) if name.startswith(("og:", "twitter:", "oembed"))]
    embedded = oembed(runner, f"{BASE}/{code(item)}")
    assert embedded["statusCode"] == 404 and "Quarterly" not in embedded["body"]
    assert json.loads(embedded["body"])["errors"]["message"] == "There is nothing to embed at this URL."
    assert counted(item.slug).view_counter == 0


def test_given_a_shared_item_when_its_oembed_is_asked_then_a_link_document_and_no_view(runner, user):
    item = shared_file(user["user"], "Sky & sea.png")
    response = oembed(runner, f"{BASE}/{code(item)}", format="json", maxwidth="600")
    assert response["statusCode"] == 200 and header(response, "Content-Type") == "application/json"
    assert json.loads(response["body"]) == {
        "version": "1.0",
        "type": "link",
        "title": "Sky & sea.png",
        "provider_name": "cloudshare",
        "provider_url": f"{BASE}/",
        "cache_age": 60,
    }
    assert counted(item.slug).view_counter == 0


NOT_SHARE_LINKS = [
    "",
    "not a url",
    "https://elsewhere.example/{code}",
    f"{BASE}/",
    f"{BASE}/nope",
    f"{BASE}/{{code}}/content/a.png",
    f"{BASE}/{{code}}?t=1",
    f"{BASE}/{{code}}#x",
    f"{BASE}/{{slug}}x",
    "ftp://api.example.com/{code}",
    f"{BASE}/{{code}}\x00",
    f"{BASE}/{{code}}/",
]


def test_given_a_url_that_is_not_a_share_link_then_oembed_is_404(runner, user):
    item = change(shared_file(user["user"], "a.png"), long_link=False)
    assert oembed(runner, f"{BASE}/{code(item)}")["statusCode"] == 200  # the short link is its current form
    for url in NOT_SHARE_LINKS:
        response = oembed(runner, url.format(code=code(item), slug=item.slug))
        assert response["statusCode"] == 404 and json.loads(response["body"])["errors"], url
        assert "a.png" not in response["body"]
    # The long form is retired once the short one is the link, as on the page itself.
    assert oembed(runner, f"{BASE}/{item.slug}{item.link_secret}")["statusCode"] == 404


def test_given_a_format_other_than_json_then_oembed_is_501(runner, user):
    item = shared_file(user["user"], "a.png")
    response = oembed(runner, f"{BASE}/{code(item)}", format="xml")
    assert response["statusCode"] == 501 and json.loads(response["body"])["errors"]["message"]


def test_given_hostile_oembed_queries_then_every_answer_is_json_and_never_a_5xx(runner, user):
    item = shared_file(user["user"], "a.png")

    @fuzz.hunting(40)
    @given(
        url=st.one_of(
            fuzz.tokens(),
            st.builds(f"{BASE}/{{}}".format, fuzz.tokens()),
            st.builds(f"{BASE}/{code(item)}{{}}".format, fuzz.tokens()),
        ),
        extra=st.dictionaries(st.sampled_from(["format", "maxwidth", "maxheight", "callback"]), fuzz.tokens()),
    )
    def answers(url, extra):
        response = oembed(runner, url, **extra)
        assert response["statusCode"] in (200, 404, 501), response
        assert ("errors" in json.loads(response["body"])) == (response["statusCode"] != 200)

    answers()
