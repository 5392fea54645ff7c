"""The README stays short and its links land: mkdocs checks the pages in docs/, not the README.

The README is the front page (and PyPI's long description): what oci-tei is, install, the two
commands for a fresh machine, a quickstart per framework, the emulator's operations per
service (issue 17: kept equal to docs/emulator-services.md, which a test keeps equal to the
emulator's routes) and the layout. Everything else lives
in docs/, where ``make docs`` (strict) checks every page, link and anchor; this test does the
same for the README's own links into docs/, with the anchors mkdocs' ``toc`` extension makes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    # Python-Markdown's toc.slugify, which mkdocs uses for heading ids.
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6}\s+(.*)", line)):
            anchors.add(_slug(match.group(1)))
    return anchors


def test_the_readme_is_short_and_names_the_two_commands() -> None:
    assert len(README.splitlines()) <= 150
    assert "make demo" in README
    assert "make test" in README


def test_every_relative_link_in_the_readme_lands() -> None:
    broken = []
    for target in LINK.findall(README):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        page = ROOT / path
        if not page.is_file():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in _anchors(page):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


def _operations(markdown: str) -> dict[str, list[str]]:
    """Service -> operations: the tables of docs/emulator-services.md."""
    found: dict[str, list[str]] = {}
    for section in re.split(r"^## ", markdown, flags=re.M)[1:]:
        title = section.splitlines()[0].split(" — ")[0]
        rows = re.findall(r"^\| ([A-Za-z][A-Za-z ()/-]*?) \| `", section, flags=re.M)
        if rows:
            found[title] = rows
    return found


def test_the_readme_lists_every_emulated_operation_per_service() -> None:
    services = _operations((ROOT / "docs" / "emulator-services.md").read_text(encoding="utf-8"))
    assert services
    listed = {
        name: [op.strip() for op in ops.split(", ")]
        for name, ops in re.findall(r"^\* \*\*(.+?)\*\*: (.+)$", README, flags=re.M)
    }
    assert listed == services
    assert "404 `NotFound`" in README
    assert "405 `MethodNotAllowed`" in README
