"""``oci-tei scale``: change the instance count and/or bandwidth of a deployment we created."""

from __future__ import annotations

from typing import Any

from oci_tei.deploy.errors import DeployError
from oci_tei.deploy.lookup import check_owned
from oci_tei.deploy.session import DeploySession

__all__ = ["scale"]


def scale(
    session: DeploySession,
    deployment: Any,
    *,
    replicas: int | None = None,
    bandwidth_mbps: int | None = None,
    expected_owner: str | None = None,
) -> str | None:
    """Request the change; returns the update's work request OCID, when OCI gives one.

    Raises:
        OwnershipError: Not created by oci-tei (or by another spec).
        DeployError: The deployment autoscales and ``replicas`` was given.
    """
    import oci

    check_owned(deployment, expected_owner)
    models = oci.data_science.models
    current = deployment.model_deployment_configuration_details.model_configuration_details
    policy = None
    if replicas is not None:
        if current.scaling_policy.policy_type != "FIXED_SIZE":
            raise DeployError(
                "the deployment autoscales: change autoscaling in the spec instead of replicas",
                step="scale",
            )
        policy = models.FixedSizeScalingPolicy(policy_type="FIXED_SIZE", instance_count=replicas)
    details = models.UpdateModelDeploymentDetails(
        model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
            deployment_type="SINGLE_MODEL",
            model_configuration_details=models.UpdateModelConfigurationDetails(
                model_id=current.model_id,
                scaling_policy=policy,
                bandwidth_mbps=bandwidth_mbps,
            ),
        )
    )
    response = session.data_science().update_model_deployment(deployment.id, details)
    work_request: str | None = response.headers.get("opc-work-request-id")
    return work_request
