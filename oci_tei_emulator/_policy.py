"""The strict emulator's own IAM policy evaluator (never the product's matcher).

It reads OCI's policy language as the "Policy Syntax" and "Managing Dynamic Groups" pages
describe it (https://docs.oracle.com/iaas/Content/Identity/Concepts/policysyntax.htm,
https://docs.oracle.com/iaas/Content/Identity/Tasks/managingdynamicgroups.htm) and the
resource families and verbs of :mod:`oci_tei.contract._permissions`:

* ``allow <subject> to <verb> <resource-type> in <scope> [where <conditions>]`` and
  ``allow <subject> to {PERMISSION, ...} in <scope> [where ...]``;
* subjects ``any-user``, ``any-group``, ``group <name>``, ``group id <ocid>``,
  ``group '<domain>'/'<name>'``, ``dynamic-group`` in the same forms, lists of those;
* scopes ``tenancy``, ``compartment <name>`` / ``<a:b:c>`` (from the compartment the
  policy is attached to), ``compartment id <ocid>``; a grant covers the compartments below;
* conditions ``<variable> = | != '<value>'`` and ``ALL {...}`` / ``ANY {...}`` blocks,
  nested. A variable that does not apply to the request makes its condition false, as
  Policy Syntax says ("If a variable is not applicable to the incoming request, the
  condition evaluates to false").
* dynamic groups: their matching rules (``resource.type``, ``resource.id``,
  ``resource.compartment.id`` in ``ALL``/``ANY`` blocks) decide who is a member.

A statement, condition or matching rule in a form this module does not read (``define``,
``endorse``, tag or time variables...) is *not evaluated*: the decision lists it in
``cannot`` and the caller says "cannot evaluate statement ...", never "not authorized".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from oci_tei.contract._permissions import RESOURCE_FAMILIES, VERBS

__all__ = [
    "CompartmentTree",
    "Decision",
    "NotEvaluated",
    "Principal",
    "Requirement",
    "evaluate",
    "rule_problem",
]

#: Variables the emulator knows for a request (any other makes a condition not evaluated).
KNOWN_VARIABLES = frozenset(
    {
        "request.operation",
        "request.permission",
        "request.principal.type",
        "request.principal.id",
        "request.principal.compartment.id",
        "request.user.id",
        "target.compartment.id",
        "target.compartment.name",
        "target.bucket.name",
        "target.repo.name",
        "target.loggroup.id",
    }
)
#: Variables a dynamic group's matching rule may name (Writing Matching Rules).
RULE_VARIABLES = frozenset({"resource.type", "resource.id", "resource.compartment.id"})


class NotEvaluated(ValueError):
    """A statement or rule in a form the emulator does not read (the reason says which)."""


@dataclass(frozen=True)
class Principal:
    """Who makes a request.

    Attributes:
        kind: ``user`` or ``resource``.
        id: the OCID.
        groups: for users, their group names (lower case) and OCIDs.
        resource_type: for resources, e.g. ``datasciencemodeldeployment``.
        compartment_id: for resources, their compartment.
    """

    kind: str
    id: str = ""
    groups: frozenset[str] = frozenset()
    resource_type: str = ""
    compartment_id: str = ""

    def variables(self) -> dict[str, str]:
        """``request.principal.*`` variables and a matching rule's ``resource.*`` ones."""
        found = {"request.principal.type": self.resource_type or self.kind}
        if self.id:
            found["request.principal.id"] = found["resource.id"] = self.id
            if self.kind == "user":
                found["request.user.id"] = self.id
        if self.compartment_id:
            found["request.principal.compartment.id"] = self.compartment_id
            found["resource.compartment.id"] = self.compartment_id
        if self.resource_type:
            found["resource.type"] = self.resource_type
        return found


@dataclass(frozen=True)
class Requirement:
    """What one request needs: a verb on a resource type (or a permission) in a compartment.

    Attributes:
        verb: the least verb that grants it.
        resource: the individual resource type.
        compartment_id: the compartment the resource is in.
        permission: the permission name (for ``to {PERMISSION}`` statements).
        operation: the API operation (``request.operation``).
        target: further ``target.*`` variables (``target.bucket.name``...).
    """

    verb: str
    resource: str
    compartment_id: str
    permission: str = ""
    operation: str = ""
    target: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """Whether a statement grants the requirement; the statements not evaluated.

    Attributes:
        allowed: a statement grants it.
        granted_by: that statement.
        cannot: ``(statement, reason)`` for each statement that might grant it but was
            not evaluated.
    """

    allowed: bool
    granted_by: str | None = None
    cannot: tuple[tuple[str, str], ...] = ()

    @property
    def undecided(self) -> bool:
        """Nothing grants it, but a statement the emulator cannot evaluate might."""
        return not self.allowed and bool(self.cannot)

    def explain(self) -> str:
        """``cannot evaluate statement '...' (reason)`` for every statement not evaluated."""
        return "; ".join(f"cannot evaluate statement {text!r} ({why})" for text, why in self.cannot)


@dataclass(frozen=True)
class CompartmentTree:
    """Compartment parents and names, for scopes and inheritance."""

    tenancy_id: str
    parents: Mapping[str, str]
    names: Mapping[str, str]

    def ancestors(self, compartment_id: str) -> list[str]:
        """The compartment and those above it, up to the tenancy."""
        chain = [compartment_id]
        while chain[-1] != self.tenancy_id and chain[-1] in self.parents:
            chain.append(self.parents[chain[-1]])
        if chain[-1] != self.tenancy_id:
            chain.append(self.tenancy_id)
        return chain

    def path(self, compartment_id: str) -> str:
        """The scope naming a compartment in a statement attached to the tenancy."""
        if compartment_id == self.tenancy_id:
            return "tenancy"
        names = []
        for ocid in self.ancestors(compartment_id)[:-1]:
            if ocid not in self.names:
                return f"compartment id {compartment_id}"
            names.append(self.names[ocid])
        return "compartment " + ":".join(reversed(names))

    def resolve(self, path: str, attached: str) -> str | None:
        """The compartment ``a:b`` names, from the compartment the policy is attached to."""
        current: str | None = attached
        for segment in (s.lower() for s in path.split(":") if s):
            current = next(
                (
                    ocid
                    for ocid, parent in self.parents.items()
                    if parent == current and self.names.get(ocid, "").lower() == segment
                ),
                None,
            )
            if current is None:
                return None
        return current


# -- conditions ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<brace>[{},])|(?P<quoted>'[^']*'|\"[^\"]*\")|(?P<op>!=|=)|(?P<word>[^\s{},=!'\"]+))"
)


@dataclass(frozen=True)
class _Cond:
    variable: str = ""
    value: str = ""
    negated: bool = False
    combinator: str = ""
    parts: tuple[_Cond, ...] = ()


def _tokens(text: str) -> list[str]:
    found: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise NotEvaluated(f"condition {text!r}")
        found.append(match.group().strip())
        position = match.end()
    return [token for token in found if token]


def _parse(tokens: list[str], known: frozenset[str]) -> _Cond:
    condition, rest = _parse_one(tokens, known)
    if rest:
        raise NotEvaluated(f"unexpected {' '.join(rest)!r} in a condition")
    return condition


def _parse_one(tokens: list[str], known: frozenset[str]) -> tuple[_Cond, list[str]]:
    if len(tokens) >= 2 and tokens[0].lower() in ("all", "any") and tokens[1] == "{":
        parts: list[_Cond] = []
        rest = tokens[2:]
        while True:
            part, rest = _parse_one(rest, known)
            parts.append(part)
            if not rest:
                raise NotEvaluated("a condition block without its closing '}'")
            if rest[0] == ",":
                rest = rest[1:]
                continue
            if rest[0] == "}":
                return _Cond(combinator=tokens[0].lower(), parts=tuple(parts)), rest[1:]
            raise NotEvaluated(f"unexpected {rest[0]!r} in a condition block")
    if len(tokens) < 3 or tokens[1] not in ("=", "!="):
        raise NotEvaluated(f"condition {' '.join(tokens[:3])!r}")
    variable = tokens[0].lower()
    if variable not in known:
        raise NotEvaluated(f"the variable {variable!r} is not evaluated by the emulator")
    value = tokens[2]
    if value[:1] in "'\"":
        value = value[1:-1]
    return _Cond(variable=variable, value=value, negated=tokens[1] == "!="), tokens[3:]


def _holds(condition: _Cond, variables: Mapping[str, str]) -> bool:
    if condition.combinator == "all":
        return all(_holds(part, variables) for part in condition.parts)
    if condition.combinator == "any":
        return any(_holds(part, variables) for part in condition.parts)
    actual = variables.get(condition.variable)
    if actual is None:  # not applicable to this request: the condition is false
        return False
    # Names and types compare case-insensitively (Policy Syntax, "Conditions").
    equal = actual.lower() == condition.value.lower()
    return not equal if condition.negated else equal


def rule_problem(rule: str) -> str | None:
    """Why the emulator cannot read a dynamic group's matching rule, or None."""
    try:
        _parse(_tokens(rule), RULE_VARIABLES)
    except NotEvaluated as exc:
        return str(exc)
    return None


# -- statements ---------------------------------------------------------------------------

_STATEMENT = re.compile(
    r"^allow\s+(?P<subject>.+?)\s+to\s+(?:\{(?P<perms>[^}]*)\}|(?P<verb>\S+)\s+(?P<resource>\S+))"
    r"\s+in\s+(?P<scope>tenancy|compartment\s+id\s+\S+|compartment\s+\S+)"
    r"(?:\s+where\s+(?P<where>.+))?$",
    re.IGNORECASE | re.DOTALL,
)
#: Cross-tenancy statements: they grant nothing to the tenancy's own principals.
_CROSS_TENANCY = ("define", "endorse", "admit")
_SUBJECT = re.compile(
    r"^(?P<kind>group|dynamic-group)\s+(?:id\s+(?P<ocid>ocid1\.\S+)|"
    r"'(?P<domain>[^']+)'\s*/\s*'(?P<qname>[^']+)'|(?P<name>[^\s',]+))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Statement:
    text: str
    subject_kind: str
    subjects: tuple[str, ...]
    verb: str
    resource: str
    permissions: frozenset[str]
    scope_kind: str
    scope: str
    where: str


def _subjects(text: str) -> tuple[str, tuple[str, ...]]:
    lowered = text.strip().lower()
    if lowered in ("any-user", "any-group"):
        return lowered, ()
    kinds, names = set(), []
    for part in (piece.strip() for piece in text.split(",")):
        match = _SUBJECT.match(part)
        if not match:
            raise NotEvaluated(f"the subject {part!r}")
        kinds.add(match.group("kind").lower())
        if match.group("ocid"):
            names.append(match.group("ocid"))
        elif match.group("qname"):
            domain, name = match.group("domain").lower(), match.group("qname").lower()
            names.append(name if domain == "default" else f"{domain}/{name}")
        else:
            names.append(match.group("name").lower())
    if len(kinds) != 1:
        raise NotEvaluated("a subject list mixing groups and dynamic groups")
    return kinds.pop(), tuple(names)


def _statement(text: str) -> _Statement:
    flat = " ".join(text.split())
    match = _STATEMENT.match(flat)
    if not match:
        raise NotEvaluated("not 'allow <subject> to <verb> <resource-type> in <scope> ...'")
    kind, subjects = _subjects(match.group("subject"))
    verb = (match.group("verb") or "").lower()
    if match.group("perms") is None and verb not in VERBS:
        raise NotEvaluated(f"the verb {verb!r}")
    permissions = frozenset(
        p.strip().upper() for p in (match.group("perms") or "").split(",") if p.strip()
    )
    words = match.group("scope").split()
    if words[0].lower() == "tenancy":
        scope_kind, scope = "tenancy", ""
    elif len(words) == 3 and words[1].lower() == "id":
        scope_kind, scope = "id", words[2]
    else:
        scope_kind, scope = "path", words[1]
    resource = (match.group("resource") or "").lower()
    return _Statement(flat, kind, subjects, verb, resource, permissions, scope_kind, scope,
                      match.group("where") or "")  # fmt: skip


def _covers(statement: _Statement, requirement: Requirement) -> bool:
    if statement.permissions:
        return requirement.permission.upper() in statement.permissions
    if VERBS.index(statement.verb) < VERBS.index(requirement.verb):
        return False
    granted = statement.resource
    return granted in ("all-resources", requirement.resource) or requirement.resource in (
        RESOURCE_FAMILIES.get(granted, frozenset())
    )


def _member(
    statement: _Statement, principal: Principal, rules: Mapping[str, str]
) -> tuple[bool, str | None]:
    """Whether the principal is a subject; the second value: why it cannot tell."""
    if statement.subject_kind == "any-user":
        return True, None
    if statement.subject_kind == "any-group":
        return principal.kind == "user", None
    if statement.subject_kind == "group":
        return principal.kind == "user" and bool(set(statement.subjects) & principal.groups), None
    if principal.kind != "resource":
        return False, None
    reasons = []
    for name in statement.subjects:
        rule = rules.get(name)
        if rule is None:
            continue  # no such dynamic group: it has no members
        try:
            condition = _parse(_tokens(rule), RULE_VARIABLES)
        except NotEvaluated as exc:
            reasons.append(f"dynamic group {name}'s matching rule {rule!r}: {exc}")
            continue
        if _holds(condition, principal.variables()):
            return True, None
    return False, ("; ".join(reasons) or None)


def evaluate(
    requirement: Requirement,
    principal: Principal,
    policies: Iterable[tuple[str, Sequence[str]]],
    tree: CompartmentTree,
    dynamic_groups: Mapping[str, str],
) -> Decision:
    """Whether the policies grant ``requirement`` to ``principal``.

    Args:
        requirement: what the request needs, where.
        principal: who makes it.
        policies: ``(attached compartment, statements)`` of the policies to consider.
        tree: the compartments.
        dynamic_groups: dynamic group name (lower case) and OCID -> matching rule.
    """
    covered = set(tree.ancestors(requirement.compartment_id))
    variables = {**principal.variables(), **requirement.target}
    variables["target.compartment.id"] = requirement.compartment_id
    if requirement.compartment_id in tree.names:
        variables["target.compartment.name"] = tree.names[requirement.compartment_id]
    if requirement.operation:
        variables["request.operation"] = requirement.operation
    if requirement.permission:
        variables["request.permission"] = requirement.permission
    cannot: list[tuple[str, str]] = []
    for attached, statements in policies:
        for text in statements:
            if not text.strip() or text.split()[0].lower() in _CROSS_TENANCY:
                continue
            try:
                statement = _statement(text)
            except NotEvaluated as exc:
                cannot.append((" ".join(text.split()), str(exc)))
                continue
            if not _covers(statement, requirement):
                continue
            if statement.scope_kind == "tenancy":
                scope = tree.tenancy_id if attached == tree.tenancy_id else None
            elif statement.scope_kind == "id":
                scope = statement.scope
            else:
                scope = tree.resolve(statement.scope, attached)
            if scope not in covered:
                continue
            member, unknown = _member(statement, principal, dynamic_groups)
            if not member:
                if unknown:
                    cannot.append((statement.text, unknown))
                continue
            try:
                condition = (
                    _parse(_tokens(statement.where), KNOWN_VARIABLES) if statement.where else None
                )
            except NotEvaluated as exc:
                cannot.append((statement.text, str(exc)))
                continue
            if condition is None or _holds(condition, variables):
                return Decision(True, statement.text, tuple(cannot))
    return Decision(False, None, tuple(cannot))
