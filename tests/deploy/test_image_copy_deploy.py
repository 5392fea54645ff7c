"""``oci-tei deploy`` with TEI's image missing from OCIR: the image step copies it, no docker.

Real parts: a docker-registry playing ghcr.io (anonymous pull through a token realm), a
docker-registry playing the region's OCIR behind the emulator's token service, and the
emulator's Artifacts API answering from what that registry holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oci_tei.deploy.spec import load_spec
from oci_tei.deploy.spec._ads_resources import deployment_details
from oci_tei.registry import ENDPOINTS_ENV
from oci_tei_emulator._registry import registry_available
from tests.deploy.emulated import DeployEnv
from tests.registry._images import BuiltImage, build_and_push
from tests.registry.conftest import TEI_REPO, PublicRegistry, _public

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not registry_available(), reason="docker-registry not installed"),
]


@pytest.fixture
def ghcr() -> Iterator[tuple[PublicRegistry, BuiltImage]]:
    for public in _public("ghcr"):
        image = build_and_push(public.server.url, TEI_REPO, "cpu-1.9", public.push_token(TEI_REPO))
        yield public, image


@pytest.fixture
def copy_env(
    emulator: Any,
    oci_config: Path,
    tmp_path: Path,
    model_dir: Path,
    tei_backend: Any,
    restore_ads_auth: None,
    monkeypatch: pytest.MonkeyPatch,
    ghcr: tuple[PublicRegistry, BuiltImage],
) -> DeployEnv:
    emu = emulator(
        shared_backends={model_dir: tei_backend},
        ocir_registry=True,
        ocir_auth_tokens={"alice": "alice-auth-token"},
    )
    public, _ = ghcr
    endpoints = {**emu.ocir_endpoints, "ghcr.io": public.server.url}
    monkeypatch.setenv(ENDPOINTS_ENV, ",".join(f"{h}={u}" for h, u in endpoints.items()))
    return DeployEnv(emu, oci_config, tmp_path)


def test_deploy_copies_the_missing_image_and_pins_its_digest(
    copy_env: DeployEnv,
    ghcr: tuple[PublicRegistry, BuiltImage],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _, image = ghcr
    amd64 = image.manifests["linux/amd64"]
    spec = copy_env.spec_file("copied")
    assert copy_env.cli("deploy", spec, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "copied registry to registry with your OCI identity (no docker)" in plan

    out_json = tmp_path / "outcome.json"
    code = copy_env.cli("deploy", spec, "--no-smoke-test", "--output-json", str(out_json))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "[1/7 image]" in out
    assert "copying ghcr.io/huggingface/text-embeddings-inference:cpu-1.9 (linux/amd64)" in out
    outcome = json.loads(out_json.read_text())
    assert outcome["image_digest"] == amd64
    assert outcome["image"].endswith("/text-embeddings-inference:cpu-1.9")
    (deployment,) = copy_env.deployments()
    deployment = copy_env.data_science.get_model_deployment(deployment.id).data
    env = deployment.model_deployment_configuration_details.environment_configuration_details
    assert env.image_digest == amd64
    assert deployment.lifecycle_state == "ACTIVE"

    # The emulated service pulls by digest from the registry: a digest it does not hold
    # fails the deployment at provisioning, as OCI does (same SDK request deploy sends).
    absent = "sha256:" + "2" * 64
    details = deployment_details(load_spec(spec, {}), deployment.model_deployment_configuration_details.model_configuration_details.model_id, absent)  # fmt: skip
    details.display_name = "pulls-an-absent-digest"
    details.freeform_tags = {}  # not this spec's deployment
    created = copy_env.data_science.create_model_deployment(details).data
    assert copy_env.wait_state(created.id, ("FAILED", "ACTIVE")) == "FAILED"
    failed = copy_env.data_science.get_model_deployment(created.id).data
    assert f"Failed to pull the container image {env.image}@{absent}" in failed.lifecycle_details
    assert "manifest unknown" in failed.lifecycle_details

    assert copy_env.cli("status", spec) == 0
    assert f"/text-embeddings-inference:cpu-1.9 @ {amd64}" in capsys.readouterr().out

    # The same spec pinning another digest: drift, shown, nothing changed without --update.
    other = "sha256:" + "1" * 64
    moved = copy_env.spec_file("copied", container__image_digest=other)
    assert copy_env.cli("deploy", moved, "--no-smoke-test") == 1
    out, err = capsys.readouterr()
    assert "imageDigest" in out + err
    assert other in out + err

    # Copied once: `oci-tei image` now finds it and prints the pinned reference.
    spec = copy_env.spec_file("copied")
    assert copy_env.cli("image", spec, "--quiet") == 0
    out = capsys.readouterr().out
    assert out.strip().endswith(f"text-embeddings-inference@{amd64}")
    assert "is in OCIR" in out


def test_a_pinned_digest_the_tag_does_not_name_is_refused(
    copy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "sha256:" + "0" * 64
    spec = copy_env.spec_file("pinned", container__image_digest=wrong)
    assert copy_env.cli("deploy", spec, "--no-smoke-test") == 1
    err = capsys.readouterr().err
    assert f"container.image_digest is {wrong}" in err
    assert copy_env.deployments() == []


def test_no_image_copy_makes_a_missing_image_an_error(
    copy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = copy_env.spec_file("nocopy")
    assert copy_env.cli("deploy", spec, "--no-smoke-test", "--no-image-copy") == 1
    err = capsys.readouterr().err
    assert "is not in OCIR" in err
    assert copy_env.deployments() == []


def test_image_with_a_username_uses_an_auth_token(
    copy_env: DeployEnv,
    ghcr: tuple[PublicRegistry, BuiltImage],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, image = ghcr
    monkeypatch.setenv("OCI_TEI_AUTH_TOKEN", "alice-auth-token")
    spec = copy_env.spec_file("basic")
    assert copy_env.cli("image", spec, "--quiet", "--username", "alice") == 0
    out = capsys.readouterr().out
    assert out.strip().endswith(
        f"text-embeddings-inference:cpu-1.9@{image.manifests['linux/amd64']}"
    )
    assert "alice-auth-token" not in out
