"""The steps that call OCI: deploy (resumable), status, logs, scale, delete.

Everything here talks to a control plane through oracle-ads and the oci SDK, exactly as
the seed walkthrough does by hand; everything before it (:mod:`~oci_tei.deploy.plan`) is
offline. Re-running ``deploy`` is safe: each step finds what an earlier run made (cached
download, identical objects skipped, the model and deployment found by their tags) and
continues from there.

It is exercised against the OCI emulator, through the real oracle-ads and oci SDK code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from oci_tei.auth import AuthSpec
from oci_tei.deploy.connection import Connection
from oci_tei.deploy.download import TEI_FILE_PATTERNS, resolve_model_dir
from oci_tei.deploy.errors import DeployError, OwnershipError
from oci_tei.deploy.plan import DEFAULT_WAIT_TIMEOUT_S, build_plan
from oci_tei.deploy.progress import IN_PROGRESS_STATES, WorkRequestWatcher, wait_for_deployment
from oci_tei.deploy.spec import OWNER_TAG, SPEC_HASH_TAG, DeploySpec
from oci_tei.deploy.upload import ensure_versioned_bucket, upload_directory

__all__ = [
    "DEPLOYMENT_OCID_PREFIX",
    "DeployExecutor",
    "DeployOutcome",
    "check_owned",
    "predict_endpoint",
    "usage_snippets",
]

DEPLOYMENT_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
SMOKE_TEST_TEXT = "The car sped down the highway at an incredible speed."
_GONE = ("DELETED", "DELETING")


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
    """

    name: str
    deployment_id: str
    model_id: str
    state: str
    endpoint: str
    region: str
    dimension: int | None = None

    def to_json(self) -> str:
        """The outcome as a JSON document."""
        return json.dumps(asdict(self), indent=2) + "\n"


class DeployExecutor:
    """Runs deploy commands against OCI (or the emulator, via ``service_endpoint``).

    Args:
        connection: Identity and endpoint; applied to oracle-ads on first use.
        echo: Where progress lines go.
        poll_interval_s: Longest pause between polls while waiting (polls start at 1 s
            and back off to it).
        sleep: Injected for tests.
        clock: Injected for tests.
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
        self.connection = connection
        self.echo = echo
        self.poll_interval_s = poll_interval_s
        self._sleep = sleep
        self._clock = clock
        self._configured = False

    # -- clients ---------------------------------------------------------------------------

    def _configure(self) -> None:
        if not self._configured:
            self.connection.configure_ads()
            self._configured = True

    def _client(self, client_class: Any, region: str | None) -> Any:
        self._configure()
        try:
            return self.connection.client(client_class, region=region)
        except Exception as exc:  # the SDK's config errors: missing file, profile, key
            raise DeployError(
                f"cannot load OCI credentials ({self.connection.auth.describe()}): {exc}",
                step="preflight",
            ) from exc

    def data_science(self, region: str | None = None) -> Any:
        """An ``oci.data_science.DataScienceClient`` for this connection."""
        import oci

        return self._client(oci.data_science.DataScienceClient, region)

    def object_storage(self, region: str | None = None) -> Any:
        """An ``oci.object_storage.ObjectStorageClient`` for this connection."""
        import oci

        return self._client(oci.object_storage.ObjectStorageClient, region)

    def check_region(self, spec: DeploySpec) -> None:
        """Refuse when oracle-ads would create resources outside the spec's region."""
        self._configure()
        if self.connection.service_endpoint:
            return
        try:
            configured = self.connection.configured_region()
        except Exception as exc:  # the SDK's config errors: missing file, profile, key
            raise DeployError(
                f"cannot load OCI credentials ({self.connection.auth.describe()}): {exc}",
                step="preflight",
            ) from exc
        if configured and configured != spec.region:
            raise DeployError(
                f"your OCI identity targets region {configured} but the spec deploys to "
                f"{spec.region}: use a profile for {spec.region}",
                step="preflight",
            )

    # -- deploy ----------------------------------------------------------------------------

    def deploy(
        self,
        spec: DeploySpec,
        *,
        wait: bool = True,
        timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
        smoke_test: bool = True,
    ) -> DeployOutcome:
        """Run the plan: download, upload, model, deployment, wait, smoke test.

        Raises:
            DeployError: A step failed; the message names it and says what to do.
        """
        plan = build_plan(spec)
        for warning in plan.warnings:
            self.echo(f"warning: {warning}")
        self.check_region(spec)
        existing = self.find_deployment(spec)
        if existing is None:
            self.echo("[1/6 download] preparing model files")
            model_dir = resolve_model_dir(spec.model)
            self.echo(f"  {model_dir}")
            self.echo(f"[2/6 upload] to {spec.artifact.uri}/")
            storage = self.object_storage(spec.region)
            if ensure_versioned_bucket(
                storage, spec.artifact, spec.compartment_id, create=spec.artifact.create_bucket
            ):
                self.echo(f"  created the versioned bucket {spec.artifact.bucket}")
            report = upload_directory(
                storage, model_dir, spec.artifact, patterns=TEI_FILE_PATTERNS, echo=self.echo
            )
            self.echo(f"  {len(report.uploaded)} uploaded, {len(report.skipped)} already there")
            self.echo("[3/6 model] model by reference")
            model_id = self.ensure_model(spec)
            self.echo("[4/6 deployment] creating")
            deployment_id = self.create_deployment(spec, model_id)
        else:
            # Summaries lack lifecycle_details; the full record says why a deployment failed.
            deployment_id = self._resume(spec, self.get(existing.id))
        self.echo(f"  deployment {deployment_id}")
        if not wait:
            return self._outcome(spec, self.get(deployment_id))
        self.echo("[5/6 wait] until ACTIVE")
        deployment = self.wait_until_active(
            deployment_id, spec.compartment_id, timeout_s=timeout_s, history=existing is None
        )
        outcome = self._outcome(spec, deployment)
        dimension = None
        if smoke_test:
            self.echo("[6/6 smoke test] signed /v1/embeddings call")
            dimension = self.smoke_test(outcome.endpoint)
            self.echo(f"  OK: one vector of dimension {dimension}")
        self.echo(f"\nPredict endpoint: {outcome.endpoint}\n")
        self.echo(usage_snippets(outcome.endpoint, self.connection.auth))
        return replace(outcome, dimension=dimension)

    def _outcome(self, spec: DeploySpec, deployment: Any) -> DeployOutcome:
        model = deployment.model_deployment_configuration_details.model_configuration_details
        return DeployOutcome(
            name=spec.name,
            deployment_id=str(deployment.id),
            model_id=str(model.model_id),
            state=str(deployment.lifecycle_state),
            endpoint=predict_endpoint(deployment),
            region=spec.region,
        )

    def _resume(self, spec: DeploySpec, existing: Any) -> str:
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
                f"{tags.get(SPEC_HASH_TAG)}, now {spec.spec_hash()}); `oci-tei scale` changes "
                "replicas and bandwidth, anything else needs `oci-tei delete` and a new deploy",
                step="deployment",
            )
        if state not in ("ACTIVE", *IN_PROGRESS_STATES):
            raise DeployError(
                f"deployment {existing.id} is {state}; activate it in the console or delete it",
                step="deployment",
            )
        self.echo(f"[1-4/6] found this spec's deployment ({state}); resuming")
        return str(existing.id)

    def ensure_model(self, spec: DeploySpec) -> str:
        """The OCID of this spec's model by reference: found by its tags, or created."""
        import oci

        from oci_tei.deploy.ads_resources import build_model

        client = self.data_science(spec.region)
        wanted = spec.model_tags()
        models = oci.pagination.list_call_get_all_results(
            client.list_models,
            spec.compartment_id,
            project_id=spec.project_id,
            lifecycle_state="ACTIVE",
        ).data
        for model in sorted(models, key=lambda item: item.time_created, reverse=True):
            tags = model.freeform_tags or {}
            if not all(tags.get(key) == value for key, value in wanted.items()):
                continue
            if not self._has_artifact(client, model.id):
                self.echo(f"  skipping model {model.id}: it has no artifact (interrupted creation)")
                continue
            self.echo(f"  reusing model {model.id}")
            return str(model.id)
        created = build_model(spec).create(model_by_reference=True)
        self.echo(f"  created model {created.id}")
        return str(created.id)

    @staticmethod
    def _has_artifact(client: Any, model_id: str) -> bool:
        import oci

        try:
            client.head_model_artifact(model_id)
        except oci.exceptions.ServiceError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_deployment(self, spec: DeploySpec, model_id: str) -> str:
        """Create the deployment (oracle-ads, no waiting); returns its OCID."""
        from oci_tei.deploy.ads_resources import build_deployment

        self._configure()
        deployment = build_deployment(spec, model_id).deploy(wait_for_completion=False)
        return str(deployment.model_deployment_id)

    def find_deployments(self, spec: DeploySpec) -> list[Any]:
        """This spec's deployments (by ownership tag), newest first, deleted ones left out."""
        import oci

        client = self.data_science(spec.region)
        summaries = oci.pagination.list_call_get_all_results(
            client.list_model_deployments, spec.compartment_id, project_id=spec.project_id
        ).data
        owned = [
            item
            for item in summaries
            if (item.freeform_tags or {}).get(OWNER_TAG) == spec.name
            and item.lifecycle_state not in _GONE
        ]
        return sorted(owned, key=lambda item: item.time_created, reverse=True)

    def find_deployment(self, spec: DeploySpec) -> Any | None:
        """This spec's newest live deployment, or None."""
        found = self.find_deployments(spec)
        return found[0] if found else None

    # -- wait and smoke test ---------------------------------------------------------------

    def wait_until_active(
        self,
        deployment_id: str,
        compartment_id: str,
        *,
        timeout_s: float,
        work_request_id: str | None = None,
        history: bool = True,
    ) -> Any:
        """Poll until ACTIVE, echoing state changes and work-request progress, logs, errors.

        oracle-ads only logs failures, so the final state is checked here.

        Args:
            deployment_id: The deployment.
            compartment_id: Its compartment.
            timeout_s: Give up after this long.
            work_request_id: Show only this work request (an update's); default: all of
                the deployment's.
            history: Also show work requests finished before the wait began.

        Raises:
            DeployError: FAILED (with OCI's reason and work-request errors), or timeout.
        """
        client = self.data_science()
        watcher = WorkRequestWatcher(
            client, compartment_id, deployment_id, self.echo, work_request_id, history
        )
        return wait_for_deployment(
            client,
            deployment_id,
            watcher,
            echo=self.echo,
            timeout_s=timeout_s,
            poll_cap_s=self.poll_interval_s,
            sleep=self._sleep,
            clock=self._clock,
        )

    def smoke_test(self, endpoint: str) -> int:
        """Embed one sentence through the package's signed client; returns the dimension."""
        from oci_tei.client import EmbeddingClient

        auth = self.connection.auth
        try:
            with EmbeddingClient(
                endpoint=endpoint,
                auth=auth.auth_type,
                profile=auth.profile,
                config_file=auth.config_file,
            ) as client:
                vectors = client.embed([SMOKE_TEST_TEXT])
        except Exception as exc:
            raise DeployError(
                f"the deployment is ACTIVE but embedding failed: {exc}", step="smoke_test"
            ) from exc
        if len(vectors) != 1 or not vectors[0]:
            raise DeployError(f"expected one vector, got {len(vectors)}", step="smoke_test")
        return len(vectors[0])

    # -- status, logs, scale, delete -------------------------------------------------------

    def get(self, deployment_id: str) -> Any:
        """The deployment's full record (``oci.data_science.models.ModelDeployment``)."""
        return self.data_science().get_model_deployment(deployment_id).data

    def resolve(self, target: str | DeploySpec) -> Any:
        """The deployment a spec (its newest live one) or an OCID designates.

        Raises:
            DeployError: The spec has no live deployment.
        """
        if isinstance(target, str):
            return self.get(target)
        found = self.find_deployment(target)
        if found is None:
            raise DeployError(f"no live deployment tagged {OWNER_TAG}={target.name}", step="lookup")
        return self.get(found.id)

    def describe(self, deployment: Any, spec: DeploySpec | None = None) -> list[str]:
        """Status lines for a deployment record."""
        config = deployment.model_deployment_configuration_details
        model = config.model_configuration_details
        policy = model.scaling_policy
        replicas = getattr(policy, "instance_count", None) or policy.policy_type
        image = getattr(config.environment_configuration_details, "image", None)
        tags = deployment.freeform_tags or {}
        lines = [
            f"{deployment.display_name} ({deployment.id})",
            f"  state: {deployment.lifecycle_state}"
            + (f" ({deployment.lifecycle_details})" if deployment.lifecycle_details else ""),
            f"  endpoint: {predict_endpoint(deployment)}",
            f"  shape: {model.instance_configuration.instance_shape_name}, replicas: {replicas}, "
            f"bandwidth: {model.bandwidth_mbps} Mbps",
            f"  image: {image}",
            f"  model: {model.model_id}",
            f"  owner tag: {tags.get(OWNER_TAG, '(none: not created by oci-tei)')}",
        ]
        if spec is not None:
            same = tags.get(SPEC_HASH_TAG) == spec.spec_hash()
            lines.append(f"  matches spec: {'yes' if same else 'no (spec changed since deploy)'}")
        return lines

    def work_request_log(self, deployment: Any) -> list[str]:
        """The deployment's work requests with their log lines and errors, oldest first."""
        client = self.data_science()
        lines = []
        requests = client.list_work_requests(
            deployment.compartment_id, resource_id=deployment.id
        ).data
        for request in sorted(requests, key=lambda item: item.time_accepted):
            lines.append(
                f"{request.operation_type} {request.status} ({request.percent_complete:.0f}%)"
            )
            for entry in client.list_work_request_logs(request.id).data:
                lines.append(f"  {entry.timestamp} {entry.message}")
            for error in client.list_work_request_errors(request.id).data:
                lines.append(f"  {error.timestamp} ERROR {error.code}: {error.message}")
        return lines

    def show_container_logs(self, deployment: Any, log_type: str, limit: int) -> None:
        """Print the newest access or predict log records (oracle-ads prints them).

        Raises:
            DeployError: The deployment sends no such log to OCI Logging.
        """
        from ads.model.deployment import ModelDeployment

        logs = deployment.category_log_details
        if getattr(logs, log_type, None) is None:
            raise DeployError(
                f"deployment {deployment.id} has no {log_type} log: set logs.{log_type} "
                "(log_group_id, log_id) in its spec; `oci-tei logs` without --type shows its "
                "work requests",
                step="logs",
            )
        self._configure()
        model_deployment = ModelDeployment.from_id(deployment.id)
        model_deployment.logs(log_type=log_type).tail(source=deployment.id, limit=limit)

    def scale(
        self,
        deployment: Any,
        *,
        replicas: int | None = None,
        bandwidth_mbps: int | None = None,
        expected_owner: str | None = None,
    ) -> str | None:
        """Change the instance count and/or bandwidth of a deployment this tool created.

        Returns:
            The update's work request OCID (to wait on), when OCI gives one.

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
            DeployError: The deployment autoscales and ``replicas`` was given.
        """
        import oci

        check_owned(deployment, expected_owner)
        models = oci.data_science.models
        current = deployment.model_deployment_configuration_details.model_configuration_details
        policy = None
        if replicas is not None:
            if current.scaling_policy.policy_type != "FIXED_SIZE":
                raise DeployError(
                    "the deployment autoscales: change autoscaling in the spec instead of replicas",
                    step="scale",
                )
            policy = models.FixedSizeScalingPolicy(
                policy_type="FIXED_SIZE", instance_count=replicas
            )
        details = models.UpdateModelDeploymentDetails(
            model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
                deployment_type="SINGLE_MODEL",
                model_configuration_details=models.UpdateModelConfigurationDetails(
                    model_id=current.model_id,
                    scaling_policy=policy,
                    bandwidth_mbps=bandwidth_mbps,
                ),
            )
        )
        response = self.data_science().update_model_deployment(deployment.id, details)
        work_request: str | None = response.headers.get("opc-work-request-id")
        return work_request

    def delete(self, deployment: Any, *, expected_owner: str | None = None) -> None:
        """Delete a deployment this tool created (the model by reference stays).

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
        """
        check_owned(deployment, expected_owner)
        self.data_science().delete_model_deployment(deployment.id)


def check_owned(deployment: Any, expected_owner: str | None = None) -> None:
    """Refuse a deployment without this tool's ownership tag (or another spec's).

    Raises:
        OwnershipError: What is wrong, and why the tool refuses.
    """
    owner = (deployment.freeform_tags or {}).get(OWNER_TAG)
    if owner is None:
        raise OwnershipError(
            f"deployment {deployment.id} has no {OWNER_TAG!r} tag: oci-tei did not create it "
            "and will not change or delete it",
            step="ownership",
        )
    if expected_owner is not None and owner != expected_owner:
        raise OwnershipError(
            f"deployment {deployment.id} belongs to spec {owner!r}, not {expected_owner!r}",
            step="ownership",
        )


def predict_endpoint(deployment: Any) -> str:
    """The predict URL of a deployment record (its ``modelDeploymentUrl`` + ``/predict``)."""
    return f"{str(deployment.model_deployment_url).rstrip('/')}/predict"


def usage_snippets(endpoint: str, auth: AuthSpec | None = None) -> str:
    """Ready-to-paste code for LangChain and LlamaIndex, with the identity deploy used."""
    arguments = [f"endpoint={json.dumps(endpoint)}"]
    if auth is not None:
        for name, value in (
            ("auth", auth.auth_type),
            ("profile", auth.profile),
            ("config_file", auth.config_file),
        ):
            if value:
                arguments.append(f"{name}={json.dumps(value)}")
    call = ", ".join(arguments)
    return (
        "# LangChain\n"
        "from langchain_oci_tei import OCITEIEmbeddings\n"
        f"embeddings = OCITEIEmbeddings({call})\n\n"
        "# LlamaIndex\n"
        "from llama_index_oci_tei import OCITEIEmbedding\n"
        f"embed_model = OCITEIEmbedding({call})\n"
    )
