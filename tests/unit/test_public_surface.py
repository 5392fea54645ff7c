"""The public surface, pinned: a change to it is a deliberate edit here (as httpx does)."""

from __future__ import annotations

import importlib

import pytest

import oci_tei

ERRORS = [
    "AuthenticationError",
    "CallAbandoned",
    "ClientRequestError",
    "ConfigurationError",
    "ConflictError",
    "EmbeddingConnectionError",
    "EmbeddingTimeoutError",
    "InputTypeError",
    "InvalidInputError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OCITEIError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseFormatError",
    "ServerError",
]

SURFACES = {
    "oci_tei": sorted(
        [
            "EmbeddingClient",
            "EmbeddingSettings",
            "RerankClient",
            "RerankSettings",
            "__version__",
            *ERRORS,
        ]
    ),
    "oci_tei.deploy": [
        "ArtifactConflictError",
        "DeployError",
        "DeployOutcome",
        "DeploySpec",
        "Deployment",
        "DeploymentStatus",
        "OwnershipError",
        "Plan",
        "PreflightError",
        "SpecError",
        "UnsupportedShapeError",
        "UsageError",
        "load_spec",
    ],
    "langchain_oci_tei": ["OCITEIEmbeddings", "OCITEIRerank"],
    "llama_index_oci_tei": ["OCITEIEmbedding", "OCITEIRerank"],
}


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_exports_are_pinned_and_resolve(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == SURFACES[package]
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_every_typed_error_is_importable_from_oci_tei() -> None:
    from oci_tei import _errors

    defined = {
        name
        for name, value in vars(_errors).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == _errors.__name__
    }
    assert defined == set(ERRORS)
    for name in ERRORS:
        assert getattr(oci_tei, name) is getattr(_errors, name)
        assert getattr(oci_tei, name).__module__ == "oci_tei._errors"


def test_public_names_have_docstrings() -> None:
    for package in SURFACES:
        module = importlib.import_module(package)
        for name in module.__all__:
            if name.startswith("__"):
                continue
            assert getattr(module, name).__doc__, f"{package}.{name} has no docstring"
