"""Who may import whom: the product never imports its test stand-ins.

``oci_tei`` and the adapters are the product; ``oci_tei_local`` (the TEI-compatible server)
and ``oci_tei_emulator`` (OCI on loopback) are stand-ins for what the product talks to.
The stand-ins may import the product's cited rule tables (``oci_tei.contract``), never the
other way round. Read from the source (no import happens), so a function-level import
counts as much as one at the top.
"""

from __future__ import annotations

import ast
import importlib
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


def _import_nodes(path: Path) -> list[ast.Import | ast.ImportFrom]:
    return [
        node
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


@pytest.mark.parametrize("package", STAND_INS)
def test_stand_ins_never_import_deploy_or_the_iam_matcher(package: str) -> None:
    # The witness never decides with the accused's code.
    forbidden = ("oci_tei.deploy", "oci_tei._iam")
    offenders = set()
    for path in _modules(package):
        for node in _import_nodes(path):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            )
            offenders |= {
                f"{path.relative_to(ROOT)} imports {name}"
                for name in names
                if any(name == f or name.startswith(f"{f}.") for f in forbidden)
            }
    assert not offenders, sorted(offenders)


def _contract_imports() -> set[tuple[str, str, str]]:
    """``(file, module, name)`` of every name a stand-in imports from ``oci_tei.contract``."""
    found = set()
    for package in STAND_INS:
        for path in _modules(package):
            for node in _import_nodes(path):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "oci_tei.contract"
                ):
                    found |= {
                        (str(path.relative_to(ROOT)), str(node.module), alias.name)
                        for alias in node.names
                    }
                elif isinstance(node, ast.Import):
                    found |= {
                        (str(path.relative_to(ROOT)), alias.name, "")
                        for alias in node.names
                        if alias.name.startswith("oci_tei.contract")
                    }
    return found


def test_stand_ins_read_only_data_from_the_contract() -> None:
    # Records (classes: NamedTuples, dataclasses, enums) are data; functions are not.
    imported = _contract_imports()
    assert imported  # the emulator does read the contract's tables
    offenders = []
    for where, module, name in sorted(imported):
        assert name, f"{where} imports the module {module}: import its names instead"
        value = getattr(importlib.import_module(module), name)
        if callable(value) and not isinstance(value, type):
            offenders.append(f"{where}: {module}.{name} is a function")
    assert not offenders, offenders


def _emulator_graph() -> dict[str, set[str]]:
    """Module -> the emulator modules it imports (function-level imports included)."""
    package = "oci_tei_emulator"
    graph: dict[str, set[str]] = {}
    for path in _modules(package):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        edges = set()
        for node in _import_nodes(path):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
            elif node.level == 0 and node.module:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names}
                # ``from pkg import _sub`` imports the submodule; ``from pkg import Name``
                # the package (resolved below against the modules that exist).
                edges |= submodules
                if not any((ROOT / Path(*name.split("."))).with_suffix(".py").is_file()
                           for name in submodules):  # fmt: skip
                    edges.add(node.module)
        graph[module] = {e for e in edges if e == package or e.startswith(f"{package}.")}
    return {module: edges & graph.keys() for module, edges in graph.items()}


def test_emulator_modules_import_without_cycles() -> None:
    graph = _emulator_graph()
    assert graph["oci_tei_emulator._datascience"]  # the graph sees the imports
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles
