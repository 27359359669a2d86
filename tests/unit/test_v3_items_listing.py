"""GET /v3/items: the seed's page shape, cursors that stay put while items come and go, bad parameters."""

import re

import pytest

from cloudshare.models import KEEP
from cloudshare.services import accounts, clock, management
from cloudshare.store import items
from tests.unit.apigw import body
from tests.unit.v3_calls import BASE, bookmark, call, query_of

START = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def owner(user):
    return {**user, "user": accounts.set_plan(user["email"], "pro")}


def make(owner, monkeypatch, count: int, *, first_second: int = START, same_second: bool = False) -> list[str]:
    """Items created one a second (or all in one second); their slugs, oldest first."""
    slugs = []
    for n in range(count):
        moment = first_second if same_second else first_second + n
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        slugs.append(bookmark(owner["user"], n).slug)
    monkeypatch.setattr(clock, "now", lambda: first_second + count + 60)
    return slugs


def page(runner, owner, **query) -> dict:
    response = call(runner, "V3ListItemsFunction", "/v3/items", owner["api_key"], query=query or None)
    assert response["statusCode"] == 200, response
    return body(response)


def slugs_of(answer: dict) -> list[str]:
    return [entry["slug"] for entry in answer["data"]]


def follow(runner, owner, link: dict) -> dict:
    assert link["method"] == "GET" and link["href"].startswith(f"{BASE}/v3/items?")
    return page(runner, owner, **query_of(link["href"]))


CURSOR = re.compile(r"^(\d+)\.(\d{6})\.([A-Za-z0-9]+)$")


def cursor_of(link: dict, parameter: str) -> tuple[int, str]:
    """(second, slug) of the item a link's cursor names."""
    second, _micros, slug = CURSOR.match(query_of(link["href"])[parameter]).groups()
    return int(second), slug


def test_given_a_few_items_then_the_seed_shape_newest_first_with_only_a_newer_link(runner, owner, monkeypatch):
    made = make(owner, monkeypatch, 3)
    answer = page(runner, owner)
    assert set(answer) == {"data", "links", "meta"}
    assert slugs_of(answer) == list(reversed(made))
    assert answer["links"]["next_url"] is None
    assert cursor_of(answer["links"]["prev_url"], "after") == (START + 2, made[-1])  # as the seed: after=<newest>
    assert answer["meta"] == {"count": 3}
    assert answer["data"][0]["share_url"].startswith(f"{BASE}/{made[-1]}")


def test_given_the_first_page_when_polling_its_prev_url_then_empty_until_newer_items_exist(runner, owner, monkeypatch):
    make(owner, monkeypatch, 3)
    poll = page(runner, owner)["links"]["prev_url"]
    nothing_yet = follow(runner, owner, poll)
    assert nothing_yet["data"] == [] and nothing_yet["links"] == {"next_url": None, "prev_url": poll}

    arrived = make(owner, monkeypatch, 2, first_second=START + 100)
    newer = follow(runner, owner, poll)
    assert slugs_of(newer) == list(reversed(arrived))
    assert slugs_of(follow(runner, owner, newer["links"]["prev_url"])) == []  # polling goes on from the newest


def test_given_no_items_when_polling_the_first_pages_prev_url_then_the_first_item_shows_up(runner, owner, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: START)
    empty = page(runner, owner)
    assert empty["data"] == [] and empty["links"]["next_url"] is None
    assert query_of(empty["links"]["prev_url"]["href"])["after"] == str(START - 1)
    first = make(owner, monkeypatch, 1, first_second=START)  # in the very second of the empty answer
    assert slugs_of(follow(runner, owner, empty["links"]["prev_url"])) == first


def test_given_25_items_when_following_next_then_prev_links_then_every_item_once_in_order(runner, owner, monkeypatch):
    made = list(reversed(make(owner, monkeypatch, 25)))  # newest first
    pages = [page(runner, owner, per_page=10)]
    while pages[-1]["links"]["next_url"]:
        pages.append(follow(runner, owner, pages[-1]["links"]["next_url"]))
    assert [len(p["data"]) for p in pages] == [10, 10, 5]
    assert [slug for p in pages for slug in slugs_of(p)] == made
    assert cursor_of(pages[0]["links"]["next_url"], "before") == (START + 15, made[9])
    assert query_of(pages[0]["links"]["next_url"]["href"])["per_page"] == "10"
    assert all(p["meta"]["count"] == 25 for p in pages)

    back = follow(runner, owner, pages[2]["links"]["prev_url"])
    assert slugs_of(back) == slugs_of(pages[1])
    assert slugs_of(follow(runner, owner, back["links"]["prev_url"])) == slugs_of(pages[0])


def test_given_items_added_and_removed_between_pages_then_the_next_page_continues_where_the_last_ended(
    runner, owner, monkeypatch
):
    made = list(reversed(make(owner, monkeypatch, 12)))
    first = page(runner, owner, per_page=5)
    arrived = make(owner, monkeypatch, 3, first_second=START + 1000)  # newer items arrive
    management.soft_delete(owner["user"], made[6])  # an item of the next page goes
    management.soft_delete(owner["user"], made[4])  # and the last one already seen
    second = follow(runner, owner, first["links"]["next_url"])
    assert slugs_of(second) == [made[5], made[7], made[8], made[9], made[10]]
    assert second["meta"]["count"] == 13  # the owner's counter: 12 + 3 - 2
    newer = follow(runner, owner, second["links"]["prev_url"])  # the 5 nearest items above the second page
    assert slugs_of(newer) == [arrived[0], made[0], made[1], made[2], made[3]]


def test_given_20_items_in_the_same_second_then_newest_first_in_creation_order_and_cursors_page_exactly(
    runner, owner, monkeypatch
):
    made = make(owner, monkeypatch, 20, same_second=True)  # a fixed clock: the second says nothing
    newest_first = list(reversed(made))
    assert slugs_of(page(runner, owner)) == newest_first
    pages = [page(runner, owner, per_page=3)]
    while pages[-1]["links"]["next_url"]:
        pages.append(follow(runner, owner, pages[-1]["links"]["next_url"]))
    assert [slug for p in pages for slug in slugs_of(p)] == newest_first  # nothing skipped or repeated
    back = [pages[-1]]
    while slugs_of(back[-1]):
        back.append(follow(runner, owner, back[-1]["links"]["prev_url"]))
    assert [slug for p in reversed(back) for slug in slugs_of(p)] == newest_first
    assert all(p["data"][0]["created_at"] == "2026-01-01T00:00:00Z" for p in pages)  # the seeds' format


def test_given_items_listed_before_microseconds_were_kept_then_they_sort_with_new_ones_without_migration(
    runner, owner, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: START + 5)
    old_forms = [bookmark(owner["user"], n) for n in range(2)]
    for old in old_forms:  # what an item made by the previous release has: GSI1SK = created_at#slug
        items.update_fields(old, {"GSI1SK": f"{old.created_at}#{old.slug}"}, ["created_micros"], KEEP)
    older = make(owner, monkeypatch, 1, first_second=START)
    newer = make(owner, monkeypatch, 2, first_second=START + 5, same_second=True)  # the same second, made later
    listed = slugs_of(page(runner, owner))
    assert listed[:2] == list(reversed(newer)) and set(listed[2:4]) == {o.slug for o in old_forms}
    assert listed[4:] == older
    legacy_cursor = f"{START + 5}.{listed[3]}"  # a link an old answer gave out
    assert slugs_of(page(runner, owner, before=legacy_cursor)) == older
    assert slugs_of(page(runner, owner, after=legacy_cursor)) == listed[:3]


def test_given_bare_epoch_cursors_then_strictly_before_or_after_that_second(runner, owner, monkeypatch):
    made = make(owner, monkeypatch, 3, first_second=START)  # at START, START+1, START+2
    made += make(owner, monkeypatch, 2, first_second=START + 10, same_second=True)  # two at START+10
    assert set(slugs_of(page(runner, owner, before=START + 10))) == set(made[:3])
    assert slugs_of(page(runner, owner, before=START + 1)) == [made[0]]
    assert set(slugs_of(page(runner, owner, after=START + 2))) == set(made[3:])
    assert slugs_of(page(runner, owner, after=START + 10)) == []
    assert slugs_of(page(runner, owner, after=START - 1, per_page=2)) == [made[1], made[0]]  # the nearest page


def test_given_a_huge_per_page_then_it_is_capped(runner, owner, monkeypatch):
    make(owner, monkeypatch, 3, first_second=START)  # at START, START+1, START+2
    answer = page(runner, owner, per_page=500, before=START + 2)
    assert len(answer["data"]) == 2
    assert query_of(answer["links"]["prev_url"]["href"])["per_page"] == "100"


def test_given_the_default_then_20_per_page(runner, owner, monkeypatch):
    make(owner, monkeypatch, 21)
    answer = page(runner, owner)
    assert len(answer["data"]) == 20 and query_of(answer["links"]["next_url"]["href"])["per_page"] == "20"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "-1"}, "per_page"),
        ({"per_page": "abc"}, "per_page"),
        ({"per_page": "2.5"}, "per_page"),
        ({"before": "yesterday"}, "before"),
        ({"before": "1767225600.bad-slug!"}, "before"),
        ({"after": "1767225600."}, "after"),
        ({"after": "-5"}, "after"),
        ({"before": "1767225600", "after": "1767225601"}, "before"),
    ],
)
def test_given_bad_parameters_then_422_in_the_v3_format(runner, owner, query, field):
    response = call(runner, "V3ListItemsFunction", "/v3/items", owner["api_key"], query=query)
    assert response["statusCode"] == 422
    errors = body(response)["errors"]
    assert errors["name"] == field and errors["message"] and errors["type"] == ""
