"""docs/deploy-python-api.md runs: its ``python`` cells, in order, against the OCI emulator.

The page's first cell defines ``SPEC`` (the spec file) and ``CONNECTION`` (how to reach
OCI); this test replaces those two lines with the emulator's spec file and endpoint, as
the page says, and runs every cell as written in one namespace, as a notebook would.
"""

from __future__ import annotations

import re

import pytest

from .conftest import REPO
from .emulated import DeployEnv

DOC = REPO / "docs" / "deploy-python-api.md"
_CELL = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_cells(text: str) -> list[str]:
    """The ``python`` fenced blocks of a markdown text, in order."""
    return [match.group(1) for match in _CELL.finditer(text)]


def substitute(cells: list[str], values: dict[str, str]) -> list[str]:
    """Replace each ``NAME = ...`` line (one per name, across the cells) by ``NAME = value``."""
    replaced = dict.fromkeys(values, 0)
    result = []
    for cell in cells:
        lines = []
        for line in cell.splitlines():
            name = line.split(" = ", 1)[0]
            if name in values:
                line = f"{name} = {values[name]}"
                replaced[name] += 1
            lines.append(line)
        result.append("\n".join(lines) + "\n")
    assert replaced == dict.fromkeys(values, 1), f"each documented variable once: {replaced}"
    return result


def test_the_notebook_cells_run_against_the_emulator(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = python_cells(DOC.read_text(encoding="utf-8"))
    assert len(cells) >= 10
    spec_file = deploy_env.spec_file("docs-notebook")
    connection = {
        "auth": "api_key",
        "config_file": str(deploy_env.oci_config),
        "service_endpoint": deploy_env.emulator.url,
        "poll_interval_s": 2,
    }
    cells = substitute(cells, {"SPEC": repr(str(spec_file)), "CONNECTION": repr(connection)})
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for number, cell in enumerate(cells, start=1):
        code = compile(cell, f"{DOC.name} python cell {number}", "exec")
        exec(code, namespace)
    out = capsys.readouterr().out
    assert "1. [image]" in out  # the plan
    assert "2. [download]" in out
    assert "ACTIVE" in out
    assert "3 vectors of dimension 384" in out
    assert "\nINACTIVE\n" in out  # stop(), then start() on the same endpoint
    assert deploy_env.deployments() == []  # the last cell deleted it


def test_cells_are_found_and_substituted() -> None:
    cells = python_cells(
        "text\n```python\nA = 1\nB = 2\n```\n```bash\nno\n```\n```python\nC\n```\n"
    )
    assert cells == ["A = 1\nB = 2\n", "C\n"]
    assert substitute(cells, {"A": "9"})[0] == "A = 9\nB = 2\n"
