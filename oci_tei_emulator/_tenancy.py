"""The emulated tenancy: compartments, IAM, OCIR images, service limits, logs — and ``--strict``.

Without ``strict`` the tenancy is open, as the emulator always was: any compartment or
project OCID exists, every image is pushed, no limit is set, every log exists, and its
one policy, ``allow any-user to manage all-resources in tenancy``, lets everyone do
everything. With ``strict`` only what was declared (:class:`~.config.EmulatorConfig`) or
created through the Identity API exists, and a model deployment is held to what OCI
checks, at the phase OCI checks it:

* CreateModelDeployment: the caller needs ``manage data-science-model-deployments`` in
  the compartment (else 404 NotAuthorizedOrNotFound, OCI's answer for "not authorized");
  the shape's Data Science limit must leave room for its instances (else 400
  LimitExceeded, OCI's documented code for a request over a service limit).
* Provisioning (the work request, then FAILED with the reason in its errors and in
  ``lifecycle_details``): the deployment's resource principal reads the model's objects
  (artifact download), then the image must exist in this region's OCIR and the principal
  read ``repos`` (pull), then use ``log-content`` for the logs it writes.

The permissions are the data of :mod:`oci_tei.contract._permissions`; statements are
evaluated by the emulator's own :mod:`._policy`, and a statement in a form it does not
read is reported as "cannot evaluate", never as a denial.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from oci_tei.contract._ocir import OCIR_REPOSITORY_PATTERN
from oci_tei.contract._permissions import OperationPermission
from oci_tei_emulator import _policy as iam
from oci_tei_emulator._config import EmulatorConfig
from oci_tei_emulator._context import logger
from oci_tei_emulator._errors import OCIError, not_found
from oci_tei_emulator._signature import Principal as SignedPrincipal

__all__ = [
    "ADMINISTRATORS",
    "OPEN_LIMIT",
    "OPEN_POLICY",
    "TENANCY",
    "TENANT_ADMIN_POLICY",
    "OcirImage",
    "TenancyState",
    "now",
    "ocid",
    "page",
    "parse_image",
    "region_name",
    "require_compartment",
]

OPEN_POLICY = "allow any-user to manage all-resources in tenancy"
#: A strict tenancy's built-in group and policy, as every OCI tenancy has them.
ADMINISTRATORS = "Administrators"
TENANT_ADMIN_POLICY = "ALLOW GROUP Administrators to manage all-resources IN TENANCY"
#: Every Data Science limit of an open tenancy.
OPEN_LIMIT = 1_000_000
EMULATOR_USER = "ocid1.user.oc1..aaaaaaaaemulatoruser"


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.timezone.utc)


def ocid(kind: str) -> str:
    """A fresh regionless OCID (Identity resources are global)."""
    return f"ocid1.{kind}.oc1..aaaaaaaa{uuid.uuid4().hex}"


@dataclass(frozen=True)
class OcirImage:
    """An image declared as pushed: ``<host>/<namespace>/<repository>:<tag>``."""

    host: str
    region: str
    namespace: str
    repository: str
    tag: str
    repository_id: str
    image_id: str

    @property
    def reference(self) -> str:
        """``host/namespace/repository:tag``."""
        return f"{self.host}/{self.namespace}/{self.repository}:{self.tag}"


def region_name(region: str) -> str:
    """A region name for a region key (``iad`` -> ``us-ashburn-1``) or name (unchanged).

    The oci SDK's own table (``oci.regions.REGIONS_SHORT_NAMES``) translates keys.
    """
    import oci

    lowered = region.strip().lower()
    if "-" in lowered:
        return lowered
    return str(oci.regions.REGIONS_SHORT_NAMES.get(lowered) or lowered)


def region_key(name: str) -> str | None:
    """The region key of a region name (``us-ashburn-1`` -> ``iad``), when the SDK knows it."""
    import oci

    lowered = name.strip().lower()
    if "-" not in lowered:
        return lowered
    return next((k for k, v in oci.regions.REGIONS_SHORT_NAMES.items() if v == lowered), None)


def parse_image(reference: str) -> tuple[str, str, str, str, str]:
    """``(host, region name, namespace, repository, tag)`` of an OCIR image reference.

    A reference without a tag is ``latest`` here (what a registry pulls); deployment
    creates refuse it (:mod:`._validation`).

    Raises:
        ValueError: not ``<region>.ocir.io/<namespace>/<repository>[:<tag>]``.
    """
    reference = reference.split("@", 1)[0]
    repository, _, tag = reference.rpartition(":")
    if not repository or "/" in tag:
        repository, tag = reference, "latest"
    match = OCIR_REPOSITORY_PATTERN.match(repository)
    if not match:
        raise ValueError(
            f"{reference!r} is not an OCIR repository image: expected "
            "<region>.ocir.io/<tenancy-namespace>/<name>[:<tag>]"
        )
    region = match.group("region") or match.group("region_id") or ""
    return (
        match.group("host"),
        region_name(region),
        match.group("namespace"),
        match.group("name"),
        tag,
    )


@dataclass
class TenancyState:
    """Everything Identity, Artifacts, Limits and Logging know about the tenancy."""

    config: EmulatorConfig
    compartments: dict[str, Any] = field(default_factory=dict)
    policies: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    memberships: list[Any] = field(default_factory=list)
    dynamic_groups: dict[str, Any] = field(default_factory=dict)
    images: list[OcirImage] = field(default_factory=list)
    logs: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        import oci

        models = oci.identity.models
        config = self.config
        self.compartments[config.tenancy_id] = models.Compartment(
            id=config.tenancy_id,
            compartment_id=None,
            name="emulatortenancy",
            description="The emulator's tenancy (root compartment)",
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        for name, compartment_id in config.compartments.items():
            self.add_compartment(name, config.tenancy_id, compartment_id)
        for name in config.user_groups:
            self.add_group(name, default=True)
        if not config.strict:
            self.add_policy("oci-tei-emulator-open", config.tenancy_id, [OPEN_POLICY])
        else:
            # Every OCI tenancy has an Administrators group and the Tenant Admin Policy
            # (Identity overview, "The Administrators Group and Policy").
            self.add_group(ADMINISTRATORS, description="Tenancy administrators")
            self.add_policy("Tenant Admin Policy", config.tenancy_id, [TENANT_ADMIN_POLICY])
        for reference in config.ocir_images:
            self.add_image(reference)
        for entry in config.logs:
            group, _, log = entry.partition("/")
            self.logs.setdefault(group, set()).update({log} if log else set())

    @property
    def strict(self) -> bool:
        """Whether only declared things exist and policies are enforced."""
        return self.config.strict

    # -- building ---------------------------------------------------------------------------

    def add_compartment(
        self, name: str, parent: str, compartment_id: str | None = None, description: str = ""
    ) -> Any:
        """A compartment below ``parent``."""
        import oci

        compartment = oci.identity.models.Compartment(
            id=compartment_id or ocid("compartment"),
            compartment_id=parent,
            name=name,
            description=description or name,
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        with self.lock:
            self.compartments[compartment.id] = compartment
        return compartment

    def add_policy(self, name: str, compartment_id: str, statements: list[str]) -> Any:
        """A policy attached to ``compartment_id``."""
        import oci

        policy = oci.identity.models.Policy(
            id=ocid("policy"),
            compartment_id=compartment_id,
            name=name,
            description=name,
            statements=list(statements),
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        with self.lock:
            self.policies[policy.id] = policy
        return policy

    def add_group(self, name: str, *, default: bool = False, description: str = "") -> Any:
        """A group; ``default`` groups hold every user."""
        import oci

        group = oci.identity.models.Group(
            id=ocid("group"),
            compartment_id=self.config.tenancy_id,
            name=name,
            description=description or ("every user" if default else name),
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        group.freeform_tags = {"oci-tei-emulator-default": "true"} if default else {}
        with self.lock:
            self.groups[group.id] = group
        return group

    def add_membership(self, user_id: str, group_id: str) -> Any:
        """Put a user in a group."""
        import oci

        membership = oci.identity.models.UserGroupMembership(
            id=ocid("groupmembership"),
            compartment_id=self.config.tenancy_id,
            group_id=group_id,
            user_id=user_id,
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        with self.lock:
            self.memberships.append(membership)
        return membership

    def add_dynamic_group(self, name: str, matching_rule: str, description: str = "") -> Any:
        """A dynamic group with its matching rule."""
        import oci

        group = oci.identity.models.DynamicGroup(
            id=ocid("dynamicgroup"),
            compartment_id=self.config.tenancy_id,
            name=name,
            description=description or name,
            matching_rule=matching_rule,
            lifecycle_state="ACTIVE",
            time_created=now(),
        )
        with self.lock:
            self.dynamic_groups[group.id] = group
        return group

    def add_image(self, reference: str) -> OcirImage:
        """Declare an image as pushed.

        Raises:
            ValueError: not an OCIR image reference.
        """
        host, region, namespace, repository, tag = parse_image(reference)
        with self.lock:
            repository_id = next(
                (
                    image.repository_id
                    for image in self.images
                    if (image.region, image.namespace, image.repository)
                    == (region, namespace, repository)
                ),
                f"ocid1.containerrepo.oc1.{region}.{uuid.uuid4().hex}",
            )
            image = OcirImage(
                host,
                region,
                namespace,
                repository,
                tag,
                repository_id,
                f"ocid1.containerimage.oc1.{region}.{uuid.uuid4().hex}",
            )
            self.images.append(image)
        return image

    # -- questions --------------------------------------------------------------------------

    def compartment(self, compartment_id: str) -> Any | None:
        """A compartment; in an open tenancy any compartment OCID exists (below the root)."""
        with self.lock:
            found = self.compartments.get(compartment_id)
        if found is None and not self.strict and compartment_id.startswith("ocid1.compartment."):
            found = self.add_compartment(
                compartment_id.rsplit(".", 1)[-1][-12:] or "compartment",
                self.config.tenancy_id,
                compartment_id,
            )
        return found

    def tree(self) -> iam.CompartmentTree:
        """The compartment tree, for policy scopes."""
        with self.lock:
            items = list(self.compartments.values())
        return iam.CompartmentTree(
            tenancy_id=self.config.tenancy_id,
            parents={c.id: c.compartment_id for c in items if c.compartment_id},
            names={c.id: c.name for c in items},
        )

    def dynamic_group_rules(self) -> dict[str, str]:
        """Dynamic group name (lower case) and OCID -> matching rule."""
        rules: dict[str, str] = {}
        with self.lock:
            for group in self.dynamic_groups.values():
                rules[str(group.name).lower()] = group.matching_rule
                rules[group.id] = group.matching_rule
        return rules

    def group_ids_of(self, user_id: str) -> list[str]:
        """The groups a user belongs to (default groups hold everyone)."""
        with self.lock:
            ids = [
                g.id
                for g in self.groups.values()
                if (g.freeform_tags or {}).get("oci-tei-emulator-default")
            ]
            ids += [m.group_id for m in self.memberships if m.user_id == user_id]
        return list(dict.fromkeys(ids))

    def caller(self, principal: SignedPrincipal) -> iam.Principal:
        """The IAM principal of a signed request."""
        if principal.principal_type in ("resource", "instance"):
            kind = principal.subject.split(".")[1] if principal.subject.count(".") > 2 else ""
            return iam.Principal("resource", principal.subject, frozenset(), kind)
        names: set[str] = set()
        for group_id in self.group_ids_of(principal.subject):
            names.add(group_id)
            names.add(str(self.groups[group_id].name).lower())
        return iam.Principal("user", principal.subject, frozenset(names))

    def decide(self, principal: iam.Principal, requirement: iam.Requirement) -> iam.Decision:
        """Whether the policies of the compartment and its ancestors grant the requirement."""
        tree = self.tree()
        chain = set(tree.ancestors(requirement.compartment_id))
        with self.lock:
            policies = [
                (p.compartment_id, list(p.statements))
                for p in self.policies.values()
                if p.compartment_id in chain
            ]
        return iam.evaluate(requirement, principal, policies, tree, self.dynamic_group_rules())

    def authorize(
        self,
        principal: iam.Principal,
        need: OperationPermission,
        compartment_id: str,
        operation: str,
        target: dict[str, str] | None = None,
        *,
        refuse: bool = True,
    ) -> bool:
        """Whether the policies grant an operation's need in a compartment (:meth:`decide`).

        The one decision every strict check makes: the middleware's, the predict gateway's
        and Resource Search's filter.

        Args:
            principal: who asks.
            need: the operation's row of ``OPERATION_PERMISSIONS`` (or of another cited table).
            compartment_id: where the operation acts.
            operation: ``request.operation`` (a service prefix, ``logging:``, is dropped).
            target: ``target.*`` variables of the request.
            refuse: raise OCI's answer instead of returning False (False: only ask, to
                filter what a caller may see).

        Raises:
            OCIError: 404 NotAuthorizedOrNotFound (OCI's answer for "not authorized") when
                nothing grants it and ``refuse``; 501 CannotEvaluatePolicy when nothing
                grants it but a statement the evaluator cannot read might: the emulator's
                limit, never an IAM denial.
        """
        name = operation.rpartition(":")[2]
        decision = self.decide(
            principal,
            iam.Requirement(
                need.verb,
                need.resource,
                compartment_id,
                permission=need.permission,
                operation=name,
                target=target or {},
            ),
        )
        if decision.allowed or not (refuse or decision.undecided):
            return decision.allowed
        if decision.undecided:
            message = (
                f"{name} needs {need.verb} {need.resource} ({need.permission}) in "
                f"{self.tree().path(compartment_id)}; {decision.explain()}. This is the "
                "emulator's limit, not an IAM denial."
            )
            logger.warning("%s", message)
            raise OCIError(501, "CannotEvaluatePolicy", message)
        logger.info(
            "%s refused: %s may not %s %s in %s",
            name,
            principal.id,
            need.verb,
            need.resource,
            compartment_id,
        )
        raise not_found(f"{need.resource} ({name}: no policy grants {need.verb} {need.resource})")

    def image(self, reference: str) -> OcirImage | None:
        """The declared image for a reference in this emulator's region, if pushed."""
        try:
            _, region, namespace, repository, tag = parse_image(reference)
        except ValueError:
            return None
        with self.lock:
            return next(
                (
                    image
                    for image in self.images
                    if (image.region, image.namespace, image.repository, image.tag)
                    == (region, namespace, repository, tag)
                ),
                None,
            )

    def limit(self, name: str) -> int | None:
        """A declared limit's value; None when not declared (not enforced).

        An open tenancy has room for anything: every Data Science limit is huge there.
        """
        value = self.config.limits.get(name)
        if value is None and not self.strict and name.startswith("ds-"):
            return OPEN_LIMIT
        return value

    def log_exists(self, log_group_id: str, log_id: str | None = None) -> bool:
        """Whether a log group (and a log in it) exists."""
        if not self.strict:
            return log_group_id.startswith("ocid1.loggroup.") and (
                log_id is None or log_id.startswith("ocid1.log.")
            )
        with self.lock:
            logs = self.logs.get(log_group_id)
        return logs is not None and (log_id is None or log_id in logs)


TENANCY = web.AppKey("oci_tei_tenancy", TenancyState)


def page(request: web.Request, items: Iterable[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of a List call (``limit``, ``page``) and its ``opc-next-page`` header."""
    listed = list(items)
    try:
        start = int(request.query.get("page", "0"))
        size = int(request.query.get("limit", "0")) or len(listed) or 1
    except ValueError:
        raise OCIError(400, "InvalidParameter", "page and limit must be integers.") from None
    chunk = listed[start : start + size]
    headers = {"opc-next-page": str(start + size)} if start + size < len(listed) else {}
    return chunk, headers


def require_compartment(state: TenancyState, compartment_id: str) -> Any:
    """The compartment, or OCI's 404."""
    found = state.compartment(compartment_id)
    if found is None:
        raise not_found("compartment")
    return found
