"""What a deployment body changes on a live deployment, named as :mod:`.updates` groups them.

Both sides are wire JSON (camelCase): an UpdateModelDeployment body (the emulator) or the
CreateModelDeploymentDetails a spec describes (deploy's drift detection), against the
deployment as OCI returns it. A field sent with its current value is no change
(``modelId`` is required in every update, for instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Difference", "changed_fields", "differences"]

#: ``(field, current value, wanted value)``; fields as :mod:`.updates` names them.
Difference = tuple[str, Any, Any]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _differs(wanted: Any, current: Any) -> bool:
    return wanted is not None and wanted != current


def changed_fields(body: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The fields ``body`` changes on the deployment ``current``."""
    return [field for field, _, _ in differences(body, current)]


def differences(body: Mapping[str, Any], current: Mapping[str, Any]) -> list[Difference]:
    """Every field ``body`` changes on ``current``, with both values."""
    found: list[Difference] = [
        (name, current.get(name), body[name])
        for name in (
            "displayName",
            "description",
            "freeformTags",
            "definedTags",
            "categoryLogDetails",
        )
        if _differs(body.get(name), current.get(name))
    ]
    config = _dict(body.get("modelDeploymentConfigurationDetails"))
    now = _dict(current.get("modelDeploymentConfigurationDetails"))
    found += _model_differences(
        _dict(config.get("modelConfigurationDetails")), _dict(now.get("modelConfigurationDetails"))
    )
    env = _dict(config.get("environmentConfigurationDetails"))
    env_now = _dict(now.get("environmentConfigurationDetails"))
    found += [
        (f"environmentConfigurationDetails.{key}", env_now.get(key), value)
        for key, value in env.items()
        if _differs(value, env_now.get(key))
    ]
    return found


def _model_differences(model: Mapping[str, Any], now: Mapping[str, Any]) -> list[Difference]:
    found: list[Difference] = [
        (name, now.get(name), model[name])
        for name in ("modelId", "bandwidthMbps", "maximumBandwidthMbps")
        if _differs(model.get(name), now.get(name))
    ]
    instance = _dict(model.get("instanceConfiguration"))
    instance_now = _dict(now.get("instanceConfiguration"))
    names = {
        "instanceShapeName": "instanceShapeName",
        "modelDeploymentInstanceShapeConfigDetails": "instanceShapeConfigDetails",
    }
    for key, value in instance.items():
        if _differs(value, instance_now.get(key)):
            found.append(
                (names.get(key, f"instanceConfiguration.{key}"), instance_now.get(key), value)
            )
    policy = _dict(model.get("scalingPolicy"))
    policy_now = _dict(now.get("scalingPolicy"))
    if policy and policy != policy_now:
        both_fixed = policy.get("policyType") == policy_now.get("policyType") == "FIXED_SIZE"
        if both_fixed:
            found.append(
                ("instanceCount", policy_now.get("instanceCount"), policy.get("instanceCount"))
            )
        else:
            found.append(("scalingPolicy", dict(policy_now) or None, dict(policy)))
    return found
