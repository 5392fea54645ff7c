"""What an UpdateModelDeployment body changes, and whether the deployment's state allows it.

The emulator's own reading of the rule tables in :mod:`oci_tei.contract._updates`
(``UPDATABLE_STATES``, ``LIVE_UPDATE_STATES``, ``LIVE_UPDATE_GROUPS``,
``METADATA_FIELDS``; source: the SDK's ``update_model_deployment`` docstring). A field sent
with its current value is no change (``modelId`` is required in every update).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oci_tei.contract._updates import (
    LIVE_UPDATE_GROUPS,
    LIVE_UPDATE_STATES,
    METADATA_FIELDS,
    UPDATABLE_STATES,
)

__all__ = ["changed", "group", "refusal"]

_TOP_LEVEL = ("displayName", "description", "freeformTags", "definedTags", "categoryLogDetails")
#: Wire names inside ``instanceConfiguration`` -> the names the groups use.
_INSTANCE_NAMES = {
    "instanceShapeName": "instanceShapeName",
    "modelDeploymentInstanceShapeConfigDetails": "instanceShapeConfigDetails",
}


def _part(value: Any, key: str) -> Mapping[str, Any]:
    found = value.get(key) if isinstance(value, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _new(wanted: Any, current: Any) -> bool:
    return wanted is not None and wanted != current


def changed(body: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The fields an update body (wire JSON) changes on the deployment (wire JSON)."""
    found = [name for name in _TOP_LEVEL if _new(body.get(name), current.get(name))]
    config = _part(body, "modelDeploymentConfigurationDetails")
    now = _part(current, "modelDeploymentConfigurationDetails")
    model = _part(config, "modelConfigurationDetails")
    model_now = _part(now, "modelConfigurationDetails")
    found += [
        name
        for name in ("modelId", "bandwidthMbps", "maximumBandwidthMbps")
        if _new(model.get(name), model_now.get(name))
    ]
    instance = _part(model, "instanceConfiguration")
    instance_now = _part(model_now, "instanceConfiguration")
    found += [
        _INSTANCE_NAMES.get(key, f"instanceConfiguration.{key}")
        for key, value in instance.items()
        if _new(value, instance_now.get(key))
    ]
    policy = _part(model, "scalingPolicy")
    policy_now = _part(model_now, "scalingPolicy")
    if policy and policy != policy_now:
        fixed = policy.get("policyType") == policy_now.get("policyType") == "FIXED_SIZE"
        found.append("instanceCount" if fixed else "scalingPolicy")
    env = _part(config, "environmentConfigurationDetails")
    env_now = _part(now, "environmentConfigurationDetails")
    found += [
        f"environmentConfigurationDetails.{key}"
        for key, value in env.items()
        if _new(value, env_now.get(key))
    ]
    return found


def group(field: str) -> str | None:
    """The live-update group of a changed field; None when it needs INACTIVE."""
    return next((name for name, fields in LIVE_UPDATE_GROUPS.items() if field in fields), None)


def refusal(state: str, fields: list[str]) -> tuple[int, str, str] | None:
    """``(status, code, message)`` when an update changing ``fields`` is refused in ``state``."""
    if state not in UPDATABLE_STATES:
        return 409, "IncorrectState", f"Cannot update a model deployment in state {state}."
    if state not in LIVE_UPDATE_STATES:
        return None
    substantive = [field for field in fields if field not in METADATA_FIELDS]
    offline = [field for field in substantive if group(field) is None]
    if offline:
        return (
            409,
            "IncorrectState",
            f"{', '.join(offline)} can only be updated while the model deployment is INACTIVE "
            f"(it is {state}); deactivate it first.",
        )
    groups = sorted({group(field) or "" for field in substantive})
    if len(groups) > 1:
        return (
            400,
            "InvalidParameter",
            f"An update of an {state} model deployment changes one group at a time "
            f"(instance shape/count/model, load balancer bandwidth, or logs); this one "
            f"changes {' and '.join(groups)}.",
        )
    return None
