"""A deployment's access and predict logs, read through OCI Log Search as oracle-ads reads them.

oracle-ads' ``OCILog.search`` (what ``ModelDeployment.logs().tail()`` runs) asks
``LogSearchClient.search_logs`` for ``SEARCH "<compartment>/<log group>/<log>" | WHERE
source = '*<deployment OCID>' | SORT BY datetime DESC`` ("source = <OCID> is not allowed
but source = *<OCID> works", its comment) and reads each result's
``logContent.{id,time,data.message}``. :func:`container_logs` asks the same and returns
:class:`LogRecord` objects, oldest first, for ``oci-tei logs`` and the ``Deployment`` API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from oci_tei.deploy._errors import DeployError

__all__ = ["LogRecord", "container_logs", "log_search_query"]

#: Log Search answers at most this many results per call (SearchLogs' ``limit``).
MAX_LIMIT = 1000


@dataclass(frozen=True)
class LogRecord:
    """One access or predict log record.

    Attributes:
        time: When it was logged (UTC), as OCI Logging states it.
        message: The record's ``data.message``.
        source: Its ``source`` (the deployment's OCID).
        type: Its ``type`` (e.g. ``com.oraclecloud.datascience.modeldeployment.predict``).
        id: Its ``id``.
        data: The whole ``data`` object.
    """

    time: str
    message: str
    source: str
    type: str
    id: str
    data: dict[str, Any]


def log_search_query(compartment_id: str, log_group_id: str, log_id: str, source: str) -> str:
    """The Logging query oracle-ads sends for one deployment's records, newest first."""
    return (
        f'SEARCH "{compartment_id}/{log_group_id}/{log_id}" '
        f"| WHERE source = '*{source}' | SORT BY datetime DESC"
    )


def container_logs(
    session: Any,
    deployment: Any,
    log_type: str,
    *,
    limit: int = 100,
    hours: float = 24.0,
    now: dt.datetime | None = None,
) -> list[LogRecord]:
    """The newest ``limit`` records of the deployment's access or predict log, oldest first.

    Args:
        session: The deploy session (its ``client`` builds SDK clients).
        deployment: The ``ModelDeployment`` record.
        log_type: ``access`` or ``predict``.
        limit: Most records (1 to 1000, Log Search's page limit).
        hours: How far back to search.
        now: The end of the search window (default: now).

    Raises:
        DeployError: The deployment sends no such log to OCI Logging.
        oci.exceptions.ServiceError: Logging or Log Search refused the calls.
    """
    import oci

    detail = getattr(deployment.category_log_details, log_type, None)
    if detail is None:
        raise DeployError(
            f"deployment {deployment.id} has no {log_type} log: set logs.{log_type} "
            "(log_group_id, log_id) in its spec; `oci-tei logs` without --type shows its "
            "work requests",
            step="logs",
        )
    group = session.client(oci.logging.LoggingManagementClient).get_log_group(detail.log_group_id)
    compartment_id = group.data.compartment_id or deployment.compartment_id
    end = now or dt.datetime.now(dt.timezone.utc)
    details = oci.loggingsearch.models.SearchLogsDetails(
        time_start=end - dt.timedelta(hours=hours),
        time_end=end,
        search_query=log_search_query(
            compartment_id, detail.log_group_id, detail.log_id, deployment.id
        ),
    )
    search = session.client(oci.loggingsearch.LogSearchClient)
    results = search.search_logs(details, limit=max(1, min(limit, MAX_LIMIT))).data.results or []
    records = []
    for result in results:
        content = (result.data or {}).get("logContent", {})
        data = content.get("data") or {}
        records.append(
            LogRecord(
                time=str(content.get("time", "")),
                message=str(data.get("message", "")),
                source=str(content.get("source", "")),
                type=str(content.get("type", "")),
                id=str(content.get("id", "")),
                data=dict(data),
            )
        )
    return list(reversed(records))
