"""DynamoDB capacity accounting by the documented rules, for the capacity and cost model.

Every DynamoDB call the handlers make is recorded with the item images it touched (read from the
same moto table just before and after a write), and turned into read and write units per partition
key, for the table and for each global secondary index as template.yaml defines them:

- item size: attribute names plus values (strings UTF-8, numbers ~1 byte per 2 digits + 1, ...);
- a write costs ceil(size / 1 KB) units of the larger of the old and new image, twice in a transaction;
  a refused conditional write still costs the units of the item it was checked against;
- a read costs ceil(size / 4 KB) units (a Query sums the sizes of what it returns first), half when
  eventually consistent, twice in a transaction;
- an index is written only when it holds the item before or after the write: once when the item
  enters or leaves it or a projected attribute changes, twice when its key changes (delete + put),
  never when nothing it holds changed. Its entry's size is what it projects.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

WRITE_UNIT = 1024
READ_UNIT = 4096
TABLE = "table"  # the base table's name in Usage.target


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: frozenset[str] = frozenset()

    def holds(self, item: dict | None) -> bool:
        return item is not None and self.hash_key in item and (self.range_key is None or self.range_key in item)

    def project(self, item: dict, table_keys: tuple[str, ...]) -> dict:
        if self.projection == "ALL":
            return item
        kept = {*table_keys, self.hash_key, *([self.range_key] if self.range_key else [])}
        if self.projection == "INCLUDE":
            kept |= self.include
        return {name: value for name, value in item.items() if name in kept}

    def key_of(self, item: dict) -> tuple:
        return item.get(self.hash_key), item.get(self.range_key) if self.range_key else None


@dataclass(frozen=True)
class Schema:
    hash_key: str
    range_key: str | None
    indexes: dict[str, Index]

    @property
    def table_keys(self) -> tuple[str, ...]:
        return (self.hash_key,) + ((self.range_key,) if self.range_key else ())

    @classmethod
    def from_template(cls, table_properties: dict) -> Schema:
        def keys(schema: list) -> tuple[str, str | None]:
            by_type = {entry["KeyType"]: entry["AttributeName"] for entry in schema}
            return by_type["HASH"], by_type.get("RANGE")

        indexes = {}
        for index in table_properties.get("GlobalSecondaryIndexes", []):
            hash_key, range_key = keys(index["KeySchema"])
            projection = index["Projection"]
            indexes[index["IndexName"]] = Index(
                index["IndexName"],
                hash_key,
                range_key,
                projection["ProjectionType"],
                frozenset(projection.get("NonKeyAttributes", [])),
            )
        return cls(*keys(table_properties["KeySchema"]), indexes)


@dataclass(frozen=True)
class Usage:
    target: str  # TABLE or an index name
    partition: str  # the partition key's value
    kind: str  # "read" | "write"
    units: float


@dataclass
class Ledger:
    """Units per (target, partition, kind), summed over the calls recorded into it."""

    units: dict[tuple[str, str, str], float] = field(default_factory=lambda: defaultdict(float))

    def add(self, usages: list[Usage]) -> None:
        for usage in usages:
            self.units[(usage.target, usage.partition, usage.kind)] += usage.units

    def total(self, kind: str) -> float:
        return sum(units for (_, _, k), units in self.units.items() if k == kind)

    def scaled(self, factor: float) -> Ledger:
        ledger = Ledger()
        for key, units in self.units.items():
            ledger.units[key] = units * factor
        return ledger

    def merged(self, other: Ledger) -> Ledger:
        ledger = self.scaled(1)
        for key, units in other.units.items():
            ledger.units[key] += units
        return ledger


def _number_size(value: str) -> int:
    digits = value.lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits.rstrip("0") or "0") / 2) + 1 + (1 if value.startswith("-") else 0)


def value_size(value: dict) -> int:
    """Size of one attribute value in DynamoDB's wire form ({"S": ...}, {"N": ...}, ...)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(entry.encode()) for entry in inner)
    if kind == "NS":
        return sum(_number_size(entry) for entry in inner)
    if kind == "BS":
        return sum(len(entry) for entry in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(entry) for entry in inner)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + value_size(entry) for name, entry in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _string(value: dict | None) -> str:
    if value is None:
        return ""
    ((_, inner),) = value.items()
    return str(inner) if not isinstance(inner, Decimal) else format(inner)


def write_units(
    schema: Schema, old: dict | None, new: dict | None, *, transactional: bool = False, refused: bool = False
) -> list[Usage]:
    """Units of one write that changed `old` into `new` (None: no such item before or after)."""
    factor = 2 if transactional else 1
    partition = _string((new or old or {}).get(schema.hash_key))
    base_units = max(1, math.ceil(max(item_size(old), item_size(new)) / WRITE_UNIT)) * factor
    usages = [Usage(TABLE, partition, "write", base_units)]
    if refused:
        return usages
    for index in schema.indexes.values():
        before = index.project(old, schema.table_keys) if index.holds(old) else None
        after = index.project(new, schema.table_keys) if index.holds(new) else None
        if before is None and after is None:
            continue
        if before is not None and after is not None and index.key_of(before) != index.key_of(after):
            usages.append(
                Usage(
                    index.name,
                    _string(before[index.hash_key]),
                    "write",
                    max(1, math.ceil(item_size(before) / WRITE_UNIT)),
                )
            )
            usages.append(
                Usage(
                    index.name,
                    _string(after[index.hash_key]),
                    "write",
                    max(1, math.ceil(item_size(after) / WRITE_UNIT)),
                )
            )
        elif before != after:
            entry = after if after is not None else before
            usages.append(
                Usage(
                    index.name,
                    _string(entry[index.hash_key]),
                    "write",
                    max(1, math.ceil(item_size(entry) / WRITE_UNIT)),
                )
            )
    return usages


def read_units(
    schema: Schema,
    items: list[dict],
    *,
    partition: str,
    index: str | None = None,
    consistent: bool = False,
    transactional: bool = False,
    summed: bool = True,
) -> list[Usage]:
    """Units of a read that returned `items` from one partition (a Query sums sizes; GetItem: one item)."""
    factor = 2 if transactional else (1 if consistent else 0.5)
    if index is not None:
        items = [schema.indexes[index].project(item, schema.table_keys) for item in items]
    if summed:
        units = max(1, math.ceil(sum(item_size(item) for item in items) / READ_UNIT))
    else:
        units = sum(max(1, math.ceil(item_size(item) / READ_UNIT)) for item in items) or 1
    return [Usage(index or TABLE, partition, "read", units * factor)]


_EQUALS = re.compile(r"(#?\w+)\s*=\s*(:\w+)")


def query_partition(params: dict, hash_key: str) -> str:
    """The partition key value a Query names in its KeyConditionExpression."""
    names = params.get("ExpressionAttributeNames", {})
    for name, placeholder in _EQUALS.findall(params["KeyConditionExpression"]):
        if names.get(name, name) == hash_key:
            return _string(params["ExpressionAttributeValues"][placeholder])
    raise ValueError(f"no partition key in {params['KeyConditionExpression']!r}")
