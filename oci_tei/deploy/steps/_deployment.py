"""The model deployment, created with oracle-ads, or an earlier run's resumed or updated.

A re-run finds the deployment an earlier run of the same spec made (by its ownership tag)
and continues with it when it is ACTIVE or still in progress; anything else (FAILED, made
from another version of the spec, INACTIVE) is refused with what to do. When the live
deployment no longer matches the spec (:mod:`oci_tei.deploy.manage`'s drift), the
difference is printed; ``--update`` applies it as OCI allows, otherwise nothing changes.
"""

from __future__ import annotations

import uuid
from typing import Any

from oci_tei.contract._updates import UPDATABLE_STATES
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.manage import Drift, apply_drift, find_drift
from oci_tei.deploy.spec import (
    INFERENCE_ROUTES,
    SPEC_HASH_TAG,
    DeploySpec,
    choose_image,
    container_env,
    deployment_display_name,
    model_path_in_container,
    tei_command,
)
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step
from oci_tei.deploy.steps._wait import IN_PROGRESS_STATES

__all__ = ["CreateDeployment", "create_deployment", "resumable_deployment"]


def create_deployment(
    session: DeploySession, spec: DeploySpec, model_id: str, image_digest: str | None = None
) -> str:
    """Create the deployment (no waiting); returns its OCID.

    The details are oracle-ads' (:func:`~oci_tei.deploy.spec._ads_resources.deployment_details`)
    plus the declared routes. The create carries an ``opc-retry-token`` and the SDK's
    default retry strategy: when its answer is lost (a dropped connection), the retry
    returns the deployment the first call made instead of making a second one.
    """
    import oci

    from oci_tei.deploy.spec._ads_resources import deployment_details

    session.configure()
    details = deployment_details(spec, model_id, image_digest)
    response = session.data_science(spec.region).create_model_deployment(
        details,
        opc_retry_token=uuid.uuid4().hex,
        retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY,
    )
    return str(response.data.id)


def resumable_deployment(spec: DeploySpec, existing: Any) -> str:
    """The OCID of an earlier run's deployment (a full record) to continue with.

    Raises:
        DeployError: It FAILED, was made from another version of the spec, or is in a
            state a deploy cannot continue from.
    """
    state = existing.lifecycle_state
    tags = existing.freeform_tags or {}
    if state == "FAILED":
        raise DeployError(
            f"deployment {existing.id} made from this spec FAILED: "
            f"{existing.lifecycle_details or 'no reason given'}; see `oci-tei logs`, then "
            "`oci-tei delete` it and deploy again",
            step="deployment",
        )
    if tags.get(SPEC_HASH_TAG) != spec.spec_hash():
        raise DeployError(
            f"deployment {existing.id} was made from another version of this spec (hash "
            f"{tags.get(SPEC_HASH_TAG)}, now {spec.spec_hash()}) and is {state}: wait until it "
            "is ACTIVE, then `oci-tei deploy --update` applies the difference",
            step="deployment",
        )
    if state not in ("ACTIVE", *IN_PROGRESS_STATES):
        hint = "`oci-tei start` it" if state == "INACTIVE" else "activate it in the console"
        raise DeployError(
            f"deployment {existing.id} is {state}; {hint} or delete it",
            step="deployment",
        )
    return str(existing.id)


class CreateDeployment(Step):
    """Create the deployment, or resume or update the one an earlier run made."""

    key = "deployment"
    label = "deployment"

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """Everything the deployment is created with."""
        image = choose_image(spec)
        infra = spec.infrastructure
        inputs: dict[str, object] = {
            "display_name": deployment_display_name(spec),
            "shape": infra.shape,
        }
        if infra.ocpus is not None:
            inputs["shape config"] = f"{infra.ocpus:g} OCPUs, {infra.memory_in_gbs:g} GB"
        inputs["image"] = image.target
        if image.needs_push:
            inputs["image source"] = f"{image.source} (push it first: oci-tei image SPEC)"
        if infra.autoscaling is not None:
            scaling = infra.autoscaling
            unit = {"predict_request_count": "/min", "predict_latency": " ms"}.get(
                scaling.metric, "%"
            )
            rule = (
                "the queries in the spec"
                if scaling.metric == "custom"
                else f"{scaling.scale_in_threshold}{unit}..{scaling.scale_out_threshold}{unit}"
            )
            inputs["replicas"] = (
                f"{infra.replicas} initially, autoscaling {scaling.min_replicas}.."
                f"{scaling.max_replicas} on {scaling.metric} ({rule})"
            )
        else:
            inputs["replicas"] = infra.replicas
        inputs["bandwidth_mbps"] = infra.bandwidth_mbps
        if infra.private_endpoint_id is not None:
            inputs["private endpoint"] = (
                f"{infra.private_endpoint_id} (predict on its private FQDN only)"
            )
        if infra.subnet_id is not None:
            inputs["subnet"] = f"{infra.subnet_id} ({infra.access_type})"
        if infra.web_concurrency is not None:
            inputs["web_concurrency"] = infra.web_concurrency
        for kind in ("access", "predict"):
            log = getattr(spec.logs, kind)
            if log is not None:
                inputs[f"{kind} log"] = f"{log.log_id} (group {log.log_group_id})"
        inputs["model path"] = model_path_in_container(spec)
        inputs["cmd"] = tei_command(spec)
        inputs["env"] = container_env(spec)
        inputs["ports"] = f"server {spec.container.port}, health {spec.container.port}"
        inputs["custom http endpoints"] = ", ".join(f"POST {route}" for route in INFERENCE_ROUTES)
        inputs["mode"] = "HTTPS_ONLY"
        inputs["freeform_tags"] = {**spec.freeform_tags, **spec.ownership_tags()}
        return PlannedStep(
            self.key,
            "Create the model deployment (oracle-ads ModelDeployment), or resume ours",
            inputs,
        )

    def headline(self, run: DeployRun) -> str | None:
        """``creating`` for a new deployment; a resumed one has its own line."""
        return "creating" if run.existing is None else None

    def run(self, run: DeployRun) -> None:
        """``run.deployment_id``."""
        session, spec = run.session, run.spec
        if run.existing is None:
            if run.model_id is None:
                raise DeployError("no model to deploy: the model step did not run", step=self.key)
            run.deployment_id = create_deployment(
                session, spec, run.model_id, run.extra.get("image_digest")
            )
        else:
            record = run.existing
            drift = None
            hash_now = (record.freeform_tags or {}).get(SPEC_HASH_TAG)
            if record.lifecycle_state in UPDATABLE_STATES and hash_now != spec.spec_hash():
                drift = find_drift(session, spec, record)
            if drift is None:
                run.deployment_id = resumable_deployment(spec, record)
                prepared = run.pipeline.span(self.key)
                run.echo(
                    f"{prepared} found this spec's deployment ({record.lifecycle_state}); resuming"
                )
            else:
                run.deployment_id = self._update(run, drift)
        run.echo(f"  deployment {run.deployment_id}")

    @staticmethod
    def _update(run: DeployRun, drift: Drift) -> str:
        """Show how the live deployment differs from the spec; apply it with ``--update``."""
        for line in drift.describe():
            run.echo(line)
        if not run.options.update:
            raise DeployError(
                f"deployment {drift.deployment.id} does not match the spec; nothing was "
                "changed: re-run with --update to apply the difference as shown",
                step="deployment",
            )

        def prepare_model() -> str:
            run.pipeline.prepare(run)
            if run.model_id is None:
                raise DeployError("the model step made no model", step="model")
            return run.model_id

        return apply_drift(
            run.session,
            run.spec,
            drift,
            prepare_model=prepare_model,
            timeout_s=run.options.timeout_s,
        )
