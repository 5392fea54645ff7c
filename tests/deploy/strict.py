"""A strict emulator holding everything the demo spec needs, and ways to take one piece away.

:func:`prepare` declares (or, through the real oci SDK, creates) the compartment, project,
OCIR image, service limit and policies; each preflight test removes one prerequisite and
checks that deploy stops in preflight, names it and its fix, and created nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import oci

from tests.fixtures.oci import sdk_client

from .emulated import COMPARTMENT, DeployEnv

COMPARTMENT_NAME = "oci-tei-demo"
IMAGE = "iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9"
LIMIT = "ds-e4-core-count"  # the demo spec: VM.Standard.E4.Flex, 2 OCPUs, 1 replica
DEPLOYMENT = "request.principal.type='datasciencemodeldeployment'"
READ_OBJECTS = (
    f"allow any-user to read objects in compartment {COMPARTMENT_NAME} "
    f"where ALL {{{DEPLOYMENT}, target.bucket.name='oci-tei-demo'}}"
)
READ_REPOS = f"allow any-user to read repos in tenancy where ALL {{{DEPLOYMENT}}}"
USER_OBJECTS = (
    f"allow group oci-tei-users to manage object-family in compartment {COMPARTMENT_NAME}"
)
USER_DATA_SCIENCE = (
    f"allow group oci-tei-users to manage data-science-family in compartment {COMPARTMENT_NAME}"
)
POLICIES = (USER_OBJECTS, USER_DATA_SCIENCE, READ_OBJECTS, READ_REPOS)
#: What ``oci-tei deploy`` reads besides its own resources (IAM, OCIR, limits, logs): a
#: strict emulator authorizes every operation, as OCI does.
READS = tuple(
    f"allow group oci-tei-users to {grant} in tenancy"
    for grant in (
        "inspect tenancies",
        "read users",
        "inspect compartments",
        "inspect policies",
        "read groups",
        "inspect dynamic-groups",
        "read repos",
        "inspect resource-availability",
        "read log-groups",
    )
)
#: The tenancy administrator (the Administrators group): sets up and inspects.
ADMIN = "ocid1.user.oc1..aaaaaaaatestadmin"
#: The Data Science project of the strict tenancy (made by its administrator).
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaastrictdemo"


def strict_settings(**overrides: Any) -> dict[str, Any]:
    """EmulatorConfig settings of a strict tenancy with the image and limit declared."""
    from tests.fixtures.oci import TENANCY

    settings: dict[str, Any] = {
        "strict": True,
        "tenancy_id": TENANCY,
        "compartments": {COMPARTMENT_NAME: COMPARTMENT},
        "ocir_images": [IMAGE],
        "limits": {LIMIT: 4},
        "projects": [(PROJECT, COMPARTMENT)],
    }
    settings.update(overrides)
    return settings


@dataclass
class Strict:
    """The strict environment: the emulator, its project and helpers."""

    env: DeployEnv
    project_id: str

    def identity(self) -> Any:
        """A plain ``IdentityClient`` on the emulator."""
        config = dict(oci.config.from_file(str(self.env.oci_config)))
        return sdk_client(
            oci.identity.IdentityClient, config, service_endpoint=self.env.emulator.url
        )

    def add_policy(self, statements: Sequence[str], name: str = "oci-tei") -> None:
        """CreatePolicy in the tenancy, as an administrator would."""
        from tests.fixtures.oci import TENANCY

        details = oci.identity.models.CreatePolicyDetails(
            compartment_id=TENANCY, name=name, description=name, statements=list(statements)
        )
        self.identity().create_policy(details)

    def spec_file(self, name: str, **overrides: Any) -> Any:
        """The demo spec pointing at this tenancy's project, with overrides."""
        return self.env.spec_file(name, **{"project_id": self.project_id, **overrides})

    def nothing_created(self) -> None:
        """No bucket object, model or deployment exists."""
        storage = self.env.object_storage
        for bucket in storage.list_buckets("emulatorns", COMPARTMENT).data:
            assert self.env.objects(bucket.name) == {}
        assert self.env.models() == []
        assert self.env.deployments() == []


def prepare(
    env: DeployEnv, policies: Sequence[str] = POLICIES, reads: Sequence[str] = READS
) -> Strict:
    """The policies (and the reads deploy needs) in a strict emulator; ADMIN administers it."""
    from tests.fixtures.oci import TENANCY

    strict = Strict(env, PROJECT)
    strict.add_policy(reads, name="oci-tei-reads")
    if policies:
        strict.add_policy(policies)
    identity = strict.identity()
    admins = next(g for g in identity.list_groups(TENANCY).data if g.name == "Administrators")
    identity.add_user_to_group(
        oci.identity.models.AddUserToGroupDetails(user_id=ADMIN, group_id=admins.id)
    )
    env.observer = ADMIN
    return strict
