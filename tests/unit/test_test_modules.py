"""Tests share helpers through helper modules and fixtures: a test module imported by another would run its
tests twice under some collectors, and ties one file's tests to another's internals."""

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]


def test_given_every_test_module_then_none_imports_another_test_module():
    imported = {}
    for module in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            tests = [name for name in names if name.startswith("tests.") and name.split(".")[-1].startswith("test_")]
            if tests:
                imported[str(module.relative_to(TESTS))] = tests
    assert imported == {}
