"""TEST STAND-IN: a TEI-like image built and pushed with plain registry v2 calls.

The image is an OCI image index with a linux/amd64 and a linux/arm64 manifest, each with
its own config and a few layers of random bytes (a registry does not unpack layers). The
tests, ``make demo`` and ``bench/image_copy.py`` seed the registry that plays ghcr.io with
it; no product code is used, so the copy is checked against an independent writer.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


__all__ = ["BuiltImage", "build_and_push", "digest_of"]


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class BuiltImage:
    """What was pushed: the index digest and each platform's manifest digest and blobs."""

    index_digest: str
    manifests: dict[str, str]  # platform -> manifest digest
    blobs: dict[str, dict[str, int]]  # platform -> {digest: size}


_CHUNK = 1024 * 1024


class _Layer:
    """Random bytes from a seed, made chunk by chunk (a GB layer never sits in memory)."""

    def __init__(self, seed: int, size: int) -> None:
        self.seed = seed
        self.size = size
        hasher = hashlib.sha256()
        for chunk in self.chunks():
            hasher.update(chunk)
        self.digest = "sha256:" + hasher.hexdigest()

    def chunks(self) -> Iterator[bytes]:
        rng = random.Random(self.seed)
        left = self.size
        while left:
            n = min(_CHUNK, left)
            yield rng.randbytes(n)
            left -= n


def _push_blob(http: httpx.Client, base: str, repo: str, token: str, data: bytes | _Layer) -> str:
    digest = data.digest if isinstance(data, _Layer) else digest_of(data)
    content = data.chunks() if isinstance(data, _Layer) else data
    size = data.size if isinstance(data, _Layer) else len(data)
    auth = {"authorization": f"Bearer {token}"}
    started = http.post(f"{base}/v2/{repo}/blobs/uploads/", headers=auth)
    assert started.status_code == 202, started.text
    location = httpx.URL(base + "/").join(started.headers["location"])
    done = http.put(
        location.copy_merge_params({"digest": digest}),
        headers={**auth, "content-type": "application/octet-stream", "content-length": str(size)},
        content=content,
    )
    assert done.status_code == 201, done.text
    return digest


def _push_manifest(
    http: httpx.Client, base: str, repo: str, token: str, ref: str, body: bytes, media: str
) -> None:
    response = http.put(
        f"{base}/v2/{repo}/manifests/{ref}",
        headers={"authorization": f"Bearer {token}", "content-type": media},
        content=body,
    )
    assert response.status_code == 201, response.text


def build_and_push(
    base: str,
    repo: str,
    tag: str,
    token: str,
    *,
    platforms: tuple[str, ...] = ("linux/amd64", "linux/arm64"),
    layer_sizes: tuple[int, ...] = (3 * 1024 * 1024, 2 * 1024 * 1024, 512 * 1024),
    seed: int = 0,
    shared_layers: int = 1,
) -> BuiltImage:
    """Push an index of ``platforms`` under ``repo:tag``; the first ``shared_layers`` are common."""
    rng = random.Random(seed)
    common = [_Layer(rng.getrandbits(63), size) for size in layer_sizes[:shared_layers]]
    entries, manifests, blobs = [], {}, {}
    with httpx.Client(timeout=600) as http:
        for platform in platforms:
            os_name, arch = platform.split("/")
            layers = common + [
                _Layer(rng.getrandbits(63), size) for size in layer_sizes[shared_layers:]
            ]
            config = json.dumps(
                {
                    "architecture": arch,
                    "os": os_name,
                    "config": {"Cmd": ["text-embeddings-router"]},
                    "rootfs": {"type": "layers", "diff_ids": [x.digest for x in layers]},
                }
            ).encode()
            blob_sizes = {_push_blob(http, base, repo, token, config): len(config)}
            descriptors = []
            for layer in layers:
                blob_sizes[_push_blob(http, base, repo, token, layer)] = layer.size
                descriptors.append({"mediaType": LAYER, "digest": layer.digest, "size": layer.size})
            manifest = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": MANIFEST,
                    "config": {
                        "mediaType": CONFIG,
                        "digest": digest_of(config),
                        "size": len(config),
                    },
                    "layers": descriptors,
                }
            ).encode()
            digest = digest_of(manifest)
            _push_manifest(http, base, repo, token, digest, manifest, MANIFEST)
            manifests[platform] = digest
            blobs[platform] = blob_sizes
            entries.append(
                {
                    "mediaType": MANIFEST,
                    "digest": digest,
                    "size": len(manifest),
                    "platform": {"architecture": arch, "os": os_name},
                }
            )
        index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}).encode()
        _push_manifest(http, base, repo, token, tag, index, INDEX)
    return BuiltImage(digest_of(index), manifests, blobs)
