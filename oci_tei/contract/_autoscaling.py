"""Custom-metric autoscaling of a model deployment: MQL queries on its own metrics.

Sources:

* SDK ``CustomMetricExpressionRule`` (``metricExpressionRuleType`` ``CUSTOM_EXPRESSION``, a
  scale-in and a scale-out ``CustomExpressionQueryScalingConfiguration``, both required),
  ``CustomExpressionQueryScalingConfiguration.query`` ("The query must specify a metric,
  statistic, interval, and trigger rule (threshold or absence). Supported values for
  interval: ``1m``-``60m`` (also ``1h``) ... Supported grouping functions: ``grouping()``,
  ``groupBy()``", with ``CPUUtilization[1m]{resourceId = "MODEL_DEPLOYMENT_OCID"}
  .grouping().mean() > 75`` as its example) and ``ScalingConfiguration.pendingDuration``
  (ISO 8601, "Minimum: PT3M. Maximum: PT1H. Default: PT3M").
* OCI "Custom Scaling Metric Type to Configure Autoscaling" (:data:`CUSTOM_METRICS_DOC`):
  "include ``{resourceId = "MODEL_DEPLOYMENT_OCID"}`` in the query ... the service replaces
  the placeholder MODEL_DEPLOYMENT_OCID keyword with the actual resource OCID", its sample
  queries (``PredictRequestCount[1m]{resourceId = "MODEL_DEPLOYMENT_OCID"}.grouping().sum()
  > 100`` to scale out, ``< 5`` to scale in) and: "If no predict calls are made, the metric
  isn't emitted. In such cases, include the ``absent()`` function in the alarm query".
* OCI "Model Deployment Metrics" (:data:`METRICS_DOC`): the ``oci_datascience_modeldeploy``
  namespace and its metric names (:data:`METRICS`).

What OCI does not document, and is marked *inferred* where it is checked: that a scale-in
threshold below the scale-out one is required (a rule whose scale-in fires while its
scale-out fires would flap; OCI's samples always keep them apart, its pages state no rule).
This module reads MQL only as far as the documented form needs: one or more
``Metric[interval]{dimensions}.grouping-function.statistic() <op> <number>`` (or
``.absent() == 1``) clauses joined by ``&&`` or ``||``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oci_tei.contract._container import Problem

__all__ = [
    "CUSTOM_METRICS_DOC",
    "METRICS",
    "METRICS_DOC",
    "METRIC_NAMESPACE",
    "PENDING_DURATION_RANGE_S",
    "RESOURCE_PLACEHOLDER",
    "Clause",
    "check_custom_rule",
    "check_pending_duration",
    "check_query",
    "parse_query",
    "query",
]

CUSTOM_METRICS_DOC = (
    "https://docs.oracle.com/en-us/iaas/data-science/using/autoscale-vms-custom-metrics.htm"
)
METRICS_DOC = "https://docs.oracle.com/en-us/iaas/data-science/using/metrics-model-deploy.htm"

#: "Metrics are automatically available ... in the oci_datascience_modeldeploy namespace."
METRIC_NAMESPACE = "oci_datascience_modeldeploy"
#: Metric name -> (unit, the dimensions OCI lists for it) (Model Deployment Metrics).
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "PredictRequestCount": ("count", ("resourceId",)),
    "PredictResponse": ("count", ("resourceId", "statusCode", "result", "statusFamily")),
    "PredictLatency": ("milliseconds", ("resourceId", "result")),
    "PredictBandwidth": ("percent", ("resourceId",)),
    "CpuUtilization": ("percent", ("resourceId", "instanceId")),
    "MemoryUtilization": ("percent", ("resourceId", "instanceId")),
    "NetworkBytes": ("bytes/s", ("resourceId", "instanceId", "networkType")),
    # The SDK's query example spells the CPU metric this way; both are accepted.
    "CPUUtilization": ("percent", ("resourceId", "instanceId")),
}
#: "the service replaces the placeholder MODEL_DEPLOYMENT_OCID keyword with the actual OCID"
RESOURCE_PLACEHOLDER = "MODEL_DEPLOYMENT_OCID"
#: ``pendingDuration``: "Minimum: PT3M. Maximum: PT1H." (ScalingConfiguration)
PENDING_DURATION_RANGE_S = (180, 3600)

# MQL statistics (Monitoring's query reference) the documented queries use.
_STATISTICS = frozenset(
    {"mean", "sum", "max", "min", "count", "rate", "last", "absent", "percentile", "avg"}
)
_CLAUSE = re.compile(
    r"""^\s*
    (?P<metric>[A-Za-z][A-Za-z0-9_]*)
    \[(?P<interval>\d+[mh])\]
    \{(?P<dimensions>[^}]*)\}
    \.(?P<grouping>grouping\(\)|groupBy\([^)]*\))
    \.(?P<statistic>[a-z]+)\((?P<argument>[^)]*)\)
    \s*(?P<operator>>=|<=|==|!=|>|<)\s*
    (?P<threshold>-?\d+(\.\d+)?)
    \s*$""",
    re.VERBOSE,
)
_DIMENSION = re.compile(r'^\s*(?P<name>\w+)\s*=\s*"(?P<value>[^"]*)"\s*$')
_DURATION = re.compile(r"^PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?$")


@dataclass(frozen=True)
class Clause:
    """One trigger of an MQL query: ``metric[interval]{...}.grouping().statistic() op n``."""

    metric: str
    interval: str
    dimensions: dict[str, str]
    statistic: str
    operator: str
    threshold: float

    @property
    def absence(self) -> bool:
        """An ``absent() == 1`` trigger: true while the metric is not emitted."""
        return self.statistic == "absent"


def query(
    metric: str, statistic: str, operator: str, threshold: float, interval: str = "1m"
) -> str:
    """The documented query form for one metric of the deployment."""
    number = int(threshold) if float(threshold).is_integer() else threshold
    return (
        f'{metric}[{interval}]{{resourceId = "{RESOURCE_PLACEHOLDER}"}}'
        f".grouping().{statistic}() {operator} {number}"
    )


def parse_query(text: str) -> list[Clause]:
    """The clauses of a query in the documented form.

    Raises:
        ValueError: Not in that form; the message says which part.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the query is empty")
    clauses = []
    for part in re.split(r"\|\||&&", text):
        match = _CLAUSE.match(part)
        if match is None:
            raise ValueError(
                f'{part.strip()!r} is not \'Metric[1m]{{resourceId = "{RESOURCE_PLACEHOLDER}"}}'
                ".grouping().statistic() > threshold' (a metric, interval, grouping, "
                "statistic and trigger rule)"
            )
        dimensions: dict[str, str] = {}
        for item in filter(str.strip, match["dimensions"].split(",")):
            found = _DIMENSION.match(item)
            if found is None:
                raise ValueError(f'dimension {item.strip()!r} is not name = "value"')
            dimensions[found["name"]] = found["value"]
        clauses.append(
            Clause(
                match["metric"],
                match["interval"],
                dimensions,
                match["statistic"],
                match["operator"],
                float(match["threshold"]),
            )
        )
    return clauses


def _interval_problem(interval: str) -> str | None:
    number, unit = int(interval[:-1]), interval[-1]
    if (unit == "m" and 1 <= number <= 60) or (unit == "h" and number == 1):
        return None
    return f"interval [{interval}]: supported values are 1m-60m (also 1h)"


def check_query(text: object, field: str) -> list[Problem]:
    """A scaling query: documented form, a deployment metric, interval, the resourceId."""
    try:
        clauses = parse_query(str(text) if text is not None else "")
    except ValueError as exc:
        return [(field, str(exc))]
    problems: list[Problem] = []
    for clause in clauses:
        if clause.metric not in METRICS:
            problems.append(
                (
                    field,
                    f"{clause.metric} is not a metric of {METRIC_NAMESPACE} "
                    f"({', '.join(sorted(METRICS))})",
                )
            )
        problem = _interval_problem(clause.interval)
        if problem:
            problems.append((field, problem))
        if clause.dimensions.get("resourceId") != RESOURCE_PLACEHOLDER:
            problems.append(
                (
                    field,
                    f'include {{resourceId = "{RESOURCE_PLACEHOLDER}"}}: OCI replaces the '
                    "placeholder with the deployment's OCID",
                )
            )
        if clause.statistic not in _STATISTICS:
            problems.append((field, f"{clause.statistic}() is not an MQL statistic"))
        if clause.absence and (clause.operator, clause.threshold) != ("==", 1.0):
            problems.append((field, "an absence trigger reads .absent() == 1"))
    return problems


def check_pending_duration(value: object, field: str) -> list[Problem]:
    """``pendingDuration``: ISO 8601, PT3M to PT1H (None: OCI's default, PT3M)."""
    if value is None:
        return []
    match = _DURATION.match(str(value))
    if match is None or not any(match.groupdict().values()):
        return [(field, f"{value!r} is not an ISO 8601 duration such as PT3M or PT1H")]
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    low, high = PENDING_DURATION_RANGE_S
    if not low <= seconds <= high:
        return [(field, f"{value}: the minimum is PT3M and the maximum PT1H")]
    return []


def _bound(clauses: list[Clause], operators: tuple[str, ...]) -> dict[str, float]:
    """Per metric, the threshold of its non-absence clauses with one of ``operators``."""
    return {c.metric: c.threshold for c in clauses if not c.absence and c.operator in operators}


def check_custom_rule(
    scale_in: object,
    scale_out: object,
    *,
    pending: tuple[object, object] = (None, None),
    field: str,
) -> list[Problem]:
    """A ``CUSTOM_EXPRESSION`` rule: both queries valid, thresholds apart (inferred).

    Args:
        scale_in: The scale-in configuration's ``query``.
        scale_out: The scale-out configuration's ``query``.
        pending: Their ``pendingDuration`` values.
        field: The caller's name for the rule; problems name ``<field>.scaleIn...`` etc.
    """
    in_field = f"{field}.scaleInConfiguration.query"
    out_field = f"{field}.scaleOutConfiguration.query"
    problems = check_query(scale_in, in_field) + check_query(scale_out, out_field)
    for name, value in zip(("scaleInConfiguration", "scaleOutConfiguration"), pending, strict=True):
        problems += check_pending_duration(value, f"{field}.{name}.pendingDuration")
    if problems:
        return problems
    low = _bound(parse_query(str(scale_in)), ("<", "<="))
    high = _bound(parse_query(str(scale_out)), (">", ">="))
    for metric in low.keys() & high.keys():
        if low[metric] >= high[metric]:
            problems.append(
                (
                    in_field,
                    f"the scale-in threshold of {metric} ({low[metric]:g}) must be below the "
                    f"scale-out threshold ({high[metric]:g}), or the deployment flaps "
                    "(inferred: OCI's pages keep them apart but state no rule)",
                )
            )
    return problems
