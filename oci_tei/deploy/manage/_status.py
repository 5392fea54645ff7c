"""``oci-tei status``: a deployment's state, endpoint and settings, in a few lines."""

from __future__ import annotations

from typing import Any

from oci_tei.deploy.manage._activation import INACTIVE_BILLING
from oci_tei.deploy.manage._lookup import predict_endpoint
from oci_tei.deploy.spec import OWNER_TAG, SPEC_HASH_TAG, DeploySpec

__all__ = ["describe"]


def describe(deployment: Any, spec: DeploySpec | None = None) -> list[str]:
    """Status lines for a deployment record (and whether it matches ``spec``, if given)."""
    config = deployment.model_deployment_configuration_details
    model = config.model_configuration_details
    policy = model.scaling_policy
    replicas = getattr(policy, "instance_count", None) or policy.policy_type
    image = getattr(config.environment_configuration_details, "image", None)
    digest = getattr(config.environment_configuration_details, "image_digest", None)
    tags = deployment.freeform_tags or {}
    lines = [
        f"{deployment.display_name} ({deployment.id})",
        f"  state: {deployment.lifecycle_state}"
        + (f" ({deployment.lifecycle_details})" if deployment.lifecycle_details else ""),
        f"  endpoint: {predict_endpoint(deployment)}",
        f"  shape: {model.instance_configuration.instance_shape_name}, replicas: {replicas}, "
        f"bandwidth: {model.bandwidth_mbps} Mbps",
        f"  image: {image}" + (f" @ {digest}" if digest else " (not pinned to a digest)"),
        f"  model: {model.model_id}",
        f"  owner tag: {tags.get(OWNER_TAG, '(none: not created by oci-tei)')}",
    ]
    if deployment.lifecycle_state == "INACTIVE":
        lines.append(f"  billing: {INACTIVE_BILLING}")
    if spec is not None:
        same = tags.get(SPEC_HASH_TAG) == spec.spec_hash()
        lines.append(f"  matches spec: {'yes' if same else 'no (spec changed since deploy)'}")
    return lines
