"""What a running deployment is doing, from OCI Monitoring: requests, latency, errors.

OCI posts a model deployment's metrics under ``oci_datascience_modeldeploy``
(:mod:`oci_tei.contract._autoscaling`, "Model Deployment Metrics"): ``PredictRequestCount``,
``PredictLatency`` (ms, dimension ``result``) and ``PredictResponse`` (dimensions
``statusCode``, ``result``, ``statusFamily``). :func:`deployment_metrics` reads them with
``MonitoringClient.summarize_metrics_data`` in MQL and returns a :class:`DeploymentMetrics`;
:func:`describe_metrics` renders it for ``oci-tei status``.

Two readings are ours, not OCI's words: each ``PredictResponse`` datapoint is summed as a
count of answers (OCI calls the metric "Predict Response Status", unit Count), and the
instance count comes from the deployment record (OCI lists no instance-count metric): the
fixed count, or the autoscaling policy's range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from oci_tei.contract._autoscaling import METRIC_NAMESPACE

__all__ = [
    "DeploymentMetrics",
    "Instances",
    "Latency",
    "deployment_metrics",
    "describe_metrics",
    "metric_queries",
]

_PERCENTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))


@dataclass(frozen=True)
class Latency:
    """Predict latency over the window, in milliseconds (None: no call was measured)."""

    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


@dataclass(frozen=True)
class Instances:
    """The deployment's instances as its record states them.

    Attributes:
        policy: ``FIXED_SIZE`` or ``AUTOSCALING``.
        count: The fixed count (FIXED_SIZE) or the initial one (AUTOSCALING).
        minimum: The autoscaling minimum (None for a fixed size).
        maximum: The autoscaling maximum (None for a fixed size).
    """

    policy: str
    count: int | None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class DeploymentMetrics:
    """A window of one deployment's predict metrics.

    Attributes:
        deployment_id: The model deployment's OCID.
        start: The window's start (UTC).
        end: Its end (UTC).
        requests: Predict calls in the window.
        requests_per_minute: (minute, calls) for each minute that had calls.
        latency: Latency statistics.
        responses: Answers by HTTP status code.
        instances: What the record says about instances.
    """

    deployment_id: str
    start: dt.datetime
    end: dt.datetime
    requests: int
    requests_per_minute: list[tuple[dt.datetime, int]] = field(default_factory=list)
    latency: Latency = field(default_factory=Latency)
    responses: dict[str, int] = field(default_factory=dict)
    instances: Instances | None = None

    @property
    def client_errors(self) -> int:
        """4xx answers."""
        return sum(n for code, n in self.responses.items() if code.startswith("4"))

    @property
    def server_errors(self) -> int:
        """5xx answers."""
        return sum(n for code, n in self.responses.items() if code.startswith("5"))


def metric_queries(deployment_id: str, window: str = "1h") -> dict[str, str]:
    """The MQL queries :func:`deployment_metrics` sends, by what they measure."""
    where = f'{{resourceId = "{deployment_id}"}}'
    queries = {
        "requests_per_minute": f"PredictRequestCount[1m]{where}.grouping().sum()",
        "latency_mean": f"PredictLatency[{window}]{where}.grouping().mean()",
        "responses": f"PredictResponse[{window}]{where}.groupBy(statusCode).sum()",
    }
    for name, p in _PERCENTILES:
        queries[f"latency_{name}"] = f"PredictLatency[{window}]{where}.grouping().percentile({p})"
    return queries


def _instances(deployment: Any) -> Instances | None:
    model = deployment.model_deployment_configuration_details.model_configuration_details
    policy = getattr(model, "scaling_policy", None)
    if policy is None:
        return None
    if policy.policy_type == "FIXED_SIZE":
        return Instances("FIXED_SIZE", policy.instance_count)
    details = (getattr(policy, "auto_scaling_policies", None) or [None])[0]
    return Instances(
        str(policy.policy_type),
        getattr(details, "initial_instance_count", None),
        getattr(details, "minimum_instance_count", None),
        getattr(details, "maximum_instance_count", None),
    )


def deployment_metrics(
    monitoring: Any,
    deployment: Any,
    *,
    hours: int = 1,
    now: dt.datetime | None = None,
) -> DeploymentMetrics:
    """The last ``hours`` of a deployment's predict metrics.

    Args:
        monitoring: An ``oci.monitoring.MonitoringClient``.
        deployment: The ``ModelDeployment`` record.
        hours: The window (whole hours, 1 to 24).
        now: The window's end (default: now).

    Raises:
        oci.exceptions.ServiceError: Monitoring refused a query (e.g. no permission to
            read metrics in the deployment's compartment).
    """
    import oci

    end = now or dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(hours=hours)
    queries = metric_queries(deployment.id, f"{hours}h")

    def series(name: str) -> list[Any]:
        details = oci.monitoring.models.SummarizeMetricsDataDetails(
            namespace=METRIC_NAMESPACE, query=queries[name], start_time=start, end_time=end
        )
        return list(
            monitoring.summarize_metrics_data(deployment.compartment_id, details).data or []
        )

    def single(name: str) -> float | None:
        points = [p for item in series(name) for p in item.aggregated_datapoints or []]
        return float(points[-1].value) if points else None

    per_minute = [
        (p.timestamp, round(p.value))
        for item in series("requests_per_minute")
        for p in item.aggregated_datapoints or []
    ]
    responses: dict[str, int] = {}
    for item in series("responses"):
        code = (item.dimensions or {}).get("statusCode", "?")
        total = sum(p.value for p in item.aggregated_datapoints or [])
        responses[code] = responses.get(code, 0) + round(total)
    latency = Latency(
        single("latency_mean"), *(single(f"latency_{name}") for name, _ in _PERCENTILES)
    )
    return DeploymentMetrics(
        deployment_id=str(deployment.id),
        start=start,
        end=end,
        requests=sum(n for _, n in per_minute),
        requests_per_minute=sorted(per_minute),
        latency=latency,
        responses=dict(sorted(responses.items())),
        instances=_instances(deployment),
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def describe_metrics(metrics: DeploymentMetrics) -> list[str]:
    """Status lines for a window of metrics."""
    minutes = (metrics.end - metrics.start).total_seconds() / 60
    busiest = max((n for _, n in metrics.requests_per_minute), default=0)
    latency = metrics.latency
    lines = [
        f"  last {minutes:.0f} min (OCI Monitoring, {METRIC_NAMESPACE}):",
        f"    requests: {metrics.requests} ({metrics.requests / minutes:.1f}/min, "
        f"busiest minute {busiest})",
        f"    latency: p50 {_ms(latency.p50)}, p95 {_ms(latency.p95)}, "
        f"p99 {_ms(latency.p99)}, mean {_ms(latency.mean)}",
        f"    errors: {metrics.client_errors} 4xx, {metrics.server_errors} 5xx"
        + (
            f" (by status: {', '.join(f'{c}: {n}' for c, n in metrics.responses.items())})"
            if metrics.responses
            else ""
        ),
    ]
    instances = metrics.instances
    if instances is not None:
        if instances.policy == "FIXED_SIZE":
            lines.append(f"    instances: {instances.count} (fixed)")
        else:
            lines.append(
                f"    instances: autoscaling {instances.minimum}..{instances.maximum} "
                f"(initially {instances.count}; OCI publishes no instance-count metric)"
            )
    return lines
