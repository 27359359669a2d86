"""The invariants that every write path must keep, checked against a table and its bucket.

An operator runs it on a deployed stack (`cloudshare-admin check-consistency`, `make
check-consistency`); the fault tests run it after every injected failure. It reads everything
(a Scan and a bucket listing): a tool for audits, never for a request path.

- each owner's item_count = their listed items; artifact_count = their listed files;
  storage_used = the bytes of every ready version they still have (deleted-but-unpurged included);
- every ready version's object exists with the recorded size (and ETag, when recorded: the bytes
  settled, not a replayed POST's); each item's total_comments = its comments; every object under items/ belongs
  to a version that is ready or still pending; no object belongs to a failed version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import boto3
from boto3.dynamodb.types import TypeDeserializer

from cloudshare.store.comments import DIGEST_SK
from cloudshare.store.sweeps import TOMBSTONE_SK

_deserializer = TypeDeserializer()


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    users: int = 0
    items: int = 0
    versions: int = 0
    objects: int = 0

    @property
    def consistent(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {
            "consistent": self.consistent,
            "users": self.users,
            "items": self.items,
            "versions": self.versions,
            "objects": self.objects,
            "problems": self.problems,
        }


def _records(table: str):
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for raw in page["Items"]:
            yield {name: _deserializer.deserialize(value) for name, value in raw.items()}


def _objects(bucket: str) -> dict[str, tuple[int, str]]:
    found = {}
    for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            found[entry["Key"]] = (entry["Size"], entry["ETag"])
    return found


def check(table: str, bucket: str) -> Report:
    report = Report()
    profiles, items, versions, comments, purging = {}, {}, {}, defaultdict(int), set()
    for record in _records(table):
        pk, sk = record["PK"], record["SK"]
        if sk == "PROFILE":
            profiles[pk.removeprefix("USER#")] = record
        elif pk.startswith("ITEM#") and sk == "ITEM":
            items[record["slug"]] = record
        elif pk.startswith("ITEM#") and sk.startswith("VERSION#"):
            versions[record["object_key"]] = record
        elif pk.startswith("ITEM#") and sk.startswith("COMMENT#"):
            comments[pk.removeprefix("ITEM#")] += 1
        elif pk.startswith("ITEM#") and sk == TOMBSTONE_SK:
            purging.add(pk.removeprefix("ITEM#"))
        elif pk.startswith("ITEM#") and sk == DIGEST_SK and "due_at" not in record:
            report.problems.append(f"item {pk.removeprefix('ITEM#')}: held comment e-mail that no sweep will find")
    report.users, report.items, report.versions = len(profiles), len(items), len(versions)

    listed, files, stored = defaultdict(int), defaultdict(int), defaultdict(int)
    for item in items.values():
        owner = item["owner_id"]
        if item.get("GSI1PK") == f"OWNER#{owner}":
            listed[owner] += 1
            files[owner] += item["kind"] == "file"
    for version in versions.values():
        if version["state"] == "ready" and version["slug"] in items:
            stored[items[version["slug"]]["owner_id"]] += int(version["size"])
    for user_id, profile in profiles.items():
        for counter, expected in (
            ("item_count", listed[user_id]),
            ("artifact_count", files[user_id]),
            ("storage_used", stored[user_id]),
        ):
            if int(profile.get(counter, 0)) != expected:
                report.problems.append(f"user {user_id}: {counter} is {profile.get(counter, 0)}, expected {expected}")
    for item in items.values():
        ready_bytes = sum(
            int(v["size"]) for v in versions.values() if v["slug"] == item["slug"] and v["state"] == "ready"
        )
        if int(item.get("stored_bytes", 0)) != ready_bytes:
            report.problems.append(f"item {item['slug']}: stored_bytes {item.get('stored_bytes')} != {ready_bytes}")
        if int(item.get("total_comments", 0)) != comments[item["slug"]]:
            report.problems.append(
                f"item {item['slug']}: total_comments {item.get('total_comments', 0)} "
                f"!= {comments[item['slug']]} comments"
            )
    for slug in comments.keys() - items.keys() - purging:  # a purge removes them in its second step
        report.problems.append(f"item {slug}: {comments[slug]} comments without their item")

    objects = _objects(bucket)
    report.objects = len(objects)
    for key, version in versions.items():
        if version["state"] != "ready":
            continue
        size, etag = objects.get(key, (None, None))
        if size != int(version["size"]):
            report.problems.append(f"version {key}: ready with {version['size']} bytes, bucket has {size}")
        elif version.get("etag") and etag != version["etag"]:
            report.problems.append(f"version {key}: settled ETag {version['etag']}, bucket has {etag}")
    for key in objects:
        if not key.startswith("items/"):
            continue
        version = versions.get(key)
        if version is None:
            report.problems.append(f"object {key}: no version record (orphan)")
        elif version["state"] == "failed":
            report.problems.append(f"object {key}: belongs to a failed upload")
    return report
