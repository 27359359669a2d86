"""Plans are data (plans.json beside this file); nothing else in the code names a plan."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

UNLIMITED = -1
DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Plan:
    name: str
    title: str
    artifact_limit: int
    storage_quota: int
    max_upload_size: int
    daily_uploads: int
    daily_shares: int
    features: dict[str, bool]

    def allows(self, feature: str) -> bool:
        return self.features.get(feature, False)

    def limits(self) -> dict[str, int]:
        return {
            "artifact_limit": self.artifact_limit,
            "storage_quota": self.storage_quota,
            "max_upload_size": self.max_upload_size,
            "daily_uploads": self.daily_uploads,
            "daily_shares": self.daily_shares,
        }


@cache
def all_plans() -> dict[str, Plan]:
    raw = json.loads((Path(__file__).parent / "plans.json").read_text())
    return {name: Plan(name=name, **fields) for name, fields in raw.items()}


def get_plan(name: str) -> Plan:
    plans = all_plans()
    if name not in plans:
        raise KeyError(f"unknown plan {name!r}; known plans: {', '.join(sorted(plans))}")
    return plans[name]
