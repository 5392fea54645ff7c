"""``oci-tei logs``: work requests with their log lines and errors, or the container's logs."""

from __future__ import annotations

from typing import Any

from oci_tei.deploy._session import DeploySession, list_all

__all__ = ["work_request_log"]


def work_request_log(session: DeploySession, deployment: Any) -> list[str]:
    """The deployment's work requests with their log lines and errors, oldest first."""
    client = session.data_science()
    lines = []
    requests = list_all(
        client.list_work_requests, deployment.compartment_id, resource_id=deployment.id
    )
    for request in sorted(requests, key=lambda item: item.time_accepted):
        lines.append(f"{request.operation_type} {request.status} ({request.percent_complete:.0f}%)")
        for entry in list_all(client.list_work_request_logs, request.id):
            lines.append(f"  {entry.timestamp} {entry.message}")
        for error in list_all(client.list_work_request_errors, request.id):
            lines.append(f"  {error.timestamp} ERROR {error.code}: {error.message}")
    return lines
