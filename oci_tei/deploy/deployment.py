"""Step 4: the model deployment, created with oracle-ads, or an earlier run's resumed.

A re-run finds the deployment an earlier run of the same spec made (by its ownership tag)
and continues with it when it is ACTIVE or still in progress; anything else (FAILED, made
from another version of the spec, INACTIVE) is refused with what to do.
"""

from __future__ import annotations

import uuid
from typing import Any

from oci_tei.deploy.errors import DeployError
from oci_tei.deploy.progress import IN_PROGRESS_STATES
from oci_tei.deploy.session import DeploySession
from oci_tei.deploy.spec import SPEC_HASH_TAG, DeploySpec

__all__ = ["create_deployment", "resumable_deployment"]


def create_deployment(session: DeploySession, spec: DeploySpec, model_id: str) -> str:
    """Create the deployment (no waiting); returns its OCID.

    The details are oracle-ads' (:func:`~oci_tei.deploy.ads_resources.deployment_details`)
    plus the declared routes. The create carries an ``opc-retry-token`` and the SDK's
    default retry strategy: when its answer is lost (a dropped connection), the retry
    returns the deployment the first call made instead of making a second one.
    """
    import oci

    from oci_tei.deploy.ads_resources import deployment_details

    session.configure()
    details = deployment_details(spec, model_id)
    response = session.data_science(spec.region).create_model_deployment(
        details,
        opc_retry_token=uuid.uuid4().hex,
        retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY,
    )
    return str(response.data.id)


def resumable_deployment(session: DeploySession, spec: DeploySpec, existing: Any) -> str:
    """The OCID of an earlier run's deployment (a full record) to continue with.

    Raises:
        DeployError: It FAILED, was made from another version of the spec, or is in a
            state a deploy cannot continue from.
    """
    state = existing.lifecycle_state
    tags = existing.freeform_tags or {}
    if state == "FAILED":
        raise DeployError(
            f"deployment {existing.id} made from this spec FAILED: "
            f"{existing.lifecycle_details or 'no reason given'}; see `oci-tei logs`, then "
            "`oci-tei delete` it and deploy again",
            step="deployment",
        )
    if tags.get(SPEC_HASH_TAG) != spec.spec_hash():
        raise DeployError(
            f"deployment {existing.id} was made from another version of this spec (hash "
            f"{tags.get(SPEC_HASH_TAG)}, now {spec.spec_hash()}) and is {state}: wait until it "
            "is ACTIVE, then `oci-tei deploy --update` applies the difference",
            step="deployment",
        )
    if state not in ("ACTIVE", *IN_PROGRESS_STATES):
        raise DeployError(
            f"deployment {existing.id} is {state}; activate it in the console or delete it",
            step="deployment",
        )
    session.echo(f"[1-4/6] found this spec's deployment ({state}); resuming")
    return str(existing.id)
