"""Preflight: what OCI would fail after twenty minutes of provisioning, found in seconds.

``oci-tei deploy`` runs these checks before it uploads or creates anything (skip them
with ``--skip-preflight``); ``oci-tei doctor SPEC`` runs them alone. Every check reads
through the real oci SDK and changes nothing:

===========  ===================================================================
check        what
===========  ===================================================================
identity     who you are, your tenancy and home region, the spec's region subscribed
compartment  the compartment exists and is ACTIVE
project      the Data Science project exists, ACTIVE, in that compartment
shape        the shape is offered for model deployments (ListModelDeploymentShapes)
limits       the shape's Data Science limit has room for ``replicas`` (or the
             autoscaling maximum) instances (Limits API GetResourceAvailability)
image        the image is in OCIR in the deployment's region, with the tag the shape
             needs (Artifacts API ListContainerImages)
bucket       the bucket exists (or will be created), is versioned, and you can read it
logs         the log groups and logs of ``logs.access`` / ``logs.predict`` exist
iam          the policies of the compartments involved and their ancestors grant the
             deployment's resource principal and you what each needs
             (:mod:`~oci_tei.deploy.preflight._permissions`, matched by :mod:`oci_tei._iam`)
===========  ===================================================================

A finding is ``ok``, ``warn`` (cannot tell: an unreadable policy list, a statement form
the matcher does not evaluate, an unknown limit name) or ``FAIL``, with why OCI would
fail and the exact fix.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_tei import _iam as iam
from oci_tei.contract._limits import DATA_SCIENCE_SERVICE
from oci_tei.contract._networking import private_endpoint_problem
from oci_tei.contract._ocir import parse_ocir_repository, split_image
from oci_tei.contract._regions import region_name
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.preflight._permissions import (
    NeededPermission,
    caller_permissions,
    deployment_permissions,
    deployment_principal,
)
from oci_tei.deploy.preflight._service_limits import shape_limit
from oci_tei.deploy.spec import (
    DeploySpec,
    choose_image,
    expected_architecture,
    parse_shape,
    region_mismatch,
    tag_architecture,
    tei_start_refusal,
)

__all__ = ["Finding", "PreflightError", "PreflightReport", "run_preflight"]

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    """One check's result.

    Attributes:
        check: the check (``image``, ``iam``...).
        status: ``ok``, ``warn`` or ``FAIL``.
        message: what was found.
        why: why OCI would fail (failures and warnings).
        fix: the exact fix: a command, a policy statement, a limit request.
    """

    check: str
    status: str
    message: str
    why: str = ""
    fix: str = ""

    def render(self) -> str:
        """The finding as indented lines."""
        lines = [f"  {self.status:<4}  {self.check}: {self.message}"]
        if self.why:
            lines.append(f"        why: {self.why}")
        if self.fix:
            first, *rest = self.fix.splitlines()
            lines.append(f"        fix: {first}")
            lines += [f"             {line}" for line in rest]
        return "\n".join(lines)


@dataclass
class PreflightReport:
    """All findings, in check order."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        """The findings that would make OCI fail."""
        return [f for f in self.findings if f.status == FAIL]

    @property
    def ok(self) -> bool:
        """No failure (warnings allowed)."""
        return not self.failures

    def render(self) -> str:
        """Every finding, then a summary line."""
        warns = sum(f.status == WARN for f in self.findings)
        summary = (
            f"preflight: {len(self.failures)} failed, {warns} warning(s), "
            f"{len(self.findings) - len(self.failures) - warns} ok"
        )
        return "\n".join([*(f.render() for f in self.findings), summary])


class PreflightError(DeployError):
    """Preflight found what OCI would fail; nothing was uploaded or created."""

    def __init__(self, report: PreflightReport) -> None:
        self.report = report
        problems = "\n".join(
            f"  - {f.check}: {f.message}" + (f"\n    fix: {f.fix}" if f.fix else "")
            for f in report.failures
        )
        super().__init__(
            f"{len(report.failures)} problem(s) OCI would fail the deployment on; nothing was "
            f"uploaded or created (--skip-preflight skips these checks):\n{problems}",
            step="preflight",
        )


def _service_error() -> type[Exception]:
    import oci

    error: type[Exception] = oci.exceptions.ServiceError
    return error


def _describe(exc: Any) -> str:
    return f"OCI {exc.status} {exc.code}: {exc.message} (opc-request-id {exc.request_id})"


@dataclass
class _Context:
    session: DeploySession
    spec: DeploySpec
    resuming: bool
    report: PreflightReport = field(default_factory=PreflightReport)
    tenancy_id: str = ""
    user_id: str = ""
    parents: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    bucket_compartment: str = ""
    repository_compartment: str = ""
    log_group_compartments: list[str] = field(default_factory=list)
    image_copy: bool = False
    image_copy_compartment: str | None = None
    network_compartments: list[str] = field(default_factory=list)

    def add(self, check: str, status: str, message: str, why: str = "", fix: str = "") -> None:
        self.report.findings.append(Finding(check, status, message, why, fix))

    @contextmanager
    def guard(self, check: str, what: str, fix: str = "") -> Iterator[None]:
        """Turn an OCI service error into a failed finding."""
        try:
            yield
        except _service_error() as exc:
            why = "OCI answers the deployment's own calls the same way"
            self.add(check, FAIL, f"{what}: {_describe(exc)}", why, fix)

    def client(self, name: str, region: str | None = None) -> Any:
        import oci

        classes = {
            "identity": oci.identity.IdentityClient,
            "artifacts": oci.artifacts.ArtifactsClient,
            "limits": oci.limits.LimitsClient,
            "logging": oci.logging.LoggingManagementClient,
            "network": oci.core.VirtualNetworkClient,
            "data_science": oci.data_science.DataScienceClient,
            "object_storage": oci.object_storage.ObjectStorageClient,
        }
        return self.session.client(classes[name], region or self.spec.region)

    def tree(self) -> iam.CompartmentTree:
        return iam.CompartmentTree(self.tenancy_id, dict(self.parents), dict(self.names))

    def learn_compartment(self, compartment_id: str) -> Any:
        """Get a compartment and its ancestors (names and parents, for policy scopes)."""
        identity = self.client("identity")
        compartment = identity.get_compartment(compartment_id).data
        current = compartment
        while current is not None:
            self.names[current.id] = current.name
            parent = current.compartment_id
            if current.id.startswith("ocid1.tenancy.") or not parent or parent == current.id:
                self.tenancy_id = current.id  # the root of the tree is the tenancy
                break
            self.parents[current.id] = parent
            if parent in self.names:
                break
            current = identity.get_compartment(parent).data
        return compartment


def run_preflight(
    session: DeploySession, spec: DeploySpec, *, resuming: bool = False, image_copy: bool = False
) -> PreflightReport:
    """Run every check; never raises for what it finds (see :attr:`PreflightReport.ok`).

    Args:
        session: identity and endpoint.
        spec: the validated spec.
        resuming: this spec already has a live deployment (its instances already count
            against the limit).
        image_copy: a missing image is copied into OCIR by deploy's image step (a
            warning, and the caller needs ``manage repos``) instead of a failure.
    """
    context = _Context(session, spec, resuming)
    context.image_copy = image_copy
    checks: list[Callable[[_Context], None]] = [
        _compartment,
        _identity,
        _project,
        _shape,
        _limits,
        _image,
        _bucket,
        _logs,
        _network,
        _iam,
    ]
    for check in checks:
        check(context)
    return context.report


# -- identity, compartment, project ----------------------------------------------------------


def _caller(session: DeploySession) -> tuple[str, str]:
    """(user OCID or "", tenancy OCID or "") of the identity deploy runs as."""
    session.configure()
    auth = session.connection.ads_auth()
    config = auth.get("config") or {}
    user, tenancy = str(config.get("user") or ""), str(config.get("tenancy") or "")
    token_file = config.get("security_token_file")
    if not user and token_file:
        try:
            token = Path(str(token_file)).expanduser().read_text().strip()
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            user, tenancy = str(claims.get("sub", "")), tenancy or str(claims.get("tenant", ""))
        except (OSError, ValueError, IndexError):
            pass
    signer = auth.get("signer")
    if not tenancy:
        tenancy = str(getattr(signer, "tenancy_id", "") or "")
    return user, tenancy


def _identity(ctx: _Context) -> None:
    user, tenancy = _caller(ctx.session)
    ctx.user_id = user
    tenancy = ctx.tenancy_id = ctx.tenancy_id or tenancy  # the compartment tree's root wins
    who = user or f"{ctx.session.connection.auth.describe()} (a resource or instance principal)"
    if not tenancy:
        ctx.add("identity", OK, f"calling as {who}; tenancy from the compartment tree")
        return
    with ctx.guard("identity", f"cannot read tenancy {tenancy}"):
        identity = ctx.client("identity")
        details = identity.get_tenancy(tenancy).data
        regions = identity.list_region_subscriptions(tenancy).data
        home = next((r.region_name for r in regions if r.is_home_region), None)
        subscribed = sorted(r.region_name for r in regions)
        if ctx.spec.region not in subscribed:
            ctx.add(
                "identity",
                FAIL,
                f"tenancy {details.name} is not subscribed to {ctx.spec.region} "
                f"(subscribed: {', '.join(subscribed)})",
                "resources can only be created in subscribed regions",
                f"subscribe to {ctx.spec.region} (Console: Governance > Region Management), or "
                f"set region to one of {', '.join(subscribed)}",
            )
            return
        ctx.add(
            "identity",
            OK,
            f"{who} in tenancy {details.name} (home region {home}); {ctx.spec.region} subscribed",
        )


def _compartment(ctx: _Context) -> None:
    spec = ctx.spec
    with ctx.guard(
        "compartment",
        f"compartment {spec.compartment_id} cannot be read",
        "check compartment_id (OCI_TEI_COMPARTMENT_ID); to read it you need e.g. "
        "`allow group <your-group> to inspect compartments in tenancy`",
    ):
        compartment = ctx.learn_compartment(spec.compartment_id)
        if compartment.lifecycle_state != "ACTIVE":
            ctx.add(
                "compartment",
                FAIL,
                f"{compartment.name} is {compartment.lifecycle_state}",
                "OCI creates nothing in a compartment that is not ACTIVE",
                "use an ACTIVE compartment",
            )
            return
        ctx.add("compartment", OK, f"{ctx.tree().path(spec.compartment_id)} is ACTIVE")


def _project(ctx: _Context) -> None:
    spec = ctx.spec
    with ctx.guard(
        "project",
        f"project {spec.project_id} cannot be read",
        "check project_id (OCI_TEI_PROJECT_ID), or create the project: "
        f"`oci data-science project create --compartment-id {spec.compartment_id}`",
    ):
        project = ctx.client("data_science").get_project(spec.project_id).data
        if project.lifecycle_state != "ACTIVE":
            ctx.add(
                "project",
                FAIL,
                f"project {project.display_name} is {project.lifecycle_state}",
                "a model deployment needs an ACTIVE project",
                "use an ACTIVE project (project_id)",
            )
        elif project.compartment_id and project.compartment_id != spec.compartment_id:
            ctx.add(
                "project",
                WARN,
                f"project {project.display_name} is in compartment {project.compartment_id}, "
                "not the spec's",
                "the model and deployment are created in the spec's compartment",
            )
        else:
            ctx.add("project", OK, f"{project.display_name} is ACTIVE")


# -- shape, limits ----------------------------------------------------------------------------


def _instances(spec: DeploySpec) -> int:
    scaling = spec.infrastructure.autoscaling
    return scaling.max_replicas if scaling is not None else spec.infrastructure.replicas


def _shape(ctx: _Context) -> None:
    import oci

    shape = ctx.spec.infrastructure.shape
    with ctx.guard("shape", "cannot list model deployment shapes"):
        offered = oci.pagination.list_call_get_all_results(
            ctx.client("data_science").list_model_deployment_shapes, ctx.spec.compartment_id
        ).data
        names = sorted(item.name for item in offered)
        if shape not in names:
            ctx.add(
                "shape",
                FAIL,
                f"{shape} is not offered for model deployments in {ctx.spec.region}",
                "CreateModelDeployment refuses a shape the region does not offer",
                f"choose one of: {', '.join(names)}",
            )
            return
        ctx.add("shape", OK, f"{shape} is offered in {ctx.spec.region}")


def _limits(ctx: _Context) -> None:
    infra = ctx.spec.infrastructure
    limit = shape_limit(infra.shape, infra.ocpus)
    if limit is None:
        ctx.add("limits", WARN, f"no known Data Science limit for {infra.shape}")
        return
    if ctx.resuming:
        ctx.add("limits", OK, f"this spec's deployment already holds its {limit.name}")
        return
    instances = _instances(ctx.spec)
    needed = limit.needed(instances)
    try:
        availability = (
            ctx.client("limits")
            .get_resource_availability(DATA_SCIENCE_SERVICE, limit.name, ctx.spec.compartment_id)
            .data
        )
    except _service_error() as exc:
        ctx.add(
            "limits",
            WARN,
            f"cannot read {DATA_SCIENCE_SERVICE} limit {limit.name}: {_describe(exc)}",
            "preflight cannot tell whether the region has room; OCI refuses a deployment over "
            "its limit (LimitExceeded)",
            f"check that {limit.name} is the shape's limit (Console: Governance > Limits, "
            "Quotas and Usage, service Data Science); `allow group <your-group> to read "
            "resource-availability in tenancy` lets preflight read it",
        )
        return
    available = availability.fractional_availability
    if available is None:
        available = availability.available or 0
    if available < needed:
        ctx.add(
            "limits",
            FAIL,
            f"{limit.name}: {available:g} {limit.unit} available, {needed:g} needed "
            f"({instances} instance(s) of {infra.shape})",
            "OCI refuses the deployment (LimitExceeded) or cannot provision its instances",
            f"request a service limit increase of {DATA_SCIENCE_SERVICE} / {limit.name} to at "
            f"least {needed + (availability.fractional_usage or 0):g} in {ctx.spec.region} "
            "(Console: Governance > Limits, Quotas and Usage > Request a service limit "
            "increase), or lower replicas / autoscaling.max_replicas",
        )
        return
    ctx.add("limits", OK, f"{limit.name}: {available:g} {limit.unit} available, {needed:g} needed")


# -- image ------------------------------------------------------------------------------------


def _image(ctx: _Context) -> None:
    spec = ctx.spec
    choice = choose_image(spec)
    repository_text, tag = split_image(choice.target)
    repository = parse_ocir_repository(repository_text)
    fix = (
        f"copy it: `oci-tei image <spec>` copies {choice.source} into {choice.target} with your "
        "OCI identity (no docker), and so does `oci-tei deploy`"
    )
    mismatch = region_mismatch(repository.region, spec.region)
    if mismatch:
        ctx.add(
            "image",
            FAIL,
            mismatch,
            "the deployment cannot pull an image from another region's registry",
            f"push the image to {spec.region}'s registry and point container.ocir_repository at it",
        )
        return
    shape = parse_shape(spec.infrastructure.shape)
    expected = expected_architecture(shape)
    actual = tag_architecture(tag)
    refusal = tei_start_refusal(tag, shape)
    if refusal:
        ctx.add(
            "image",
            FAIL,
            f"tag {tag!r} is TEI's {actual} build; {spec.infrastructure.shape} needs {expected}",
            f"the container would not start: {refusal}",
            "use container.tei_version (the tag follows from the shape)",
        )
        return
    tenancy = ctx.tenancy_id or spec.compartment_id
    with ctx.guard("image", f"cannot list the images of {repository_text}", fix):
        import oci

        artifacts = ctx.client("artifacts", region_name(repository.region or "") or None)

        def images(**version: str) -> list[Any]:
            # Every page (OCI pages every List), whatever the filters.
            return list(
                oci.pagination.list_call_get_all_results(
                    artifacts.list_container_images,
                    tenancy,
                    compartment_id_in_subtree=True,
                    repository_name=repository.name,
                    **version,
                ).data
            )

        # Asked by tag, as OCI filters it; only a miss reads the whole repository, so the
        # finding can name the tags that are there.
        wanted = next((image for image in images(version=tag) if image.version == tag), None)
        if wanted is None:
            present = sorted({str(image.version) for image in images() if image.version})
            found = f" (its tags: {', '.join(present)})" if present else ""
            if ctx.image_copy and choice.needs_push:
                ctx.image_copy_compartment = spec.compartment_id
                ctx.add(
                    "image",
                    WARN,
                    f"{choice.target} is not in OCIR yet{found}: the image step copies "
                    f"{choice.source} there (registry to registry, your OCI identity)",
                )
                return
            ctx.add(
                "image",
                FAIL,
                f"{choice.target} is not in OCIR{found}",
                "the deployment would provision, then fail to pull the image",
                fix,
            )
            return
        ctx.repository_compartment = wanted.compartment_id or tenancy
        pinned = spec.container.image_digest
        if pinned and wanted.digest and pinned != wanted.digest:
            ctx.add(
                "image",
                FAIL,
                f"container.image_digest is {pinned} but {choice.target} names {wanted.digest}",
                "the deployment would run another image than the spec pins",
                "set container.image_digest to the tag's digest, or push the pinned image "
                "under the tag",
            )
            return
        digest = f" @ {wanted.digest}" if wanted.digest else ""
        ctx.add("image", OK, f"{choice.target} is in OCIR ({spec.region}){digest}")


# -- bucket, logs -----------------------------------------------------------------------------


def _bucket(ctx: _Context) -> None:
    artifact = ctx.spec.artifact
    name, namespace = artifact.bucket, artifact.namespace
    storage = ctx.client("object_storage")
    try:
        bucket = storage.get_bucket(namespace, name).data
    except _service_error() as exc:
        if exc.status != 404:  # type: ignore[attr-defined]
            ctx.add("bucket", FAIL, f"cannot read bucket {name}: {_describe(exc)}")
            return
        ctx.bucket_compartment = ctx.spec.compartment_id
        if artifact.create_bucket:
            ctx.add("bucket", OK, f"bucket {name} does not exist; deploy creates it versioned")
            return
        ctx.add(
            "bucket",
            FAIL,
            f"bucket {name} does not exist in namespace {namespace}",
            "the model files have nowhere to go",
            "set artifact.create_bucket: true, or create it versioned: `oci os bucket create "
            f"--namespace {namespace} --name {name} --compartment-id {ctx.spec.compartment_id} "
            "--versioning Enabled`",
        )
        return
    ctx.bucket_compartment = bucket.compartment_id
    if bucket.versioning != "Enabled":
        ctx.add(
            "bucket",
            FAIL,
            f"bucket {name} is not versioned (versioning: {bucket.versioning})",
            "a model by reference needs a versioned bucket",
            f"`oci os bucket update --namespace {namespace} --bucket-name {name} "
            "--versioning Enabled`",
        )
        return
    with ctx.guard("bucket", f"you cannot read bucket {name}"):
        storage.list_objects(namespace, name, prefix=artifact.prefix, limit=1)
        ctx.add("bucket", OK, f"{name} exists, is versioned and readable")


def _logs(ctx: _Context) -> None:
    targets = {
        (t.log_group_id, t.log_id) for t in (ctx.spec.logs.access, ctx.spec.logs.predict) if t
    }
    if not targets:
        ctx.add("logs", OK, "no access or predict log configured")
        return
    logging = ctx.client("logging")
    for group_id, log_id in sorted(targets):
        fix = "check logs.*.log_group_id / log_id (OCI_TEI_LOG_GROUP_ID, OCI_TEI_LOG_ID)"
        with ctx.guard("logs", f"log group {group_id} or log {log_id} not found", fix):
            group = logging.get_log_group(group_id).data
            logging.get_log(group_id, log_id)
            ctx.log_group_compartments.append(group.compartment_id or ctx.spec.compartment_id)
            ctx.add("logs", OK, f"log {log_id} in log group {group.display_name} exists")


def _network(ctx: _Context) -> None:
    """The private endpoint exists, fronts model deployments and is ACTIVE; the subnet exists."""
    infra = ctx.spec.infrastructure
    if infra.private_endpoint_id is None and infra.subnet_id is None:
        ctx.add("network", OK, "public endpoint, managed networking")
        return
    endpoint_id = infra.private_endpoint_id
    if endpoint_id is not None:
        fix = (
            "check infrastructure.private_endpoint_id: a Data Science private endpoint "
            "of type MODEL_DEPLOYMENT (oci data-science ds-private-endpoint list)"
        )
        data_science = ctx.client("data_science")
        with ctx.guard("network", f"private endpoint {endpoint_id} not found", fix):
            endpoint = data_science.get_data_science_private_endpoint(endpoint_id).data
            problem = private_endpoint_problem(endpoint, endpoint_id)
            if problem is None:
                ctx.network_compartments.append(endpoint.compartment_id)
                ctx.add("network", OK, f"private endpoint {endpoint.fqdn} is ACTIVE")
            else:
                ctx.add("network", FAIL, problem, "OCI would refuse the deployment", fix)
    if infra.subnet_id is not None:
        fix = "check infrastructure.subnet_id (oci network subnet get --subnet-id ...)"
        with ctx.guard("network", f"subnet {infra.subnet_id} not found", fix):
            subnet = ctx.client("network").get_subnet(infra.subnet_id).data
            ctx.network_compartments.append(subnet.compartment_id)
            ctx.add(
                "network",
                OK,
                f"subnet {subnet.display_name} ({subnet.cidr_block}) exists; "
                f"{infra.access_type}: egress needs a NAT or service gateway in its VCN",
            )


# -- IAM --------------------------------------------------------------------------------------


def _iam(ctx: _Context) -> None:
    import oci

    spec = ctx.spec
    if not ctx.tenancy_id or spec.compartment_id not in ctx.names:
        ctx.add("iam", WARN, "the compartment tree is unknown: cannot check policies")
        return
    identity = ctx.client("identity")
    for compartment in (ctx.bucket_compartment, ctx.repository_compartment):
        if compartment and compartment not in ctx.names:
            try:
                ctx.learn_compartment(compartment)
            except _service_error():
                pass
    tree = ctx.tree()
    bucket_compartment = ctx.bucket_compartment or spec.compartment_id
    needed = deployment_permissions(
        bucket=spec.artifact.bucket,
        bucket_compartment_id=bucket_compartment,
        repository_compartment_id=ctx.repository_compartment or ctx.tenancy_id,
        log_group_compartment_ids=tuple(ctx.log_group_compartments),
    ) + caller_permissions(
        compartment_id=spec.compartment_id,
        bucket=spec.artifact.bucket,
        bucket_compartment_id=bucket_compartment,
        create_bucket=spec.artifact.create_bucket,
        image_copy_compartment_id=ctx.image_copy_compartment,
        network_compartment_ids=tuple(ctx.network_compartments),
    )
    chain: list[str] = []
    for permission in needed:
        for compartment in tree.ancestors(permission.requirement.compartment_id):
            if compartment not in chain:
                chain.append(compartment)
    policies: list[tuple[str, list[str]]] = []
    unreadable: dict[str, str] = {}
    for compartment in chain:
        try:
            found = oci.pagination.list_call_get_all_results(
                identity.list_policies, compartment
            ).data
        except _service_error() as exc:
            status, code = exc.status, exc.code  # type: ignore[attr-defined]
            unreadable[compartment] = f"{tree.path(compartment)} ({status} {code})"
            continue
        policies += [(compartment, list(policy.statements or [])) for policy in found]
    rules = _dynamic_group_rules(identity, ctx.tenancy_id)
    caller, group = _caller_principal(identity, ctx)
    deployment = deployment_principal(spec.compartment_id)
    for permission in needed:
        principal = deployment if permission.who == "deployment" else caller
        decision = iam.evaluate(permission.requirement, principal, policies, tree, rules)
        unread = [
            unreadable[c]
            for c in tree.ancestors(permission.requirement.compartment_id)
            if c in unreadable
        ]
        _report_permission(ctx, permission, decision, tree, group, unread)


def _dynamic_group_rules(identity: Any, tenancy: str) -> dict[str, str]:
    import oci

    try:
        groups = oci.pagination.list_call_get_all_results(
            identity.list_dynamic_groups, tenancy
        ).data
    except _service_error():
        return {}
    rules: dict[str, str] = {}
    for group in groups:
        rules[str(group.name).lower()] = group.matching_rule
        rules[group.id] = group.matching_rule
    return rules


def _caller_principal(identity: Any, ctx: _Context) -> tuple[iam.Principal, str]:
    """The caller as an IAM principal, and a group name to suggest in statements."""
    import oci

    if not ctx.user_id.startswith("ocid1.user."):
        return iam.Principal("user", ctx.user_id, None), "<your-group>"
    try:
        memberships = oci.pagination.list_call_get_all_results(
            identity.list_user_group_memberships, ctx.tenancy_id, user_id=ctx.user_id
        ).data
        groups = [identity.get_group(m.group_id).data for m in memberships]
    except _service_error():
        return iam.Principal("user", ctx.user_id, None), "<your-group>"
    names = {str(g.name).lower() for g in groups} | {g.id for g in groups}
    suggestion = next(
        (g.name for g in groups if str(g.name).lower() != "administrators"), "<your-group>"
    )
    return iam.Principal("user", ctx.user_id, frozenset(names)), suggestion


def _report_permission(
    ctx: _Context,
    permission: NeededPermission,
    decision: iam.Decision,
    tree: iam.CompartmentTree,
    group: str,
    unreadable: list[str],
) -> None:
    requirement = permission.requirement
    who = "deployment's resource principal" if permission.who == "deployment" else "you"
    what = (
        f"{who}: {requirement.verb} {requirement.resource} in "
        f"{tree.path(requirement.compartment_id)} ({requirement.purpose})"
    )
    statement = permission.statement(tree, group)
    if decision.allowed:
        ctx.add("iam", OK, f"{what}; granted by: {decision.granted_by}")
        return
    if unreadable or decision.outcome is iam.Outcome.CANNOT_TELL:
        reasons = []
        if unreadable:
            reasons.append(f"policies not readable in {', '.join(unreadable)}")
        reasons += [f"cannot tell from {text!r} ({reason})" for text, reason in decision.unparsed]
        reasons += [f"cannot tell from {text!r}" for text in decision.undecided]
        ctx.add(
            "iam",
            WARN,
            f"{what}: not confirmed",
            "; ".join(reasons),
            f"make sure a policy says: {statement}",
        )
        return
    phase = (
        "the deployment would provision, then FAIL"
        if permission.who == "deployment"
        else "OCI would refuse the request (404 NotAuthorizedOrNotFound)"
    )
    ctx.add(
        "iam", FAIL, f"{what}: no policy grants it", phase, f"add the policy statement: {statement}"
    )
