"""The deploy pipeline: the steps that call OCI, in order, each from its own module.

========  ===========================================  ==================================
step      what                                         module
========  ===========================================  ==================================
1         the model files (Hub cache, path, package)   :mod:`~oci_tei.deploy.download`
2         upload to the versioned bucket               :mod:`~oci_tei.deploy.upload`
3         the model by reference                       :mod:`~oci_tei.deploy.model`
4         the model deployment (or an earlier run's,   :mod:`~oci_tei.deploy.deployment`,
          updated to the spec with ``--update``)       :mod:`~oci_tei.deploy.drift`
5         wait until ACTIVE, showing work requests     :mod:`~oci_tei.deploy.progress`
6         smoke test, then the usage snippets          :mod:`~oci_tei.deploy.smoke`,
                                                       :mod:`~oci_tei.deploy.snippets`
========  ===========================================  ==================================

:class:`DeployExecutor` only sequences them; everything before it
(:mod:`~oci_tei.deploy.plan`) is offline, and the commands on a live deployment (status,
logs, scale, delete) live apart in :mod:`oci_tei.deploy.manage`. Re-running ``deploy`` is
safe: each step finds what an earlier run made (cached download, identical objects
skipped, the model and deployment found by their tags) and continues from there.

It is exercised against the OCI emulator, through the real oracle-ads and oci SDK code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from oci_tei.contract._updates import UPDATABLE_STATES
from oci_tei.deploy.client_options import (
    TEI_DEFAULT_BATCH,
    TEI_DEFAULT_PAYLOAD,
    TEI_DEFAULT_PERMITS,
    client_options,
)
from oci_tei.deploy.connection import Connection
from oci_tei.deploy.container import predict_route
from oci_tei.deploy.deployment import create_deployment, resumable_deployment
from oci_tei.deploy.download import TEI_FILE_PATTERNS, resolve_model_dir
from oci_tei.deploy.drift import Drift, apply_drift, find_drift
from oci_tei.deploy.errors import DeployError
from oci_tei.deploy.lookup import find_deployment, get_deployment, predict_endpoint
from oci_tei.deploy.model import ensure_model
from oci_tei.deploy.plan import DEFAULT_WAIT_TIMEOUT_S, build_plan
from oci_tei.deploy.preflight import PreflightError, run_preflight
from oci_tei.deploy.progress import wait_until_active
from oci_tei.deploy.session import DeploySession
from oci_tei.deploy.smoke import smoke_test as run_smoke_test
from oci_tei.deploy.snippets import usage_snippets
from oci_tei.deploy.spec import SPEC_HASH_TAG, DeploySpec
from oci_tei.deploy.upload import ensure_versioned_bucket, upload_directory

__all__ = ["DeployExecutor", "DeployOutcome"]


@dataclass(frozen=True)
class DeployOutcome:
    """What ``deploy`` ended with (``--output-json`` writes it for scripts).

    Attributes:
        name: The spec's name (its ownership tag).
        deployment_id: The model deployment's OCID.
        model_id: The model's OCID.
        state: The lifecycle state when ``deploy`` returned (ACTIVE unless ``wait=False``).
        endpoint: The predict URL to give the client, LangChain or LlamaIndex.
        region: The deployment's region.
        dimension: The vector dimension the smoke test saw (None without it).
        batch_size: The client ``batch_size`` that fits the spec's TEI.
        max_request_bytes: The client ``max_request_bytes`` that fits it.
        server_permits: The client ``server_permits`` that fits it.
    """

    name: str
    deployment_id: str
    model_id: str
    state: str
    endpoint: str
    region: str
    dimension: int | None = None
    batch_size: int = TEI_DEFAULT_BATCH
    max_request_bytes: int = TEI_DEFAULT_PAYLOAD
    server_permits: int = TEI_DEFAULT_PERMITS

    def to_json(self) -> str:
        """The outcome as a JSON document."""
        return json.dumps(asdict(self), indent=2) + "\n"


class DeployExecutor:
    """Runs the deploy pipeline against OCI (or the emulator, via ``service_endpoint``).

    The arguments are those of :class:`~oci_tei.deploy.session.DeploySession`, which the
    steps share.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        echo: Callable[[str], None] = print,
        poll_interval_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = DeploySession(connection, echo, poll_interval_s, sleep, clock)

    @property
    def connection(self) -> Connection:
        """Identity and endpoint."""
        return self.session.connection

    def deploy(
        self,
        spec: DeploySpec,
        *,
        wait: bool = True,
        timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
        smoke_test: bool = True,
        preflight: bool = True,
        update: bool = False,
    ) -> DeployOutcome:
        """Run the plan: preflight, download, upload, model, deployment, wait, smoke test.

        ``preflight`` (:mod:`~oci_tei.deploy.preflight`) runs before anything is uploaded
        or created, and stops the deploy on what OCI would fail. When the spec's live
        deployment no longer matches the spec (:mod:`~oci_tei.deploy.drift`), the
        difference is printed; ``update`` applies it as OCI allows, otherwise nothing
        changes and :class:`DeployError` says what ``update`` would do.

        Raises:
            DeployError: A step failed; the message names it and says what to do.
        """
        session, echo = self.session, self.session.echo
        plan = build_plan(spec)
        for warning in plan.warnings:
            echo(f"warning: {warning}")
        session.check_region(spec)
        existing = find_deployment(session, spec, unreadable_is_none=preflight)
        if existing is None:
            if preflight:  # a deployment to resume was made already: nothing left to check
                self.preflight(spec)
            deployment_id = self._create(spec)
        else:
            # Summaries lack lifecycle_details; the full record says why a deployment failed.
            record = get_deployment(session, existing.id)
            drift = None
            hash_now = (record.freeform_tags or {}).get(SPEC_HASH_TAG)
            if record.lifecycle_state in UPDATABLE_STATES and hash_now != spec.spec_hash():
                drift = find_drift(session, spec, record)
            if drift is None:
                deployment_id = resumable_deployment(session, spec, record)
            else:
                deployment_id = self._update(spec, drift, apply=update, timeout_s=timeout_s)
        echo(f"  deployment {deployment_id}")
        if not wait:
            return self._outcome(spec, get_deployment(session, deployment_id))
        echo("[5/6 wait] until ACTIVE")
        deployment = wait_until_active(
            session,
            deployment_id,
            spec.compartment_id,
            timeout_s=timeout_s,
            history=existing is None,
        )
        outcome = self._outcome(spec, deployment)
        dimension = None
        kind = spec.model.kind
        if smoke_test:
            echo(f"[6/6 smoke test] signed {predict_route(spec)} call")
            smoke = run_smoke_test(session, outcome.endpoint, kind)
            dimension = smoke.dimension
            echo(f"  OK: {smoke.summary}")
        echo(f"\nPredict endpoint: {outcome.endpoint}\n")
        echo(usage_snippets(outcome.endpoint, session.connection.auth, kind, client_options(spec)))
        return replace(outcome, dimension=dimension)

    def preflight(self, spec: DeploySpec, *, resuming: bool = False) -> None:
        """Run and print the preflight checks.

        Raises:
            PreflightError: A check failed (the message lists each problem and its fix).
        """
        echo = self.session.echo
        echo("[preflight] checking what OCI would fail on")
        report = run_preflight(self.session, spec, resuming=resuming)
        echo(report.render())
        if not report.ok:
            raise PreflightError(report)

    def _update(self, spec: DeploySpec, drift: Drift, *, apply: bool, timeout_s: float) -> str:
        """Show how the live deployment differs from the spec; apply it with ``apply``."""
        echo = self.session.echo
        for line in drift.describe():
            echo(line)
        if not apply:
            raise DeployError(
                f"deployment {drift.deployment.id} does not match the spec; nothing was "
                "changed: re-run with --update to apply the difference as shown",
                step="deployment",
            )
        return apply_drift(
            self.session,
            spec,
            drift,
            prepare_model=lambda: self._prepare_model(spec),
            timeout_s=timeout_s,
        )

    def _create(self, spec: DeploySpec) -> str:
        """Steps 1-4 for a spec with no live deployment; returns the new deployment's OCID."""
        model_id = self._prepare_model(spec)
        self.session.echo("[4/6 deployment] creating")
        return create_deployment(self.session, spec, model_id)

    def _prepare_model(self, spec: DeploySpec) -> str:
        """Steps 1-3: the model files, their upload, the model by reference; its OCID."""
        session, echo = self.session, self.session.echo
        echo("[1/6 download] preparing model files")
        model_dir = resolve_model_dir(spec.model)
        echo(f"  {model_dir}")
        echo(f"[2/6 upload] to {spec.artifact.uri}/")
        storage = session.object_storage(spec.region)
        if ensure_versioned_bucket(
            storage, spec.artifact, spec.compartment_id, create=spec.artifact.create_bucket
        ):
            echo(f"  created the versioned bucket {spec.artifact.bucket}")
        report = upload_directory(
            storage, model_dir, spec.artifact, patterns=TEI_FILE_PATTERNS, echo=echo
        )
        echo(f"  {len(report.uploaded)} uploaded, {len(report.skipped)} already there")
        echo("[3/6 model] model by reference")
        return ensure_model(session, spec)

    @staticmethod
    def _outcome(spec: DeploySpec, deployment: Any) -> DeployOutcome:
        model = deployment.model_deployment_configuration_details.model_configuration_details
        return DeployOutcome(
            name=spec.name,
            deployment_id=str(deployment.id),
            model_id=str(model.model_id),
            state=str(deployment.lifecycle_state),
            endpoint=predict_endpoint(deployment),
            region=spec.region,
            **client_options(spec),
        )
