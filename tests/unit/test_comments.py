"""Comments on shared items: visitors on the page (or its JSON API), the owner through v1, and the rules
between them (limits, bots, passwords, lifecycle, an exact total_comments)."""

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import boto3
import pytest

from cloudshare.config import settings
from cloudshare.services import accounts, clock, comments, sweeps
from cloudshare.services.passwords import hash_password
from cloudshare.store import items
from cloudshare_admin import consistency
from devtools import iam
from tests.unit import v1client
from tests.unit.apigw import body
from tests.unit.helpers import BUCKET, TABLE
from tests.unit.public_helpers import PASSWORD, change, code, cookie_of, header, page, request, shared_file, unlock

START = 1_800_000_000.0
VISITOR = "198.51.100.7"


@pytest.fixture
def now(monkeypatch):
    """The service's clock, moved by the test: now.move(seconds)."""

    class Clock:
        moment = START

        def move(self, seconds: float) -> None:
            self.moment += seconds

    fixed = Clock()
    monkeypatch.setattr(clock, "now", lambda: fixed.moment)
    return fixed


def thread(runner, item, **kwargs) -> dict:
    response = runner.call("PublicFunction", request(f"/{code(item)}/comments", accept="application/json", **kwargs))
    assert response["statusCode"] == 200, response
    return body(response)


def post(
    runner,
    item,
    text="Lovely photo",
    *,
    name="Ann",
    token=None,
    website="",
    client_ip=VISITOR,
    as_json=True,
    headers=None,
):
    fields = {"name": name, "text": text, "form_token": token, "website": website}
    if as_json:
        payload, content_type, accept = json.dumps(fields), "application/json", "application/json"
    else:
        payload, content_type, accept = urlencode(fields), "application/x-www-form-urlencoded", "text/html"
    return runner.call(
        "PublicFunction",
        request(
            f"/{code(item)}/comments",
            method="POST",
            body=payload,
            accept=accept,
            client_ip=client_ip,
            headers={"Content-Type": content_type, **(headers or {})},
        ),
    )


def form_token(runner, item, now, **kwargs) -> str:
    """The form's token, handed out a while ago (a person reads before writing)."""
    token = thread(runner, item, **kwargs)["form_token"]
    now.move(comments.MIN_FORM_SECONDS + 2)
    return token


def owner_list(runner, user, item, **query) -> dict:
    response = v1client.call(
        runner,
        "V1ListCommentsFunction",
        user["api_key"],
        "GET",
        f"{v1client.ARTIFACTS}/{item.slug}/comments",
        query=query or None,
        slug=item.slug,
    )
    assert response["statusCode"] == 200, response
    return body(response)


def total(runner, user, item) -> int:
    response = v1client.call(
        runner, "V1GetArtifactFunction", user["api_key"], "GET", f"{v1client.ARTIFACTS}/{item.slug}", slug=item.slug
    )
    return body(response)["artifact"]["total_comments"]


def check_consistency() -> consistency.Report:
    report = consistency.check(TABLE, BUCKET)
    assert report.consistent, report.problems
    return report


def test_given_a_visitor_comment_then_page_json_owner_list_and_total_agree(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    response = post(runner, item, "First!", token=form_token(runner, item, now))
    assert response["statusCode"] == 201, response
    posted = body(response)
    assert posted["name"] == "Ann" and posted["text"] == "First!" and posted["version"] == 1
    assert posted["by_owner"] is False

    assert [c["text"] for c in thread(runner, item)["comments"]] == ["First!"]
    listed = owner_list(runner, user, item)
    assert listed["comments"][0]["id"] == posted["id"] and listed["pagination"]["total"] == 1
    assert total(runner, user, item) == 1
    html = page(runner, item)["body"]
    assert 'id="comments"' in html and "First!" in html and 'name="form_token"' in html
    check_consistency()


def test_given_the_owner_replies_and_deletes_then_marked_and_counted_exactly(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    visitor = body(post(runner, item, "Nice", token=form_token(runner, item, now)))
    reply = v1client.call(
        runner,
        "V1AddCommentFunction",
        user["api_key"],
        "POST",
        f"{v1client.ARTIFACTS}/{item.slug}/comments",
        json_body={"text": "Thanks!"},
        slug=item.slug,
    )
    assert reply["statusCode"] == 201, reply
    assert body(reply)["comment"]["by_owner"] is True and body(reply)["comment"]["name"] == comments.OWNER_NAME
    assert [c["text"] for c in owner_list(runner, user, item)["comments"]] == ["Thanks!", "Nice"]  # newest first
    assert total(runner, user, item) == 2
    assert "(owner)" in page(runner, item)["body"]

    deleted = v1client.call(
        runner,
        "V1DeleteCommentFunction",
        user["api_key"],
        "DELETE",
        f"{v1client.ARTIFACTS}/{item.slug}/comments/{visitor['id']}",
        slug=item.slug,
    )
    assert deleted["statusCode"] == 200 and body(deleted) == {"status": True, "message": "Comment deleted successfully"}
    again = v1client.call(
        runner,
        "V1DeleteCommentFunction",
        user["api_key"],
        "DELETE",
        f"{v1client.ARTIFACTS}/{item.slug}/comments/{visitor['id']}",
        slug=item.slug,
    )
    assert again["statusCode"] == 404 and body(again) == {"status": False, "message": "Comment not found"}
    assert [c["text"] for c in thread(runner, item)["comments"]] == ["Thanks!"]
    assert total(runner, user, item) == 1
    check_consistency()


def test_given_another_user_then_the_owner_routes_answer_the_seeds_403_and_change_nothing(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    accounts.create_user("mallory@example.com", "mallory password", "free")
    _, key = accounts.create_api_key("mallory@example.com")
    path = f"{v1client.ARTIFACTS}/{item.slug}/comments"
    for function, method, suffix, payload in (
        ("V1ListCommentsFunction", "GET", "", None),
        ("V1AddCommentFunction", "POST", "", {"text": "mine now"}),
        ("V1DeleteCommentFunction", "DELETE", "/0000000000000100000001", None),
    ):
        response = v1client.call(runner, function, key, method, path + suffix, json_body=payload, slug=item.slug)
        assert response["statusCode"] == 403, response
        assert body(response)["status"] is False and "Unauthorized" in body(response)["message"]
    assert total(runner, user, item) == 0


def test_given_comment_text_with_markup_and_links_then_it_is_shown_as_text(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    text = '<script>alert(1)</script> see <a href="https://spam.example/">here</a> https://spam.example/x'
    assert post(runner, item, text, name="<b>Eve</b>", token=form_token(runner, item, now))["statusCode"] == 201
    html = page(runner, item)["body"]
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://spam.example' not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "script-src 'none'" in header(page(runner, item), "Content-Security-Policy")


def test_given_bad_comments_then_each_gets_a_clear_error_and_nothing_is_stored(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    cases = [
        (post(runner, item, "", token=token), 422, "text"),
        (post(runner, item, "x" * (comments.MAX_TEXT + 1), token=token), 422, "text"),
        (post(runner, item, name="", token=token), 422, "name"),
        (post(runner, item, token=token, website="https://bot.example"), 422, "website"),
        (post(runner, item, token="123.forged"), 422, "form_token"),
        (post(runner, item, token=None), 422, "form_token"),
        (post(runner, item, "y" * comments.MAX_BODY_BYTES, token=token), 413, "text"),
    ]
    for response, status, field in cases:
        assert response["statusCode"] == status, response
        assert body(response)["errors"]["name"] == field, response
    quick = thread(runner, item)["form_token"]  # posted the moment the form arrived: a naive bot
    response = post(runner, item, token=quick)
    assert response["statusCode"] == 422 and body(response)["errors"]["name"] == "form_token"
    assert thread(runner, item)["comments"] == [] and total(runner, user, item) == 0


def test_given_many_posts_from_one_source_then_429_with_retry_after_and_others_still_post(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    for number in range(comments.POSTS_PER_SOURCE):
        assert post(runner, item, f"comment {number}", token=token)["statusCode"] == 201
    refused = post(runner, item, "one too many", token=token)
    assert refused["statusCode"] == 429
    retry_after = int(header(refused, "Retry-After"))
    assert 0 < retry_after <= comments.WINDOW_SECONDS
    assert post(runner, item, "from elsewhere", token=token, client_ip="203.0.113.9")["statusCode"] == 201
    now.move(retry_after)
    assert post(runner, item, "later", token=token)["statusCode"] == 201
    assert total(runner, user, item) == comments.POSTS_PER_SOURCE + 2  # the refused one left nothing
    check_consistency()


def test_given_many_posts_on_one_item_then_its_own_limit_holds_whatever_the_sources(runner, user, now, monkeypatch):
    monkeypatch.setattr(comments, "POSTS_PER_ITEM", 3)
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    other = shared_file(user["user"], "other.txt", b"hello", "text/plain")
    token, other_token = form_token(runner, item, now), form_token(runner, other, now)
    for number in range(3):
        assert post(runner, item, token=token, client_ip=f"203.0.113.{number}")["statusCode"] == 201
    assert post(runner, item, token=token, client_ip="203.0.113.50")["statusCode"] == 429
    assert post(runner, other, token=other_token, client_ip="203.0.113.50")["statusCode"] == 201


def test_given_20_parallel_posts_and_deletes_then_total_comments_is_exact(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    with ThreadPoolExecutor(20) as pool:
        responses = list(
            pool.map(lambda n: post(runner, item, f"c{n}", token=token, client_ip=f"203.0.113.{n}"), range(20))
        )
    assert sorted(r["statusCode"] for r in responses) == [201] * 20
    assert total(runner, user, item) == 20
    ids = [body(r)["id"] for r in responses[:10]]
    with ThreadPoolExecutor(10) as pool:
        deleted = list(
            pool.map(
                lambda i: v1client.call(
                    runner,
                    "V1DeleteCommentFunction",
                    user["api_key"],
                    "DELETE",
                    f"{v1client.ARTIFACTS}/{item.slug}/comments/{i}",
                    slug=item.slug,
                ),
                ids + ids,
            )
        )
    assert sorted(r["statusCode"] for r in deleted) == [200] * 10 + [404] * 10  # each removed once
    assert total(runner, user, item) == 10 and items.get(item.slug).total_comments == 10
    check_consistency()


def test_given_a_password_then_comments_need_the_grant(runner, user, now):
    item = shared_file(user["user"], "secret.txt", b"hello", "text/plain", password_hash=hash_password(PASSWORD))
    locked = runner.call("PublicFunction", request(f"/{code(item)}/comments", accept="application/json"))
    assert locked["statusCode"] == 403 and body(locked)["errors"]["name"] == "password"
    assert post(runner, item, token="1.x")["statusCode"] == 403
    cookie = cookie_of(unlock(runner, item, PASSWORD))
    token = form_token(runner, item, now, headers={"Cookie": cookie})
    assert post(runner, item, "inside", token=token, headers={"Cookie": cookie})["statusCode"] == 201
    assert [c["text"] for c in thread(runner, item, headers={"Cookie": cookie})["comments"]] == ["inside"]


def test_given_comments_turned_off_then_hidden_and_refused_and_back_when_on(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "kept", token=token)["statusCode"] == 201
    switch = {"allow_comments": "false"}
    assert v1client.update(runner, user["api_key"], item.slug, form=switch)["statusCode"] == 200
    change(items.get(item.slug))  # every instance's cached copy is gone
    shown = thread(runner, item)
    assert shown["allow_comments"] is False and shown["comments"] == [] and shown["form_token"] is None
    assert 'id="comments"' not in page(runner, item)["body"]
    refused = post(runner, item, "more", token=token)
    assert refused["statusCode"] == 403 and body(refused)["errors"]["name"] == "comments"
    assert v1client.update(runner, user["api_key"], item.slug, form={"allow_comments": "true"})["statusCode"] == 200
    change(items.get(item.slug))
    assert [c["text"] for c in thread(runner, item)["comments"]] == ["kept"]


def test_given_unpublished_or_expired_items_then_no_comments_are_shown_or_taken(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "before", token=token)["statusCode"] == 201
    change(item, is_published=False)
    assert runner.call("PublicFunction", request(f"/{code(item)}/comments"))["statusCode"] == 404
    assert post(runner, item, token=token)["statusCode"] == 404
    change(item, is_published=True, expiration_time=clock.iso(START - 60))
    assert runner.call("PublicFunction", request(f"/{code(item)}/comments"))["statusCode"] == 410
    assert post(runner, item, token=token)["statusCode"] == 410


def test_given_versions_then_the_page_shows_the_current_ones_or_all_labelled(runner, user, now):
    slug = v1client.create_inline(runner, user["api_key"], b"one", "notes.txt")
    item = items.get(slug)
    assert post(runner, item, "on one", token=form_token(runner, item, now))["statusCode"] == 201
    assert v1client.update(runner, user["api_key"], slug, files={"file": ("notes.txt", b"two")})["statusCode"] == 200
    item = change(items.get(slug))
    assert thread(runner, item)["comments"] == [] and thread(runner, item)["current_version"] == 2
    assert post(runner, item, "on two", token=form_token(runner, item, now))["statusCode"] == 201
    assert [(c["text"], c["version"]) for c in thread(runner, item)["comments"]] == [("on two", 2)]

    v1client.update(runner, user["api_key"], slug, form={"show_combined_comments": "true"})
    item = change(items.get(slug))
    combined = thread(runner, item)
    assert combined["combined"] and [(c["text"], c["version"]) for c in combined["comments"]] == [
        ("on two", 2),
        ("on one", 1),
    ]
    assert "version 1" in page(runner, item)["body"]
    assert [c["text"] for c in owner_list(runner, user, item, version="1")["comments"]] == ["on one"]
    assert owner_list(runner, user, item)["pagination"]["total"] == 2


def test_given_a_browser_form_then_a_303_back_to_the_page_comments(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    response = post(runner, item, "from a form", token=form_token(runner, item, now), as_json=False)
    assert response["statusCode"] == 303
    assert header(response, "Location") == f"https://api.example.com/{code(item)}#comments"
    refused = post(runner, item, "", token="1.x", as_json=False)
    assert refused["statusCode"] == 422 and "text/html" in header(refused, "Content-Type")


def test_given_many_comments_then_pages_continue_newest_first_without_gaps(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    for number in range(7):
        v1client.call(
            runner,
            "V1AddCommentFunction",
            user["api_key"],
            "POST",
            f"{v1client.ARTIFACTS}/{item.slug}/comments",
            json_body={"text": f"r{number}"},
            slug=item.slug,
        )
    seen, before = [], None
    while True:
        listed = owner_list(runner, user, item, limit="3", **({"before": before} if before else {}))
        seen += [c["text"] for c in listed["comments"]]
        before = listed["pagination"]["next_before"]
        if before is None:
            break
    assert seen == [f"r{n}" for n in reversed(range(7))]
    bad = v1client.call(
        runner,
        "V1ListCommentsFunction",
        user["api_key"],
        "GET",
        f"{v1client.ARTIFACTS}/{item.slug}/comments",
        query={"limit": "1000"},
        slug=item.slug,
    )
    assert bad["statusCode"] == 400 and body(bad)["status"] is False


def test_given_the_artifact_deleted_restored_then_purged_then_its_comments_follow(runner, user, now, monkeypatch):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    assert post(runner, item, "stays?", token=form_token(runner, item, now))["statusCode"] == 201
    path = f"{v1client.ARTIFACTS}/{item.slug}"
    assert (
        v1client.call(runner, "V1DeleteArtifactFunction", user["api_key"], "DELETE", path, slug=item.slug)["statusCode"]
        == 200
    )
    change(items.get(item.slug))
    assert runner.call("PublicFunction", request(f"/{code(item)}/comments"))["statusCode"] == 410
    hidden = v1client.call(runner, "V1ListCommentsFunction", user["api_key"], "GET", f"{path}/comments", slug=item.slug)
    assert hidden["statusCode"] == 404

    assert (
        v1client.call(runner, "V1RestoreArtifactFunction", user["api_key"], "POST", f"{path}/restore", slug=item.slug)[
            "statusCode"
        ]
        == 200
    )
    change(items.get(item.slug))
    assert [c["text"] for c in thread(runner, item)["comments"]] == ["stays?"]

    assert (
        v1client.call(runner, "V1DeleteArtifactFunction", user["api_key"], "DELETE", path, slug=item.slug)["statusCode"]
        == 200
    )
    now.move(40 * 24 * 3600)  # past the retention period
    with iam.enforce("SweepFunction"):
        assert sweeps.run().purged == 1
    left = boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item.slug}"}},
    )["Items"]
    assert left == []
    check_consistency()


def sent_mail() -> list:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_given_comments_then_the_owner_gets_at_most_one_digest_an_hour_and_can_switch_it_off(runner, user, now):
    item = shared_file(user["user"], "notes <1>.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "first <i>one</i>", token=token)["statusCode"] == 201
    first = sent_mail()
    assert len(first) == 1 and first[0].destinations["ToAddresses"] == [user["email"]]
    assert "first &lt;i&gt;one&lt;/i&gt;" in first[0].body and f"/{code(item)}" in first[0].body
    assert "notes &lt;1&gt;.txt" in first[0].body

    assert post(runner, item, "second", token=token)["statusCode"] == 201
    assert len(sent_mail()) == 1  # within the hour: it waits for the next digest

    now.move(comments.DIGEST_SECONDS)
    assert post(runner, item, "third", token=token, client_ip="203.0.113.5")["statusCode"] == 201
    digests = sent_mail()
    assert len(digests) == 2 and "2 new comments" in digests[1].subject
    assert "second" in digests[1].body and "third" in digests[1].body and "first" not in digests[1].body

    v1client.update(runner, user["api_key"], item.slug, form={"comment_emails": "false"})
    change(items.get(item.slug))
    now.move(comments.DIGEST_SECONDS)
    assert post(runner, item, "fourth", token=token, client_ip="203.0.113.6")["statusCode"] == 201
    assert len(sent_mail()) == 2
    reply = v1client.call(
        runner,
        "V1AddCommentFunction",
        user["api_key"],
        "POST",
        f"{v1client.ARTIFACTS}/{item.slug}/comments",
        json_body={"text": "mine"},
        slug=item.slug,
    )
    assert reply["statusCode"] == 201 and len(sent_mail()) == 2  # the owner's own reply is no news to them


def test_given_ses_refusing_the_e_mail_then_the_comment_is_still_posted_once(runner, user, now, monkeypatch):
    monkeypatch.setenv("SHARE_SENDER", "unverified@cloudshare.test")  # SES refuses a sender it has not verified
    settings.cache_clear()
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    response = post(runner, item, "still here", token=form_token(runner, item, now))
    assert response["statusCode"] == 201 and sent_mail() == []
    assert [c["text"] for c in thread(runner, item)["comments"]] == ["still here"] and total(runner, user, item) == 1


def sweep_at(now) -> sweeps.SweepReport:
    with iam.enforce("SweepFunction"):
        return sweeps.run(clock.iso(now.moment))


def held_schedules(item) -> list[dict]:
    return boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk AND SK = :sk",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item.slug}"}, ":sk": {"S": "DIGEST"}},
    )["Items"]


def test_given_a_comment_held_back_by_the_hour_and_no_later_one_then_the_sweep_sends_it_once_after_the_hour(
    runner, user, now
):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "first", token=token)["statusCode"] == 201
    now.move(600)
    assert post(runner, item, "second", token=token)["statusCode"] == 201
    assert post(runner, item, "third", token=token)["statusCode"] == 201
    assert len(sent_mail()) == 1 and len(held_schedules(item)) == 1

    now.move(comments.DIGEST_SECONDS - 601)  # the hour since the first e-mail is not over yet
    sweep_at(now)
    assert len(sent_mail()) == 1

    now.move(1)
    sweep_at(now)
    mails = sent_mail()
    assert (
        len(mails) == 2
        and "2 new comments" in mails[1].subject
        and mails[1].destinations["ToAddresses"] == [user["email"]]
    )
    assert "second" in mails[1].body and "third" in mails[1].body and "first" not in mails[1].body
    assert f"/{code(item)}" in mails[1].body and held_schedules(item) == []

    now.move(comments.DIGEST_SECONDS)
    sweep_at(now)
    assert len(sent_mail()) == 2  # told once
    check_consistency()


def test_given_a_held_comment_that_a_later_comments_e_mail_told_of_then_the_sweep_sends_nothing_more(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "first", token=token)["statusCode"] == 201
    now.move(60)
    assert post(runner, item, "held", token=token)["statusCode"] == 201
    now.move(comments.DIGEST_SECONDS)
    assert post(runner, item, "later", token=token, client_ip="203.0.113.5")["statusCode"] == 201
    assert len(sent_mail()) == 2 and "held" in sent_mail()[1].body

    sweep_at(now)
    assert len(sent_mail()) == 2 and held_schedules(item) == []


def test_given_a_held_comment_when_the_owner_switches_e_mails_off_then_the_sweep_drops_it_unsent(runner, user, now):
    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    token = form_token(runner, item, now)
    assert post(runner, item, "first", token=token)["statusCode"] == 201
    assert post(runner, item, "held", token=token)["statusCode"] == 201
    v1client.update(runner, user["api_key"], item.slug, form={"comment_emails": "false"})

    now.move(comments.DIGEST_SECONDS)
    sweep_at(now)
    assert len(sent_mail()) == 1 and held_schedules(item) == []


def test_given_a_held_e_mail_already_due_when_another_comment_is_held_then_the_schedule_moves_and_the_sweep_keeps_it(
    runner, user, now
):
    """A sweep that read the comments before a new one arrived removes only the schedule it saw."""
    from cloudshare.store import comments as comment_store

    item = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    first_due, later_due = clock.iso(now.moment), clock.iso(now.moment + comments.DIGEST_SECONDS)
    comment_store.hold_digest(item.slug, first_due, "https://share.test/x", now=clock.iso(now.moment - 1))
    seen = held_schedules(item)[0]["due_at"]["S"]
    comment_store.hold_digest(item.slug, later_due, "https://share.test/x", now=clock.iso(now.moment))

    assert comment_store.drop_digest(item.slug, seen) is False
    assert held_schedules(item)[0]["due_at"]["S"].startswith(later_due)
    comment_store.hold_digest(
        item.slug, clock.iso(now.moment + 2 * comments.DIGEST_SECONDS), "x", clock.iso(now.moment)
    )
    assert held_schedules(item)[0]["due_at"]["S"].startswith(later_due)  # not due yet: the earlier one covers it
