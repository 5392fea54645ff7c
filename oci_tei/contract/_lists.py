"""What each List operation's documented parameters mean (data only).

Source: the oci SDK client docstrings (:data:`~oci_tei.contract._sources.SDK_LISTS`):
``DataScienceClient.list_models``, ``list_model_deployments``, ``list_work_requests``,
``list_work_request_errors``, ``list_work_request_logs``, ``list_model_deployment_shapes``
("1 is the minimum, 100 is the maximum" for ``limit``; ``sort_by`` and ``sort_order``
allowed values; "By default, when you sort by timeCreated, the results are shown in
descending order. All other fields default to ascending order"), and
``IdentityClient.list_policies`` / ``list_compartments`` ("Default order for TIMECREATED
is descending. Default order for NAME is ascending"; no numeric ``limit`` range stated).

Inferred, not stated: with no ``sortBy`` the Data Science lists sort by their time field
(newest first), as the docstrings' default order suggests; Identity lists keep creation
order. Filters combine (all must match): oracle-ads' ``ModelDeployment.list()`` sends
``project_id`` and ``lifecycle_state`` together.
"""

from __future__ import annotations

from typing import NamedTuple

from oci_tei.contract._sources import SDK_LISTS

__all__ = ["LISTS", "ListRule"]


class ListRule(NamedTuple):
    """One List operation's documented parameters, as a record.

    Attributes:
        limit: ``(minimum, maximum)`` page size, or None where no range is documented.
        sort_by: ``sortBy`` value -> the (snake case) attribute it sorts on.
        descending: ``sortBy`` values whose default order is descending.
        default_sort: the ``sortBy`` applied when none is given (None: creation order).
        filters: query parameter -> attribute it must equal.
        source: where it is documented.
    """

    limit: tuple[int, int] | None
    sort_by: dict[str, str]
    descending: tuple[str, ...]
    default_sort: str | None
    filters: dict[str, str]
    source: str = SDK_LISTS


_DS_LIMIT = (1, 100)
_COMMON = {
    "compartmentId": "compartment_id",
    "id": "id",
    "projectId": "project_id",
    "displayName": "display_name",
    "lifecycleState": "lifecycle_state",
    "createdBy": "created_by",
}
_IDENTITY = ListRule(
    None,
    {"TIMECREATED": "time_created", "NAME": "name"},
    ("TIMECREATED",),
    None,
    {"name": "name", "lifecycleState": "lifecycle_state"},
)

LISTS: dict[str, ListRule] = {
    "ListModels": ListRule(
        _DS_LIMIT,
        {
            "timeCreated": "time_created",
            "displayName": "display_name",
            "lifecycleState": "lifecycle_state",
        },
        ("timeCreated",),
        "timeCreated",
        _COMMON,
    ),
    "ListModelDeployments": ListRule(
        _DS_LIMIT,
        {"timeCreated": "time_created", "displayName": "display_name"},
        ("timeCreated",),
        "timeCreated",
        _COMMON,
    ),
    "ListWorkRequests": ListRule(
        _DS_LIMIT,
        {"operationType": "operation_type", "status": "status", "timeAccepted": "time_accepted"},
        ("timeAccepted",),
        "timeAccepted",
        {
            "compartmentId": "compartment_id",
            "id": "id",
            "operationType": "operation_type",
            "status": "status",
        },
    ),
    "ListWorkRequestErrors": ListRule(_DS_LIMIT, {}, (), None, {}),
    "ListWorkRequestLogs": ListRule(_DS_LIMIT, {}, (), None, {}),
    "ListModelDeploymentShapes": ListRule(_DS_LIMIT, {}, (), None, {}),
    "ListPolicies": _IDENTITY,
    "ListCompartments": _IDENTITY,
}
