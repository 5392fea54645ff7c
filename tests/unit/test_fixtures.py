"""The test fixtures themselves: a check that cannot run fails rather than skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import tei as tei_fixtures


def test_missing_openapi_documents_fail_the_test(
    tei_openapi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tei_fixtures, "OPENAPI_DIR", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="OpenAPI document is not at"):
        tei_openapi("1.9")


def test_openapi_documents_are_present(tei_openapi) -> None:
    assert tei_openapi("1.5").schema("/embed", 200)
    assert tei_openapi("1.9").schema("/v1/embeddings", 200)


def test_every_declared_marker_is_used() -> None:
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[2]
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]
    declared = [line.split(":")[0].strip() for line in options["ini_options"]["markers"]]
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (root / "tests").rglob("*.py"))
    unused = [name for name in declared if f"mark.{name}" not in sources]
    assert not unused, f"markers declared in pyproject.toml but never used: {unused}"
