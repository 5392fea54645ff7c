"""Fixtures of the server tests: every test runs against TEI 1.5 and TEI 1.9 behaviour."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oci_tei_local import LocalServer
from tests.fixtures.tei import OpenAPIValidator


@pytest.fixture(params=["1.5", "1.9"])
def compat(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(start_tei_server: Callable[..., LocalServer], compat: str) -> LocalServer:
    return start_tei_server(compat=compat)


@pytest.fixture
def openapi(tei_openapi: Callable[[str], OpenAPIValidator], compat: str) -> OpenAPIValidator:
    return tei_openapi(compat)
