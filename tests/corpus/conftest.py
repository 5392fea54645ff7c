"""Servers for corpus-scale tests: the real model, remembering and counting (backends.py)."""

import pytest

from tests.corpus.backends import Remembering


@pytest.fixture(scope="module")
def model(tei_backend):
    return Remembering(tei_backend)


@pytest.fixture(scope="module")
def server(start_tei_server, model):
    return start_tei_server(backend=model)


@pytest.fixture(scope="module")
def strict_server(start_tei_server, model):
    """Refuses inputs over the model's 256 tokens (TEI's --auto-truncate false)."""
    return start_tei_server(backend=model, auto_truncate=False)
