"""POST /v3/items/{slug}/share: one SES e-mail per recipient, escaped, within the plan's daily allowance."""

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from cloudshare.config import settings
from cloudshare.services import accounts, email_shares, management, uploads
from tests.unit.apigw import body
from tests.unit.helpers import SHARE_SENDER, TABLE, ready_file
from tests.unit.v3_calls import BASE, bookmark, call, record


def sent() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def share(runner, user, slug, payload):
    return call(runner, "V3ShareItemFunction", f"/v3/items/{slug}/share", user["api_key"], "POST", payload)


def shares_today(user) -> int:
    """The day's share counter, read from the stored profile (User does not carry it)."""
    profile = boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}}
    )["Item"]
    return int(profile.get("shares_today", {"N": "0"})["N"])


def test_given_recipients_and_a_message_then_one_escaped_mail_each_with_the_share_link(runner, user):
    item = ready_file(user["user"], "report.pdf")
    message = 'Look <script>alert("x")</script> & tell me'
    response = share(
        runner,
        user,
        item.slug,
        {"recipients": [" Bob@Example.com ", "bob@example.com", "carol@example.org"], "message": message},
    )
    assert response["statusCode"] == 200
    assert body(response) == {"recipients": ["bob@example.com", "carol@example.org"]}
    mails = sent()
    assert [m.destinations["ToAddresses"] for m in mails] == [["bob@example.com"], ["carol@example.org"]]
    share_url = f"{BASE}/{item.slug}{item.link_secret}"
    for mail in mails:
        assert mail.source == SHARE_SENDER and "report.pdf" in mail.subject
        assert f'href="{share_url}"' in mail.body
        assert "Look &lt;script&gt;alert(" in mail.body and "&lt;/script&gt; &amp; tell me" in mail.body
        assert '"x"' not in mail.body  # quotes are escaped too (&#34; or &quot;)
        assert "<script>" not in mail.body
    assert shares_today(user) == 2


def test_given_the_plain_text_part_then_it_carries_the_link_and_the_message_as_written(user):
    item = bookmark(user["user"])
    mail = email_shares.compose(user["user"], item, "https://s.example/abc", "a <b> & c", SHARE_SENDER, "x@example.com")
    assert "https://s.example/abc" in mail.text and "a <b> & c" in mail.text
    assert mail.reply_to == user["email"] and "\n" not in mail.subject


def test_given_a_short_link_then_the_mail_carries_the_short_link(runner, user):
    item = bookmark(user["user"])
    management.update(user["user"], item.slug, management.ItemChanges(long_link=False))
    assert share(runner, user, item.slug, {"recipients": ["bob@example.com"]})["statusCode"] == 200
    assert f'href="{BASE}/{item.slug}"' in sent()[0].body


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": ["not-an-address"]}, "recipients"),
        ({"recipients": ["Bob <bob@example.com>"]}, "recipients"),
        ({"recipients": ["bob@example.com", "a@b"]}, "recipients"),
        ({"recipients": ["bob@exa mple.com"]}, "recipients"),
        ({"recipients": ["bøb@example.com"]}, "recipients"),
        ({"recipients": [f"user{n}@example.com" for n in range(11)]}, "recipients"),
        ({"recipients": "bob@example.com"}, "recipients"),
        ({"recipients": [5]}, "recipients.0"),
        ({}, "recipients"),
        ({"recipients": ["bob@example.com"], "message": "x" * 1001}, "message"),
        ({"recipients": ["bob@example.com"], "message": 7}, "message"),
    ],
)
def test_given_bad_input_then_422_and_nothing_sent_or_counted(runner, user, payload, field):
    item = bookmark(user["user"])
    before = record(item.slug)
    response = share(runner, user, item.slug, payload)
    assert response["statusCode"] == 422
    assert body(response)["errors"]["name"] == field
    assert sent() == [] and shares_today(user) == 0 and record(item.slug) == before


def test_given_an_item_still_uploading_then_422_and_nothing_sent(runner, user):
    ticket = uploads.request_upload(user["user"], "later.png", 10, None, None)
    response = share(runner, user, ticket.item.slug, {"recipients": ["bob@example.com"]})
    assert response["statusCode"] == 422 and "pending" in body(response)["errors"]["message"]
    assert sent() == []


def test_given_the_daily_allowance_then_all_or_nothing_and_a_new_day_starts_afresh(runner, user, frozen):
    slug = bookmark(user["user"]).slug  # free plan: 20 a day
    batch = [f"friend{n}@example.com" for n in range(10)]
    assert share(runner, user, slug, {"recipients": batch})["statusCode"] == 200
    assert share(runner, user, slug, {"recipients": batch[:5]})["statusCode"] == 200
    refused = share(runner, user, slug, {"recipients": batch[:6]})  # 15 used: 6 more would pass 20
    assert refused["statusCode"] == 422
    assert body(refused)["errors"]["name"] == "recipients" and body(refused)["errors"]["limit"] == 20
    assert "Daily share limit" in body(refused)["errors"]["message"]
    assert len(sent()) == 15 and shares_today(user) == 15
    assert share(runner, user, slug, {"recipients": batch[:5]})["statusCode"] == 200  # exactly up to the limit
    assert share(runner, user, slug, {"recipients": batch[:1]})["statusCode"] == 422

    frozen[0] += 86_400  # tomorrow
    assert share(runner, user, slug, {"recipients": batch})["statusCode"] == 200
    assert shares_today(user) == 10 and len(sent()) == 30


def test_given_ses_refuses_the_sender_then_503_and_the_counted_sends_are_given_back(runner, user, monkeypatch):
    monkeypatch.setenv("SHARE_SENDER", "unverified@cloudshare.test")
    settings.cache_clear()
    slug = bookmark(user["user"]).slug
    response = share(runner, user, slug, {"recipients": ["bob@example.com", "carol@example.org"]})
    assert response["statusCode"] == 503
    assert body(response)["errors"]["sent"] == []
    assert sent() == [] and shares_today(user) == 0


def test_given_a_pro_plan_then_its_own_allowance_applies(runner, user, frozen):
    owner = {**user, "user": accounts.set_plan(user["email"], "pro")}
    slug = bookmark(owner["user"]).slug
    for _ in range(3):
        assert share(runner, owner, slug, {"recipients": [f"f{n}@example.com" for n in range(10)]})["statusCode"] == 200
    assert shares_today(owner) == 30  # past the free plan's 20
