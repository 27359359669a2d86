"""Checks README.md and docs/: no line over 120 characters, links that resolve, an index that lists every page.

`make lint` runs it. Links are checked as GitHub renders them: a relative path to a file of the checkout,
optionally with `#anchor`, where the anchor is a heading's GitHub slug. A link to a page that is not in
this checkout is a warning, not an error: pages are written on several branches at once, and the index
may name one before its branch is merged.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MAX_LINE = 120
ROOT = Path(__file__).resolve().parent.parent
INDEX = "docs/README.md"

_FENCE = re.compile(r"^(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _prose(lines: list[str], spans: bool = False) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code; inline code spans dropped unless `spans`."""
    kept, fenced = [], False
    for number, line in enumerate(lines, 1):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
        elif not fenced:
            kept.append((number, line if spans else _CODE_SPAN.sub("", line)))
    return kept


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, line in _prose(path.read_text(encoding="utf-8").splitlines(), spans=True):
        match = _HEADING.match(line)
        if match:
            base = slug(match.group(1))
            # GitHub numbers repeated headings: x, x-1, x-2 ...
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def check(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(errors, warnings) for README.md and every Markdown file under docs/."""
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    errors: list[str] = []
    warnings: list[str] = []
    linked: set[Path] = set()
    for page in pages:
        name = page.relative_to(root).as_posix()
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if len(line) > MAX_LINE:
                errors.append(f"{name}:{number}: {len(line)} characters (at most {MAX_LINE})")
        for number, line in _prose(lines):
            for target in _LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                    continue
                file_part, _, anchor = target.partition("#")
                dest = (page.parent / file_part).resolve() if file_part else page
                if page.name == "README.md" and page.parent == root / "docs":
                    linked.add(dest)
                if not dest.exists() and dest.is_relative_to(root.resolve()):
                    errors.append(f"{name}:{number}: {target}: no such file")
                elif not dest.exists():  # beside the repository (../shared): not in every checkout
                    warnings.append(f"{name}:{number}: {target}: not in this checkout")
                elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                    errors.append(f"{name}:{number}: {target}: no heading with that anchor")
    index = root / INDEX
    if index.exists():
        for page in pages:
            if page.parent == root / "docs" and page != index and page.resolve() not in linked:
                errors.append(f"{INDEX}: does not link {page.relative_to(root).as_posix()}")
    else:
        errors.append(f"{INDEX}: missing (the docs' table of contents)")
    return errors, warnings


def main() -> int:
    errors, warnings = check()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
