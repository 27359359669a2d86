"""The capacity model's DynamoDB accounting, held to the documented rules on hand-computed cases,
and the topology it assumes, read from template.yaml."""

from __future__ import annotations

import pytest

from devtools import bench_scale
from devtools.capacity import TABLE, Index, Ledger, Schema, Usage, item_size, query_partition, read_units, write_units
from devtools.template import template

pytestmark = pytest.mark.pure  # no AWS: the per-test moto resources are skipped

# A table keyed PK/SK with one index of each projection kind on the same keys.
SCHEMA = Schema(
    "PK",
    "SK",
    {
        "All": Index("All", "GSI1PK", "score", "ALL"),
        "Keys": Index("Keys", "GSI1PK", "score", "KEYS_ONLY"),
        "Some": Index("Some", "GSI1PK", "score", "INCLUDE", frozenset({"name"})),
    },
)


def _item(score: int = 1, name: str = "a", padding: int = 0, listed: bool = True) -> dict:
    item = {"PK": {"S": "ITEM#x"}, "SK": {"S": "ITEM"}, "name": {"S": name}, "blob": {"S": "p" * padding}}
    if listed:
        item.update(GSI1PK={"S": "OWNER#o"}, score={"N": str(score)})
    return item


def _units(usages: list[Usage]) -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for usage in usages:
        found[(usage.target, usage.partition)] = found.get((usage.target, usage.partition), 0) + usage.units
    return found


def test_given_attributes_then_sizes_follow_dynamodbs_rules():
    # names count too: "PK" (2) + "ITEM#x" (6); numbers ~1 byte per 2 significant digits + 1
    assert item_size({"PK": {"S": "ITEM#x"}}) == 8
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"n": {"N": "100"}}) == 1 + 2
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + 1 + 1 + 1


def test_given_a_new_item_then_each_index_that_holds_it_is_written_once():
    usages = write_units(SCHEMA, None, _item(padding=1500))
    assert _units(usages) == {
        (TABLE, "ITEM#x"): 2,
        ("All", "OWNER#o"): 2,
        ("Keys", "OWNER#o"): 1,
        ("Some", "OWNER#o"): 1,
    }  # 1.5 KB rounds up to 2; small entries to 1


def test_given_an_item_no_index_holds_then_only_the_table_is_written():
    assert _units(write_units(SCHEMA, _item(listed=False), _item(listed=False, name="b"))) == {(TABLE, "ITEM#x"): 1}


def test_given_a_change_of_an_index_key_then_that_index_pays_twice_and_keys_only_too():
    usages = write_units(SCHEMA, _item(score=1), _item(score=2))
    assert _units(usages) == {
        (TABLE, "ITEM#x"): 1,
        ("All", "OWNER#o"): 2,
        ("Keys", "OWNER#o"): 2,
        ("Some", "OWNER#o"): 2,
    }


def test_given_a_change_of_an_attribute_then_only_indexes_projecting_it_are_written():
    name_change = write_units(SCHEMA, _item(name="a"), _item(name="b"))
    assert _units(name_change) == {(TABLE, "ITEM#x"): 1, ("All", "OWNER#o"): 1, ("Some", "OWNER#o"): 1}
    blob_change = write_units(SCHEMA, _item(padding=1), _item(padding=2))
    assert _units(blob_change) == {(TABLE, "ITEM#x"): 1, ("All", "OWNER#o"): 1}


def test_given_a_transaction_or_a_refused_write_then_units_follow_the_rules():
    assert _units(write_units(SCHEMA, None, _item(listed=False), transactional=True)) == {(TABLE, "ITEM#x"): 2}
    # a refused conditional write costs the item it was checked against, and no index write
    assert _units(write_units(SCHEMA, _item(padding=2000), _item(padding=2000), refused=True)) == {(TABLE, "ITEM#x"): 2}


def test_given_reads_then_4kb_units_halved_when_eventually_consistent_and_queries_summed():
    five_kb = _item(padding=5000)
    assert read_units(SCHEMA, [five_kb], partition="ITEM#x")[0].units == 1.0  # ceil(5/4) = 2, halved
    assert read_units(SCHEMA, [five_kb], partition="ITEM#x", consistent=True)[0].units == 2
    assert read_units(SCHEMA, [], partition="ITEM#x")[0].units == 0.5  # a miss still costs a unit
    three = [_item(padding=1500)] * 3  # 4.5 KB summed -> 2 units, not 3
    assert read_units(SCHEMA, three, partition="OWNER#o", consistent=True)[0].units == 2
    # through a KEYS_ONLY index only the keys are read: 3 small entries fit one unit
    assert read_units(SCHEMA, three, partition="OWNER#o", index="Keys", consistent=True)[0].units == 1


def test_given_a_query_then_its_partition_is_the_one_its_key_condition_names():
    params = {
        "KeyConditionExpression": "#owner = :o AND score > :s",
        "ExpressionAttributeNames": {"#owner": "GSI1PK"},
        "ExpressionAttributeValues": {":o": {"S": "OWNER#o"}, ":s": {"N": "1"}},
    }
    assert query_partition(params, "GSI1PK") == "OWNER#o"


def test_given_shard_families_and_many_entities_then_partitions_are_spread_as_the_profile_says():
    ledger = Ledger()
    ledger.add(
        [
            Usage(TABLE, "COUNT#abc#3", "write", 1.0),
            Usage(TABLE, "ITEM#abc", "read", 0.5),
            Usage("GSI1", "OWNER#o", "write", 1.0),
        ]
    )
    spread = bench_scale.Spread(frozenset({"abc"}), entities=100, counter_shards=10)
    families = bench_scale._families(ledger, spread)
    assert families[(TABLE, "COUNT#abc#*", "write")] == 1.0 / 10 / 100  # one of 10 shards of one of 100 items
    assert families[(TABLE, "ITEM#abc", "read")] == 0.5 / 100
    assert families[("GSI1", "OWNER#o", "write")] == 1.0  # every item's view lands on the owner's partition


def test_the_model_reads_index_projections_and_the_front_door_from_the_template():
    schema = bench_scale.schema()
    indexes = template()["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"]
    assert {name: index.projection for name, index in schema.indexes.items()} == {
        index["IndexName"]: index["Projection"]["ProjectionType"] for index in indexes
    }
    assert schema.indexes["FoldIndex"].projection == "KEYS_ONLY"  # a view adds to a shard: no index write
    topology = bench_scale.Topology.from_template()
    # The public routes behind a function URL (no API Gateway request per view), the API behind WAF.
    assert topology.front["PublicFunction"] == "url" and not topology.cdn
    assert topology.waf_on_api and topology.front["V3ListItemsFunction"] == "rest"
    assert topology.front["FoldCountsFunction"] == "event"


def test_the_price_list_says_when_it_was_read_and_prices_every_service_the_model_counts():
    price = bench_scale.prices()
    assert price["read_on"] and price["region"]
    sample = bench_scale.Sample(1, Ledger(), invocations={"PublicFunction": 1}, lambda_ms={"PublicFunction": 10})
    sample.ledger.add([Usage(TABLE, "COUNT#a#1", "write", 1.0)])
    topology = bench_scale.Topology({"PublicFunction": "url"}, {"PublicFunction": 1024}, False, False)
    costs = bench_scale.usd_per_request(sample, topology, price)
    usd = price["usd"]
    assert costs["dynamodb"] * 1e6 == usd["dynamodb_on_demand_write_unit_per_million"]
    assert costs["lambda"] == usd["lambda_request_per_million"] / 1e6 + 0.01 * usd["lambda_arm64_gb_second"]
    assert "api" not in costs  # a function URL costs no API Gateway request


def test_given_sampled_profiles_then_the_summary_has_exactly_the_fields_the_issue_names():
    def profile(*usages: Usage, function: str = "PublicFunction") -> bench_scale.Profile:
        sample = bench_scale.Sample(1, Ledger(), invocations={function: 1}, lambda_ms={function: 9})
        sample.ledger.add(list(usages))
        return bench_scale.Profile(sample, sample, bench_scale.Sample(), frozenset({"abc"}))

    view = profile(Usage(TABLE, "COUNT#abc#1", "write", 1.0))
    profiles = {name: view for name in ("link", "link, expires_after_views", "link, password", "owner", "download")}
    profiles["upload"] = profile(Usage(TABLE, "ITEM#abc", "write", 2.0), function="V3CreateItemFunction")
    profiles["list"] = profile(Usage("GSI1", "OWNER#o", "read", 2.5), function="V3ListItemsFunction")
    summary = bench_scale.model(profiles, bench_scale.prices())["summary"]
    assert set(summary) == {"link_views_per_s", "owner_views_per_s", "limit_hit", "usd_per_million", "wcu_per_view"}
    assert set(summary["usd_per_million"]) == {"views", "downloads", "uploads", "lists"}
    assert summary["wcu_per_view"] == 1.0 and isinstance(summary["limit_hit"], str)
    # 1 WCU and one 9 ms invocation at the template's memory, behind the function URL: no API Gateway, no WAF
    usd = bench_scale.prices()["usd"]
    expected = (
        usd["dynamodb_on_demand_write_unit_per_million"]
        + usd["lambda_request_per_million"]
        + 0.009 * 0.5 * usd["lambda_arm64_gb_second"] * 1e6
    )
    assert abs(summary["usd_per_million"]["views"] - expected) < 0.001
