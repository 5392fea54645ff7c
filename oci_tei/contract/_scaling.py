"""Instance counts, autoscaling policies, bandwidth and the enumerations of a deployment.

Sources: the SDK's ``FixedSizeScalingPolicy``, ``AutoScalingPolicy``,
``ThresholdBasedAutoScalingPolicyDetails``, ``PredefinedMetricExpressionRule``,
``ModelConfigurationDetails`` and the allowed values in the SDK models' setters.

OCI documents no numeric range for ``instanceCount`` or ``bandwidthMbps``: the checks
here ask only what the types and wording say (a count of instances is a positive
integer; ``bandwidthMbps`` is the minimum and ``maximumBandwidthMbps`` the maximum, so
the maximum is not below the minimum) and invent no limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from oci_tei.contract._container import Problem

__all__ = [
    "ENUMS",
    "MIN_COOL_DOWN_S",
    "check_autoscaling",
    "check_bandwidth",
    "check_enum",
    "check_instance_count",
]

#: "The minimum value is 300 seconds, which is also the default." (AutoScalingPolicy)
MIN_COOL_DOWN_S = 300

#: Wire field -> the values the SDK models allow (never store another one).
ENUMS: dict[str, tuple[str, ...]] = {
    "deploymentType": ("SINGLE_MODEL", "MODEL_GROUP", "SINGLE_MODEL_FLEX"),
    "environmentConfigurationType": ("DEFAULT", "OCIR_CONTAINER"),
    "policyType": ("FIXED_SIZE", "AUTOSCALING"),
    "autoScalingPolicyType": ("THRESHOLD",),
    "metricExpressionRuleType": ("PREDEFINED_EXPRESSION", "CUSTOM_EXPRESSION"),
    "metricType": ("CPU_UTILIZATION", "MEMORY_UTILIZATION"),
    "scalingConfigurationType": ("THRESHOLD", "QUERY"),
    "cpuBaseline": ("BASELINE_1_8", "BASELINE_1_2", "BASELINE_1_1"),
    "networkAccessType": (
        "MANAGED_NETWORKING_NO_INTERNET_ACCESS",
        "MANAGED_NETWORKING_INTERNET_ACCESS",
        "CUSTOM_NETWORKING",
    ),
}


def check_enum(name: str, value: object, field: str) -> list[Problem]:
    """``value`` is one of the values the SDK allows for the wire field ``name``."""
    allowed = ENUMS[name]
    if value not in allowed:
        return [(field, f"{value!r} is not one of {', '.join(allowed)}")]
    return []


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_instance_count(value: object, field: str) -> list[Problem]:
    """``instanceCount``: a positive integer (no maximum is documented)."""
    if not _positive_int(value):
        return [(field, f"{value!r} is not a number of instances (a positive integer)")]
    return []


def check_bandwidth(minimum: object, maximum: object, *, fields: tuple[str, str]) -> list[Problem]:
    """``bandwidthMbps`` and ``maximumBandwidthMbps``: positive integers, max >= min."""
    problems: list[Problem] = []
    for value, field in ((minimum, fields[0]), (maximum, fields[1])):
        if value is not None and not _positive_int(value):
            problems.append((field, f"{value!r} is not a bandwidth in Mbps (a positive integer)"))
    if not problems and isinstance(minimum, int) and isinstance(maximum, int) and maximum < minimum:
        problems.append((fields[1], f"the maximum {maximum} Mbps is below the minimum {minimum}"))
    return problems


def check_autoscaling(
    *,
    minimum: object,
    maximum: object,
    initial: object,
    cool_down_s: object,
    thresholds: Sequence[tuple[object, object]],
    field: str,
) -> list[Problem]:
    """A threshold autoscaling policy: counts, their order, cool-down >= 300 s, thresholds.

    Args:
        minimum: ``minimumInstanceCount``.
        maximum: ``maximumInstanceCount``.
        initial: ``initialInstanceCount``.
        cool_down_s: ``coolDownInSeconds`` (None: OCI's default, 300).
        thresholds: ``(scale-in, scale-out)`` thresholds of each rule.
        field: The caller's name for the policy.
    """
    problems: list[Problem] = []
    counts = {"minimumInstanceCount": minimum, "maximumInstanceCount": maximum}
    counts["initialInstanceCount"] = initial
    for name, value in counts.items():
        problems += check_instance_count(value, f"{field}.{name}")
    if not problems:
        assert isinstance(minimum, int)
        assert isinstance(maximum, int)
        assert isinstance(initial, int)
        if minimum > maximum:
            problems.append((f"{field}.maximumInstanceCount", "must not be below the minimum"))
        elif not minimum <= initial <= maximum:
            problems.append(
                (f"{field}.initialInstanceCount", "must lie between the minimum and the maximum")
            )
    if cool_down_s is not None and (
        not isinstance(cool_down_s, int) or cool_down_s < MIN_COOL_DOWN_S
    ):
        problems.append(
            (
                f"{field}.coolDownInSeconds",
                f"{cool_down_s!r}: the minimum is {MIN_COOL_DOWN_S} seconds",
            )
        )
    if not thresholds:
        problems.append((f"{field}.rules", "at least one rule is required"))
    for index, (scale_in, scale_out) in enumerate(thresholds):
        for name, value in (
            ("scaleInConfiguration", scale_in),
            ("scaleOutConfiguration", scale_out),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(
                    (f"{field}.rules[{index}].{name}.threshold", "required: an integer threshold")
                )
    return problems
