"""OCI Monitoring, as far as a model deployment's own metrics go: ``SummarizeMetricsData``.

The predict gateway posts each call's metrics (:func:`record_predict`) under the namespace
and names OCI lists for model deployments (:mod:`oci_tei.contract._autoscaling`:
``oci_datascience_modeldeploy``; "Model Deployment Metrics"):

* ``PredictRequestCount`` — 1 per call, dimension ``resourceId``;
* ``PredictResponse`` — 1 per answer, dimensions ``resourceId``, ``statusCode``, ``result``
  (``Success``/``Failure``) and ``statusFamily`` (``2XX``, ``4XX``, ``5XX``). OCI names the
  metric "Predict Response Status" with unit Count and lists those dimensions; that each
  datapoint counts one answer is *inferred*;
* ``PredictLatency`` — milliseconds from the request to the answer, dimensions
  ``resourceId`` and ``result``.

``POST /20180401/metrics/actions/summarizeMetricsData?compartmentId=`` (the SDK's
``MonitoringClient.summarize_metrics_data``) evaluates the MQL subset these metrics need,
with this module's own parser: ``Metric[interval]{dim = "value", ...}``, then optionally
``.grouping()`` or ``.groupBy(dim, ...)``, then a statistic — ``count()``, ``sum()``,
``mean()``, ``min()``, ``max()``, ``rate()`` or ``percentile(p)`` — one aggregated
datapoint per ``interval`` window that holds data (OCI's MQL reference: the interval is
the aggregation window). Anything else is 400 InvalidParameter (the emulator's subset, not
OCI's rule). The metrics belong to the deployment's compartment; a query for another
compartment sees none of them.
"""

from __future__ import annotations

__all__ = [
    "MONITORING",
    "MetricStore",
    "add_routes",
    "custom_rule_problems",
    "record_predict",
]

import datetime as dt
import json
import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from oci_tei.contract._autoscaling import (
    METRIC_NAMESPACE,
    METRICS,
    PENDING_DURATION_RANGE_S,
    RESOURCE_PLACEHOLDER,
)
from oci_tei_emulator._context import EmulatorContext
from oci_tei_emulator._errors import OCIError, invalid_parameter
from oci_tei_emulator._wire import model_response

API = "/20180401"
_QUERY = re.compile(
    r"""^\s*(?P<metric>[A-Za-z][A-Za-z0-9_]*)
    \[(?P<interval>\d+)(?P<unit>[mh])\]
    (?:\{(?P<dimensions>[^}]*)\})?
    (?:\.(?P<grouping>grouping\(\)|groupBy\((?P<by>[^)]*)\)))?
    \.(?P<statistic>[a-z]+)\((?P<argument>[^)]*)\)\s*$""",
    re.VERBOSE,
)
_DIMENSION = re.compile(r'^\s*(?P<name>\w+)\s*=\s*"(?P<value>[^"]*)"\s*$')


@dataclass(frozen=True)
class Datapoint:
    """One posted value."""

    name: str
    compartment_id: str
    dimensions: dict[str, str]
    timestamp: dt.datetime
    value: float


@dataclass
class MetricStore:
    """Every datapoint posted under :data:`METRIC_NAMESPACE`, oldest first."""

    points: list[Datapoint] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, point: Datapoint) -> None:
        """Add one datapoint."""
        with self.lock:
            self.points.append(point)

    def select(
        self, name: str, compartment_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[Datapoint]:
        """The datapoints of a metric in a compartment within ``[start, end)``."""
        with self.lock:
            return [
                p
                for p in self.points
                if p.name == name
                and p.compartment_id == compartment_id
                and start <= p.timestamp < end
            ]


MONITORING = web.AppKey("oci_tei_monitoring", MetricStore)
_CONTEXT = web.AppKey("oci_tei_monitoring_context", EmulatorContext)


def record_predict(
    app: web.Application,
    ocid: str,
    compartment_id: str,
    status: int,
    latency_ms: float,
    now: dt.datetime | None = None,
) -> None:
    """Post one predict call's metrics for the deployment ``ocid``."""
    store = app.get(MONITORING)
    if store is None:
        return
    when = now or dt.datetime.now(dt.timezone.utc)
    result = "Success" if 200 <= status < 300 else "Failure"
    family = f"{status // 100}XX"
    for name, dimensions, value in (
        ("PredictRequestCount", {"resourceId": ocid}, 1.0),
        (
            "PredictResponse",
            {
                "resourceId": ocid,
                "statusCode": str(status),
                "result": result,
                "statusFamily": family,
            },
            1.0,
        ),
        ("PredictLatency", {"resourceId": ocid, "result": result}, latency_ms),
    ):
        store.post(Datapoint(name, compartment_id, dimensions, when, value))


@dataclass(frozen=True)
class _Query:
    metric: str
    window: dt.timedelta
    window_text: str
    dimensions: dict[str, str]
    group_by: tuple[str, ...] | None  # None: one series per dimension set; (): grouping()
    statistic: str
    argument: float | None


def _parse(text: str) -> _Query:
    match = _QUERY.match(text or "")
    if match is None:
        raise invalid_parameter(
            f"Query {text!r} is not in the emulator's MQL subset: "
            'Metric[1m]{dim = "value"}.grouping().statistic().'
        )
    number, unit = int(match["interval"]), match["unit"]
    window = dt.timedelta(minutes=number) if unit == "m" else dt.timedelta(hours=number)
    dimensions = {}
    for item in filter(str.strip, (match["dimensions"] or "").split(",")):
        found = _DIMENSION.match(item)
        if found is None:
            raise invalid_parameter(f'Dimension {item.strip()!r} is not name = "value".')
        dimensions[found["name"]] = found["value"]
    grouping = match["grouping"]
    if grouping is None:
        group_by: tuple[str, ...] | None = None
    elif grouping == "grouping()":
        group_by = ()
    else:
        group_by = tuple(d.strip() for d in (match["by"] or "").split(",") if d.strip())
    statistic = match["statistic"]
    if statistic not in _STATISTICS:
        raise invalid_parameter(f"{statistic}() is not a statistic the emulator evaluates.")
    argument = None
    if statistic == "percentile":
        try:
            argument = float(match["argument"])
        except ValueError:
            raise invalid_parameter("percentile() takes a number between 0 and 1.") from None
        if not 0 < argument < 1:
            raise invalid_parameter("percentile() takes a number between 0 and 1.")
    return _Query(
        match["metric"],
        window,
        f"{number}{unit}",
        dimensions,
        group_by,
        statistic,
        argument,
    )


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = p * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _statistic(query: _Query) -> Callable[[list[float]], float]:
    seconds = query.window.total_seconds()
    table: dict[str, Callable[[list[float]], float]] = {
        "count": lambda v: float(len(v)),
        "sum": lambda v: float(sum(v)),
        "mean": lambda v: float(sum(v) / len(v)),
        "min": lambda v: float(min(v)),
        "max": lambda v: float(max(v)),
        "rate": lambda v: float(sum(v) / seconds),
        "percentile": lambda v: _percentile(v, query.argument or 0.5),
    }
    return table[query.statistic]


_STATISTICS = frozenset({"count", "sum", "mean", "min", "max", "rate", "percentile"})


def _series_key(point: Datapoint, group_by: tuple[str, ...] | None) -> tuple[tuple[str, str], ...]:
    if group_by is None:
        return tuple(sorted(point.dimensions.items()))
    return tuple((name, point.dimensions.get(name, "")) for name in group_by)


def summarize(
    store: MetricStore,
    compartment_id: str,
    query: _Query,
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple[dict[str, str], list[tuple[dt.datetime, float]]]]:
    """Series (dimensions, [(window start, value)]) of ``query`` over ``[start, end)``."""
    points = [
        p
        for p in store.select(query.metric, compartment_id, start, end)
        if all(p.dimensions.get(k) == v for k, v in query.dimensions.items())
    ]
    series: dict[tuple[tuple[str, str], ...], dict[dt.datetime, list[float]]] = {}
    for point in points:
        index = (point.timestamp - start) // query.window
        bucket = start + index * query.window
        key = _series_key(point, query.group_by)
        series.setdefault(key, {}).setdefault(bucket, []).append(point.value)
    reduce = _statistic(query)
    return [
        (dict(key), [(when, reduce(values)) for when, values in sorted(buckets.items())])
        for key, buckets in series.items()
    ]


def _time(value: Any, name: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid_parameter(f"{name} is not an RFC 3339 timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


async def summarize_metrics_data(request: web.Request) -> web.Response:
    """``SummarizeMetricsData`` for :data:`METRIC_NAMESPACE`."""
    import oci

    body = await request.read()
    request.app[_CONTEXT].authenticate(request, body)
    compartment_id = request.query.get("compartmentId")
    if not compartment_id:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    try:
        details = json.loads(body or b"null")
    except ValueError:
        raise invalid_parameter("The request body is not valid JSON.") from None
    if not isinstance(details, dict) or not details.get("namespace") or not details.get("query"):
        raise invalid_parameter("namespace and query are required (SummarizeMetricsDataDetails).")
    query = _parse(str(details["query"]))
    now = dt.datetime.now(dt.timezone.utc)
    end = _time(details["endTime"], "endTime") if details.get("endTime") else now
    start = (
        _time(details["startTime"], "startTime")
        if details.get("startTime")
        else end - dt.timedelta(hours=1)
    )
    found: Iterable[tuple[dict[str, str], list[tuple[dt.datetime, float]]]] = []
    if details["namespace"] == METRIC_NAMESPACE:
        found = summarize(request.app[MONITORING], compartment_id, query, start, end)
    models = oci.monitoring.models
    items = [
        models.MetricData(
            namespace=details["namespace"],
            compartment_id=compartment_id,
            name=query.metric,
            dimensions=dimensions,
            resolution=details.get("resolution") or query.window_text,
            aggregated_datapoints=[
                models.AggregatedDatapoint(timestamp=when, value=value) for when, value in points
            ],
        )
        for dimensions, points in found
    ]
    return model_response("data_science", items)


# -- autoscaling queries: the emulator's own reading of CUSTOM_EXPRESSION rules ---------------

_TRIGGER = re.compile(
    r"^(?P<series>.*?\))\s*(?P<operator>>=|<=|==|!=|>|<)\s*(?P<number>-?\d+(\.\d+)?)\s*$"
)
_DURATION = re.compile(r"^PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?$")


def _trigger_problems(
    text: str, field: str
) -> tuple[list[tuple[str, str]], dict[str, tuple[str, float]]]:
    """Problems of one alarm query, and per metric its (operator, threshold) bounds."""
    problems: list[tuple[str, str]] = []
    bounds: dict[str, tuple[str, float]] = {}
    for part in re.split(r"\|\||&&", text):
        trigger = _TRIGGER.match(part.strip())
        if trigger is None:
            problems.append((field, f"{part.strip()!r} has no trigger rule (a comparison)"))
            continue
        try:
            clause = _parse(trigger["series"])
        except OCIError as exc:
            if "absent()" in trigger["series"]:
                clause = None
            else:
                problems.append((field, exc.message))
                continue
        metric = trigger["series"].split("[", 1)[0].strip()
        if metric not in METRICS:
            problems.append((field, f"{metric} is not a metric of {METRIC_NAMESPACE}."))
        interval = re.search(r"\[(\d+)([mh])\]", trigger["series"])
        if interval is None or not (
            (interval[2] == "m" and 1 <= int(interval[1]) <= 60)
            or (interval[2] == "h" and interval[1] == "1")
        ):
            problems.append((field, "Supported values for interval: 1m-60m (also 1h)."))
        resource = re.search(r'resourceId\s*=\s*"([^"]*)"', trigger["series"])
        if resource is None or resource[1] != RESOURCE_PLACEHOLDER:
            problems.append((field, f'Include {{resourceId = "{RESOURCE_PLACEHOLDER}"}}.'))
        if clause is not None and trigger["operator"] in ("<", "<=", ">", ">="):
            bounds[metric] = (trigger["operator"], float(trigger["number"]))
    return problems, bounds


def _duration_problem(value: Any, field: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    match = _DURATION.match(str(value))
    if match is None or not any(match.groupdict().values()):
        return [(field, f"{value!r} is not an ISO 8601 duration.")]
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    low, high = PENDING_DURATION_RANGE_S
    return [] if low <= seconds <= high else [(field, "Minimum: PT3M. Maximum: PT1H.")]


def custom_rule_problems(rule: Any, where: str) -> list[tuple[str, str]]:
    """A CUSTOM_EXPRESSION rule's two QUERY configurations, read as Monitoring would.

    The documented rules (:mod:`oci_tei.contract._autoscaling`): each query names a
    deployment metric, an interval of 1m-60m or 1h, the ``MODEL_DEPLOYMENT_OCID``
    placeholder and a trigger rule; ``pendingDuration`` PT3M-PT1H. And one *inferred*: a
    metric's scale-in threshold below its scale-out one.
    """
    problems: list[tuple[str, str]] = []
    bounds = {}
    for name in ("scaleInConfiguration", "scaleOutConfiguration"):
        part = rule.get(name) if isinstance(rule, dict) else None
        if not isinstance(part, dict):
            problems.append((f"{where}.{name}", "required"))
            continue
        if part.get("scalingConfigurationType") != "QUERY":
            problems.append(
                (f"{where}.{name}.scalingConfigurationType", "a CUSTOM_EXPRESSION rule takes QUERY")
            )
            continue
        found, bounds[name] = _trigger_problems(
            str(part.get("query") or ""), f"{where}.{name}.query"
        )
        problems += found
        problems += _duration_problem(
            part.get("pendingDuration"), f"{where}.{name}.pendingDuration"
        )
    if problems:
        return problems
    low, high = bounds["scaleInConfiguration"], bounds["scaleOutConfiguration"]
    for metric in low.keys() & high.keys():
        if (
            low[metric][0].startswith("<")
            and high[metric][0].startswith(">")
            and low[metric][1] >= high[metric][1]
        ):
            problems.append(
                (
                    f"{where}.scaleInConfiguration.query",
                    f"The scale-in threshold of {metric} must be below the scale-out "
                    "threshold (inferred).",
                )
            )
    return problems


def add_routes(app: web.Application, ctx: EmulatorContext) -> None:
    """Register Monitoring's ``SummarizeMetricsData`` and the metric store.

    ``ctx`` is passed in (not read through the gateway's key): the gateway posts here.
    """
    app[MONITORING] = MetricStore()
    app[_CONTEXT] = ctx
    app.router.add_post(f"{API}/metrics/actions/summarizeMetricsData", summarize_metrics_data)
