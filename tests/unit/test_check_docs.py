"""The docs check that `make lint` runs (devtools/check_docs.py)."""

from pathlib import Path

import pytest

from devtools import check_docs

pytestmark = pytest.mark.pure


def _tree(root: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_repository_docs_pass():
    """Given README.md and docs/ as committed, when checked, then nothing is wrong."""
    errors, _ = check_docs.check()
    assert errors == []


def test_a_long_line_a_broken_anchor_and_an_unlisted_page_are_errors(tmp_path):
    """Given a page with a 121-character line, a link to a heading that does not exist and a page the index
    does not link, when checked, then each is an error naming its file and line."""
    root = _tree(
        tmp_path,
        {
            "README.md": "# x\n\n[docs](docs/README.md)\n",
            "docs/README.md": "# Index\n\n- [API](api.md#no-such-heading)\n",
            "docs/api.md": "# API\n\n## Input rules\n\n" + "a" * 121 + "\n",
            "docs/orphan.md": "# Orphan\n",
        },
    )
    errors, warnings = check_docs.check(root)
    assert errors == [
        "docs/README.md:3: api.md#no-such-heading: no heading with that anchor",
        "docs/api.md:5: 121 characters (at most 120)",
        "docs/README.md: does not link docs/orphan.md",
    ]
    assert warnings == []


def test_headings_get_githubs_anchors_and_code_is_not_read_as_links(tmp_path):
    """Given headings with code, punctuation and a repeat, and a link-like text inside code, when checked,
    then GitHub's anchors resolve and the code is ignored; a missing page of the repository is an error, one
    beside it (../shared, not in every checkout) only a warning."""
    root = _tree(
        tmp_path,
        {
            "README.md": "# x\n\n## `make dev`\n\n```\n[not a link](nowhere.md)\n```\n",
            "docs/README.md": (
                "# Index\n\n- [a](a.md#rotating-the-noncegrant-key), [b](a.md#notes-1), [c](../README.md#make-dev)\n"
                "- [later](from-another-branch.md)\n- [seeds](../../shared/seeds/api.md)\n"
            ),
            "docs/a.md": "# A\n\n## Rotating the nonce/grant key\n\n## Notes\n\n## Notes\n",
        },
    )
    errors, warnings = check_docs.check(root)
    assert errors == ["docs/README.md:4: from-another-branch.md: no such file"]
    assert warnings == ["docs/README.md:5: ../../shared/seeds/api.md: not in this checkout"]
