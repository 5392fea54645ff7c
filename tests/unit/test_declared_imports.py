"""Every third-party module a package imports is declared, in the extra that needs it.

Reads the import statements of each module (no import happens) and maps each top-level
module to the distributions that provide it in this environment. ``pip install oci-tei``
gets the core dependencies only; ``oci_tei_local`` and ``oci_tei_emulator`` may use the
``local`` extra, ``oci_tei.deploy`` the ``deploy`` extra, each adapter its framework's.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (path prefix, extras it may use besides the core). The longest matching prefix wins.
AREAS = [
    ("oci_tei/", ()),
    ("oci_tei_local/", ("local",)),
    ("oci_tei_emulator/", ("local",)),
    ("oci_tei/deploy/", ("deploy",)),
    ("oci_tei/corpus/", ("corpus",)),
    ("langchain_oci_tei/", ("langchain",)),
    ("llama_index_oci_tei/", ("llamaindex",)),
]

# Imports that never run unless the user already has the package, with why.
GUARDED = {
    # oracle-ads' global auth is read only when the program itself imported ads.
    ("oci_tei/_auth.py", "ads"),
    # Optional accelerators (the `fast` extra), tried and replaced by the standard library.
    ("oci_tei/_protocol.py", "orjson"),
    ("oci_tei/_protocol.py", "pybase64"),
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _declared() -> tuple[set[str], dict[str, set[str]]]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_normalize(_name(r)) for r in project["dependencies"]}
    raw = project["optional-dependencies"]

    def expand(extra: str) -> set[str]:
        names: set[str] = set()
        for requirement in raw[extra]:
            name = _normalize(_name(requirement))
            if name == "oci-tei":
                inner = re.search(r"\[(.*)\]", requirement)
                for sub in inner.group(1).split(",") if inner else []:
                    names |= expand(sub.strip())
            else:
                names.add(name)
        return names

    return core, {extra: expand(extra) for extra in raw}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


OURS = {"oci_tei", "oci_tei_local", "oci_tei_emulator", "langchain_oci_tei", "llama_index_oci_tei"}


def _modules() -> list[tuple[str, tuple[str, ...]]]:
    modules = []
    for package in sorted(OURS):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            area = max((a for a in AREAS if relative.startswith(a[0])), key=lambda a: len(a[0]))
            modules.append((relative, area[1]))
    return modules


_providers = functools.cache(packages_distributions)


@pytest.mark.parametrize(("module", "extras"), _modules(), ids=lambda v: str(v))
def test_imports_are_declared(module, extras):
    core, optional = _declared()
    allowed = set(core)
    for extra in extras:
        allowed |= optional[extra]
    providers = _providers()
    undeclared = []
    for name in sorted(_imports(ROOT / module)):
        if name in OURS or name in sys.stdlib_module_names or (module, name) in GUARDED:
            continue
        distributions = {_normalize(d) for d in providers.get(name, [])}
        if not distributions & allowed:
            undeclared.append(f"{name} (from {', '.join(sorted(distributions)) or '?'})")
    where = f"the core dependencies{' or ' + ', '.join(extras) if extras else ''}"
    assert not undeclared, f"{module} imports what {where} do not declare: {undeclared}"
