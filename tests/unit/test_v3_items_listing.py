"""GET /v3/items: the seed's page shape, cursors that stay put while items come and go, bad parameters."""

import pytest

from cloudshare.services import accounts, clock, management
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


def test_given_a_few_items_then_the_seed_shape_newest_first_with_no_other_pages(runner, owner, monkeypatch):
    made = make(owner, monkeypatch, 3)
    answer = page(runner, owner)
    assert set(answer) == {"data", "links", "meta"}
    assert slugs_of(answer) == list(reversed(made))
    assert answer["links"] == {"next_url": None, "prev_url": None}
    assert answer["meta"] == {"count": 3}
    assert answer["data"][0]["share_url"].startswith(f"{BASE}/{made[-1]}")


def test_given_25_items_when_following_next_then_prev_links_then_every_item_once_in_order(runner, owner, monkeypatch):
    made = list(reversed(make(owner, monkeypatch, 25)))  # newest first
    pages = [page(runner, owner, per_page=10)]
    assert pages[0]["links"]["prev_url"] is None
    while pages[-1]["links"]["next_url"]:
        pages.append(follow(runner, owner, pages[-1]["links"]["next_url"]))
    assert [len(p["data"]) for p in pages] == [10, 10, 5]
    assert [slug for p in pages for slug in slugs_of(p)] == made
    assert query_of(pages[0]["links"]["next_url"]["href"]) == {"before": f"{START + 15}.{made[9]}", "per_page": "10"}
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


def test_given_many_items_in_the_same_second_then_cursors_still_page_exactly(runner, owner, monkeypatch):
    made = make(owner, monkeypatch, 7, same_second=True)
    expected = sorted(made, reverse=True)  # same created_at: the slug decides, newest-first order is stable
    first = page(runner, owner, per_page=3)
    second = follow(runner, owner, first["links"]["next_url"])
    third = follow(runner, owner, second["links"]["next_url"])
    assert slugs_of(first) + slugs_of(second) + slugs_of(third) == expected
    assert third["links"]["next_url"] is None
    assert slugs_of(follow(runner, owner, third["links"]["prev_url"])) == slugs_of(second)


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
