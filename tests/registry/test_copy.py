"""Registry-to-registry copy between two real registries, checked by skopeo."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from oci_tei.registry import (
    BasicCredentials,
    ImageNotFoundError,
    RegistryAuthError,
    RegistryUnreachableError,
    copy_image,
    resolve_digest,
)
from tests.registry._images import BuiltImage
from tests.registry.conftest import PUBLISHER, TEI_REPO, PublicRegistry, requires_skopeo

pytestmark = pytest.mark.timeout(60)


def _endpoints(*registries: PublicRegistry) -> dict[str, str]:
    return {r.host: r.server.url for r in registries}


def _skopeo_inspect(image: str, creds: str | None = None, raw: bool = False) -> dict:
    argv = ["skopeo", "inspect", "--tls-verify=false"]
    if creds:
        argv += ["--creds", creds]
    if raw:
        argv.append("--raw")
    argv.append(f"docker://{image}")
    return json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def test_copies_one_platform_under_its_source_digest(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    source = f"{public.host}/{TEI_REPO}:cpu-1.9"
    target = f"{mirror.host}/ns/tei:cpu-1.9"
    result = copy_image(
        source,
        target,
        target_credentials=BasicCredentials(*PUBLISHER),
        endpoints=_endpoints(public, mirror),
        progress=False,
    )
    assert result.digest == public_image.manifests["linux/amd64"]
    assert result.source.digest == result.digest  # the same manifest, byte for byte
    assert result.platforms == ("linux/amd64",)
    assert result.blobs_copied == len(public_image.blobs["linux/amd64"])
    assert result.blobs_skipped == 0
    assert str(result.target) == f"{target}@{result.digest}"
    assert (
        resolve_digest(
            target, credentials=BasicCredentials(*PUBLISHER), endpoints=_endpoints(mirror)
        )
        == result.digest
    )


def test_rerun_sends_nothing_and_arm64_shares_a_layer(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    kwargs = {
        "target_credentials": BasicCredentials(*PUBLISHER),
        "endpoints": _endpoints(public, mirror),
        "progress": False,
    }
    source = f"{public.host}/{TEI_REPO}:cpu-1.9"
    copy_image(source, f"{mirror.host}/ns/tei:cpu-1.9", **kwargs)  # type: ignore[arg-type]
    again = copy_image(source, f"{mirror.host}/ns/tei:cpu-1.9", **kwargs)  # type: ignore[arg-type]
    assert again.blobs_copied == 0
    assert again.bytes_copied == 0
    arm = copy_image(
        source,
        f"{mirror.host}/ns/tei:cpu-arm64-1.9",
        platforms=("linux/arm64",),
        **kwargs,  # type: ignore[arg-type]
    )
    assert arm.digest == public_image.manifests["linux/arm64"]
    assert arm.blobs_skipped == 1  # the shared first layer


@requires_skopeo
def test_skopeo_reads_the_copied_index(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry, tmp_path
) -> None:
    target = f"{mirror.host}/ns/tei:both"
    result = copy_image(
        f"{public.host}/{TEI_REPO}:cpu-1.9",
        target,
        platforms=("linux/amd64", "linux/arm64"),
        target_credentials=BasicCredentials(*PUBLISHER),
        endpoints=_endpoints(public, mirror),
        progress=False,
    )
    assert result.digest == public_image.index_digest
    creds = ":".join(PUBLISHER)
    raw = _skopeo_inspect(target, creds, raw=True)
    platforms = {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
        for m in raw["manifests"]
    }
    assert platforms == public_image.manifests
    inspected = _skopeo_inspect(target, creds)
    assert inspected["Digest"] == public_image.index_digest
    # skopeo takes it back out and the blobs are the source's, byte for byte.
    # (dir: keeps blobs as they are; oci: would recompress these non-gzip test layers.)
    out = tmp_path / "out"
    subprocess.run(
        ["skopeo", "copy", "--all", "--src-tls-verify=false", "--src-creds", creds,
         f"docker://{target}", f"dir:{out}"],
        check=True, capture_output=True,
    )  # fmt: skip
    for blobs in public_image.blobs.values():
        for digest, size in blobs.items():
            data = (out / digest.split(":")[1]).read_bytes()
            assert len(data) == size
            assert "sha256:" + hashlib.sha256(data).hexdigest() == digest


def test_unpublished_tag_is_image_not_found(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    with pytest.raises(ImageNotFoundError) as caught:
        copy_image(
            f"{public.host}/{TEI_REPO}:cpu-0.0-nope",
            f"{mirror.host}/ns/tei:x",
            endpoints=_endpoints(public, mirror),
            progress=False,
        )
    error = caught.value
    assert error.step == "resolve"
    assert error.registry == public.host
    assert "cpu-0.0-nope" in str(error)
    assert error.status == 404


def test_platform_not_offered(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    with pytest.raises(
        ImageNotFoundError, match="offers linux/amd64, linux/arm64, not linux/s390x"
    ):
        copy_image(
            f"{public.host}/{TEI_REPO}:cpu-1.9",
            f"{mirror.host}/ns/tei:x",
            platforms=("linux/s390x",),
            endpoints=_endpoints(public, mirror),
            progress=False,
        )


def test_no_route_to_source(mirror: PublicRegistry) -> None:
    with pytest.raises(RegistryUnreachableError) as caught:
        copy_image(
            "ghcr.io/huggingface/text-embeddings-inference:cpu-1.9",
            f"{mirror.host}/ns/tei:x",
            endpoints={"ghcr.io": "http://127.0.0.1:9", mirror.host: mirror.server.url},
            progress=False,
            timeout_s=2,
        )
    assert caught.value.registry == "ghcr.io"
    assert caught.value.step == "resolve"


def test_anonymous_push_refused(
    public: PublicRegistry, public_image: BuiltImage, mirror: PublicRegistry
) -> None:
    with pytest.raises(RegistryAuthError) as caught:
        copy_image(
            f"{public.host}/{TEI_REPO}:cpu-1.9",
            f"{mirror.host}/ns/tei:x",
            endpoints=_endpoints(public, mirror),
            progress=False,
        )
    assert caught.value.registry == mirror.host
