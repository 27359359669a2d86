"""One item, two dialects: what v3 changes, v1 sees (and back)."""

from cloudshare.services import clock
from tests.unit.apigw import body
from tests.unit.helpers import ready_file
from tests.unit.v3_calls import BASE, call


def v1_list(runner, user, **query) -> dict:
    response = call(runner, "V1ListArtifactsFunction", "/api/v1/artifacts", user["api_key"], query=query or None)
    assert response["statusCode"] == 200, response
    return body(response)


def test_given_a_rename_and_short_link_in_v3_then_v1_lists_the_same_url_and_update_first(runner, user, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    renamed, untouched = ready_file(user["user"], "a.txt"), ready_file(user["user"], "b.txt")
    monkeypatch.setattr(clock, "now", lambda: start + 5)
    v3 = body(
        call(
            runner,
            "V3UpdateItemFunction",
            f"/v3/items/{renamed.slug}",
            user["api_key"],
            "PUT",
            {"name": "final report.txt", "long_link": False},
        )
    )

    listed = v1_list(runner, user, sort_by="updated_at", sort_order="desc")
    assert [a["slug"] for a in listed["artifacts"]] == [renamed.slug, untouched.slug]
    artifact = listed["artifacts"][0]
    assert artifact["current_file_url"] == v3["content_url"] == f"{BASE}/{renamed.slug}/content/final%20report.txt"
    assert artifact["updated_at"] == v3["updated_at"]


def test_given_a_delete_in_v3_then_v1_no_longer_lists_it_and_a_v1_restore_brings_it_back_to_v3(runner, user):
    item = ready_file(user["user"])
    deleted = call(runner, "V3DeleteItemFunction", f"/v3/items/{item.slug}", user["api_key"], "DELETE")
    assert deleted["statusCode"] == 204
    listed = v1_list(runner, user)
    assert listed["artifacts"] == [] and listed["pagination"]["total"] == 0
    detail = call(runner, "V1GetArtifactFunction", f"/api/v1/artifacts/{item.slug}", user["api_key"])
    assert detail["statusCode"] == 404

    restored = call(
        runner, "V1RestoreArtifactFunction", f"/api/v1/artifacts/{item.slug}/restore", user["api_key"], "POST"
    )
    assert restored["statusCode"] == 200
    v3 = body(call(runner, "V3ListItemsFunction", "/v3/items", user["api_key"]))
    assert [entry["slug"] for entry in v3["data"]] == [item.slug] and v3["meta"]["count"] == 1


def test_given_v1_unpublishes_then_v3_shows_the_status_and_refuses_to_share(runner, user):
    item = ready_file(user["user"])
    response = call(
        runner,
        "V1UpdateArtifactFunction",
        f"/api/v1/artifacts/{item.slug}",
        user["api_key"],
        "PUT",
        {"is_published": False},
    )
    assert response["statusCode"] == 200, response
    assert body(call(runner, "V3GetItemFunction", f"/v3/items/{item.slug}", user["api_key"]))["status"] == "unpublished"
    refused = call(
        runner,
        "V3ShareItemFunction",
        f"/v3/items/{item.slug}/share",
        user["api_key"],
        "POST",
        {"recipients": ["bob@example.com"]},
    )
    assert refused["statusCode"] == 422 and "unpublished" in body(refused)["errors"]["message"]
