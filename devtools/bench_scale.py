"""The capacity and cost model: how far one link, one owner, uploads and listings go, and what they cost.

The real handlers run in-process against moto (as the other benches do) and every AWS call they make
is recorded; DynamoDB calls are turned into read and write units per partition key of the table and
of each index as template.yaml defines them (devtools/capacity.py). A profile's per-second load is
its sampled requests' units scaled to the profile's rate; a partition above its documented limit
times the headroom caps the profile. Lambda, API Gateway, WAF, CloudFront, S3 and SES requests are
counted and priced from devtools/prices.json (list prices, with the date they were read).

Keys that differ only in a trailing "#<n>" (a counter shard, a sweep shard) are one family whose
writers pick a member uniformly at random: each member carries the family's load divided evenly
(the expectation), so a small sample does not read as a hot shard.

    python -m devtools.bench_scale          # the table
    python -m devtools.bench_scale --json   # one JSON object on stdout
    python -m devtools.bench_scale --detail # and the busiest partitions of each profile
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import threading
import warnings
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from devtools.capacity import TABLE, Ledger, Schema, query_partition, read_units, write_units
from devtools.offline import use_in_process_aws
from devtools.template import ROOT, template

PRICES = ROOT / "devtools" / "prices.json"
LINK_RATE, OWNER_RATE, OWNER_ITEMS, UPLOAD_RATE, UPLOAD_USERS, LIST_RATE = 20_000, 50_000, 1_000, 100, 1_000, 1_000
DURATION_S = 600
SAMPLES = 40
SAMPLED_SHARDS = 4  # a sampled item's views cycle over this many shards (the model spreads them further)
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_SHARD = re.compile(r"^(.*#)\d+$")


def prices() -> dict:
    return json.loads(PRICES.read_text())


def schema() -> Schema:
    return Schema.from_template(template()["Resources"]["Table"]["Properties"])


# ---------------------------------------------------------------- recording


@dataclass
class Sample:
    """What some requests of one kind cost, in total: units per partition, AWS calls, invocations."""

    requests: int = 0
    ledger: Ledger = field(default_factory=Ledger)
    calls: Counter = field(default_factory=Counter)  # "dynamodb.UpdateItem" -> n
    invocations: Counter = field(default_factory=Counter)  # function logical id -> n
    lambda_ms: Counter = field(default_factory=Counter)  # function logical id -> modelled ms

    def per_request(self) -> Sample:
        return self.scaled(1 / self.requests)

    def scaled(self, factor: float) -> Sample:
        return Sample(
            1,
            self.ledger.scaled(factor),
            Counter({k: v * factor for k, v in self.calls.items()}),
            Counter({k: v * factor for k, v in self.invocations.items()}),
            Counter({k: v * factor for k, v in self.lambda_ms.items()}),
        )

    def plus(self, other: Sample) -> Sample:
        return Sample(
            1,
            self.ledger.merged(other.ledger),
            self.calls + other.calls,
            self.invocations + other.invocations,
            self.lambda_ms + other.lambda_ms,
        )


class Recorder:
    """Hooks every client of boto3's default session: each DynamoDB call's units, each call's name."""

    def __init__(self, table_schema: Schema) -> None:
        import boto3

        self.schema = table_schema
        self.sample = Sample()
        self._pending = threading.local()
        self._images = boto3.session.Session().client("dynamodb")  # not hooked: reads no one pays for

    def _image(self, table: str, key: dict) -> dict | None:
        return self._images.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _key(self, item: dict) -> dict:
        return {name: item[name] for name in self.schema.table_keys}

    def _targets(self, operation: str, params: dict) -> list[tuple[str, dict, bool]]:
        """(table, key, transactional) of each item a write touches."""
        if operation == "PutItem":
            return [(params["TableName"], self._key(params["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"], False)]
        if operation == "TransactWriteItems":
            found = []
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                found.append((body["TableName"], body["Key"] if "Key" in body else self._key(body["Item"]), True))
            return found
        if operation == "BatchWriteItem":
            return [
                (table, request.get("DeleteRequest", {}).get("Key") or self._key(request["PutRequest"]["Item"]), False)
                for table, requests in params["RequestItems"].items()
                for request in requests
            ]
        return []

    def before(self, params, model, **_kwargs) -> None:
        if model.name in _WRITES:
            self._pending.writes = [
                (table, key, transactional, self._image(table, key))
                for table, key, transactional in self._targets(model.name, params)
            ]
        self._pending.params = params

    def after(self, model, parsed, **_kwargs) -> None:
        service = model.service_model.service_name
        self.sample.calls[f"{service}.{model.name}"] += 1
        if service != "dynamodb":
            return
        params = self._pending.params
        failed = "Error" in parsed
        if model.name in _WRITES:
            for table, key, transactional, old in self._pending.writes:
                new = old if failed else self._image(table, key)
                self.sample.ledger.add(write_units(self.schema, old, new, transactional=transactional, refused=failed))
        elif model.name == "GetItem":
            item = parsed.get("Item")
            partition = next(iter(params["Key"][self.schema.hash_key].values()))
            self.sample.ledger.add(
                read_units(
                    self.schema,
                    [item] if item else [],
                    partition=partition,
                    consistent=params.get("ConsistentRead", False),
                )
            )
        elif model.name == "Query":
            index = params.get("IndexName")
            hash_key = self.schema.indexes[index].hash_key if index else self.schema.hash_key
            self.sample.ledger.add(
                read_units(
                    self.schema,
                    parsed.get("Items", []),
                    index=index,
                    partition=query_partition(params, hash_key),
                    consistent=params.get("ConsistentRead", False),
                )
            )
        elif model.name == "BatchGetItem":
            for table, found in parsed.get("Responses", {}).items():
                consistent = params["RequestItems"][table].get("ConsistentRead", False)
                for item in found:
                    partition = next(iter(item[self.schema.hash_key].values()))
                    self.sample.ledger.add(read_units(self.schema, [item], partition=partition, consistent=consistent))

    @contextmanager
    def recording(self):
        from devtools.awscalls import session_hooks

        with session_hooks({"before-parameter-build.*.*": self.before, "after-call.*.*": self.after}):
            yield self

    def take(self) -> Sample:
        sample, self.sample = self.sample, Sample()
        return sample


# ---------------------------------------------------------------- topology (from template.yaml)


@dataclass(frozen=True)
class Topology:
    """How requests reach each function, as template.yaml declares it."""

    front: dict[str, str]  # function logical id -> "rest" | "http" | "url" | "event"
    memory_mb: dict[str, int]
    waf_on_api: bool
    cdn: bool

    @classmethod
    def from_template(cls) -> Topology:
        resources = template()["Resources"]
        default_memory = template().get("Globals", {}).get("Function", {}).get("MemorySize", 128)
        front, memory = {}, {}
        for name, resource in resources.items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            properties = resource["Properties"]
            memory[name] = properties.get("MemorySize", default_memory)
            kinds = {event["Type"] for event in properties.get("Events", {}).values()}
            front[name] = (
                "url"
                if "FunctionUrlConfig" in properties and "Api" not in kinds
                else "rest"
                if "Api" in kinds
                else "http"
                if "HttpApi" in kinds
                else "event"
            )
        types = {resource["Type"] for resource in resources.values()}
        return cls(front, memory, "AWS::WAFv2::WebACLAssociation" in types, "AWS::CloudFront::Distribution" in types)


# ---------------------------------------------------------------- pricing and limits


def usd_per_request(sample: Sample, topology: Topology, price: dict) -> dict[str, float]:
    """USD per request of a per-request Sample, by service."""
    usd = price["usd"]
    costs: dict[str, float] = defaultdict(float)
    for function, count in sample.invocations.items():
        costs["lambda"] += count * usd["lambda_request_per_million"] / 1e6
        gb_seconds = sample.lambda_ms[function] / 1000 * topology.memory_mb[function] / 1024
        costs["lambda"] += gb_seconds * usd["lambda_arm64_gb_second"]
        front = topology.front[function]
        if front == "rest":
            costs["api"] += count * usd["api_gateway_rest_per_million"] / 1e6
            if topology.waf_on_api:
                costs["waf"] += count * usd["waf_request_per_million"] / 1e6
        elif front == "http":
            costs["api"] += count * usd["api_gateway_http_per_million"] / 1e6
    costs["dynamodb"] = (
        sample.ledger.total("write") * usd["dynamodb_on_demand_write_unit_per_million"]
        + sample.ledger.total("read") * usd["dynamodb_on_demand_read_unit_per_million"]
    ) / 1e6
    costs["s3"] = (sample.calls["s3.GetObject"] + sample.calls["s3.HeadObject"]) * usd["s3_get_per_thousand"] / 1e3
    puts = sample.calls["s3.PutObject"] + sample.calls["s3.PostObject"]
    costs["s3"] += puts * usd["s3_put_post_per_thousand"] / 1e3
    costs["ses"] = sample.calls["sesv2.SendEmail"] * usd["ses_per_thousand"] / 1e3
    return dict(costs)


@dataclass(frozen=True)
class Spread:
    """What a sample stands for: its distinct entities (items, users) for `entities` real ones, and
    the counter shards one item's views spread over at the profile's rate (None: as sampled)."""

    entity_ids: frozenset[str] = frozenset()
    entities: int = 1
    counter_shards: int | None = None


def _families(ledger: Ledger, spread: Spread) -> dict[tuple[str, str, str], float]:
    """Units per partition: shard families spread evenly over their members, per-entity partitions
    diluted from the sample's few entities to the profile's many."""
    members: dict[tuple[str, str, str], set] = defaultdict(set)
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for (target, partition, kind), units in ledger.units.items():
        match = _SHARD.match(partition)
        family = (target, match.group(1) + "*" if match else partition, kind)
        members[family].add(partition)
        totals[family] += units
    found = {}
    for family, total in totals.items():
        partition = family[1]
        counters = spread.counter_shards if partition.startswith("COUNT#") else None
        per_member = total / (counters or len(members[family]))
        if any(entity in partition for entity in spread.entity_ids):
            per_member *= len(spread.entity_ids) / spread.entities
        found[family] = per_member
    return found


def partition_ceilings(per_request: Sample, spread: Spread, price: dict) -> list[tuple[float, str]]:
    """(requests/s at which a partition reaches headroom × its limit, which partition), lowest first."""
    limits = price["limits"]
    capacity = {
        "write": limits["dynamodb_partition_write_units_per_second"] * limits["headroom"],
        "read": limits["dynamodb_partition_read_units_per_second"] * limits["headroom"],
    }
    ceilings = []
    for (target, partition, kind), units in _families(per_request.ledger, spread).items():
        if units > 0:
            where = "table" if target == TABLE else f"index {target}"
            ceilings.append((capacity[kind] / units, f"DynamoDB {kind}s on {where} partition {partition}"))
    return sorted(ceilings)


def ceilings(per_request: Sample, spread: Spread, topology: Topology, price: dict) -> list[tuple[float, str]]:
    """Every limit the profile runs into, as requests/s, lowest first."""
    limits = price["limits"]
    found = partition_ceilings(per_request, spread, price)
    api = sum(count for function, count in per_request.invocations.items() if topology.front[function] == "rest")
    if api:
        found.append(
            (limits["api_gateway_account_requests_per_second"] / api, "API Gateway account request rate (AWS default)")
        )
    seconds = sum(per_request.lambda_ms.values()) / 1000
    if seconds:
        found.append((limits["lambda_account_concurrency"] / seconds, "Lambda account concurrency (AWS default)"))
    return sorted(found)


def peak_units(per_request: Sample, spread: Spread, rate: float) -> dict[str, float]:
    """The busiest partition's units per second at `rate`, by kind."""
    peaks = {"read": 0.0, "write": 0.0}
    for (_, _, kind), units in _families(per_request.ledger, spread).items():
        peaks[kind] = max(peaks[kind], units * rate)
    return peaks


# ---------------------------------------------------------------- driving the handlers


def _environment() -> None:
    # Before cloudshare is imported: Powertools reads its settings when the module loads.
    use_in_process_aws(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="ERROR")
    sys.path.insert(0, str(ROOT / "layers" / "shared"))


def _public_event(path: str, accept: str, query: dict | None = None, cookie: str | None = None) -> dict:
    from devtools.bench_public import _event

    return _event(path, accept, query, cookie)


def _api_event(path: str, method: str, api_key: str, body: str | None = None) -> dict:
    from devtools.bench_uploads import _api_event as api_event

    event = api_event(path, method, api_key, body)
    event["resource"] = path
    return event


class Driver:
    """Calls handlers through the in-process runner and records what each call costs."""

    def __init__(self, recorder: Recorder, price: dict) -> None:
        from devtools.runner import InProcessRunner

        self.runner = InProcessRunner()
        self.recorder = recorder
        self.assumptions = price["assumptions"]

    def call(self, function: str, event: dict) -> dict:
        before = sum(self.recorder.sample.calls.values())
        try:
            response = self.runner.call(function, event)
        finally:
            calls = sum(self.recorder.sample.calls.values()) - before
            self.recorder.sample.invocations[function] += 1
            self.recorder.sample.lambda_ms[function] += (
                self.assumptions["lambda_ms_per_invocation"] + calls * self.assumptions["lambda_ms_per_aws_call"]
            )
        if isinstance(response, dict) and response.get("statusCode", 200) >= 500:
            raise RuntimeError(f"{function} failed: {response}")
        return response

    def sample(self, requests: int, each) -> Sample:
        self.recorder.take()
        for number in range(requests):
            each(number)
        sample = self.recorder.take()
        sample.requests = requests
        return sample


def _jpeg() -> bytes:
    from devtools.bench_public import _jpeg as jpeg

    return jpeg()


def _share(owner, name: str, **changes) -> str:
    """A ready shared image of `owner`; returns its link's code."""
    import boto3

    from cloudshare.config import settings
    from cloudshare.models import KEEP
    from cloudshare.services import links, uploads
    from cloudshare.store import items

    ticket = uploads.request_upload(owner, name, None, None, None)
    boto3.client("s3").put_object(
        Bucket=settings().bucket_name, Key=ticket.version.object_key, Body=_jpeg(), ContentType="image/jpeg"
    )
    item = uploads.settle(ticket.item, ticket.version)
    if changes:
        item = items.update_fields(item, changes, [], due_at=KEEP)
    return links.share_code(item)


def _steady_shards(slug: str) -> None:
    """A busy item's counter shards as they are between folds: existing and waiting in FoldIndex, so a
    sampled view costs what it costs at a steady rate (not a shard's first write, which enters the index)."""
    try:
        from cloudshare.store import view_counts
    except ImportError:  # before counter shards
        return
    from cloudshare.config import settings
    from cloudshare.store.aws import client
    from cloudshare.store.records import to_values

    for number in range(SAMPLED_SHARDS):
        client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=view_counts.shard_key(slug, number),
            UpdateExpression="SET fold_key = :fold, unfolded_views = :zero, unfolded_downloads = :zero",
            ExpressionAttributeValues=to_values({":fold": view_counts.fold_partition(slug), ":zero": 0}),
        )


@contextmanager
def _shards_cycled():
    """Sampled views take shards 0..SAMPLED_SHARDS-1 in turn, the ones _steady_shards made."""
    import secrets
    from itertools import count
    from unittest.mock import patch

    turns = count()
    with patch.object(secrets, "randbelow", lambda below: next(turns) % min(below, SAMPLED_SHARDS)):
        yield


@contextmanager
def _cache_clock_stopped():
    """The instance's item cache sees no time pass: warm requests are all hits, as in a busy Lambda."""
    from cloudshare.store import public

    if not hasattr(public, "_monotonic"):  # before the item cache
        yield
        return
    original, public._monotonic = public._monotonic, lambda: 0.0
    try:
        yield
    finally:
        public._monotonic = original


class _NextPeriod(Exception):
    pass


def _folds(driver: Driver) -> None:
    """Runs the counter fold, if the template has one, so its cost lands in the current sample."""
    from devtools.template import functions

    if "FoldCountsFunction" in functions():
        from unittest.mock import patch

        from devtools.runner import FunctionFailed

        # One pass is one period's fold: the run's second pass, a period later, is the next sample's.
        with patch("time.sleep", side_effect=_NextPeriod), contextlib.suppress(FunctionFailed):
            driver.call("FoldCountsFunction", {"source": "aws.events", "detail-type": "Scheduled Event"})


@dataclass
class Profile:
    """Sampled requests of one kind: warm (item cached in the instance) and cold, the fold after them."""

    warm: Sample
    cold: Sample
    fold: Sample
    entity_ids: frozenset[str]  # the distinct items or users the sample touched


def measure(price: dict) -> dict[str, Profile]:
    """Samples every profile's requests through the real handlers."""
    _environment()
    from moto import mock_aws

    from cloudshare.config import settings
    from cloudshare.services import accounts, links, share_tokens
    from cloudshare.store import items, public
    from devtools.template import create_resources

    settings.cache_clear()
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    with mock_aws():
        os.environ.update(create_resources("bench-scale").environment())
        settings.cache_clear()
        recorder = Recorder(schema())
        with recorder.recording(), contextlib.ExitStack() as stack:
            driver = Driver(recorder, price)
            owner = accounts.create_user("viral@example.com", "bench password", "pro")
            _, key = accounts.create_api_key("viral@example.com")
            link = _share(owner, "viral.jpg")
            limited = _share(owner, "limited.jpg", expires_after_views=10**9)
            locked = _share(owner, "locked.jpg", password_hash="x")
            locked_slug = links.split_code(locked)[0]
            cookie = f"grant_{locked_slug}={share_tokens.grant(items.get(locked_slug))}"
            many = [_share(owner, f"item{number}.jpg") for number in range(SAMPLES)]
            page = driver.call("PublicFunction", _public_event(f"/{link}", "application/json"))
            ticket = {"t": json.loads(page["body"])["remote_url"].rpartition("?t=")[2]}

            def slugs(*codes: str) -> frozenset[str]:
                return frozenset(links.split_code(code)[0] for code in codes)

            profiles = {}
            forget = getattr(public, "forget_cached_items", lambda: None)
            stack.enter_context(_shards_cycled())
            for name, (each, entities) in {
                "link": (lambda n: driver.call("PublicFunction", _public_event(f"/{link}", browser)), slugs(link)),
                "link, expires_after_views": (
                    lambda n: driver.call("PublicFunction", _public_event(f"/{limited}", browser)),
                    slugs(limited),
                ),
                "link, password": (
                    lambda n: driver.call("PublicFunction", _public_event(f"/{locked}", browser, cookie=cookie)),
                    slugs(locked),
                ),
                "owner": (lambda n: driver.call("PublicFunction", _public_event(f"/{many[n]}", browser)), slugs(*many)),
                "download": (
                    lambda n: driver.call(
                        "PublicFunction", _public_event(f"/{link}/download/viral.jpg", browser, ticket)
                    ),
                    slugs(link),
                ),
            }.items():
                for slug in entities:
                    _steady_shards(slug)
                forget()
                with _cache_clock_stopped():  # the sample runs far slower than Lambda would serve it
                    each(0)  # the instance's first request reads the item: the cold sample's cost
                    warm = driver.sample(SAMPLES, each)
                cold = driver.sample(SAMPLES, lambda n, each=each: (forget(), each(n)))
                fold = driver.sample(1, lambda n: _folds(driver))
                for _ in range(2):  # this profile's shards fold to nothing and leave, unrecorded
                    _folds(driver)
                recorder.take()
                profiles[name] = Profile(warm.per_request(), cold.per_request(), fold, entities)
            uploads_profile = _upload_sample(driver)
            profiles["upload"] = Profile(uploads_profile[0], uploads_profile[0], Sample(), uploads_profile[1])
            listing = driver.sample(
                SAMPLES, lambda n: driver.call("V3ListItemsFunction", _api_event("/v3/items", "GET", key))
            )
            profiles["list"] = Profile(
                listing.per_request(), listing.per_request(), Sample(), frozenset({owner.user_id})
            )
    return profiles


def _upload_sample(driver: Driver) -> tuple[Sample, frozenset[str]]:
    """POST /v3/items, the browser's presigned POST to S3, and the S3 event's finalize; one upload
    per user of SAMPLES users."""
    import boto3

    from cloudshare.config import settings
    from cloudshare.services import accounts, uploads

    users = []
    for number in range(SAMPLES):
        user = accounts.create_user(f"uploader{number}@example.com", "bench password", "pro")
        users.append((user.user_id, accounts.create_api_key(user.email)[1]))

    def upload(number: int) -> None:
        body = json.dumps({"name": f"upload{number}.bin", "file_size": 4096})
        created = driver.call("V3CreateItemFunction", _api_event("/v3/items", "POST", users[number][1], body))
        slug = json.loads(created["body"])["slug"]
        boto3.client("s3").put_object(Bucket=settings().bucket_name, Key=uploads.object_key(slug), Body=b"\x89" * 4096)
        driver.recorder.sample.calls["s3.PostObject"] += 1  # the browser's POST, not a call of ours
        driver.recorder.sample.calls["s3.PutObject"] -= 1
        driver.call(
            "S3FinalizeFunction",
            {
                "Records": [
                    {"s3": {"bucket": {"name": settings().bucket_name}, "object": {"key": uploads.object_key(slug)}}}
                ]
            },
        )

    return driver.sample(SAMPLES, upload).per_request(), frozenset(user_id for user_id, _ in users)


# ---------------------------------------------------------------- the model


def per_view(profile: Profile, rate: float, items: int) -> Sample:
    """One view's share of everything at `rate` views/s over `items` items: the request (on a cold
    instance cache for a fraction of them) and the folds that bring its counts home."""
    ttl = _cache_seconds()
    duration_s = sum(profile.warm.lambda_ms.values()) / 1000
    # An instance serves ttl / duration requests per cache lifetime and reads each distinct item once.
    per_instance = max(1.0, ttl / duration_s) if ttl else 1.0
    cold_fraction = min(items, per_instance) / per_instance
    request = profile.warm.scaled(1 - cold_fraction).plus(profile.cold.scaled(cold_fraction))
    period = _fold_period()
    if period is None or not profile.fold.invocations:
        return request
    return request.plus(_fold_share(profile, rate, items, period))


def _fold_share(profile: Profile, rate: float, items: int, period: float) -> Sample:
    """One view's share of a period's fold pass. The sampled pass folded the sample's shards of the
    sample's items; a real pass folds each shard with views in the period (per-shard costs), once
    for each item with views (per-item costs), and takes a shard idle for a whole period out of
    FoldIndex (at a steady rate each shard of a busy item sees many views: rarely)."""
    fold, views = profile.fold, rate * period
    shards = counter_shards(rate / items)
    per_item_views = views / items
    idle = (1 - 1 / shards) ** per_item_views  # a shard's chance to see no view in a period
    real_items = min(items, views)
    sampled_shards = max(1, _counter_partitions(fold.ledger))
    sampled_items = max(1, len(profile.entity_ids))
    removals = sum(
        units
        for (target, _, kind), units in fold.ledger.units.items()
        if target == view_counts_index() and kind == "write"
    )
    shard_factor = real_items * shards * (1 - idle) / sampled_shards / views
    item_factor = real_items / sampled_items / views
    removal_factor = real_items * shards * idle / max(1.0, removals) / views
    share = fold.scaled(item_factor)  # invocations, Lambda time and per-item units
    share.ledger = Ledger()
    for (target, partition, kind), units in fold.ledger.units.items():
        if target == view_counts_index() and kind == "write":
            factor = removal_factor
        elif partition.startswith("COUNT#"):
            factor = shard_factor
        else:
            factor = item_factor
        share.ledger.units[(target, partition, kind)] += units * factor
    return share


def view_counts_index() -> str:
    from cloudshare.store import view_counts

    return view_counts.FOLD_INDEX


def _counter_partitions(ledger: Ledger) -> int:
    return len({partition for (target, partition, _) in ledger.units if partition.startswith("COUNT#")})


def counter_shards(item_rate: float) -> int | None:
    """The shards one item's views spread over once the fold has seen `item_rate` views/s."""
    try:
        from cloudshare.store import view_counts
    except ImportError:  # before counter shards
        return None
    return view_counts.shards_for(item_rate, view_counts.DEFAULT_SHARDS)


def _cache_seconds() -> float | None:
    from cloudshare.store import public

    return getattr(public, "ITEM_CACHE_SECONDS", None)


def _fold_period() -> float | None:
    try:
        from cloudshare.store import view_counts
    except ImportError:  # before counter shards
        return None
    return view_counts.FOLD_PERIOD_SECONDS


# What-if fronts for the public path, priced on the same recorded calls (not what template.yaml says).
WHAT_IF = {"Lambda function URL": "url", "HTTP API": "http", "REST API": "rest"}


def model(profiles: dict[str, Profile], price: dict) -> dict:
    topology = Topology.from_template()
    plans = {
        "one link": ("link", LINK_RATE, 1, 1),
        "one link, expires_after_views": ("link, expires_after_views", LINK_RATE, 1, 1),
        "one link, password": ("link, password", LINK_RATE, 1, 1),
        "one owner, 1,000 items": ("owner", OWNER_RATE, OWNER_ITEMS, OWNER_ITEMS),
        "downloads of one link": ("download", LINK_RATE, 1, 1),
        "uploads, 1,000 users": ("upload", UPLOAD_RATE, 1, UPLOAD_USERS),
        "lists": ("list", LIST_RATE, 1, 1),
    }
    rows = {}
    for name, (key, rate, items, entities) in plans.items():
        profile = profiles[key]
        per_request = per_view(profile, rate, items)
        spread = Spread(profile.entity_ids, entities, counter_shards(rate / items))
        found = ceilings(per_request, spread, topology, price)
        costs = usd_per_request(per_request, topology, price)
        what_if = {
            label: sum(usd_per_request(per_request, _fronted(topology, front), price).values()) * 1e6
            for label, front in WHAT_IF.items()
        }
        rows[name] = {
            "rate": rate,
            "ceiling": found[0][0] if found else math.inf,
            "limit": found[0][1] if found else "none",
            "usd_per_million": sum(costs.values()) * 1e6,
            "by_service": {k: v * 1e6 for k, v in costs.items()},
            "wcu": per_request.ledger.total("write"),
            "rcu": per_request.ledger.total("read"),
            "peak": peak_units(per_request, spread, rate),
            "calls": dict(per_request.calls),
            "what_if": what_if,
            "busiest": [
                (units * rate, target, partition, kind)
                for (target, partition, kind), units in sorted(
                    _families(per_request.ledger, spread).items(), key=lambda entry: -entry[1]
                )[:4]
            ],
        }
    link, owner = rows["one link"], rows["one owner, 1,000 items"]
    return {
        "rows": rows,
        "summary": {
            "link_views_per_s": int(link["ceiling"]),
            "owner_views_per_s": int(owner["ceiling"]),
            "limit_hit": link["limit"],
            "usd_per_million": {
                "views": round(link["usd_per_million"], 3),
                "downloads": round(rows["downloads of one link"]["usd_per_million"], 3),
                "uploads": round(rows["uploads, 1,000 users"]["usd_per_million"], 3),
                "lists": round(rows["lists"]["usd_per_million"], 3),
            },
            "wcu_per_view": round(link["wcu"], 3),
        },
        "topology": topology,
    }


_PUBLIC = ("PublicFunction",)


def _fronted(topology: Topology, front: str) -> Topology:
    """The same topology with the public function behind `front`, and no WAF on it."""
    fronts = {**topology.front, **{name: front for name in _PUBLIC}}
    return Topology(fronts, topology.memory_mb, topology.waf_on_api and front == "rest", topology.cdn)


def report(result: dict, price: dict, detail: bool = False) -> list[str]:
    lines = [
        f"== capacity and cost model (list prices read {price['read_on']}, {price['region']}) ==",
        f"{'profile':32} {'rate/s':>8} {'ceiling/s':>10} {'$/million':>10} {'WCU/req':>8} {'RCU/req':>8} "
        f"{'peak W/s':>9} {'peak R/s':>9}  first limit",
    ]
    for name, row in result["rows"].items():
        lines.append(
            f"{name:32} {row['rate']:>8,} {row['ceiling']:>10,.0f} {row['usd_per_million']:>10.3f} "
            f"{row['wcu']:>8.3f} {row['rcu']:>8.3f} {row['peak']['write']:>9,.0f} "
            f"{row['peak']['read']:>9,.0f}  {row['limit']}"
        )
    lines.append("$/million by service:")
    for name, row in result["rows"].items():
        lines.append(
            f"  {name:30} "
            + ", ".join(f"{service} {usd:.3f}" for service, usd in sorted(row["by_service"].items()) if usd)
        )
    lines.append("what-if, the public function (page, download, content, thumbnail) behind another front, $/million:")
    for name in ("one link", "one owner, 1,000 items", "downloads of one link"):
        lines.append(
            f"  {name:30} " + ", ".join(f"{label} {usd:.3f}" for label, usd in result["rows"][name]["what_if"].items())
        )
    if detail:
        lines.append("busiest partitions (units/s at the profile's rate):")
        for name, row in result["rows"].items():
            lines.append(
                f"  {name:30} "
                + "; ".join(
                    f"{target} {partition} {kind}s {units:,.1f}" for units, target, partition, kind in row["busiest"]
                )
            )
    topology = result["topology"]
    lines.append(
        f"topology (template.yaml): public page via {topology.front['PublicFunction']}, "
        f"WAF on the API: {topology.waf_on_api}, CDN: {topology.cdn}; steady rates for {DURATION_S} s"
    )
    return lines


TARGETS = {"link_views_per_s": LINK_RATE, "owner_views_per_s": OWNER_RATE}
COST_TARGETS = {"views": 1.00, "downloads": 1.00}


def main() -> None:
    warnings.filterwarnings("ignore")
    price = prices()
    with contextlib.redirect_stdout(sys.stderr):  # the handlers' logs and metrics: stdout is the result's
        result = model(measure(price), price)
    summary = result["summary"]
    if "--json" in sys.argv[1:]:
        print(json.dumps(summary))
        return
    print("\n".join(report(result, price, detail="--detail" in sys.argv[1:])))
    missed = [name for name, target in TARGETS.items() if summary[name] < target]
    missed += [
        f"usd_per_million.{name}" for name, target in COST_TARGETS.items() if summary["usd_per_million"][name] > target
    ]
    print("targets missed: " + (", ".join(missed) or "none"))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
