"""Every function has a sample event in events/, and every sample event still works with its function."""

import json

import pytest

from cloudshare.store import delivery, items
from devtools.samples import EVENTS, IMAGE_SLUG, SAMPLE_SLUG, event_name, sample_event, seed
from devtools.template import functions

# Dashboard forms: done, then "see the page" (303), as browsers expect after a POST.
SEE_OTHER_FUNCTIONS = {
    "LoginFunction",
    "LogoutFunction",
    "LoginTwoFactorFunction",
    "DashboardUpdateItemFunction",
    "DashboardDeleteItemFunction",
    "DashboardRestoreItemFunction",
    "DashboardEndSessionsFunction",
    "DashboardRevokeKeyFunction",
    "DashboardRemovePasskeyFunction",
}
# Its whole job is to say "no such route", in the path's dialect.
NOT_FOUND_FUNCTIONS = {"NotFoundFunction"}


def test_every_function_has_a_sample_event_and_every_event_a_function():
    expected = {event_name(logical_id) for logical_id in functions()}
    present = {path.stem for path in EVENTS.glob("*.json")}
    assert present == expected


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_given_the_sample_event_when_invoked_then_the_function_does_its_work(runner, logical_id):
    seed()
    response = runner.call(logical_id, sample_event(logical_id))
    properties = functions()[logical_id]["Properties"]
    event_types = {event["Type"] for event in properties.get("Events", {}).values()}
    if "FunctionUrlConfig" in properties:  # the share page of the sample's shared file, in payload format 2.0
        assert response["statusCode"] == 200 and "<!doctype html>" in response["body"], response
    elif "Api" in event_types and logical_id in SEE_OTHER_FUNCTIONS:
        location = response["multiValueHeaders"]["Location"][0]
        assert response["statusCode"] == 303 and location.startswith("https://"), response
    elif "Api" in event_types and logical_id in NOT_FOUND_FUNCTIONS:
        assert response["statusCode"] == 404 and json.loads(response["body"])["errors"]["message"], response
    elif "Api" in event_types:
        assert 200 <= response["statusCode"] < 300, response
    elif logical_id == "FoldCountsFunction":  # the sample item's counted view reaches its counter
        assert response["finished"] and response["views"] == 1
    elif "Schedule" in event_types:  # the sample upload's deadline passed long ago, but S3 has its bytes
        assert response["finished"] and response["uploads_settled"] == 1
        assert items.get(SAMPLE_SLUG).state == "ready"
    elif "SQS" in event_types:  # the thumbnail queue's message: the sample image gets its thumbnail
        assert delivery.exists(delivery.thumbnail_key(IMAGE_SLUG, 1))
    else:  # the S3 event settles the sample upload
        assert items.get(SAMPLE_SLUG).state == "ready"
