"""What an UpdateModelDeployment body changes, named as :mod:`oci_tei.contract.updates` groups them.

The body (raw wire JSON) is compared with the deployment as stored, so a field sent with
its current value (``modelId`` is required in every update, for instance) is no change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["changed_fields"]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def changed_fields(body: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The fields ``body`` changes on the deployment ``current`` (both wire JSON)."""
    changed = [
        name
        for name in ("displayName", "description", "freeformTags", "definedTags")
        if body.get(name) is not None and body[name] != current.get(name)
    ]
    if body.get("categoryLogDetails") is not None and body["categoryLogDetails"] != current.get(
        "categoryLogDetails"
    ):
        changed.append("categoryLogDetails")
    config = _dict(body.get("modelDeploymentConfigurationDetails"))
    now = _dict(current.get("modelDeploymentConfigurationDetails"))
    changed += _model_changes(
        _dict(config.get("modelConfigurationDetails")), _dict(now.get("modelConfigurationDetails"))
    )
    env = _dict(config.get("environmentConfigurationDetails"))
    env_now = _dict(now.get("environmentConfigurationDetails"))
    changed += [
        f"environmentConfigurationDetails.{key}"
        for key, value in env.items()
        if value is not None and value != env_now.get(key)
    ]
    return changed


def _model_changes(model: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    changed = [
        name
        for name in ("modelId", "bandwidthMbps", "maximumBandwidthMbps")
        if model.get(name) is not None and model[name] != now.get(name)
    ]
    instance = _dict(model.get("instanceConfiguration"))
    instance_now = _dict(now.get("instanceConfiguration"))
    for key, value in instance.items():
        if value is None or value == instance_now.get(key):
            continue
        if key == "instanceShapeName":
            changed.append("instanceShapeName")
        elif key == "modelDeploymentInstanceShapeConfigDetails":
            changed.append("instanceShapeConfigDetails")
        else:
            changed.append(f"instanceConfiguration.{key}")
    policy = _dict(model.get("scalingPolicy"))
    policy_now = _dict(now.get("scalingPolicy"))
    if policy and policy != policy_now:
        both_fixed = policy.get("policyType") == policy_now.get("policyType") == "FIXED_SIZE"
        changed.append("instanceCount" if both_fixed else "scalingPolicy")
    return changed
