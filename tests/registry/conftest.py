"""Real registries for the image-copy tests (Debian's docker-registry; skipped when absent).

``public``: plays ghcr.io (anonymous pull through a token realm). ``public_image``: a
TEI-like index (linux/amd64 + linux/arm64, a few MB) pushed into it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from oci_tei_emulator._registry import (
    PublicTokenServer,
    RegistryServer,
    TokenAuthority,
    registry_available,
)
from tests.registry._images import BuiltImage, build_and_push

requires_registry = pytest.mark.skipif(
    not registry_available(), reason="docker-registry not installed (make registry-tools)"
)
requires_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")

PUBLISHER = ("publisher", "publisher-secret")
TEI_REPO = "huggingface/text-embeddings-inference"


@dataclass
class PublicRegistry:
    server: RegistryServer
    tokens: PublicTokenServer

    @property
    def host(self) -> str:
        return self.server.host

    def push_token(self, repo: str) -> str:
        return self.server.authority.issue(
            PUBLISHER[0], [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]
        )


def _public(name: str) -> Iterator[PublicRegistry]:
    authority = TokenAuthority(issuer=f"{name}-issuer", service=name)
    tokens = PublicTokenServer(authority, PUBLISHER).start()
    server = RegistryServer(authority, tokens.url, name=name).start()
    try:
        yield PublicRegistry(server, tokens)
    finally:
        server.stop()
        tokens.stop()


@pytest.fixture(scope="module")
def public() -> Iterator[PublicRegistry]:
    """A public registry: anonymous pull, publisher push (module-scoped: starting costs ~0.2 s)."""
    if not registry_available():
        pytest.skip("docker-registry not installed (make registry-tools)")
    yield from _public("public")


@pytest.fixture
def mirror() -> Iterator[PublicRegistry]:
    """A second, empty registry of the same kind (a copy target, basic auth as publisher)."""
    if not registry_available():
        pytest.skip("docker-registry not installed (make registry-tools)")
    yield from _public("mirror")


@pytest.fixture(scope="module")
def public_image(public: PublicRegistry) -> BuiltImage:
    """TEI-like ``cpu-1.9`` index in the public registry."""
    return build_and_push(public.server.url, TEI_REPO, "cpu-1.9", public.push_token(TEI_REPO))
