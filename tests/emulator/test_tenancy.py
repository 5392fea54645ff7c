"""The emulator's Identity, Artifacts, Limits and Logging subsets through the unmodified SDK.

Strict: only what was declared or created exists. Open (the default): everything exists
and one policy allows everything, as the emulator always behaved.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest

from oci_tei_emulator._cli import configure_emulate
from tests.deploy.strict import READS
from tests.fixtures.oci import TENANCY, USER

IMAGE = "iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9"
LOG_GROUP = "ocid1.loggroup.oc1.iad.aaaagroup"
LOG = "ocid1.log.oc1.iad.aaaalog"


def _clients(emu: Any, oci_config: Path) -> dict[str, Any]:
    config = dict(oci.config.from_file(str(oci_config)))
    return {
        name: cls(config, service_endpoint=emu.url)
        for name, cls in (
            ("identity", oci.identity.IdentityClient),
            ("artifacts", oci.artifacts.ArtifactsClient),
            ("limits", oci.limits.LimitsClient),
            ("logging", oci.logging.LoggingManagementClient),
        )
    }


@pytest.fixture
def strict_clients(emulator: Callable[..., Any], oci_config: Path) -> dict[str, Any]:
    emu = emulator(
        strict=True,
        tenancy_id=TENANCY,
        compartments={"ml": "ocid1.compartment.oc1..aaaaaaaaml"},
        ocir_images=[IMAGE, "fra.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9"],
        limits={"ds-gpu-a10-count": 2},
        logs=[f"{LOG_GROUP}/{LOG}"],
    )
    clients = _clients(emu, oci_config)
    clients["identity"].create_policy(
        oci.identity.models.CreatePolicyDetails(
            compartment_id=TENANCY, name="reads", description="reads", statements=list(READS)
        )
    )
    return clients


def test_identity_compartments_and_policies(strict_clients: dict[str, Any]) -> None:
    identity = strict_clients["identity"]
    models = oci.identity.models
    tenancy = identity.get_tenancy(TENANCY).data
    assert tenancy.home_region_key == "IAD"
    (region,) = identity.list_region_subscriptions(TENANCY).data
    assert (region.region_name, region.is_home_region) == ("us-ashburn-1", True)
    ml = identity.get_compartment("ocid1.compartment.oc1..aaaaaaaaml").data
    assert (ml.name, ml.compartment_id, ml.lifecycle_state) == ("ml", TENANCY, "ACTIVE")
    child = identity.create_compartment(
        models.CreateCompartmentDetails(compartment_id=ml.id, name="team", description="team")
    ).data
    assert identity.get_compartment(child.id).data.compartment_id == ml.id
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        identity.get_compartment("ocid1.compartment.oc1..aaaaaaaanothere")
    assert (missing.value.status, missing.value.code) == (404, "NotAuthorizedOrNotFound")
    subtree = oci.pagination.list_call_get_all_results(
        identity.list_compartments, TENANCY, compartment_id_in_subtree=True, limit=1
    ).data
    assert {c.name for c in subtree} == {"ml", "team"}

    for index in range(3):
        identity.create_policy(
            models.CreatePolicyDetails(
                compartment_id=TENANCY,
                name=f"p{index}",
                description="test",
                statements=[f"allow group g{index} to read objects in compartment ml:team"],
            )
        )
    # Page size 1: the SDK follows opc-next-page.
    policies = oci.pagination.list_call_get_all_results(
        identity.list_policies, TENANCY, limit=1
    ).data
    assert [p.name for p in policies] == ["Tenant Admin Policy", "reads", "p0", "p1", "p2"]
    assert identity.list_policies(ml.id).data == []
    with pytest.raises(oci.exceptions.ServiceError) as bad:
        identity.create_policy(
            models.CreatePolicyDetails(
                compartment_id="ocid1.compartment.oc1..aaaaaaaanothere",
                name="x",
                description="x",
                statements=["allow any-user to read objects in tenancy"],
            )
        )
    assert bad.value.status == 404


def test_identity_groups_and_dynamic_groups(strict_clients: dict[str, Any]) -> None:
    identity = strict_clients["identity"]
    models = oci.identity.models
    (default,) = identity.list_user_group_memberships(TENANCY, user_id=USER).data
    assert identity.get_group(default.group_id).data.name == "oci-tei-users"
    group = identity.create_group(models.CreateGroupDetails(name="admins", description="a")).data
    identity.add_user_to_group(models.AddUserToGroupDetails(user_id=USER, group_id=group.id))
    memberships = identity.list_user_group_memberships(TENANCY, user_id=USER).data
    assert {identity.get_group(m.group_id).data.name for m in memberships} == {
        "oci-tei-users",
        "admins",
    }
    rule = "ALL {resource.type='datasciencemodeldeployment'}"
    identity.create_dynamic_group(
        models.CreateDynamicGroupDetails(
            compartment_id=TENANCY, name="md", description="md", matching_rule=rule
        )
    )
    assert [g.matching_rule for g in identity.list_dynamic_groups(TENANCY).data] == [rule]
    with pytest.raises(oci.exceptions.ServiceError) as bad:
        identity.create_dynamic_group(
            models.CreateDynamicGroupDetails(
                compartment_id=TENANCY, name="x", description="x", matching_rule="tag.x.y = 'z'"
            )
        )
    assert bad.value.status == 400


def test_artifacts_lists_declared_images_of_its_region(strict_clients: dict[str, Any]) -> None:
    artifacts = strict_clients["artifacts"]
    found = artifacts.list_container_images(
        TENANCY,
        compartment_id_in_subtree=True,
        repository_name="text-embeddings-inference",
        version="cpu-1.9",
    ).data
    # The fra image lives in Frankfurt's registry: this (Ashburn) emulator does not list it.
    (image,) = found.items
    assert (image.display_name, image.version) == ("text-embeddings-inference:cpu-1.9", "cpu-1.9")
    assert (
        artifacts.list_container_images(
            TENANCY, repository_name="text-embeddings-inference", version="86-1.9"
        ).data.items
        == []
    )
    repositories = artifacts.list_container_repositories(
        TENANCY, display_name="text-embeddings-inference"
    ).data
    assert (repositories.repository_count, repositories.items[0].namespace) == (1, "emulatorns")


def test_limits_and_logs(strict_clients: dict[str, Any]) -> None:
    limits = strict_clients["limits"]
    availability = limits.get_resource_availability("data-science", "ds-gpu-a10-count", TENANCY)
    assert (availability.data.used, availability.data.available) == (0, 2)
    with pytest.raises(oci.exceptions.ServiceError) as unknown:
        limits.get_resource_availability("data-science", "ds-gpu-h100-count", TENANCY)
    assert unknown.value.status == 404
    logging = strict_clients["logging"]
    assert logging.get_log_group(LOG_GROUP).data.lifecycle_state == "ACTIVE"
    assert logging.get_log(LOG_GROUP, LOG).data.id == LOG
    with pytest.raises(oci.exceptions.ServiceError):
        logging.get_log(LOG_GROUP, "ocid1.log.oc1.iad.aaaaother")


def test_open_tenancy_has_everything(emulator: Callable[..., Any], oci_config: Path) -> None:
    clients = _clients(emulator(), oci_config)
    identity = clients["identity"]
    some = "ocid1.compartment.oc1..aaaaaaaaanything"
    assert identity.get_compartment(some).data.lifecycle_state == "ACTIVE"
    (policy,) = identity.list_policies(identity.get_compartment(some).data.compartment_id).data
    assert policy.statements == ["allow any-user to manage all-resources in tenancy"]
    images = clients["artifacts"].list_container_images(
        identity.get_compartment(some).data.compartment_id,
        repository_name="anything",
        version="1.0",
    )
    assert len(images.data.items) == 1
    assert clients["logging"].get_log_group(LOG_GROUP).status == 200


def test_emulate_strict_flags() -> None:
    parser = argparse.ArgumentParser()
    configure_emulate(parser)
    args = parser.parse_args(
        ["--strict", "--ocir-image", IMAGE, "--ocir-image", IMAGE.replace("cpu", "86"),
         "--limit", "ds-gpu-a10-count=2", "--compartment", "ml=ocid1.compartment.oc1..x",
         "--log", f"{LOG_GROUP}/{LOG}", "--user-group", "ds"]
    )  # fmt: skip
    assert args.strict
    assert len(args.ocir_image) == 2
    assert args.limit == [("ds-gpu-a10-count", 2)]
    assert args.compartment == [("ml", "ocid1.compartment.oc1..x")]
    for bad in (["--limit", "x"], ["--limit", "x=-1"], ["--compartment", "noequals"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_emulate_refuses_an_image_outside_ocir(capsys: pytest.CaptureFixture[str]) -> None:
    from oci_tei._cli import main

    assert main(["emulate", "--strict", "--ocir-image", "docker.io/library/tei:1.9"]) == 2
    assert "is not an OCIR repository" in capsys.readouterr().out
