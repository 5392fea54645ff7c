"""Faults mid-copy: a connection cut mid-blob, a blob whose bytes do not match its digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from oci_tei.registry import (
    BasicCredentials,
    BlobDigestMismatchError,
    CopyInterruptedError,
    copy_image,
    resolve_digest,
)
from tests.registry._images import BuiltImage, build_and_push
from tests.registry._proxy import CuttingProxy
from tests.registry.conftest import PUBLISHER, TEI_REPO, PublicRegistry

pytestmark = pytest.mark.timeout(60)


def test_cut_mid_blob_then_rerun_continues(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    # Layers: 3 MiB, 2 MiB, 0.5 MiB after a small config; the cut lands in the 2 MiB one.
    proxy = CuttingProxy(public.server.port, cut_after=4 * 1024 * 1024)
    source = f"{public.host}/{TEI_REPO}:cpu-1.9"
    target = f"{mirror.host}/ns/tei:cpu-1.9"
    credentials = BasicCredentials(*PUBLISHER)
    cut = {public.host: proxy.url, mirror.host: mirror.server.url}
    try:
        with pytest.raises(CopyInterruptedError) as caught:
            copy_image(source, target, target_credentials=credentials, endpoints=cut,
                       progress=False, workers=1)  # fmt: skip
    finally:
        proxy.close()
    error = caught.value
    assert (error.step, error.registry, error.image) == ("blob", public.host, source)
    assert "run the copy again" in str(error)
    # The manifest goes last: the half-copied image is not visible under its tag.
    assert resolve_digest(target, credentials=credentials, endpoints=cut) is None
    again = copy_image(
        source, target, target_credentials=credentials,
        endpoints={public.host: public.server.url, mirror.host: mirror.server.url},
        progress=False, workers=1,
    )  # fmt: skip
    blobs = public_image.blobs["linux/amd64"]
    assert again.blobs_skipped == 2  # the config and the first layer made it
    assert again.blobs_copied == len(blobs) - 2
    assert again.bytes_copied == 2 * 1024 * 1024 + 512 * 1024
    assert again.digest == public_image.manifests["linux/amd64"]


def _blob_file(registry: PublicRegistry, digest: str) -> Path:
    assert registry.server.directory is not None
    hex_digest = digest.split(":")[1]
    return (
        registry.server.directory
        / "data"
        / "docker"
        / "registry"
        / "v2"
        / "blobs"
        / "sha256"
        / hex_digest[:2]
        / hex_digest
        / "data"
    )


def test_corrupt_blob_is_never_committed(public: PublicRegistry, mirror: PublicRegistry) -> None:
    repo = "huggingface/corrupt"
    image = build_and_push(
        public.server.url, repo, "cpu-1.9", public.push_token(repo), seed=7,
        platforms=("linux/amd64",), layer_sizes=(1024 * 1024,),
    )  # fmt: skip
    (layer,) = [d for d, size in image.blobs["linux/amd64"].items() if size == 1024 * 1024]
    path = _blob_file(public, layer)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF  # storage corruption: same size, other bytes
    path.write_bytes(bytes(data))
    credentials = BasicCredentials(*PUBLISHER)
    endpoints = {public.host: public.server.url, mirror.host: mirror.server.url}
    with pytest.raises(BlobDigestMismatchError) as caught:
        copy_image(f"{public.host}/{repo}:cpu-1.9", f"{mirror.host}/ns/corrupt:cpu-1.9",
                   target_credentials=credentials, endpoints=endpoints, progress=False)  # fmt: skip
    assert caught.value.step == "blob"
    assert layer in str(caught.value)
    assert resolve_digest(f"{mirror.host}/ns/corrupt:cpu-1.9", credentials=credentials,
                          endpoints=endpoints) is None  # fmt: skip
