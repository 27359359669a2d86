"""Conversion between Python dicts and DynamoDB's typed attribute values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(record: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in record.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def to_values(values: dict[str, Any]) -> dict[str, Any]:
    """Expression attribute values (':name' -> typed value)."""
    return {key: _serializer.serialize(value) for key, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(inner) for inner in value]
    return value
