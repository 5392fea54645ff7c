"""The oracle-ads objects for a spec, built exactly as the seed walkthrough builds them.

Building makes no OCI call: the deployment objects are plain builders until ``deploy()``.
The one exception oracle-ads has, a notebook-session lookup for default shape settings
when ``NB_SESSION_OCID`` is set, is switched off (every field it would default is set
from the spec), so ``--dry-run`` stays offline inside OCI notebooks too.
``DataScienceModel`` builds an OCI client in its constructor (it needs auth), so the model
is only built by the executing path; the dry run shows its inputs in the plan instead.
"""

from __future__ import annotations

from typing import Any

from ads.model.deployment import (
    ModelDeployment,
    ModelDeploymentContainerRuntime,
    ModelDeploymentInfrastructure,
    ModelDeploymentMode,
)

from oci_tei.deploy.spec._document import Autoscaling, DeploySpec
from oci_tei.deploy.spec._image_choice import choose_image
from oci_tei.deploy.spec._naming import deployment_description, deployment_display_name
from oci_tei.deploy.spec._tei_command import INFERENCE_ROUTES, container_env, tei_command

__all__ = [
    "MODEL_ID_PLACEHOLDER",
    "build_deployment",
    "build_infrastructure",
    "build_model",
    "build_runtime",
    "custom_scaling_policy",
]

# Stands for the model the deploy creates. It starts with "ocid" on purpose: oracle-ads
# treats any other model URI as a local path to upload, and OCI rejects this one outright.
MODEL_ID_PLACEHOLDER = "ocid1.datasciencemodel.oc1..<created-by-oci-tei-deploy>"


class _OfflineInfrastructure(ModelDeploymentInfrastructure):  # type: ignore[misc]
    """``ModelDeploymentInfrastructure`` without the notebook-session default lookup."""

    def _load_default_properties(self) -> dict[str, Any]:
        # The parent asks OCI for the notebook's shape when NB_SESSION_OCID is set.
        return {}


def build_infrastructure(spec: DeploySpec) -> Any:
    """The ``ModelDeploymentInfrastructure``: project, compartment, shape, scaling, logs."""
    infra = spec.infrastructure
    infrastructure = (
        _OfflineInfrastructure()
        .with_project_id(spec.project_id)
        .with_compartment_id(spec.compartment_id)
        .with_shape_name(infra.shape)
        .with_bandwidth_mbps(infra.bandwidth_mbps)
        .with_replica(infra.replicas)
    )
    if infra.ocpus is not None and infra.memory_in_gbs is not None:
        infrastructure.with_shape_config_details(
            ocpus=infra.ocpus, memory_in_gbs=infra.memory_in_gbs
        )
    if infra.web_concurrency is not None:
        infrastructure.with_web_concurrency(infra.web_concurrency)
    if infra.subnet_id is not None:
        infrastructure.with_subnet_id(infra.subnet_id)
    if infra.private_endpoint_id is not None:
        infrastructure.with_private_endpoint_id(infra.private_endpoint_id)
    if infra.autoscaling is not None and not infra.autoscaling.custom_metric:
        # Custom-metric rules are beyond ADS's builder: deployment_details adds them.
        scaling = infra.autoscaling
        infrastructure.with_auto_scaling(
            scaling_type=scaling.metric,
            minimum_instance_count=scaling.min_replicas,
            maximum_instance_count=scaling.max_replicas,
            initial_instance_count=infra.replicas,
            scale_in_threshold=scaling.scale_in_threshold,
            scale_out_threshold=scaling.scale_out_threshold,
            cool_down_in_seconds=scaling.cool_down_seconds,
        )
    if spec.logs.access is not None:
        infrastructure.with_access_log(
            log_group_id=spec.logs.access.log_group_id, log_id=spec.logs.access.log_id
        )
    if spec.logs.predict is not None:
        infrastructure.with_predict_log(
            log_group_id=spec.logs.predict.log_group_id, log_id=spec.logs.predict.log_id
        )
    return infrastructure


def build_runtime(spec: DeploySpec, model_id: str, image_digest: str | None = None) -> Any:
    """The ``ModelDeploymentContainerRuntime``: image, ports, env, cmd, HTTPS, model, region.

    ``image_digest`` (else the spec's ``container.image_digest``) goes to the container
    configuration's ``image_digest`` (``OcirModelDeploymentEnvironmentConfigurationDetails``:
    "The digest of the container image"), so a tag moved later cannot change what runs.
    """
    runtime = (
        ModelDeploymentContainerRuntime()
        .with_image(choose_image(spec).target)
        .with_server_port(spec.container.port)
        .with_health_check_port(spec.container.port)
        .with_env(container_env(spec))
        .with_cmd(tei_command(spec))
        .with_deployment_mode(ModelDeploymentMode.HTTPS)
        .with_model_uri(model_id)
        .with_region(spec.region)
    )
    digest = image_digest or spec.container.image_digest
    if digest:
        runtime.with_image_digest(digest)
    return runtime


def build_deployment(
    spec: DeploySpec, model_id: str = MODEL_ID_PLACEHOLDER, image_digest: str | None = None
) -> Any:
    """The ``ModelDeployment``, ready for ``deploy()`` once ``model_id`` is real.

    Args:
        spec: A validated spec.
        model_id: The model's OCID; the placeholder for a dry run.
        image_digest: The image's digest to pin (else the spec's ``container.image_digest``).
    """
    tags = {**spec.freeform_tags, **spec.ownership_tags()}
    return (
        ModelDeployment()
        .with_display_name(deployment_display_name(spec))
        .with_description(deployment_description(spec))
        .with_freeform_tags(**tags)
        .with_infrastructure(build_infrastructure(spec))
        .with_runtime(build_runtime(spec, model_id, image_digest))
    )


def deployment_details(spec: DeploySpec, model_id: str, image_digest: str | None = None) -> Any:
    """The ``CreateModelDeploymentDetails`` for the spec, with its declared routes.

    oracle-ads builds them as its ``deploy()`` would; it has no setting for the
    deployment's ``customHttpEndpoints``, ``networkAccessType`` or custom-metric
    autoscaling (ADS 2.16), so the routes the client calls
    (:data:`~oci_tei.deploy.spec._tei_command.INFERENCE_ROUTES`), the access type and a
    ``CUSTOM_EXPRESSION`` policy (:func:`custom_scaling_policy`) are added to its result.
    """
    import oci

    # ADS's own builder, the one its deploy() sends: private, so every emulated deploy test
    # exercises it (an oracle-ads upgrade that drops it fails them, not a user).
    details = build_deployment(spec, model_id, image_digest)._build_model_deployment_details()
    environment = details.model_deployment_configuration_details.environment_configuration_details
    environment.custom_http_endpoints = [
        oci.data_science.models.InferenceHttpEndpoint(
            endpoint_uri_suffix=route, http_methods=["POST"]
        )
        for route in INFERENCE_ROUTES
    ]
    model_config = details.model_deployment_configuration_details.model_configuration_details
    access_type = spec.infrastructure.access_type
    if access_type is not None:
        model_config.instance_configuration.network_access_type = access_type
    scaling = spec.infrastructure.autoscaling
    if scaling is not None and scaling.custom_metric:
        model_config.scaling_policy = custom_scaling_policy(scaling, spec.infrastructure.replicas)
    return details


def custom_scaling_policy(scaling: Autoscaling, replicas: int) -> Any:
    """The SDK's ``AutoScalingPolicy`` with one ``CUSTOM_EXPRESSION`` rule for ``scaling``.

    The structure OCI documents (SDK ``AutoScalingPolicy`` >
    ``ThresholdBasedAutoScalingPolicyDetails`` > ``CustomMetricExpressionRule`` with a
    ``QUERY`` configuration each way); one instance is added or removed per action.
    """
    import oci

    models = oci.data_science.models
    scale_in, scale_out = scaling.queries()

    def configuration(text: str) -> Any:
        return models.CustomExpressionQueryScalingConfiguration(
            scaling_configuration_type="QUERY",
            query=text,
            pending_duration=scaling.pending_duration,
            instance_count_adjustment=1,
        )

    rule = models.CustomMetricExpressionRule(
        metric_expression_rule_type="CUSTOM_EXPRESSION",
        scale_in_configuration=configuration(scale_in),
        scale_out_configuration=configuration(scale_out),
    )
    return models.AutoScalingPolicy(
        policy_type="AUTOSCALING",
        cool_down_in_seconds=scaling.cool_down_seconds,
        is_enabled=True,
        auto_scaling_policies=[
            models.ThresholdBasedAutoScalingPolicyDetails(
                auto_scaling_policy_type="THRESHOLD",
                minimum_instance_count=scaling.min_replicas,
                maximum_instance_count=scaling.max_replicas,
                initial_instance_count=replicas,
                rules=[rule],
            )
        ],
    )


def build_model(spec: DeploySpec) -> Any:
    """The ``DataScienceModel`` by reference to the artifact (needs auth: ADS builds a client).

    Call ``create(model_by_reference=True)`` on it, as the seed does.
    """
    from ads.model.datascience_model import DataScienceModel

    return (
        DataScienceModel()
        .with_compartment_id(spec.compartment_id)
        .with_project_id(spec.project_id)
        .with_display_name(spec.model.label)
        .with_artifact(spec.artifact.uri)
        .with_freeform_tags(**{**spec.freeform_tags, **spec.model_tags()})
    )
