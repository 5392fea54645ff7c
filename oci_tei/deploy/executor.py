"""The steps that call OCI: deploy (resumable), status, logs, scale, delete.

Everything here talks to a control plane through oracle-ads and the oci SDK, exactly as
the seed walkthrough does by hand; everything before it (:mod:`~oci_tei.deploy.plan`) is
offline. Re-running ``deploy`` is safe: each step finds what an earlier run made (cached
download, identical objects skipped, the model and deployment found by their tags) and
continues from there.

Nothing here runs in the offline test suite; it is exercised against the OCI emulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oci_tei.deploy.connection import Connection
from oci_tei.deploy.download import TEI_FILE_PATTERNS, resolve_model_dir
from oci_tei.deploy.errors import DeployError, OwnershipError
from oci_tei.deploy.plan import DEFAULT_WAIT_TIMEOUT_S, build_plan
from oci_tei.deploy.spec import OWNER_TAG, SPEC_HASH_TAG, DeploySpec
from oci_tei.deploy.upload import ensure_versioned_bucket, upload_directory

__all__ = ["DEPLOYMENT_OCID_PREFIX", "DeployExecutor", "DeployOutcome", "usage_snippets"]

DEPLOYMENT_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
SMOKE_TEST_TEXT = "The car sped down the highway at an incredible speed."
_GONE = ("DELETED", "DELETING")
_IN_PROGRESS = ("CREATING", "UPDATING")


@dataclass(frozen=True)
class DeployOutcome:
    """What ``deploy`` ended with."""

    deployment_id: str
    model_id: str | None
    state: str
    endpoint: str | None
    dimension: int | None = None


class DeployExecutor:
    """Runs deploy commands against OCI (or the emulator, via ``service_endpoint``).

    Args:
        connection: Identity and endpoint; applied to oracle-ads on first use.
        echo: Where progress lines go.
        poll_interval_s: Seconds between lifecycle polls while waiting.
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
        model_id: str | None = None
        if existing is None:
            self.echo("[1/6 download] preparing model files")
            model_dir = resolve_model_dir(spec.model)
            self.echo(f"[2/6 upload] to {spec.artifact.uri}/")
            storage = self.object_storage(spec.region)
            ensure_versioned_bucket(
                storage, spec.artifact, spec.compartment_id, create=spec.artifact.create_bucket
            )
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
            return DeployOutcome(deployment_id, model_id, "CREATING", None)
        self.echo("[5/6 wait] until ACTIVE")
        deployment = self.wait_until_active(deployment_id, spec.compartment_id, timeout_s=timeout_s)
        endpoint = f"{deployment.model_deployment_url}/predict"
        dimension = None
        if smoke_test:
            self.echo("[6/6 smoke test] signed /v1/embeddings call")
            dimension = self.smoke_test(endpoint)
            self.echo(f"  OK: one vector of dimension {dimension}")
        self.echo(usage_snippets(endpoint))
        return DeployOutcome(deployment_id, model_id, "ACTIVE", endpoint, dimension)

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
        if state not in ("ACTIVE", *_IN_PROGRESS):
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
        for model in models:
            tags = model.freeform_tags or {}
            if all(tags.get(key) == value for key, value in wanted.items()):
                self.echo(f"  reusing model {model.id}")
                return str(model.id)
        created = build_model(spec).create(model_by_reference=True)
        self.echo(f"  created model {created.id}")
        return str(created.id)

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
        self, deployment_id: str, compartment_id: str, *, timeout_s: float
    ) -> Any:
        """Poll until ACTIVE, echoing state changes and work-request log lines and errors.

        oracle-ads only logs failures, so the final state is checked here.

        Raises:
            DeployError: FAILED (with OCI's reason and work-request errors), or timeout.
        """
        client = self.data_science()
        deadline = self._clock() + timeout_s
        seen: set[str] = set()
        last: tuple[str, str] | None = None
        while True:
            deployment = client.get_model_deployment(deployment_id).data
            status = (deployment.lifecycle_state, deployment.lifecycle_details or "")
            if status != last:
                self.echo(f"  {status[0]}{': ' + status[1] if status[1] else ''}")
                last = status
            errors = self._echo_work_requests(client, compartment_id, deployment_id, seen)
            if status[0] == "ACTIVE":
                return deployment
            if status[0] not in _IN_PROGRESS:
                detail = f": {status[1]}" if status[1] else ""
                more = f" (work request errors: {'; '.join(errors)})" if errors else ""
                raise DeployError(
                    f"deployment {deployment_id} is {status[0]}{detail}{more}", step="wait"
                )
            if self._clock() >= deadline:
                raise DeployError(
                    f"deployment {deployment_id} still {status[0]} after {timeout_s / 60:.0f} min; "
                    "re-run deploy to keep waiting",
                    step="wait",
                )
            self._sleep(self.poll_interval_s)

    def _echo_work_requests(
        self, client: Any, compartment_id: str, deployment_id: str, seen: set[str]
    ) -> list[str]:
        """Echo work-request log lines and errors not shown yet; return all error messages."""
        errors = []
        requests = client.list_work_requests(compartment_id, resource_id=deployment_id).data
        for request in requests:
            for entry in client.list_work_request_logs(request.id).data:
                key = f"{request.id}|log|{entry.timestamp}|{entry.message}"
                if key not in seen:
                    seen.add(key)
                    self.echo(f"    {entry.message}")
            for error in client.list_work_request_errors(request.id).data:
                errors.append(f"{error.code}: {error.message}")
                key = f"{request.id}|error|{error.timestamp}|{error.message}"
                if key not in seen:
                    seen.add(key)
                    self.echo(f"    error {error.code}: {error.message}")
        return errors

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
            f"  endpoint: {deployment.model_deployment_url}/predict",
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

    def show_container_logs(self, deployment_id: str, log_type: str, limit: int) -> None:
        """Print the newest access or predict log records (oracle-ads prints them)."""
        from ads.model.deployment import ModelDeployment

        self._configure()
        deployment = ModelDeployment.from_id(deployment_id)
        deployment.logs(log_type=log_type).tail(source=deployment_id, limit=limit)

    def scale(
        self,
        deployment: Any,
        *,
        replicas: int | None = None,
        bandwidth_mbps: int | None = None,
        expected_owner: str | None = None,
    ) -> None:
        """Change the instance count and/or bandwidth of a deployment this tool created.

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
        self.data_science().update_model_deployment(deployment.id, details)

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


def usage_snippets(endpoint: str) -> str:
    """Ready-to-paste code for LangChain and LlamaIndex."""
    return (
        f"Endpoint: {endpoint}\n\n"
        "# LangChain\n"
        "from langchain_oci_tei import OCITEIEmbeddings\n"
        f'embeddings = OCITEIEmbeddings(endpoint="{endpoint}")\n\n'
        "# LlamaIndex\n"
        "from llama_index_oci_tei import OCITEIEmbedding\n"
        f'embed_model = OCITEIEmbedding(endpoint="{endpoint}")\n'
    )
