"""The IAM permissions a model deployment needs: its own (resource principal) and its creator's.

One list, used by preflight to check the tenancy's policies and by the strict emulator to
decide where a deployment fails, so both agree on every statement. Sources: OCI "Model
Deployment Policies" (https://docs.oracle.com/iaas/data-science/using/model-dep-policies-auth.htm:
``manage data-science-models`` / ``manage data-science-model-deployments`` for the group,
``any-user ... where request.principal.type='datasciencemodeldeployment'`` for what the
deployment itself reads), private networking (``use virtual-network-family`` where the
private endpoint and subnet are, :data:`oci_tei.contract._networking.POLICY_SOURCE`),
"Bring Your Own Container" (the deployment reads ``repos`` to pull
its image), Model Deployment logging (``use log-content``) and models by reference (the
deployment reads the bucket's ``objects``).
"""

from __future__ import annotations

from dataclasses import dataclass

from oci_tei._iam import CompartmentTree, Principal, Requirement
from oci_tei.contract._permissions import CALLER_NEEDS, DEPLOYMENT_NEEDS
from oci_tei.contract._permissions import DEPLOYMENT_PRINCIPAL_TYPE as _PRINCIPAL_TYPE

__all__ = [
    "DEPLOYMENT_PRINCIPAL_TYPE",
    "NeededPermission",
    "caller_permissions",
    "deployment_permissions",
    "deployment_principal",
]

#: ``request.principal.type`` of a model deployment's resource principal.
DEPLOYMENT_PRINCIPAL_TYPE = _PRINCIPAL_TYPE
#: The verbs and resource types, from the cited table in :mod:`oci_tei.contract._permissions`.
_DEPLOYMENT = {need.key: need for need in DEPLOYMENT_NEEDS}
_CALLER = {need.key: need for need in CALLER_NEEDS}


@dataclass(frozen=True)
class NeededPermission:
    """A requirement and the statement that grants it.

    Attributes:
        requirement: verb, resource type, compartment, target variables, purpose.
        who: ``deployment`` (its resource principal) or ``caller`` (you).
        condition: the ``where`` clause of the suggested statement (empty: none).
    """

    requirement: Requirement
    who: str
    condition: str = ""

    def statement(self, tree: CompartmentTree, group: str = "<your-group>") -> str:
        """The policy statement to add (attached to the tenancy) that grants it."""
        subject = "any-user" if self.who == "deployment" else f"group {group}"
        scope = tree.path(self.requirement.compartment_id)
        where = f" where {self.condition}" if self.condition else ""
        return (
            f"allow {subject} to {self.requirement.verb} {self.requirement.resource} "
            f"in {scope}{where}"
        )


def deployment_principal(compartment_id: str, deployment_id: str = "") -> Principal:
    """The resource principal a model deployment runs as."""
    return Principal(
        kind="resource",
        id=deployment_id,
        groups=frozenset(),
        resource_type=DEPLOYMENT_PRINCIPAL_TYPE,
        compartment_id=compartment_id,
    )


def deployment_permissions(
    *,
    bucket: str,
    bucket_compartment_id: str,
    repository_compartment_id: str,
    log_group_compartment_ids: tuple[str, ...] = (),
) -> list[NeededPermission]:
    """What the deployment's resource principal reads while it provisions and runs.

    In OCI's order: the model's objects (artifact download), the image (pull), the logs.
    """
    principal = f"request.principal.type='{DEPLOYMENT_PRINCIPAL_TYPE}'"
    needed = [
        NeededPermission(
            Requirement(
                _DEPLOYMENT["download"].verb,
                _DEPLOYMENT["download"].resource,
                bucket_compartment_id,
                {"target.bucket.name": bucket},
                f"download the model by reference from bucket {bucket}",
            ),
            "deployment",
            f"ALL {{{principal}, target.bucket.name='{bucket}'}}",
        ),
        NeededPermission(
            Requirement(
                _DEPLOYMENT["pull"].verb,
                _DEPLOYMENT["pull"].resource,
                repository_compartment_id,
                {},
                _DEPLOYMENT["pull"].purpose,
            ),
            "deployment",
            f"ALL {{{principal}}}",
        ),
    ]
    for compartment in dict.fromkeys(log_group_compartment_ids):
        needed.append(
            NeededPermission(
                Requirement(
                    _DEPLOYMENT["logs"].verb,
                    _DEPLOYMENT["logs"].resource,
                    compartment,
                    {},
                    _DEPLOYMENT["logs"].purpose,
                ),
                "deployment",
                f"ALL {{{principal}}}",
            )
        )
    return needed


def caller_permissions(
    *,
    compartment_id: str,
    bucket: str,
    bucket_compartment_id: str,
    create_bucket: bool,
    image_copy_compartment_id: str | None = None,
    network_compartment_ids: tuple[str, ...] = (),
) -> list[NeededPermission]:
    """What the user running ``oci-tei deploy`` needs.

    ``image_copy_compartment_id``: deploy copies TEI's image into OCIR there, so the caller
    also needs ``manage repos`` (CreateContainerRepository needs REPOSITORY_CREATE and a
    push REPOSITORY_UPDATE, both only in ``manage``: Registry policy reference,
    docs.oracle.com/en-us/iaas/Content/Identity/policyreference/registrypolicyreference.htm).
    ``network_compartment_ids``: where the spec's private endpoint and subnet are.
    """
    needed = [
        NeededPermission(
            Requirement(
                _CALLER["upload"].verb,
                _CALLER["upload"].resource,
                bucket_compartment_id,
                {"target.bucket.name": bucket},
                f"upload the model files to bucket {bucket}",
            ),
            "caller",
        ),
        NeededPermission(
            Requirement(
                _CALLER["model"].verb,
                _CALLER["model"].resource,
                compartment_id,
                {},
                _CALLER["model"].purpose,
            ),
            "caller",
        ),
        NeededPermission(
            Requirement(
                _CALLER["deployment"].verb,
                _CALLER["deployment"].resource,
                compartment_id,
                {},
                _CALLER["deployment"].purpose,
            ),
            "caller",
        ),
    ]
    if image_copy_compartment_id:
        needed.append(
            NeededPermission(
                Requirement(
                    "manage",
                    "repos",
                    image_copy_compartment_id,
                    {},
                    "make the OCIR repository and copy TEI's image into it",
                ),
                "caller",
            )
        )
    for compartment in dict.fromkeys(network_compartment_ids):
        needed.append(
            NeededPermission(
                Requirement(
                    "use",
                    "virtual-network-family",
                    compartment,
                    {},
                    "attach the deployment to the private endpoint and subnet",
                ),
                "caller",
            )
        )
    if create_bucket:
        needed.insert(
            0,
            NeededPermission(
                Requirement(
                    _CALLER["create-bucket"].verb,
                    _CALLER["create-bucket"].resource,
                    bucket_compartment_id,
                    {},
                    f"create bucket {bucket}",
                ),
                "caller",
            ),
        )
    return needed
