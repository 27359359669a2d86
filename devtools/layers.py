"""What each layer brings, so that a local function cannot import what its own layers would not give it on AWS.

In the dev venv every requirement of every layer is installed; on AWS a function has only its layers'.
A function that ran a passkey ceremony without PasskeysLayer would pass every local test and fail on
AWS with ModuleNotFoundError. Each local worker refuses the packages of the layers it does not carry.
"""

from __future__ import annotations

import importlib.abc
import re
import sys
from functools import cache
from importlib.metadata import packages_distributions

from devtools.template import ROOT, template


def _requirements(layer_logical_id: str) -> set[str]:
    """The normalised distribution names a layer pins in its requirements.txt."""
    content_uri = template()["Resources"][layer_logical_id]["Properties"]["ContentUri"]
    lines = (ROOT / content_uri / "requirements.txt").read_text().splitlines()
    pinned = (re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0] for line in lines)
    return {_normalised(name) for name in pinned if name and not name.startswith("#")}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def packages(layer_logical_id: str) -> frozenset[str]:
    """The top-level modules a layer brings (as installed here)."""
    wanted = _requirements(layer_logical_id)
    return frozenset(
        module
        for module, distributions in packages_distributions().items()
        if any(_normalised(distribution) in wanted for distribution in distributions)
    )


def refused(carried: list[str]) -> frozenset[str]:
    """The modules of the template's layers that a function carrying `carried` does not get."""
    layers = [name for name, resource in template()["Resources"].items() if resource["Type"].endswith("LayerVersion")]
    others = frozenset().union(*(packages(layer) for layer in layers if layer not in carried))
    return others - frozenset().union(*(packages(layer) for layer in carried))


class _Refuse(importlib.abc.MetaPathFinder):
    def __init__(self, modules: frozenset[str]) -> None:
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.modules:
            raise ModuleNotFoundError(f"No module named {fullname!r}: not in this function's layers", name=fullname)
        return None


def refuse(modules: frozenset[str]) -> None:
    """From now on, in this process, importing one of `modules` fails as it would on AWS (already
    imported ones stay: a worker refuses before its handler loads)."""
    sys.meta_path.insert(0, _Refuse(modules))
