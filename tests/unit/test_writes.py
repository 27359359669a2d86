"""The store's one way to write conditionally: built requests, and failed conditions as domain exceptions."""

import pytest

from cloudshare.store import writes
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item
from tests.unit.helpers import TABLE


def _record(pk: str) -> dict:
    return to_item({"PK": pk, "SK": "ITEM"})


def _stored(pk: str) -> dict:
    return from_item(client("dynamodb").get_item(TableName=TABLE, Key=_record(pk), ConsistentRead=True)["Item"])


@pytest.fixture
def two_records():
    for pk, count in (("A", 0), ("B", 5)):
        client("dynamodb").put_item(TableName=TABLE, Item=to_item({"PK": pk, "SK": "ITEM", "count": count, "size": 1}))


def test_given_a_transaction_whose_second_condition_fails_then_its_exception_and_nothing_written(two_records):
    actions = [
        {
            "Update": writes.update_request(
                _record("A"), increments={"count": 1}, sets={"size": 2}, condition="attribute_exists(PK)"
            )
        },
        {
            "Update": writes.update_request(
                _record("B"),
                increments={"count": 1},
                condition="#c < :limit",
                names={"#c": "count"},
                values={":limit": 5},
            )
        },
    ]
    with pytest.raises(writes.OwnerLimit):
        writes.transact(actions, failures=(writes.StateChanged, writes.OwnerLimit))
    assert (_stored("A")["count"], _stored("A")["size"], _stored("B")["count"]) == (0, 1, 5)


def test_given_failures_named_for_fewer_actions_then_a_later_failure_is_state_changed(two_records):
    actions = [
        {
            "Update": writes.update_request(
                _record(pk), removes=["size"], condition="#c = :zero", names={"#c": "count"}, values={":zero": 0}
            )
        }
        for pk in "AB"
    ]
    with pytest.raises(writes.StateChanged):
        writes.transact(actions, failures=(writes.OwnerLimit,))
    assert _stored("A")["size"] == 1


def test_given_a_single_update_then_a_failed_condition_is_state_changed_and_a_met_one_is_written(two_records):
    request = writes.update_request(
        _record("B"), sets={"size": 3}, removes=["size", "count"], condition="attribute_exists(PK)"
    )
    written = writes.conditional("update_item", request, ReturnValues="ALL_NEW")["Attributes"]
    assert from_item(written) == {"PK": "B", "SK": "ITEM", "size": 3}  # set wins over remove
    with pytest.raises(writes.StateChanged):
        writes.conditional(
            "update_item",
            writes.update_request(
                _record("B"), sets={"size": 4}, condition="attribute_exists(#c)", names={"#c": "count"}
            ),
        )


def test_given_caller_placeholders_like_the_builders_own_aliases_then_refused_before_any_write():
    with pytest.raises(ValueError, match=":s0"):
        writes.update_request(_record("A"), sets={"size": 1}, condition=":s0 = :s0", values={":s0": 1})
