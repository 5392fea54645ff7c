"""Internal modules of the local server and the emulator say what they share."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    path
    for package in ("oci_tei_local", "oci_tei_emulator")
    for path in (ROOT / package).glob("*.py")
    if path.name != "__main__.py"
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_module_declares_its_surface(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    declared = [
        node
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ]
    assert declared, f"{path.relative_to(ROOT)} has no __all__"
    name = path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
    module = importlib.import_module(name.removesuffix(".__init__"))
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


@pytest.mark.parametrize("package", ["oci_tei_local", "oci_tei_emulator"])
def test_packages_say_their_modules_are_internal(package: str) -> None:
    doc = importlib.import_module(package).__doc__ or ""
    assert "internal" in doc
