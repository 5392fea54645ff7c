"""Finding a spec's deployment again, and telling ours from anyone else's.

Deploy (to resume) and every management command (status, logs, scale, delete) start
here: a spec designates its newest live deployment by the ownership tag; an OCID
designates itself. Lists go through the SDK's pagination helper, so a compartment with
more deployments than one page holds is read in full.
"""

from __future__ import annotations

from typing import Any

from oci_tei.deploy._errors import DeployError, OwnershipError
from oci_tei.deploy._session import DeploySession, list_all
from oci_tei.deploy.spec import OWNER_TAG, DeploySpec

__all__ = [
    "DEPLOYMENT_OCID_PREFIX",
    "check_owned",
    "find_deployment",
    "find_deployments",
    "get_deployment",
    "predict_endpoint",
    "resolve",
]

DEPLOYMENT_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
_GONE = ("DELETED", "DELETING")


def get_deployment(session: DeploySession, deployment_id: str) -> Any:
    """The deployment's full record (``oci.data_science.models.ModelDeployment``)."""
    return session.data_science().get_model_deployment(deployment_id).data


def find_deployments(session: DeploySession, spec: DeploySpec) -> list[Any]:
    """This spec's deployments (by ownership tag), newest first, deleted ones left out."""
    client = session.data_science(spec.region)
    summaries = list_all(
        client.list_model_deployments, spec.compartment_id, project_id=spec.project_id
    )
    owned = [
        item
        for item in summaries
        if (item.freeform_tags or {}).get(OWNER_TAG) == spec.name
        and item.lifecycle_state not in _GONE
    ]
    return sorted(owned, key=lambda item: item.time_created, reverse=True)


def find_deployment(
    session: DeploySession, spec: DeploySpec, *, unreadable_is_none: bool = False
) -> Any | None:
    """This spec's newest live deployment (a summary), or None.

    Args:
        session: The deploy session.
        spec: The spec.
        unreadable_is_none: Take a 404 NotAuthorizedOrNotFound on the list (OCI's answer
            for a compartment that does not exist or that the caller may not inspect) as
            "none found": preflight, which runs next, names the missing prerequisite.
    """
    try:
        found = find_deployments(session, spec)
    except Exception as exc:
        if unreadable_is_none and getattr(exc, "status", None) == 404:
            return None
        raise
    return found[0] if found else None


def resolve(session: DeploySession, target: str | DeploySpec) -> Any:
    """The full record of the deployment a spec (its newest live one) or an OCID designates.

    Raises:
        DeployError: The spec has no live deployment.
    """
    if isinstance(target, str):
        return get_deployment(session, target)
    found = find_deployment(session, target)
    if found is None:
        raise DeployError(f"no live deployment tagged {OWNER_TAG}={target.name}", step="lookup")
    return get_deployment(session, found.id)


def check_owned(deployment: Any, expected_owner: str | None = None) -> None:
    """Refuse a deployment without this tool's ownership tag (or another spec's).

    Raises:
        OwnershipError: What is wrong, and why the tool refuses.
    """
    owner = (deployment.freeform_tags or {}).get(OWNER_TAG)
    if owner is None:
        raise OwnershipError(
            f"deployment {deployment.id} has no {OWNER_TAG!r} tag: oci-tei did not create it "
            "and will not change or delete it",
            step="ownership",
        )
    if expected_owner is not None and owner != expected_owner:
        raise OwnershipError(
            f"deployment {deployment.id} belongs to spec {owner!r}, not {expected_owner!r}",
            step="ownership",
        )


def predict_endpoint(deployment: Any) -> str:
    """The predict URL of a deployment record (its ``modelDeploymentUrl`` + ``/predict``)."""
    return f"{str(deployment.model_deployment_url).rstrip('/')}/predict"
