"""Log Search (``POST /20190909/search``) over the access and predict logs the gateway writes.

Each predict call to a deployment that names logs (its ``categoryLogDetails``) leaves one
record in its access log and one in its predict log, as OCI's Model Deployment writes them
("Model Deployment Logs": access logs for each call, predict logs from the server). The
record is OCI Logging's envelope (``datetime`` and ``logContent`` with ``id``, ``time``,
``source``, ``type``, ``oracle.{compartmentid,loggroupid,logid,tenantid}``, ``data``),
where ``source`` is the deployment OCID. oracle-ads' ``OCILog`` reads
``logContent.{id,time,data.message}`` and filters ``source = '*<ocid>'``.

The query language is the part oracle-ads and the ``oci logging-search`` examples use
(Logging "Query Language Specification"): ``search "<compartment>[/<group>[/<log>]]", ...``,
then ``| where`` (or a bare ``|``) conditions ``field = 'value'`` / ``field != 'value'``
joined by ``and``, with ``*`` wildcards in values, then ``| sort by datetime asc|desc``.
Anything else is answered 400 InvalidParameter saying it is not emulated, never an empty
result that looks like "no logs". The record types and message texts are the emulator's
(inferred: OCI documents the envelope, not the lines).
"""

from __future__ import annotations

__all__ = ["LOG_RECORDS", "LogRecords", "add_routes", "record_predict_call"]

import datetime as dt
import fnmatch
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from oci_tei_emulator._errors import OCIError, invalid_parameter
from oci_tei_emulator._gateway import CONTEXT, PREDICT_OBSERVERS
from oci_tei_emulator._paging import page_of
from oci_tei_emulator._wire import from_wire, model_response

SERVICE = "loggingsearch"
ACCESS_TYPE = "com.oraclecloud.datascience.modeldeployment.access"
PREDICT_TYPE = "com.oraclecloud.datascience.modeldeployment.predict"
_DEFAULT_LIMIT = 100  # SearchLogs' documented default page size


@dataclass
class LogRecords:
    """Every record written to an emulated log, oldest first."""

    records: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(
        self,
        *,
        compartment_id: str,
        log_group_id: str,
        log_id: str,
        tenancy_id: str,
        source: str,
        kind: str,
        message: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Append one record in OCI Logging's envelope."""
        when = dt.datetime.now(dt.timezone.utc)
        record = {
            "datetime": int(when.timestamp() * 1000),
            "logContent": {
                "id": str(uuid.uuid4()),
                "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "source": source,
                "type": kind,
                "specversion": "1.0",
                "subject": "",
                "oracle": {
                    "compartmentid": compartment_id,
                    "loggroupid": log_group_id,
                    "logid": log_id,
                    "tenantid": tenancy_id,
                    "ingestedtime": when.isoformat().replace("+00:00", "Z"),
                },
                "data": {"message": message, **(extra or {})},
            },
        }
        with self.lock:
            self.records.append(record)


LOG_RECORDS = web.AppKey("oci_tei_log_records", LogRecords)


def record_predict_call(
    app: web.Application, ocid: str, method: str, path: str, status: int, elapsed_s: float
) -> None:
    """Write a predict call to its deployment's access and predict logs (when it has them)."""
    from oci_tei_emulator._datascience import STATE

    state = app.get(STATE)
    deployment = state.deployments.get(ocid) if state is not None else None
    logs = getattr(deployment, "category_log_details", None)
    if deployment is None or logs is None or LOG_RECORDS not in app:
        return
    ms = elapsed_s * 1000
    lines = {
        "access": (ACCESS_TYPE, f'"{method} {path} HTTP/1.1" {status} {ms:.0f}ms'),
        "predict": (PREDICT_TYPE, f"{method} {path}: status {status} in {ms:.1f} ms"),
    }
    for kind, (record_type, message) in lines.items():
        detail = getattr(logs, kind, None)
        if detail is None or not detail.log_id:
            continue
        app[LOG_RECORDS].write(
            compartment_id=str(deployment.compartment_id),
            log_group_id=str(detail.log_group_id),
            log_id=str(detail.log_id),
            tenancy_id=app[CONTEXT].config.tenancy_id,
            source=ocid,
            kind=record_type,
            message=message,
            extra={"status": status},
        )


# -- the query -----------------------------------------------------------------------------

_SCOPE = re.compile(r'"([^"]*)"')
_CONDITION = re.compile(r"([A-Za-z_][\w.]*)\s*(!=|=)\s*'((?:[^']|'')*)'")
_SORT = re.compile(r"^\s*sort\s+by\s+datetime(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


@dataclass
class _Query:
    scopes: list[tuple[str, ...]]
    conditions: list[tuple[str, str, str]]
    descending: bool = False


def _not_emulated(part: str) -> OCIError:
    return invalid_parameter(
        f"The search query part '{part.strip()}' is not emulated: the emulator's Log Search "
        "takes search \"<scope>\", where field = 'value' [and ...] and sort by datetime."
    )


def parse_query(text: str) -> _Query:
    """Parse the supported subset of the Logging query language.

    Raises:
        OCIError: 400 InvalidParameter for anything outside it.
    """
    head, *stages = text.split("|")
    if not head.strip().lower().startswith("search"):
        raise _not_emulated(head)
    scopes = [tuple(s.strip("/").split("/")) for s in _SCOPE.findall(head)]
    if not scopes:
        raise invalid_parameter('The search query names no scope: search "<compartment>/...".')
    query = _Query(scopes, [])
    for stage in stages:
        sort = _SORT.match(stage)
        if sort:
            query.descending = (sort.group(1) or "asc").lower() == "desc"
            continue
        body = re.sub(r"^\s*where\s+", "", stage, flags=re.IGNORECASE)
        # Conditions joined by ``and``: whatever is left between them must be ``and``.
        if any(word.lower() != "and" for word in _CONDITION.sub(" ", body).split()):
            raise _not_emulated(stage)
        for name, op, value in _CONDITION.findall(body):
            query.conditions.append((name, op, value.replace("''", "'")))
    return query


def _field(record: dict[str, Any], name: str) -> str:
    """A record field by its query name: ``source``, ``type``, ``data.message``..."""
    node: Any = record["logContent"]
    for part in name.split("."):
        if part.lower() == "logcontent" and node is record["logContent"]:
            continue
        node = node.get(part) if isinstance(node, dict) else None
    return "" if node is None else str(node)


def _in_scope(record: dict[str, Any], scopes: list[tuple[str, ...]], tenancy_id: str) -> bool:
    oracle = record["logContent"]["oracle"]
    keys = (oracle["compartmentid"], oracle["loggroupid"], oracle["logid"])
    for scope in scopes:
        if scope[0] == tenancy_id and len(scope) == 1:
            return True  # the root compartment's scope holds every log
        if all(want == got for want, got in zip(scope, keys, strict=False)):
            return True
    return False


def _matches(record: dict[str, Any], conditions: list[tuple[str, str, str]]) -> bool:
    for name, op, value in conditions:
        hit = fnmatch.fnmatchcase(_field(record, name), value)
        if hit != (op == "="):
            return False
    return True


def _time(value: Any) -> float:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.timestamp() * 1000
    return float("nan")


async def search_logs(request: web.Request) -> web.Response:
    """SearchLogs: the records in the time window and scopes that pass the conditions."""
    import oci

    ctx = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    details = from_wire(SERVICE, body, "SearchLogsDetails")
    if details.time_start is None or details.time_end is None or not details.search_query:
        raise OCIError(400, "MissingParameter", "timeStart, timeEnd and searchQuery are required.")
    query = parse_query(details.search_query)
    start, end = _time(details.time_start), _time(details.time_end)
    with request.app[LOG_RECORDS].lock:
        records = list(request.app[LOG_RECORDS].records)
    found = [
        record
        for record in records
        if start <= record["datetime"] < end
        and _in_scope(record, query.scopes, ctx.config.tenancy_id)
        and _matches(record, query.conditions)
    ]
    found.sort(key=lambda record: record["datetime"], reverse=query.descending)
    chunk, headers = page_of(request, found, _DEFAULT_LIMIT)
    models = oci.loggingsearch.models
    response = models.SearchResponse(
        results=[models.SearchResult(data=record) for record in chunk],
        summary=models.SearchResultSummary(result_count=len(chunk), field_count=0),
    )
    return model_response(SERVICE, response, headers=headers)


def add_routes(app: web.Application) -> None:
    """Register Log Search under ``/20190909``."""
    app[LOG_RECORDS] = LogRecords()
    if PREDICT_OBSERVERS not in app:
        app[PREDICT_OBSERVERS] = []
    app[PREDICT_OBSERVERS].append(record_predict_call)
    app.router.add_post("/20190909/search", search_logs)
