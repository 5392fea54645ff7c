"""``Deployment``: the deploy commands as a Python API, for notebooks and scripts.

Everything ``oci-tei deploy | status | scale | stop | start | delete`` does, as methods
of one object built from a spec (a file path, a parsed dict or a
:class:`~oci_tei.deploy.spec.DeploySpec`), or attached to a live deployment by spec or
OCID. Progress goes through ``echo`` (default: ``print``, flushed, which a notebook cell
shows as it comes, as a terminal does). Failures are the typed errors of
:mod:`oci_tei.deploy` (never ``SystemExit``); the CLI is a thin layer over this class.

    from oci_tei.deploy import Deployment

    deployment = Deployment("deploy/bge-base-en-v1.5-a10.yaml")
    print(deployment.plan())
    deployment.deploy()
    embeddings = deployment.embeddings()  # LangChain, bound to the endpoint and identity
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from oci_tei._auth import AuthSpec, AuthType
from oci_tei._extras import needs_extra
from oci_tei.deploy._connection import Connection
from oci_tei.deploy._errors import DeployError, UsageError
from oci_tei.deploy._session import DeploySession, backoff
from oci_tei.deploy.spec import PREDICT_ROUTES, DeploySpec, client_options, load_spec, parse_spec

if TYPE_CHECKING:
    from langchain_oci_tei import OCITEIEmbeddings
    from llama_index_oci_tei import OCITEIEmbedding
    from oci_tei.deploy.manage import DeploymentMetrics, LogRecord
    from oci_tei.deploy.preflight import PreflightReport
    from oci_tei.deploy.steps import DeployOutcome, Plan

__all__ = ["Deployment", "DeploymentStatus"]

SpecSource = str | os.PathLike[str] | Mapping[str, Any] | DeploySpec
_STEP_TIMEOUT_S = 45 * 60


def _print(line: str) -> None:
    # flush: a notebook shows each line as it comes, not when the cell ends.
    print(line, flush=True)


def _as_spec(source: SpecSource, env: Mapping[str, str] | None) -> DeploySpec:
    if isinstance(source, DeploySpec):
        return source
    if isinstance(source, Mapping):
        return parse_spec(dict(source), env)
    return load_spec(Path(source), env)


@dataclass(frozen=True)
class DeploymentStatus:
    """A deployment's state as ``oci-tei status`` shows it.

    Attributes:
        deployment_id: The model deployment's OCID.
        state: Its lifecycle state (ACTIVE, INACTIVE, UPDATING...).
        endpoint: The predict URL (the same across stop and start).
        matches_spec: Whether it was made from the spec as it is now (None without a spec).
        lines: The status lines (``str()`` joins them).
    """

    deployment_id: str
    state: str
    endpoint: str
    matches_spec: bool | None
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(self.lines)


class Deployment:
    """A TEI model deployment on OCI Data Science, as one object.

    Args:
        spec: The deploy spec: a YAML file path, the parsed YAML (a dict) or a
            :class:`~oci_tei.deploy.spec.DeploySpec`.
        auth: ``api_key``, ``security_token``, ``resource_principal`` or
            ``instance_principal``; None chooses as the client does (resource principal
            inside an OCI notebook, else the API key).
        profile: The OCI config profile.
        config_file: The OCI config file (default ``~/.oci/config``).
        service_endpoint: Send every OCI call to this base URL (the oci-tei emulator).
        env: Values for the spec's ``${VAR}`` (default: the environment).
        echo: Where progress lines go (default: ``print``, flushed).
        poll_interval_s: The longest pause between polls while waiting.

    Raises:
        SpecError: The spec cannot be used (the message names each field).
    """

    def __init__(
        self,
        spec: SpecSource,
        *,
        auth: AuthType | None = None,
        profile: str | None = None,
        config_file: str | None = None,
        service_endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
        echo: Callable[[str], None] | None = None,
        poll_interval_s: float = 10.0,
    ) -> None:
        self._setup(
            _as_spec(spec, env),
            Connection(AuthSpec(auth, profile, config_file), service_endpoint),
            echo,
            poll_interval_s,
        )

    def _setup(
        self,
        spec: DeploySpec | None,
        connection: Connection,
        echo: Callable[[str], None] | None,
        poll_interval_s: float,
    ) -> None:
        self._spec = spec
        self._connection = connection
        self._echo = echo or _print
        self._poll_interval_s = poll_interval_s
        self._deployment_id: str | None = None

    @classmethod
    def attach(
        cls,
        target: SpecSource,
        *,
        auth: AuthType | None = None,
        profile: str | None = None,
        config_file: str | None = None,
        service_endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
        echo: Callable[[str], None] | None = None,
        poll_interval_s: float = 10.0,
    ) -> Deployment:
        """The live deployment a spec made (its newest, by owner tag), or the one an OCID names.

        Attached by OCID, there is no spec: ``plan``, ``deploy`` and ``update`` need one;
        the other methods work, and ownership is checked against the owner tag alone.

        Raises:
            DeployError: No live deployment for the spec, or no such OCID.
            SpecError: The spec cannot be used.
        """
        from oci_tei.deploy.manage import DEPLOYMENT_OCID_PREFIX, resolve

        by_ocid = isinstance(target, str) and target.startswith(DEPLOYMENT_OCID_PREFIX)
        self = cls.__new__(cls)
        self._setup(
            None if by_ocid else _as_spec(target, env),
            Connection(AuthSpec(auth, profile, config_file), service_endpoint),
            echo,
            poll_interval_s,
        )
        record = resolve(self._session(), str(target) if by_ocid else self._need_spec("attach"))
        self._deployment_id = str(record.id)
        return self

    def __repr__(self) -> str:
        name = self._spec.name if self._spec else None
        return f"Deployment(name={name!r}, deployment_id={self._deployment_id!r})"

    # -- what it is ------------------------------------------------------------------------

    @property
    def spec(self) -> DeploySpec | None:
        """The spec (None when attached by OCID)."""
        return self._spec

    @property
    def deployment_id(self) -> str | None:
        """The deployment's OCID, once deployed or attached (None before)."""
        return self._deployment_id

    @property
    def endpoint(self) -> str:
        """The predict URL (the same across stop and start).

        Raises:
            DeployError: No live deployment yet.
        """
        from oci_tei.deploy.manage import predict_endpoint

        return predict_endpoint(self._record())

    def plan(self, *, wait: bool = True, timeout_s: float = _STEP_TIMEOUT_S) -> Plan:
        """What :meth:`deploy` will do, step by step (offline; ``print`` it).

        Raises:
            SpecError: What the spec composes breaks an OCI rule.
        """
        from oci_tei.deploy.steps import RunOptions, build_plan

        return build_plan(
            self._need_spec("plan"), options=RunOptions(wait=wait, timeout_s=timeout_s)
        )

    def doctor(self) -> PreflightReport:
        """The preflight checks alone (``oci-tei doctor``): each finding with its fix.

        Nothing is changed; ``report.ok`` says whether a deploy would get past them.

        Raises:
            DeployError: The identity targets another region, or cannot be loaded.
        """
        from oci_tei.deploy.manage import find_deployment
        from oci_tei.deploy.preflight import run_preflight

        spec = self._need_spec("doctor")
        session = self._session()
        session.check_region(spec)
        resuming = find_deployment(session, spec, unreadable_is_none=True) is not None
        return run_preflight(session, spec, resuming=resuming)

    # -- the pipeline ------------------------------------------------------------------------

    def deploy(
        self,
        *,
        wait: bool = True,
        timeout_s: float = _STEP_TIMEOUT_S,
        smoke_test: bool = True,
        preflight: bool = True,
        update: bool = False,
        image_copy: bool = True,
    ) -> DeployOutcome:
        """Run the pipeline (preflight, image, download, upload, model, deployment, wait, smoke test).

        Safe to run again: it resumes what an earlier run made. ``image_copy=False`` makes
        TEI's image missing from OCIR an error instead of copying it there (docs/image-copy.md).

        Raises:
            DeployError: A step failed (``PreflightError`` for the preflight's findings).
            SpecError: What the spec composes breaks an OCI rule.
        """
        from oci_tei.deploy.steps import DeployExecutor

        executor = DeployExecutor(
            self._connection, echo=self._echo, poll_interval_s=self._poll_interval_s
        )
        outcome = executor.deploy(
            self._need_spec("deploy"),
            wait=wait,
            timeout_s=timeout_s,
            smoke_test=smoke_test,
            preflight=preflight,
            update=update,
            image_copy=image_copy,
        )
        self._deployment_id = outcome.deployment_id
        return outcome

    def update(
        self, *, timeout_s: float = _STEP_TIMEOUT_S, smoke_test: bool = True
    ) -> DeployOutcome:
        """Bring the live deployment to the spec as OCI allows (``oci-tei deploy --update``).

        Raises:
            DeployError: A step failed.
        """
        return self.deploy(timeout_s=timeout_s, smoke_test=smoke_test, update=True)

    # -- a live deployment ---------------------------------------------------------------------

    def status(self) -> DeploymentStatus:
        """State, endpoint and settings (and, when INACTIVE, what OCI bills meanwhile).

        Raises:
            DeployError: No live deployment.
        """
        return self._status(self._record())

    def scale(
        self,
        *,
        replicas: int | None = None,
        bandwidth_mbps: int | None = None,
        wait: bool = True,
        timeout_s: float = _STEP_TIMEOUT_S,
    ) -> DeploymentStatus:
        """Change the instance count and/or the load-balancer bandwidth (one update each).

        Raises:
            UsageError: Nothing asked, or a value below 1.
            OwnershipError: Not created by oci-tei (or by another spec).
            DeployError: OCI refused or the update failed.
        """
        from oci_tei.deploy.manage import scale
        from oci_tei.deploy.steps import wait_until_active

        if replicas is None and bandwidth_mbps is None:
            raise UsageError("give replicas and/or bandwidth_mbps")
        for name, value in (("replicas", replicas), ("bandwidth_mbps", bandwidth_mbps)):
            if value is not None and value < 1:
                raise UsageError(f"{name} must be at least 1")
        session = self._session()
        deployment = self._record(session)

        def settle(work_request: str | None) -> Any:
            return wait_until_active(
                session,
                deployment.id,
                deployment.compartment_id,
                timeout_s=timeout_s,
                work_request_id=work_request,
            )

        updated = scale(
            session,
            deployment,
            replicas=replicas,
            bandwidth_mbps=bandwidth_mbps,
            expected_owner=self._owner(),
            wait=settle if wait else None,
        )
        return self._status(updated)

    def stop(self, *, wait: bool = True, timeout_s: float = _STEP_TIMEOUT_S) -> DeploymentStatus:
        """Deactivate: instances shut down, OCI stops billing them and the load balancer.

        The endpoint stays the same for :meth:`start`; calls to it fail meanwhile.

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
            DeployError: OCI cannot deactivate it now, or the deactivation failed.
        """
        from oci_tei.deploy.manage import deactivate, settle

        session = self._session()
        deployment = self._record(session)
        work_request = deactivate(session, deployment, expected_owner=self._owner())
        if work_request is not None:
            self._echo(f"[stop] deactivating {deployment.id}")
        if not wait:
            return self._status(self._record(session))
        return self._status(
            settle(session, deployment, work_request, target="INACTIVE", timeout_s=timeout_s)
        )

    def start(
        self, *, wait: bool = True, timeout_s: float = _STEP_TIMEOUT_S, smoke_test: bool = True
    ) -> DeploymentStatus:
        """Activate a stopped deployment: the same endpoint, smoke-tested once ACTIVE.

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
            DeployError: OCI cannot activate it now, the activation failed, or the smoke
                test did.
        """
        from oci_tei.deploy.manage import activate, predict_endpoint, settle
        from oci_tei.deploy.steps import smoke_test as run_smoke_test

        session = self._session()
        deployment = self._record(session)
        work_request = activate(session, deployment, expected_owner=self._owner())
        if work_request is not None:
            self._echo(f"[start] activating {deployment.id} (the same endpoint)")
        if not wait:
            return self._status(self._record(session))
        record = settle(session, deployment, work_request, target="ACTIVE", timeout_s=timeout_s)
        if smoke_test:
            self._echo("[smoke test] one signed call")
            result = run_smoke_test(session, predict_endpoint(record), self.kind(record))
            self._echo(f"  OK: {result.summary}")
        return self._status(record)

    def delete(self, *, wait: bool = False, timeout_s: float = _STEP_TIMEOUT_S) -> None:
        """Delete the deployment (the model by reference and its files stay).

        Args:
            wait: Return once it is DELETED rather than once the deletion is requested.
            timeout_s: How long to wait.

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
            DeployError: The deletion did not finish in time.
        """
        from oci_tei.deploy.manage import delete

        session = self._session()
        deployment = self._record(session)
        delete(session, deployment, expected_owner=self._owner())
        self._echo(f"{deployment.id}: deletion requested")
        if wait:
            self._wait_deleted(session, str(deployment.id), timeout_s)

    def work_request_log(self) -> list[str]:
        """The deployment's work requests with their log lines and errors, oldest first."""
        from oci_tei.deploy.manage import work_request_log

        session = self._session()
        return work_request_log(session, self._record(session))

    def container_logs(
        self, log_type: Literal["access", "predict"], limit: int = 100, *, hours: float = 24.0
    ) -> list[LogRecord]:
        """The newest records of the container's access or predict log, oldest first.

        Read from OCI Logging through Log Search, with the query oracle-ads sends.

        Args:
            log_type: ``access`` or ``predict``.
            limit: Most records (1 to 1000).
            hours: How far back to search.

        Raises:
            DeployError: The deployment sends no such log (``logs.<type>`` in the spec).
        """
        from oci_tei.deploy.manage import container_logs

        session = self._session()
        return container_logs(session, self._record(session), log_type, limit=limit, hours=hours)

    def metrics(self, *, hours: int = 1) -> DeploymentMetrics:
        """The last ``hours`` of the deployment's predict metrics from OCI Monitoring.

        Requests, latency percentiles, 4xx/5xx answers and instances, as ``oci-tei status``
        prints them.
        """
        import oci

        from oci_tei.deploy.manage import deployment_metrics

        session = self._session()
        monitoring = session.client(oci.monitoring.MonitoringClient)
        return deployment_metrics(monitoring, self._record(session), hours=hours)

    # -- clients bound to the endpoint ---------------------------------------------------------

    def embeddings(self, **options: Any) -> OCITEIEmbeddings:
        """LangChain ``OCITEIEmbeddings`` for this deployment, with its identity and sizes.

        Args:
            **options: More client options (``encoding_format``...), or overrides.

        Raises:
            ModuleNotFoundError: langchain-core is missing (``pip install "oci-tei[langchain]"``).
            UsageError: The deployment serves a reranker.
        """
        self._need_kind("embedding", "embeddings()")
        with needs_extra("oci_tei.deploy", "langchain_core", "langchain-core", "langchain"):
            from langchain_oci_tei import OCITEIEmbeddings
        return OCITEIEmbeddings(**self._client_arguments(options))

    def embedding(self, **options: Any) -> OCITEIEmbedding:
        """LlamaIndex ``OCITEIEmbedding`` for this deployment, with its identity and sizes.

        Raises:
            ModuleNotFoundError: llama-index-core is missing
                (``pip install "oci-tei[llamaindex]"``).
            UsageError: The deployment serves a reranker.
        """
        self._need_kind("embedding", "embedding()")
        with needs_extra("oci_tei.deploy", "llama_index.core", "llama-index-core", "llamaindex"):
            from llama_index_oci_tei import OCITEIEmbedding
        arguments = self._client_arguments(options)
        if "batch_size" in arguments and "embed_batch_size" not in options:
            # LlamaIndex calls it embed_batch_size; the adapter keeps the two equal.
            arguments["embed_batch_size"] = arguments.pop("batch_size")
        return OCITEIEmbedding(**arguments)

    def reranker(
        self, framework: Literal["langchain", "llama_index"] = "langchain", **options: Any
    ) -> Any:
        """``OCITEIRerank`` for a reranker deployment (LangChain's, or LlamaIndex's).

        Raises:
            ModuleNotFoundError: The framework's extra is missing.
            UsageError: The deployment serves an embedding model.
        """
        self._need_kind("rerank", "reranker()")
        arguments = self._client_arguments(options)
        if framework == "llama_index":
            with needs_extra(
                "oci_tei.deploy", "llama_index.core", "llama-index-core", "llamaindex"
            ):
                from llama_index_oci_tei import OCITEIRerank as LlamaRerank
            return LlamaRerank(**arguments)
        with needs_extra("oci_tei.deploy", "langchain_core", "langchain-core", "langchain"):
            from langchain_oci_tei import OCITEIRerank
        return OCITEIRerank(**arguments)

    def record(self) -> Any:
        """The deployment's full OCI record (``oci.data_science.models.ModelDeployment``).

        Raises:
            DeployError: No live deployment.
        """
        return self._record()

    def check_owned(self) -> Any:
        """The record, once checked to be this tool's (and this spec's, given one).

        Raises:
            OwnershipError: Not created by oci-tei (or by another spec).
        """
        from oci_tei.deploy.manage import check_owned

        record = self._record()
        check_owned(record, self._owner())
        return record

    def kind(self, record: Any | None = None) -> str:
        """``embedding`` or ``rerank``: the spec's ``model.kind``, else the live container's route."""
        if self._spec is not None:
            return self._spec.model.kind
        record = record if record is not None else self._record()
        environment = (
            record.model_deployment_configuration_details.environment_configuration_details
        )
        route = (getattr(environment, "environment_variables", None) or {}).get(
            "MODEL_DEPLOY_PREDICT_ENDPOINT"
        )
        return "rerank" if route == PREDICT_ROUTES["rerank"] else "embedding"

    # -- internals -------------------------------------------------------------------------------

    def _session(self) -> DeploySession:
        # One per call: oracle-ads' auth is global, so each call sets this object's identity.
        return DeploySession(self._connection, self._echo, self._poll_interval_s)

    def _need_spec(self, what: str) -> DeploySpec:
        if self._spec is None:
            raise UsageError(
                f"{what} needs the deployment's spec; this one was attached by OCID "
                f"({self._deployment_id}): use Deployment(spec) or Deployment.attach(spec)"
            )
        return self._spec

    def _need_kind(self, kind: str, method: str) -> None:
        actual = self.kind()
        if actual != kind:
            other = "reranker()" if actual == "rerank" else "embeddings() or embedding()"
            raise UsageError(f"{method}: this deployment serves a {actual} model; use {other}")

    def _owner(self) -> str | None:
        return self._spec.name if self._spec is not None else None

    def _record(self, session: DeploySession | None = None) -> Any:
        """The deployment's full record: by OCID once known, else the spec's newest live one."""
        from oci_tei.deploy.manage import get_deployment, resolve

        session = session or self._session()
        if self._deployment_id is not None:
            return get_deployment(session, self._deployment_id)
        record = resolve(session, self._need_spec("finding the deployment"))
        self._deployment_id = str(record.id)
        return record

    def _status(self, record: Any) -> DeploymentStatus:
        from oci_tei.deploy.manage import describe, predict_endpoint
        from oci_tei.deploy.spec import SPEC_HASH_TAG

        tags = record.freeform_tags or {}
        matches = None if self._spec is None else tags.get(SPEC_HASH_TAG) == self._spec.spec_hash()
        return DeploymentStatus(
            deployment_id=str(record.id),
            state=str(record.lifecycle_state),
            endpoint=predict_endpoint(record),
            matches_spec=matches,
            lines=tuple(describe(record, self._spec)),
        )

    def _client_arguments(self, options: Mapping[str, Any]) -> dict[str, Any]:
        auth = self._connection.auth
        arguments: dict[str, Any] = {"endpoint": self.endpoint}
        for name, value in (
            ("auth", auth.auth_type),
            ("profile", auth.profile),
            ("config_file", auth.config_file),
        ):
            if value:
                arguments[name] = value
        if self._spec is not None:
            arguments.update(client_options(self._spec))
        arguments.update(options)
        return arguments

    def _wait_deleted(self, session: DeploySession, deployment_id: str, timeout_s: float) -> None:
        deadline = session.clock() + timeout_s
        for delay in backoff(session.poll_interval_s):
            state = session.data_science().get_model_deployment(deployment_id).data.lifecycle_state
            if state == "DELETED":
                self._echo(f"{deployment_id}: DELETED")
                return
            if session.clock() >= deadline:
                raise DeployError(
                    f"deployment {deployment_id} still {state} after {timeout_s / 60:.0f} min",
                    step="delete",
                )
            session.sleep(delay)
