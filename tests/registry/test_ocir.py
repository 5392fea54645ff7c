"""Copy into the emulated OCIR: signed with the caller's OCI identity, no docker, no auth token.

The OCIR registry is a real docker-registry whose token realm is the emulator's
``/20180419/docker/token``; the Artifacts API answers from what it holds.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import oci
import pytest

from oci_tei._auth import AuthSpec, RequestSigner
from oci_tei.registry import (
    BasicCredentials,
    OciCredentials,
    RegistryAuthError,
    copy_image,
    resolve_digest,
)
from oci_tei_emulator import Emulator
from oci_tei_emulator._config import EmulatorConfig
from oci_tei_emulator._registry import registry_available
from tests.registry._images import BuiltImage
from tests.registry.conftest import TEI_REPO, PublicRegistry

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not registry_available(), reason="docker-registry not installed"),
]

AUTH_TOKEN = "emulated-auth-token"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    config = EmulatorConfig(
        trust_default_profile=False,
        ocir_registry=True,
        ocir_auth_tokens={"alice": AUTH_TOKEN},
    )
    with Emulator(config) as emu:
        yield emu


@pytest.fixture(scope="module")
def oci_config(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return emulator.write_api_key_config(tmp_path_factory.mktemp("oci"))


def _signer(config: Path) -> RequestSigner:
    return RequestSigner(AuthSpec("api_key", config_file=str(config)))


def _endpoints(emulator: Emulator, public: PublicRegistry) -> dict[str, str]:
    return {**emulator.ocir_endpoints, public.host: public.server.url}


def test_signed_copy_and_artifacts_sees_the_digest(
    emulator: Emulator, oci_config: Path, public: PublicRegistry, public_image: BuiltImage
) -> None:
    target = f"{emulator.ocir_host}/{emulator.namespace}/text-embeddings-inference:cpu-1.9"
    artifacts = oci.artifacts.ArtifactsClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emulator.url
    )
    tenancy = emulator.config.tenancy_id
    created = artifacts.create_container_repository(
        oci.artifacts.models.CreateContainerRepositoryDetails(
            compartment_id=tenancy, display_name="text-embeddings-inference", is_public=False
        )
    ).data
    assert created.is_public is False
    result = copy_image(
        f"{public.host}/{TEI_REPO}:cpu-1.9",
        target,
        target_credentials=OciCredentials(_signer(oci_config)),
        endpoints=_endpoints(emulator, public),
        progress=False,
    )
    assert result.digest == public_image.manifests["linux/amd64"]
    images = artifacts.list_container_images(
        compartment_id=tenancy, repository_name="text-embeddings-inference", version="cpu-1.9"
    ).data.items
    assert [(i.version, i.digest) for i in images] == [("cpu-1.9", result.digest)]
    fetched = artifacts.get_container_repository(created.id).data
    assert fetched.image_count == 1
    listed = artifacts.list_container_repositories(compartment_id=tenancy).data.items
    assert [r.display_name for r in listed] == ["text-embeddings-inference"]
    assert (
        resolve_digest(
            target,
            credentials=OciCredentials(_signer(oci_config)),
            endpoints=emulator.ocir_endpoints,
        )
        == result.digest
    )


def test_basic_auth_token_and_skopeo(
    emulator: Emulator, public: PublicRegistry, public_image: BuiltImage
) -> None:
    target = f"{emulator.ocir_host}/{emulator.namespace}/tei-basic:cpu-1.9"
    copy_image(
        f"{public.host}/{TEI_REPO}:cpu-1.9",
        target,
        target_credentials=BasicCredentials(f"{emulator.namespace}/alice", AUTH_TOKEN),
        endpoints=_endpoints(emulator, public),
        progress=False,
    )
    if subprocess.run(["which", "skopeo"], capture_output=True).returncode == 0:
        registry = emulator.ocir.server
        assert registry is not None
        out = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", "--creds",
             f"{emulator.namespace}/alice:{AUTH_TOKEN}",
             f"docker://{registry.host}/{emulator.namespace}/tei-basic:cpu-1.9"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        inspected = json.loads(out)
        assert inspected["Digest"] == public_image.manifests["linux/amd64"]
        assert inspected["Architecture"] == "amd64"


def test_wrong_auth_token_is_refused(
    emulator: Emulator, public: PublicRegistry, public_image: BuiltImage
) -> None:
    with pytest.raises(RegistryAuthError) as caught:
        copy_image(
            f"{public.host}/{TEI_REPO}:cpu-1.9",
            f"{emulator.ocir_host}/{emulator.namespace}/tei:cpu-1.9",
            target_credentials=BasicCredentials(f"{emulator.namespace}/alice", "not-the-token-42"),
            endpoints=_endpoints(emulator, public),
            progress=False,
        )
    error = caught.value
    assert error.step == "auth"
    assert error.status == 401
    assert error.registry == emulator.ocir_host
    assert "not-the-token-42" not in str(error) + repr(error.args)
    assert error.opc_request_id


@pytest.fixture
def strict_emulator() -> Iterator[Emulator]:
    with Emulator(
        EmulatorConfig(trust_default_profile=False, strict=True, ocir_registry=True)
    ) as emu:
        yield emu


def test_strict_push_needs_manage_repos(
    strict_emulator: Emulator, tmp_path: Path, public: PublicRegistry, public_image: BuiltImage
) -> None:
    emu = strict_emulator
    config = emu.write_api_key_config(tmp_path)
    tenancy = emu.config.tenancy_id
    emu.tenancy.add_policy(
        "pullers", tenancy, ["Allow group oci-tei-users to read repos in tenancy"]
    )
    kwargs = {
        "target_credentials": OciCredentials(_signer(config)),
        "endpoints": _endpoints(emu, public),
        "progress": False,
    }
    target = f"{emu.ocir_host}/{emu.namespace}/tei:cpu-1.9"
    with pytest.raises(RegistryAuthError) as caught:
        copy_image(f"{public.host}/{TEI_REPO}:cpu-1.9", target, **kwargs)  # type: ignore[arg-type]
    assert "manage repos" in str(caught.value)
    assert caught.value.step == "blob"
    emu.tenancy.add_policy(
        "pushers", tenancy, ["Allow group oci-tei-users to manage repos in tenancy"]
    )
    result = copy_image(f"{public.host}/{TEI_REPO}:cpu-1.9", target, **kwargs)  # type: ignore[arg-type]
    assert result.digest == public_image.manifests["linux/amd64"]


def test_repository_in_another_region_is_refused_before_any_call() -> None:
    from oci_tei.registry import RegionMismatchError, copy_into_ocir

    with pytest.raises(RegionMismatchError) as caught:
        copy_into_ocir(
            "ghcr.io/huggingface/text-embeddings-inference:cpu-1.9",
            "fra.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9",
            credentials=BasicCredentials("emulatorns/alice", "unused"),
            deployment_region="us-ashburn-1",
            endpoints={"ghcr.io": "http://127.0.0.1:9", "fra.ocir.io": "http://127.0.0.1:9"},
            progress=False,
        )
    error = caught.value
    assert (error.step, error.registry) == ("region", "fra.ocir.io")
    assert "us-ashburn-1" in str(error)


def test_repository_update_and_delete(emulator: Emulator, oci_config: Path) -> None:
    artifacts = oci.artifacts.ArtifactsClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emulator.url
    )
    models = oci.artifacts.models
    tenancy = emulator.config.tenancy_id
    made = artifacts.create_container_repository(
        models.CreateContainerRepositoryDetails(compartment_id=tenancy, display_name="scratch")
    ).data
    with pytest.raises(oci.exceptions.ServiceError) as conflict:
        artifacts.create_container_repository(
            models.CreateContainerRepositoryDetails(compartment_id=tenancy, display_name="scratch")
        )
    assert conflict.value.status == 409
    updated = artifacts.update_container_repository(
        made.id, models.UpdateContainerRepositoryDetails(is_public=True, is_immutable=True)
    ).data
    assert (updated.is_public, updated.is_immutable) == (True, True)
    artifacts.delete_container_repository(made.id)
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        artifacts.get_container_repository(made.id)
    assert gone.value.status == 404
