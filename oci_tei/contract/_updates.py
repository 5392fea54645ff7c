"""Which changes an update may make in which lifecycle state.

Source: the SDK's ``DataScienceClient.update_model_deployment`` docstring: while the
deployment is ACTIVE or NEEDS_ATTENTION, ``instanceShapeName``, ``instanceCount`` and
``modelId`` can be updated with zero downtime; separately, ``loadBalancerShape`` (the
bandwidth) or ``CategoryLogDetails``; all fields can be updated while INACTIVE, taking
effect at the next activation. Other states accept no update (409 IncorrectState).

Inferred, not stated there: display name, description and tags are resource metadata
and change in any updatable state, alongside any one group.
"""

from __future__ import annotations

__all__ = [
    "LIVE_UPDATE_GROUPS",
    "LIVE_UPDATE_STATES",
    "METADATA_FIELDS",
    "UPDATABLE_STATES",
    "group_of",
    "live_update_problem",
]

UPDATABLE_STATES = ("ACTIVE", "NEEDS_ATTENTION", "INACTIVE")
LIVE_UPDATE_STATES = ("ACTIVE", "NEEDS_ATTENTION")
#: Group name -> the changed fields (dotted, as named by :func:`changed_fields` users) in it.
LIVE_UPDATE_GROUPS: dict[str, tuple[str, ...]] = {
    "instances": ("instanceShapeName", "instanceShapeConfigDetails", "instanceCount", "modelId"),
    "load balancer": ("bandwidthMbps", "maximumBandwidthMbps"),
    "logs": ("categoryLogDetails",),
}
METADATA_FIELDS = ("displayName", "description", "freeformTags", "definedTags")


def group_of(field: str) -> str | None:
    """The live-update group of a changed field, or None when it needs INACTIVE."""
    for group, fields in LIVE_UPDATE_GROUPS.items():
        if field in fields:
            return group
    return None


def live_update_problem(state: str, changed: list[str]) -> tuple[int, str, str] | None:
    """Why an update changing ``changed`` (field names) is refused in ``state``, or None.

    Returns:
        ``(status, code, message)`` in OCI's style.
    """
    if state not in UPDATABLE_STATES:
        return 409, "IncorrectState", f"Cannot update a model deployment in state {state}."
    if state not in LIVE_UPDATE_STATES:
        return None
    substantive = [field for field in changed if field not in METADATA_FIELDS]
    offline = [field for field in substantive if group_of(field) is None]
    if offline:
        return (
            409,
            "IncorrectState",
            f"{', '.join(offline)} can only be updated while the model deployment is INACTIVE "
            f"(it is {state}); deactivate it first.",
        )
    groups = sorted({group_of(field) or "" for field in substantive})
    if len(groups) > 1:
        return (
            400,
            "InvalidParameter",
            f"An update of an {state} model deployment changes one group at a time "
            f"(instance shape/count/model, load balancer bandwidth, or logs); this one "
            f"changes {' and '.join(groups)}.",
        )
    return None
