"""``oci-tei stop`` / ``start``: deactivate and activate a deployment this tool created.

What OCI documents ("Deactivating and Activating a Model Deployment",
https://docs.oracle.com/en-us/iaas/Content/data-science/using/model-dep-deactivate.htm):
deactivating shuts the deployment's instances down, stops metering and billing of those
instances and of its load balancer, makes its HTTP endpoint unavailable and keeps its
metadata; activating it again serves the same HTTP endpoint. The SDK's
``DataScienceClient.deactivate_model_deployment`` / ``activate_model_deployment`` answer
with an ``opc-work-request-id``, which the wait follows. The model's files stay in Object
Storage and are billed as stored objects (inferred: the page speaks of instances and the
load balancer only). A predict call while INACTIVE: OCI documents only that the endpoint
is unavailable ("Invoking a Model Deployment": requests succeed once ACTIVE); the emulator
answers 404 NotAuthorizedOrNotFound, as for an unknown deployment (inferred).
"""

from __future__ import annotations

from typing import Any

from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.manage._lookup import check_owned, get_deployment

__all__ = [
    "ACTIVATION_DOC",
    "INACTIVE_BILLING",
    "activate",
    "deactivate",
    "settle",
]

ACTIVATION_DOC = (
    "https://docs.oracle.com/en-us/iaas/Content/data-science/using/model-dep-deactivate.htm"
)
#: What ``status`` says about an INACTIVE deployment, from :data:`ACTIVATION_DOC`.
INACTIVE_BILLING = (
    "instances shut down; OCI stops metering and billing them and the load balancer while "
    "INACTIVE (the model files in Object Storage stay billed as storage); `oci-tei start` "
    f"serves the same endpoint again ({ACTIVATION_DOC})"
)
# States OCI accepts each action from (the SDK's model deployment lifecycle states; the
# emulator's _require_state holds the same sets).
_CAN_STOP = ("ACTIVE", "NEEDS_ATTENTION", "FAILED")
_CAN_START = ("INACTIVE",)


def deactivate(
    session: DeploySession, deployment: Any, *, expected_owner: str | None = None
) -> str | None:
    """Request the deactivation; returns its work request's OCID (None when already INACTIVE).

    Raises:
        OwnershipError: Not created by oci-tei (or by another spec).
        DeployError: In a state OCI cannot deactivate from (CREATING, UPDATING...).
    """
    check_owned(deployment, expected_owner)
    state = deployment.lifecycle_state
    if state == "INACTIVE":
        session.echo(f"{deployment.id}: already INACTIVE")
        return None
    if state not in _CAN_STOP:
        raise DeployError(
            f"deployment {deployment.id} is {state}: OCI deactivates only from "
            f"{', '.join(_CAN_STOP)}; wait for it to settle (`oci-tei status`)",
            step="stop",
        )
    response = session.data_science().deactivate_model_deployment(deployment.id)
    work_request: str | None = response.headers.get("opc-work-request-id")
    return work_request


def activate(
    session: DeploySession, deployment: Any, *, expected_owner: str | None = None
) -> str | None:
    """Request the activation; returns its work request's OCID (None when already ACTIVE).

    Raises:
        OwnershipError: Not created by oci-tei (or by another spec).
        DeployError: In a state OCI cannot activate from (only INACTIVE is).
    """
    check_owned(deployment, expected_owner)
    state = deployment.lifecycle_state
    if state == "ACTIVE":
        session.echo(f"{deployment.id}: already ACTIVE")
        return None
    if state not in _CAN_START:
        raise DeployError(
            f"deployment {deployment.id} is {state}: OCI activates only an INACTIVE "
            "deployment; `oci-tei status` shows why it is not",
            step="start",
        )
    response = session.data_science().activate_model_deployment(deployment.id)
    work_request: str | None = response.headers.get("opc-work-request-id")
    return work_request


def settle(
    session: DeploySession,
    deployment: Any,
    work_request: str | None,
    *,
    target: str,
    timeout_s: float,
) -> Any:
    """Wait for ``work_request`` until the deployment is ``target``; its record."""
    from oci_tei.deploy.steps import wait_until_active  # the pipeline imports manage: lazily

    if work_request is None:
        return get_deployment(session, deployment.id)
    return wait_until_active(
        session,
        deployment.id,
        deployment.compartment_id,
        timeout_s=timeout_s,
        work_request_id=work_request,
        target=target,
    )
