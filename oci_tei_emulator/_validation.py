"""Create and update bodies of model deployments, checked against OCI's documented rules.

The rules live in :mod:`oci_tei.contract`; this module walks the raw JSON body (before the
SDK's deserializer maps unknown enum values to ``UNKNOWN_ENUM_VALUE``) and answers the
first problems with 400 ``InvalidParameter``, naming the wire field as OCI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oci_tei.contract._container import (
    Problem,
    check_command,
    check_environment,
    check_http_endpoints,
    check_image,
    check_port,
)
from oci_tei.contract._scaling import (
    check_autoscaling,
    check_bandwidth,
    check_enum,
    check_instance_count,
)
from oci_tei.contract._shapes import check_shape
from oci_tei_emulator._errors import OCIError, invalid_parameter
from oci_tei_emulator._monitoring import custom_rule_problems
from oci_tei_emulator._private_endpoints import network_problems

__all__ = ["check_model_ready", "deployment_problems", "raise_problems"]

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
