"""OCI's documented rules (oci_tei.contract), enforced by the emulator over the wire.

Every request goes through the unmodified oci SDK. A create with exactly one violation
is answered 400 InvalidParameter naming the wire field, and nothing is made; the valid
body passes. Where a value cannot be set through the SDK's setters (an enum outside its
allowed values), the model's attribute is set directly, so the SDK still serializes and
sends it as a buggy client would.
"""

# ruff: noqa: F811  (model_in_catalog is a fixture imported from test_control_plane)
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import oci
import pytest

from tests.fixtures.oci import all_items

from .test_control_plane import (  # noqa: F401
    COMPARTMENT,
    GOOD_CMD,
    PROJECT,
    _by_reference_artifact,
    _clients,
    _deployment_details,
    _wait,
    model_in_catalog,
)

models = oci.data_science.models
IMAGE = "iad.ocir.io/t/tei:cpu-1.5"
SHAPE = "VM.Standard.E4.Flex"
Mutation = Callable[[Any], None]


def _env(details: Any) -> Any:
    return details.model_deployment_configuration_details.environment_configuration_details


def _model(details: Any) -> Any:
    return details.model_deployment_configuration_details.model_configuration_details


def _flex(ocpus: float, memory: float) -> Mutation:
    def mutate(details: Any) -> None:
        _model(
            details
        ).instance_configuration.model_deployment_instance_shape_config_details = (
            models.ModelDeploymentInstanceShapeConfigDetails(ocpus=ocpus, memory_in_gbs=memory)
        )

    return mutate


def _autoscaling(cool_down: int, minimum: int = 1, maximum: int = 3) -> Mutation:
    def mutate(details: Any) -> None:
        threshold = models.PredefinedExpressionThresholdScalingConfiguration
        _model(details).scaling_policy = models.AutoScalingPolicy(
            cool_down_in_seconds=cool_down,
            is_enabled=True,
            auto_scaling_policies=[
                models.ThresholdBasedAutoScalingPolicyDetails(
                    minimum_instance_count=minimum,
                    maximum_instance_count=maximum,
                    initial_instance_count=minimum,
                    rules=[
                        models.PredefinedMetricExpressionRule(
                            metric_type="CPU_UTILIZATION",
                            scale_in_configuration=threshold(threshold=30),
                            scale_out_configuration=threshold(threshold=70),
                        )
                    ],
                )
            ],
        )

    return mutate


def _set(path: str, value: Any) -> Mutation:
    """Set ``details.<path>`` bypassing setters (``_attr``), as raw JSON would."""

    def mutate(details: Any) -> None:
        *parents, last = path.split(".")
        node = details
        for part in parents:
            node = getattr(node, part)
        setattr(node, f"_{last}", value)

    return mutate


def _cmd_env(env: dict[str, str]) -> Mutation:
    def mutate(details: Any) -> None:
        _env(details).environment_variables = env

    return mutate


def _command(extra: int) -> Mutation:
    def mutate(details: Any) -> None:
        _env(details).entrypoint = ["x" * extra]

    return mutate


ENV = "modelDeploymentConfigurationDetails.environmentConfigurationDetails"
MODEL = "modelDeploymentConfigurationDetails.modelConfigurationDetails"
CFG = "model_deployment_configuration_details"

VIOLATIONS: list[tuple[str, Mutation, str]] = [
    (
        "serverPort 24224",
        _set(f"{CFG}.environment_configuration_details.server_port", 24224),
        f"{ENV}.serverPort",
    ),
    (
        "serverPort 1000",
        _set(f"{CFG}.environment_configuration_details.server_port", 1000),
        f"{ENV}.serverPort",
    ),
    (
        "healthCheckPort 8447",
        _set(f"{CFG}.environment_configuration_details.health_check_port", 8447),
        f"{ENV}.healthCheckPort",
    ),
    ("env key starting with a digit", _cmd_env({"1ABC": "x"}), f"{ENV}.environmentVariables.1ABC"),
    ("env key with a hyphen", _cmd_env({"A-B": "x"}), f"{ENV}.environmentVariables.A-B"),
    (
        "reserved env key",
        _cmd_env({"MODEL_DEPLOYMENT_OCID": "x"}),
        f"{ENV}.environmentVariables.MODEL_DEPLOYMENT_OCID",
    ),
    ("env over 2048 bytes", _cmd_env({"BIG": "x" * 2048}), f"{ENV}.environmentVariables"),
    ("CMD+ENTRYPOINT over 2048 bytes", _command(2048), f"{ENV}.cmd"),
    (
        "image outside OCIR",
        _set(f"{CFG}.environment_configuration_details.image", "docker.io/me/tei:1"),
        f"{ENV}.image",
    ),
    (
        "unknown shape",
        _set(
            f"{CFG}.model_configuration_details.instance_configuration.instance_shape_name",
            "VM.Nope.1",
        ),
        f"{MODEL}.instanceConfiguration.instanceShapeName",
    ),
    ("E4.Flex 4 GB per OCPU", _flex(1, 4), "modelDeploymentInstanceShapeConfigDetails.memoryInGBs"),
    (
        "E4.Flex 80 GB per OCPU",
        _flex(1, 80),
        "modelDeploymentInstanceShapeConfigDetails.memoryInGBs",
    ),
    ("E4.Flex 65 OCPUs", _flex(65, 512), "modelDeploymentInstanceShapeConfigDetails.ocpus"),
    (
        "policyType NOPE",
        lambda d: setattr(_model(d), "scaling_policy", _fixed_nope()),
        f"{MODEL}.scalingPolicy.policyType",
    ),
    (
        "instanceCount 0",
        _set(f"{CFG}.model_configuration_details.scaling_policy", None)
        if False
        else (
            lambda d: setattr(
                _model(d), "scaling_policy", models.FixedSizeScalingPolicy(instance_count=0)
            )
        ),
        f"{MODEL}.scalingPolicy.instanceCount",
    ),
    (
        "environmentConfigurationType WHATEVER",
        _set(f"{CFG}.environment_configuration_details.environment_configuration_type", "WHATEVER"),
        f"{ENV}.environmentConfigurationType",
    ),
    ("autoscaling cool-down 60 s", _autoscaling(60), "coolDownInSeconds"),
    (
        "autoscaling minimum above maximum",
        _autoscaling(300, minimum=3, maximum=2),
        "maximumInstanceCount",
    ),
    (
        "bandwidth 0 Mbps",
        _set(f"{CFG}.model_configuration_details.bandwidth_mbps", 0),
        f"{MODEL}.bandwidthMbps",
    ),
    (
        "maximum bandwidth below minimum",
        _set(f"{CFG}.model_configuration_details.maximum_bandwidth_mbps", 5),
        f"{MODEL}.maximumBandwidthMbps",
    ),
    (
        "custom endpoint without methods",
        lambda d: setattr(
            _env(d),
            "custom_http_endpoints",
            [models.InferenceHttpEndpoint(endpoint_uri_suffix="/embed", http_methods=[])],
        ),
        "customHttpEndpoints[0].httpMethods",
    ),
]


def _fixed_nope() -> Any:
    policy = models.FixedSizeScalingPolicy(instance_count=1)
    policy._policy_type = "NOPE"  # the setter would refuse it; a raw JSON client would not
    return policy


def _valid(model_id: str) -> Any:
    return _deployment_details(model_id, IMAGE, SHAPE, GOOD_CMD)


@pytest.mark.parametrize(("rule", "mutate", "field"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_violation_is_400_invalid_parameter_naming_the_field(
    model_in_catalog, rule: str, mutate: Mutation, field: str
) -> None:
    _emu, ds, model = model_in_catalog
    details = copy.deepcopy(_valid(model.id))
    mutate(details)
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.create_model_deployment(details)
    assert (info.value.status, info.value.code) == (400, "InvalidParameter")
    assert field in info.value.message
    assert all_items(ds.list_model_deployments, COMPARTMENT) == []  # nothing stored


def test_the_valid_body_passes_and_the_valid_limits_too(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    for mutate in (_flex(1, 6), _flex(64, 1024), _autoscaling(300), _cmd_env({"A1": ""})):
        details = copy.deepcopy(_valid(model.id))
        mutate(details)
        created = ds.create_model_deployment(details)
        assert created.status == 200
        assert created.data.lifecycle_state == "CREATING"


def test_the_project_must_exist_and_the_model_be_active(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    details = _valid(model.id)
    details.project_id = "ocid1.datascienceproject.oc1.iad.aaaaaaaamissing"
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.create_model_deployment(details)
    assert (info.value.status, info.value.code) == (404, "NotAuthorizedOrNotFound")
    assert "project" in info.value.message
    ds.deactivate_model(model.id)
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.create_model_deployment(_valid(model.id))
    assert (info.value.status, info.value.code) == (400, "InvalidParameter")
    assert "INACTIVE" in info.value.message
    ds.activate_model(model.id)
    assert ds.create_model_deployment(_valid(model.id)).status == 200


def test_a_missing_log_is_404_at_create(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    details = _valid(model.id)
    details.category_log_details = models.CategoryLogDetails(
        predict=models.LogDetails(log_group_id="ocid1.loggroup.oc1..g", log_id="no-such-log")
    )
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.create_model_deployment(details)
    assert (info.value.status, info.value.code) == (404, "NotAuthorizedOrNotFound")
    assert "predict log no-such-log" in info.value.message


def test_an_unreadable_object_version_fails_the_deployment(model_in_catalog) -> None:
    emu, ds, _ = model_in_catalog
    model = ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    reference = {
        "version": "1.0",
        "type": "modelOSSReferenceDescription",
        "models": [
            {
                "namespace": emu.namespace,
                "bucketName": "models",
                "prefix": "minilm",
                "objects": [{"name": "minilm/config.json", "version": "no-such-version"}],
            }
        ],
    }
    import json

    ds.create_model_artifact(model.id, json.dumps(reference).encode())
    created = ds.create_model_deployment(_valid(model.id))
    assert _wait(ds, created.headers["opc-work-request-id"]).status == "FAILED"
    deployment = ds.get_model_deployment(created.data.id).data
    assert deployment.lifecycle_state == "FAILED"
    assert "cannot be read" in deployment.lifecycle_details


def test_a_reference_without_namespace_fails_the_deployment_with_the_reason(
    model_in_catalog,
) -> None:
    """Never stuck CREATING: OCI fails the work request, saying why."""
    _emu, ds, _ = model_in_catalog
    model = ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    artifact = b'{"version": "1.0", "type": "modelOSSReferenceDescription", "models": [{"bucketName": "models", "prefix": "m"}]}'
    ds.create_model_artifact(model.id, artifact)
    created = ds.create_model_deployment(_valid(model.id))
    request = _wait(ds, created.headers["opc-work-request-id"])
    assert request.status == "FAILED"
    deployment = ds.get_model_deployment(created.data.id).data
    assert deployment.lifecycle_state == "FAILED"
    assert "namespace and bucketName" in deployment.lifecycle_details


def test_every_list_paginates_and_the_helper_reads_every_page(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog  # the tests' emulators use page size 1
    ids = {ds.create_model_deployment(_valid(model.id)).data.id for _ in range(3)}
    first = ds.list_model_deployments(COMPARTMENT)
    assert len(first.data) == 1
    assert first.has_next_page
    assert {item.id for item in all_items(ds.list_model_deployments, COMPARTMENT)} == ids
    assert len(ds.list_model_deployments(COMPARTMENT, limit=10).data) == 3
    assert len(all_items(ds.list_work_requests, COMPARTMENT)) == 3
    wr = next(iter(all_items(ds.list_work_requests, COMPARTMENT)))
    logs = all_items(ds.list_work_request_logs, wr.id)
    assert len(logs) > 1
    assert len(ds.list_work_request_logs(wr.id).data) == 1


def test_etags_change_only_with_the_resource_and_if_match_is_honoured(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    assert ds.get_model(model.id).headers["etag"] == ds.get_model(model.id).headers["etag"]
    etag = ds.get_model(model.id).headers["etag"]
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.update_model(model.id, models.UpdateModelDetails(display_name="x"), if_match="stale")
    assert (info.value.status, info.value.code) == (412, "NoEtagMatch")
    updated = ds.update_model(model.id, models.UpdateModelDetails(display_name="x"), if_match=etag)
    assert updated.headers["etag"] != etag
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.delete_model(model.id, if_match=etag)
    assert info.value.status == 412


def test_the_same_retry_token_returns_the_first_resource(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    first = ds.create_model_deployment(_valid(model.id), opc_retry_token="token-1")
    again = ds.create_model_deployment(_valid(model.id), opc_retry_token="token-1")
    assert again.data.id == first.data.id
    assert again.headers["opc-work-request-id"] == first.headers["opc-work-request-id"]
    assert len(all_items(ds.list_model_deployments, COMPARTMENT)) == 1


def test_a_create_whose_answer_is_lost_is_retried_into_one_deployment(emulator, oci_config) -> None:
    emu = emulator(drop_create_answers=1)
    _, ds = _clients(emu, oci_config)
    model = ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    ds.create_model_artifact(model.id, _by_reference_artifact(emu.namespace, "models", "m"))
    created = ds.create_model_deployment(
        _valid(model.id), opc_retry_token="lost-1", retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY
    )
    assert [item.id for item in all_items(ds.list_model_deployments, COMPARTMENT)] == [
        created.data.id
    ]


def test_a_failed_deployment_refuses_updates_with_409(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    unfit = _deployment_details(model.id, "iad.ocir.io/t/tei:hopper-1.5", SHAPE, GOOD_CMD)
    created = ds.create_model_deployment(unfit)  # a GPU image on a CPU shape: FAILED
    _wait(ds, created.headers["opc-work-request-id"])
    assert ds.get_model_deployment(created.data.id).data.lifecycle_state == "FAILED"
    update = models.UpdateModelDeploymentDetails(display_name="renamed")
    with pytest.raises(oci.exceptions.ServiceError) as info:
        # The SDK retries 409 IncorrectState by default (it may be transient): not here.
        ds.update_model_deployment(
            created.data.id, update, retry_strategy=oci.retry.NoneRetryStrategy()
        )
    assert (info.value.status, info.value.code) == (409, "IncorrectState")


def test_the_sdk_allowed_values_match_the_contract() -> None:
    """The contract's enumerations are the SDK models' allowed values (the source)."""
    from oci_tei.contract._scaling import ENUMS

    sources = {
        "deploymentType": models.ModelDeploymentConfigurationDetails,
        "environmentConfigurationType": models.ModelDeploymentEnvironmentConfigurationDetails,
        "policyType": models.ScalingPolicy,
        "metricType": models.PredefinedMetricExpressionRule,
        "scalingConfigurationType": models.ScalingConfiguration,
        "cpuBaseline": models.ModelDeploymentInstanceShapeConfigDetails,
        "networkAccessType": models.InstanceConfiguration,
    }
    for name, cls in sources.items():
        constants = {
            value
            for attr, value in vars(cls).items()
            if attr.isupper() and isinstance(value, str) and attr.startswith(_prefix(name))
        }
        assert constants == set(ENUMS[name]), name


def _prefix(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_"
