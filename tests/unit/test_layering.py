"""Who may import whom: the product never imports its test stand-ins.

``oci_tei`` and the adapters are the product; ``oci_tei_local`` (the TEI-compatible server)
and ``oci_tei_emulator`` (OCI on loopback) are stand-ins for what the product talks to.
The stand-ins may import the product's cited rule tables (``oci_tei.contract``), never the
other way round. Read from the source (no import happens), so a function-level import
counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("oci_tei", "langchain_oci_tei", "llama_index_oci_tei")
STAND_INS = ("oci_tei_local", "oci_tei_emulator")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PRODUCT)
def test_the_product_never_imports_a_stand_in(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name.split(".")[0] in STAND_INS
    }
    assert not offenders, sorted(offenders)


def test_stand_ins_are_packages_of_their_own() -> None:
    for package in STAND_INS:
        assert (ROOT / package / "__init__.py").is_file()
        assert not (ROOT / "oci_tei" / package.removeprefix("oci_tei_")).exists()
