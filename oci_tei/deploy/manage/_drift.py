"""A spec its live deployment no longer matches: the difference, and ``--update``.

``oci-tei deploy`` prints the difference; with ``--update`` it applies it the way OCI
allows.

The spec's deployment (the CreateModelDeploymentDetails deploy would send) is compared
field by field with the live record (:mod:`oci_tei.contract._changes`). OCI changes a live
(ACTIVE or NEEDS_ATTENTION) deployment one group at a time without downtime: instance
shape, count and model; the load-balancer bandwidth; the logs. Anything else (the
container's image, command, environment, ports, autoscaling...) changes only while the
deployment is INACTIVE (the SDK's ``update_model_deployment`` docstring), so ``--update``
deactivates it, updates it and activates it again, which means downtime, and says so.

Without ``--update`` nothing changes: deploy prints the difference and what ``--update``
would do, and stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oci_tei.contract._changes import Difference, differences
from oci_tei.contract._updates import LIVE_UPDATE_GROUPS, METADATA_FIELDS, group_of
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession, backoff
from oci_tei.deploy.spec import DeploySpec

__all__ = ["Drift", "apply_drift", "find_drift"]

_NEW_MODEL = "ocid1.datasciencemodel.oc1..new-model-by-reference"


@dataclass(frozen=True)
class Drift:
    """How a live deployment differs from its spec.

    Attributes:
        deployment: The live record.
        changes: ``(field, live value, spec value)`` for each field that differs.
        new_model: The spec's model files or source changed: steps 1-3 make a new model.
    """

    deployment: Any
    changes: tuple[Difference, ...]
    new_model: bool

    @property
    def offline(self) -> list[str]:
        """Changed fields that OCI changes only while the deployment is INACTIVE."""
        return [
            field
            for field, _, _ in self.changes
            if field not in METADATA_FIELDS and group_of(field) is None
        ]

    @property
    def groups(self) -> list[str]:
        """The live-update groups the changes touch, in the order they are applied."""
        touched = {group_of(field) for field, _, _ in self.changes}
        return [group for group in LIVE_UPDATE_GROUPS if group in touched]

    def describe(self) -> list[str]:
        """The difference, and what ``--update`` does about it."""
        lines = [f"deployment {self.deployment.id} differs from its spec:"]
        for field, live, wanted in self.changes:
            if field == "modelId" and self.new_model:
                wanted = "a new model by reference (the spec's model or artifact changed)"
            lines.append(f"  {field}: {_short(live)} -> {_short(wanted)}")
        if self.offline:
            lines.append(
                f"  --update: {', '.join(self.offline)} change only while INACTIVE: deactivate, "
                "update, activate again; the endpoint is DOWN meanwhile (minutes on GPU shapes)"
            )
        else:
            groups = " then ".join(self.groups) or "metadata"
            lines.append(f"  --update: live, without downtime, one update per group ({groups})")
        return lines


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _wire(session: DeploySession, model: Any) -> Any:
    return session.data_science().base_client.sanitize_for_serialization(model)


def _model_matches(session: DeploySession, spec: DeploySpec, model_id: str) -> bool:
    tags = session.data_science().get_model(model_id).data.freeform_tags or {}
    return all(tags.get(key) == value for key, value in spec.model_tags().items())


def _pinned(spec: DeploySpec, deployment: Any) -> str | None:
    """The digest the spec wants: its own pin, else the one the deployment runs.

    A digest deploy pinned from the tag is no drift; a spec that pins another one is.
    """
    environment = (
        deployment.model_deployment_configuration_details.environment_configuration_details
    )
    return spec.container.image_digest or getattr(environment, "image_digest", None)


def find_drift(session: DeploySession, spec: DeploySpec, deployment: Any) -> Drift | None:
    """How ``deployment`` differs from ``spec`` (None when it does not)."""
    from oci_tei.deploy.spec._ads_resources import deployment_details

    config = deployment.model_deployment_configuration_details.model_configuration_details
    new_model = not _model_matches(session, spec, config.model_id)
    wanted = deployment_details(
        spec, _NEW_MODEL if new_model else config.model_id, _pinned(spec, deployment)
    )
    changes = differences(_wire(session, wanted), _wire(session, deployment))
    return Drift(deployment, tuple(changes), new_model) if changes else None


def apply_drift(
    session: DeploySession,
    spec: DeploySpec,
    drift: Drift,
    *,
    prepare_model: Callable[[], str],
    timeout_s: float,
) -> str:
    """Bring the deployment to the spec as OCI allows; returns its OCID (ACTIVE or activating).

    Args:
        session: Clients, output and pacing.
        spec: The spec.
        drift: From :func:`find_drift`.
        prepare_model: Runs steps 1-3 (download, upload, model); returns the model's OCID.
        timeout_s: How long each wait may take.
    """
    from oci_tei.deploy.spec._ads_resources import deployment_details
    from oci_tei.deploy.steps._wait import wait_until_active  # steps import manage: lazily

    deployment = drift.deployment
    model_id = (
        deployment.model_deployment_configuration_details.model_configuration_details.model_id
    )
    if drift.new_model:
        model_id = prepare_model()
    wanted = deployment_details(spec, model_id, _pinned(spec, deployment))
    client = session.data_science()
    fields = {field for field, _, _ in drift.changes}
    if drift.offline:
        session.echo(
            f"[update] {', '.join(drift.offline)} change only while INACTIVE: deactivating "
            "(the endpoint is down until it is ACTIVE again)"
        )
        if deployment.lifecycle_state != "INACTIVE":
            client.deactivate_model_deployment(deployment.id)
            _wait_for(session, deployment.id, "INACTIVE", timeout_s)
        client.update_model_deployment(deployment.id, _update_details(wanted, fields))
        session.echo("[update] updated; activating")
        client.activate_model_deployment(deployment.id)
        return str(deployment.id)
    groups = drift.groups or ["metadata"]
    for index, group in enumerate(groups, start=1):
        in_group = {field for field in fields if group_of(field) == group}
        if index == 1:
            in_group |= fields & set(METADATA_FIELDS)  # metadata rides with the first update
        session.echo(f"[update {index}/{len(groups)}] {group}: {', '.join(sorted(in_group))}")
        response = client.update_model_deployment(deployment.id, _update_details(wanted, in_group))
        wait_until_active(
            session,
            deployment.id,
            deployment.compartment_id,
            timeout_s=timeout_s,
            work_request_id=response.headers.get("opc-work-request-id"),
        )
    return str(deployment.id)


def _update_details(wanted: Any, fields: set[str]) -> Any:
    """An UpdateModelDeploymentDetails carrying ``fields`` of the spec's create details."""
    import oci

    models = oci.data_science.models
    config = wanted.model_deployment_configuration_details
    model = config.model_configuration_details
    update_model = models.UpdateModelConfigurationDetails(model_id=model.model_id)
    if fields & {"instanceShapeName", "instanceShapeConfigDetails"} or any(
        field.startswith("instanceConfiguration.") for field in fields
    ):
        update_model.instance_configuration = model.instance_configuration
    if fields & {"instanceCount", "scalingPolicy"}:
        update_model.scaling_policy = model.scaling_policy
    if "bandwidthMbps" in fields:
        update_model.bandwidth_mbps = model.bandwidth_mbps
    if "maximumBandwidthMbps" in fields:
        update_model.maximum_bandwidth_mbps = model.maximum_bandwidth_mbps
    environment = None
    if any(field.startswith("environmentConfigurationDetails.") for field in fields):
        source = config.environment_configuration_details
        environment = models.UpdateOcirModelDeploymentEnvironmentConfigurationDetails()
        for attr in environment.swagger_types:
            if attr in source.swagger_types:
                setattr(environment, attr, getattr(source, attr))
    details = models.UpdateModelDeploymentDetails(
        model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
            deployment_type="SINGLE_MODEL",
            model_configuration_details=update_model,
            environment_configuration_details=environment,
        )
    )
    for wire, attr in (
        ("displayName", "display_name"),
        ("description", "description"),
        ("freeformTags", "freeform_tags"),
        ("definedTags", "defined_tags"),
    ):
        if wire in fields:
            setattr(details, attr, getattr(wanted, attr))
    if "categoryLogDetails" in fields and wanted.category_log_details is not None:
        logs = wanted.category_log_details
        details.category_log_details = models.UpdateCategoryLogDetails(
            access=logs.access, predict=logs.predict
        )
    return details


def _wait_for(session: DeploySession, deployment_id: str, state: str, timeout_s: float) -> None:
    """Poll until the deployment is in ``state``.

    Raises:
        DeployError: Another settled state, or still not there after ``timeout_s``.
    """
    deadline = session.clock() + timeout_s
    for delay in backoff(session.poll_interval_s):
        now = session.data_science().get_model_deployment(deployment_id).data.lifecycle_state
        if now == state:
            return
        if now in ("FAILED", "DELETED", "DELETING"):
            raise DeployError(f"deployment {deployment_id} is {now}, not {state}", step="update")
        if session.clock() >= deadline:
            raise DeployError(
                f"deployment {deployment_id} still {now} after {timeout_s / 60:.0f} min",
                step="update",
            )
        session.sleep(delay)
