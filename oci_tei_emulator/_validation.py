"""Create and update bodies of model deployments, checked against OCI's documented rules.

The rule tables live in :mod:`oci_tei.contract` (data: port ranges, reserved names, sizes,
enumerations, shapes, the image reference's form); the checks here are the emulator's own,
so the witness never decides with the product's code. This module walks the raw JSON body
(before the SDK's deserializer maps unknown enum values to ``UNKNOWN_ENUM_VALUE``) and
answers the problems with 400 ``InvalidParameter``, naming the wire field as OCI does.

Beyond the tables: ``categoryLogDetails.access``/``predict`` need ``logId`` and
``logGroupId`` (``LogDetails``: both "[Required]"). A flexible shape without a shape
configuration is not refused: the SDK and OCI's pages are silent on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oci_tei.contract._container import (
    ENV_KEY_PATTERN,
    HTTP_METHODS,
    IMAGE_TAG_PATTERN,
    MAX_COMMAND_BYTES,
    MAX_ENV_BYTES,
    PORT_RANGE,
    RESERVED_ENV,
    RESERVED_PORTS,
)
from oci_tei.contract._ocir import OCIR_REPOSITORY_PATTERN
from oci_tei.contract._scaling import ENUMS, MIN_COOL_DOWN_S
from oci_tei.contract._shapes import FLEX_MEMORY_PER_OCPU_GB, MODEL_DEPLOYMENT_SHAPES
from oci_tei_emulator._errors import OCIError, invalid_parameter
from oci_tei_emulator._monitoring import custom_rule_problems
from oci_tei_emulator._private_endpoints import network_problems

__all__ = ["check_model_ready", "deployment_problems", "raise_problems"]

#: ``(field, message)``: one broken rule.
Problem = tuple[str, str]

_CONFIG = "modelDeploymentConfigurationDetails"
_MODEL = f"{_CONFIG}.modelConfigurationDetails"
_ENV = f"{_CONFIG}.environmentConfigurationDetails"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def raise_problems(problems: list[Problem]) -> None:
    """Answer 400 InvalidParameter listing every problem, when there is one.

    Raises:
        OCIError: ``field: message; field: message``.
    """
    if problems:
        raise invalid_parameter("; ".join(f"{field}: {message}" for field, message in problems))


def deployment_problems(body: Mapping[str, Any], *, update: bool) -> list[Problem]:
    """Every documented rule a Create/UpdateModelDeploymentDetails body breaks.

    An update checks only the fields it carries (absent ones keep their value).
    """
    config = _dict(body.get(_CONFIG.split(".")[-1]))
    problems: list[Problem] = []
    if not update and not config:
        return [(_CONFIG, "required")]
    if "deploymentType" in config or not update:
        problems += check_enum(
            "deploymentType", config.get("deploymentType"), f"{_CONFIG}.deploymentType"
        )
    model = _dict(config.get("modelConfigurationDetails"))
    if model or not update:
        problems += _model_problems(model, update=update)
    env = config.get("environmentConfigurationDetails")
    if env is not None:
        problems += _environment_problems(_dict(env), update=update)
    logs = body.get("categoryLogDetails")
    if logs is not None:
        for kind in ("access", "predict"):
            detail = _dict(logs).get(kind)
            if detail is None:
                continue
            for name in ("logId", "logGroupId"):
                if not _dict(detail).get(name):
                    problems.append((f"categoryLogDetails.{kind}.{name}", "required"))
    return problems


def _model_problems(model: Mapping[str, Any], *, update: bool) -> list[Problem]:
    problems: list[Problem] = []
    if not model.get("modelId"):
        problems.append((f"{_MODEL}.modelId", "required"))
    instance = model.get("instanceConfiguration")
    if instance is None and not update:
        problems.append((f"{_MODEL}.instanceConfiguration", "required"))
    elif instance is not None:
        instance = _dict(instance)
        where = f"{_MODEL}.instanceConfiguration"
        shape_config = _dict(instance.get("modelDeploymentInstanceShapeConfigDetails"))
        config_where = f"{where}.modelDeploymentInstanceShapeConfigDetails"
        problems += check_shape(
            str(instance.get("instanceShapeName")),
            shape_config.get("ocpus"),
            shape_config.get("memoryInGBs"),
            fields=(
                f"{where}.instanceShapeName",
                f"{config_where}.ocpus",
                f"{config_where}.memoryInGBs",
            ),
        )
        if "cpuBaseline" in shape_config:
            problems += check_enum(
                "cpuBaseline", shape_config["cpuBaseline"], f"{config_where}.cpuBaseline"
            )
        if "networkAccessType" in instance:
            problems += check_enum(
                "networkAccessType", instance["networkAccessType"], f"{where}.networkAccessType"
            )
        problems += network_problems(dict(instance), where)
    policy = model.get("scalingPolicy")
    if policy is not None:
        problems += _policy_problems(_dict(policy))
    problems += check_bandwidth(
        model.get("bandwidthMbps"),
        model.get("maximumBandwidthMbps"),
        fields=(f"{_MODEL}.bandwidthMbps", f"{_MODEL}.maximumBandwidthMbps"),
    )
    return problems


def _policy_problems(policy: Mapping[str, Any]) -> list[Problem]:
    where = f"{_MODEL}.scalingPolicy"
    kind = policy.get("policyType")
    problems = check_enum("policyType", kind, f"{where}.policyType")
    if kind == "FIXED_SIZE":
        problems += check_instance_count(policy.get("instanceCount"), f"{where}.instanceCount")
    elif kind == "AUTOSCALING":
        policies = _list(policy.get("autoScalingPolicies"))
        if not policies:
            problems.append((f"{where}.autoScalingPolicies", "at least one policy is required"))
        for index, item in enumerate(policies):
            item = _dict(item)
            item_where = f"{where}.autoScalingPolicies[{index}]"
            problems += check_enum(
                "autoScalingPolicyType",
                item.get("autoScalingPolicyType"),
                f"{item_where}.autoScalingPolicyType",
            )
            thresholds = []
            for rule_index, rule in enumerate(_list(item.get("rules"))):
                rule = _dict(rule)
                rule_where = f"{item_where}.rules[{rule_index}]"
                rule_type = rule.get("metricExpressionRuleType")
                problems += check_enum(
                    "metricExpressionRuleType", rule_type, f"{rule_where}.metricExpressionRuleType"
                )
                if rule_type == "PREDEFINED_EXPRESSION":
                    problems += check_enum(
                        "metricType", rule.get("metricType"), f"{rule_where}.metricType"
                    )
                    scale_in = _dict(rule.get("scaleInConfiguration"))
                    scale_out = _dict(rule.get("scaleOutConfiguration"))
                    for name, part in (
                        ("scaleInConfiguration", scale_in),
                        ("scaleOutConfiguration", scale_out),
                    ):
                        problems += check_enum(
                            "scalingConfigurationType",
                            part.get("scalingConfigurationType"),
                            f"{rule_where}.{name}.scalingConfigurationType",
                        )
                    thresholds.append((scale_in.get("threshold"), scale_out.get("threshold")))
                else:
                    thresholds.append((0, 0))  # CUSTOM_EXPRESSION: inside the queries
                    problems += custom_rule_problems(rule, rule_where)
            problems += check_autoscaling(
                minimum=item.get("minimumInstanceCount"),
                maximum=item.get("maximumInstanceCount"),
                initial=item.get("initialInstanceCount"),
                cool_down_s=policy.get("coolDownInSeconds"),
                thresholds=thresholds,
                field=item_where,
            )
    return problems


def _environment_problems(env: Mapping[str, Any], *, update: bool) -> list[Problem]:
    kind = env.get("environmentConfigurationType")
    problems = check_enum(
        "environmentConfigurationType", kind, f"{_ENV}.environmentConfigurationType"
    )
    if kind != "OCIR_CONTAINER":
        return problems
    if "image" in env or not update:
        problems += check_image(env.get("image"), f"{_ENV}.image")
    for name in ("serverPort", "healthCheckPort"):
        if env.get(name) is not None:
            problems += check_port(env[name], f"{_ENV}.{name}")
    if env.get("environmentVariables") is not None:
        problems += check_environment(
            _dict(env["environmentVariables"]), f"{_ENV}.environmentVariables"
        )
    problems += check_command(
        [str(part) for part in _list(env.get("cmd"))],
        [str(part) for part in _list(env.get("entrypoint"))],
        f"{_ENV}.cmd",
    )
    if env.get("customHttpEndpoints") is not None:
        problems += check_http_endpoints(
            [_dict(item) for item in _list(env["customHttpEndpoints"])],
            f"{_ENV}.customHttpEndpoints",
        )
    return problems


def check_model_ready(model: Any | None, model_id: str) -> None:
    """The model a deployment names exists and is ACTIVE.

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound, or 400 InvalidParameter when not ACTIVE.
    """
    if model is None:
        raise OCIError(
            404,
            "NotAuthorizedOrNotFound",
            f"Authorization failed or requested model {model_id} not found.",
        )
    if model.lifecycle_state != "ACTIVE":
        raise invalid_parameter(
            f"Model {model_id} is {model.lifecycle_state}; only an ACTIVE model can be deployed."
        )


# -- the emulator's own checks over the contract's tables ----------------------------------


def check_enum(name: str, value: object, field: str) -> list[Problem]:
    """One of the values the SDK allows for the wire field ``name``."""
    allowed = ENUMS[name]
    return [] if value in allowed else [(field, f"{value!r} is not one of {', '.join(allowed)}")]


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_instance_count(value: object, field: str) -> list[Problem]:
    """A positive integer (no maximum is documented)."""
    return [] if _count(value) else [(field, f"{value!r} is not a positive number of instances")]


def check_bandwidth(minimum: object, maximum: object, *, fields: tuple[str, str]) -> list[Problem]:
    """Positive integers, the maximum not below the minimum."""
    problems = [
        (field, f"{value!r} is not a bandwidth in Mbps (a positive integer)")
        for value, field in ((minimum, fields[0]), (maximum, fields[1]))
        if value is not None and not _count(value)
    ]
    if not problems and isinstance(minimum, int) and isinstance(maximum, int) and maximum < minimum:
        problems.append((fields[1], f"the maximum {maximum} Mbps is below the minimum {minimum}"))
    return problems


def check_autoscaling(
    *,
    minimum: object,
    maximum: object,
    initial: object,
    cool_down_s: object,
    thresholds: list[tuple[object, object]],
    field: str,
) -> list[Problem]:
    """Counts in order, cool-down of at least ``MIN_COOL_DOWN_S``, a threshold per rule."""
    problems: list[Problem] = []
    for name, value in (
        ("minimumInstanceCount", minimum),
        ("maximumInstanceCount", maximum),
        ("initialInstanceCount", initial),
    ):
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
            (f"{field}.coolDownInSeconds", f"{cool_down_s!r}: the minimum is {MIN_COOL_DOWN_S}")
        )
    if not thresholds:
        problems.append((f"{field}.rules", "at least one rule is required"))
    for index, pair in enumerate(thresholds):
        for name, value in zip(
            ("scaleInConfiguration", "scaleOutConfiguration"), pair, strict=True
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(
                    (f"{field}.rules[{index}].{name}.threshold", "required: an integer threshold")
                )
    return problems


def check_shape(
    name: str, ocpus: object, memory_gb: object, *, fields: tuple[str, str, str]
) -> list[Problem]:
    """A shape offered for model deployment; a flexible one's OCPUs (and memory) in range."""
    shape_field, ocpu_field, memory_field = fields
    shape = MODEL_DEPLOYMENT_SHAPES.get(name)
    if shape is None:
        return [(shape_field, f"{name!r} is not a shape offered for model deployments")]
    if not shape.flex or not isinstance(ocpus, (int, float)):
        return []
    problems: list[Problem] = []
    low, high = shape.ocpus
    if not low <= ocpus <= high:
        problems.append((ocpu_field, f"{name} takes {low:g} to {high:g} OCPUs, not {ocpus:g}"))
    if isinstance(memory_gb, (int, float)):
        per_low, per_high = FLEX_MEMORY_PER_OCPU_GB
        least, most = per_low * ocpus, min(shape.memory_gb, per_high * ocpus)
        if not least <= memory_gb <= most:
            problems.append(
                (
                    memory_field,
                    f"{memory_gb:g} GB for {ocpus:g} OCPUs: {name} takes {per_low:g} to "
                    f"{per_high:g} GB per OCPU, at most {shape.memory_gb:g} GB",
                )
            )
    return problems


def check_port(port: object, field: str) -> list[Problem]:
    """In ``PORT_RANGE`` and not one of ``RESERVED_PORTS``."""
    low, high = PORT_RANGE
    if not isinstance(port, int) or isinstance(port, bool) or not low <= port <= high:
        return [(field, f"{port!r} is not a port between {low} and {high}")]
    if port in RESERVED_PORTS:
        return [(field, f"port {port} is reserved by Model Deployment")]
    return []


def check_environment(env: Mapping[str, object], field: str) -> list[Problem]:
    """Key form, reserved keys, under ``MAX_ENV_BYTES`` in all."""
    problems: list[Problem] = []
    for key, value in env.items():
        where = f"{field}.{key}"
        if not isinstance(value, str):
            problems.append((where, "values must be strings"))
        if len(key) < 2 or len(key) >= 32:
            problems.append((where, "keys must have at least 2 and under 32 characters"))
        elif not ENV_KEY_PATTERN.match(key):
            problems.append(
                (where, "keys must start with a letter and hold only letters, digits and '_'")
            )
        elif key.endswith("_"):
            problems.append((where, "keys must not end with '_'"))
        if key in RESERVED_ENV:
            problems.append((where, f"{key} is set by Model Deployment and cannot be overridden"))
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in env.items())
    if size >= MAX_ENV_BYTES:
        problems.append((field, f"{size} bytes of variables; they must be under {MAX_ENV_BYTES}"))
    return problems


def check_command(cmd: list[str], entrypoint: list[str], field: str) -> list[Problem]:
    """CMD and ENTRYPOINT together under ``MAX_COMMAND_BYTES``."""
    size = sum(len(part.encode()) for part in [*cmd, *entrypoint])
    if size >= MAX_COMMAND_BYTES:
        return [(field, f"CMD and ENTRYPOINT take {size} bytes; they must be under "
                        f"{MAX_COMMAND_BYTES}")]  # fmt: skip
    return []


def check_image(image: object, field: str) -> list[Problem]:
    """An OCIR image with its tag or digest: ``<host>/<namespace>/<name>:<tag>[@digest]``."""
    if not isinstance(image, str) or not image:
        return [(field, "an OCIR image is required for an OCIR_CONTAINER deployment")]
    path, _, last = image.rpartition("/")
    name = last.split("@", 1)[0].split(":", 1)[0]
    if not OCIR_REPOSITORY_PATTERN.match(f"{path}/{name}"):
        return [(field, f"{image!r} is not an image in OCIR (<region>.ocir.io/<namespace>/...)")]
    version = IMAGE_TAG_PATTERN.search(last[len(name) :])
    if version is None or not (version.group("tag") or version.group("digest")):
        return [(field, f"{image!r} names no tag: give <image>:<tag> or a digest")]
    return []


def check_http_endpoints(endpoints: list[Mapping[str, object]], field: str) -> list[Problem]:
    """Each an ``endpointUriSuffix`` path with ``httpMethods`` among ``HTTP_METHODS``."""
    problems: list[Problem] = []
    for index, endpoint in enumerate(endpoints):
        where = f"{field}[{index}]"
        suffix, methods = endpoint.get("endpointUriSuffix"), endpoint.get("httpMethods")
        if not isinstance(suffix, str) or not suffix.startswith("/"):
            problems.append((f"{where}.endpointUriSuffix", "required: a path starting with '/'"))
        if not isinstance(methods, list) or not methods:
            problems.append((f"{where}.httpMethods", "required: a non-empty list of HTTP methods"))
        elif any(method not in HTTP_METHODS for method in methods):
            problems.append((f"{where}.httpMethods", f"methods must be among {HTTP_METHODS}"))
    return problems
