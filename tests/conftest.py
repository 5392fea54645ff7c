"""Test session wiring: fixtures live in tests/fixtures, one module per real part they start."""

pytest_plugins = [
    "tests.fixtures.tei",
    "tests.fixtures.oci",
    "tests.fixtures.reranker",
]
