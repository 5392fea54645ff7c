"""OCI IAM policy statements: parse them and tell whether they grant a permission.

Preflight (:mod:`oci_tei.deploy.preflight._checks`) and the strict emulator share this module, so
the statements a user is told to add are exactly those the emulator honours. Only the
forms OCI's policy documentation gives are understood:

* ``allow <subject> to <verb> <resource-type> in <scope> [where <conditions>]``
* subjects ``group <name>``, ``group id <ocid>``, ``group '<domain>'/'<name>'``,
  ``dynamic-group <name>`` (same variants), comma-separated lists of those, ``any-user``,
  ``any-group``;
* verbs ``inspect`` < ``read`` < ``use`` < ``manage`` (each includes the ones before it);
* a resource type or an aggregate (``all-resources``, ``object-family``,
  ``data-science-family``, ``logging-family``...);
* scope ``tenancy``, ``compartment <name>`` or ``<a:b:c>`` path (from the compartment the
  policy is attached to), ``compartment id <ocid>``; a permission in a compartment is
  inherited by all compartments below it;
* conditions ``<variable> = | != '<value>'``, or ``all {...}`` / ``any {...}`` of those.

Anything else (``define``, ``endorse``, ``admit``, permission lists ``{A, B}``, unknown
variables, time-based or tag-based conditions) is reported as *cannot tell*, never guessed.

Sources: OCI "How Policies Work" and "Policy Syntax"
(https://docs.oracle.com/iaas/Content/Identity/Concepts/policysyntax.htm), "Model Deployment
Policies" (https://docs.oracle.com/iaas/data-science/using/model-dep-policies-auth.htm),
Data Science resource types (https://docs.oracle.com/iaas/data-science/using/policies.htm).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from oci_tei.contract._permissions import RESOURCE_FAMILIES, VERBS

__all__ = [
    "VERBS",
    "CompartmentTree",
    "Condition",
    "Decision",
    "Principal",
    "Requirement",
    "Statement",
    "Unparsed",
    "evaluate",
    "matching_rule_matches",
    "parse_matching_rule",
    "parse_statement",
]

#: Verbs in increasing order of power, and the aggregate resource types with what they
#: include: the cited tables of :mod:`oci_tei.contract._permissions`, which the emulator's
#: own evaluator reads too. ``repos`` names itself here so that a lookup by type never misses.
FAMILIES: dict[str, frozenset[str]] = {**RESOURCE_FAMILIES, "repos": frozenset({"repos"})}


class Unparsed(ValueError):
    """A statement in a form this module does not evaluate (the reason says which part)."""


@dataclass(frozen=True)
class Condition:
    """``variable = value`` (or ``!=``), or ``all``/``any`` of nested conditions."""

    variable: str = ""
    value: str = ""
    negated: bool = False
    combinator: str = ""  # "all" or "any" for a group
    parts: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One parsed ``allow`` statement.

    Attributes:
        text: the statement as written.
        subject_kind: ``group``, ``dynamic-group``, ``any-user`` or ``any-group``.
        subjects: group names or OCIDs (lower-cased names; a default-domain name is bare).
        verb: ``inspect``, ``read``, ``use`` or ``manage``.
        resource: the resource type or family.
        scope_kind: ``tenancy``, ``compartment`` (a path of names) or ``compartment-id``.
        scope: the path (``a:b``) or OCID; empty for the tenancy.
        condition: the ``where`` clause, if any.
    """

    text: str
    subject_kind: str
    subjects: tuple[str, ...]
    verb: str
    resource: str
    scope_kind: str
    scope: str = ""
    condition: Condition | None = None


_STATEMENT = re.compile(
    r"^\s*allow\s+(?P<subject>.+?)\s+to\s+(?P<verb>\S+)\s+(?P<resource>\S+)\s+in\s+"
    r"(?P<scope>tenancy|compartment\s+id\s+\S+|compartment\s+[^\s]+)"
    r"(?:\s+where\s+(?P<where>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SUBJECT = re.compile(
    r"^(?P<kind>group|dynamic-group)\s+(?:(?P<id>id)\s+(?P<ocid>ocid1\.\S+)|"
    r"'(?P<domain>[^']+)'\s*/\s*'(?P<qname>[^']+)'|(?P<name>[^\s',]+))$",
    re.IGNORECASE,
)
_CONDITION = re.compile(
    r"^(?P<var>[a-z][a-z0-9_.-]*)\s*(?P<op>!=|=)\s*(?P<value>'[^']*'|\"[^\"]*\"|[^\s,{}]+)$",
    re.IGNORECASE,
)
#: Variables this module can evaluate; any other makes a statement "cannot tell".
KNOWN_VARIABLES = frozenset(
    {
        "request.principal.type",
        "request.principal.id",
        "request.principal.compartment.id",
        "target.bucket.name",
        "target.compartment.id",
        "target.compartment.name",
        "resource.type",
        "resource.id",
        "resource.compartment.id",
    }
)


def parse_statement(text: str) -> Statement:
    """Parse one policy statement.

    Raises:
        Unparsed: not an ``allow`` statement in a documented form this module evaluates.
    """
    flat = " ".join(text.split())
    if re.search(r"\bto\s*\{", flat, re.IGNORECASE):
        raise Unparsed("permission lists {...} are not evaluated")
    match = _STATEMENT.match(flat)
    if not match:
        raise Unparsed(
            f"not an 'allow <subject> to <verb> <resource> in <scope>' statement: {flat}"
        )
    verb = match.group("verb").lower()
    if verb not in VERBS:
        raise Unparsed(f"verb {match.group('verb')!r} (only {', '.join(VERBS)} are evaluated)")
    resource = match.group("resource").lower()
    if resource.startswith("{"):
        raise Unparsed("permission lists {...} are not evaluated")
    subject_kind, subjects = _parse_subjects(match.group("subject"))
    scope_text = match.group("scope")
    words = scope_text.split()
    if words[0].lower() == "tenancy":
        scope_kind, scope = "tenancy", ""
    elif len(words) == 3 and words[1].lower() == "id":
        scope_kind, scope = "compartment-id", words[2]
    else:
        scope_kind, scope = "compartment", words[1]
    where = match.group("where")
    condition = _parse_condition(where.strip()) if where else None
    return Statement(flat, subject_kind, subjects, verb, resource, scope_kind, scope, condition)


def _parse_subjects(text: str) -> tuple[str, tuple[str, ...]]:
    lowered = text.strip().lower()
    if lowered in ("any-user", "any-group"):
        return lowered, ()
    kinds: set[str] = set()
    names: list[str] = []
    for part in (piece.strip() for piece in text.split(",")):
        match = _SUBJECT.match(part)
        if not match:
            raise Unparsed(f"subject {part!r}")
        kinds.add(match.group("kind").lower())
        if match.group("ocid"):
            names.append(match.group("ocid"))
        elif match.group("qname"):
            domain, name = match.group("domain"), match.group("qname")
            names.append(
                name.lower() if domain.lower() == "default" else f"{domain}/{name}".lower()
            )
        else:
            names.append(match.group("name").lower())
    if len(kinds) != 1:
        raise Unparsed("a subject list mixing groups and dynamic groups")
    return kinds.pop(), tuple(names)


def _parse_condition(text: str) -> Condition:
    text = text.strip()
    head = re.match(r"^(all|any)\s*\{(?P<body>.*)\}$", text, re.IGNORECASE | re.DOTALL)
    if head:
        body = head.group("body")
        if "{" in body:
            raise Unparsed("nested all/any conditions")
        parts = tuple(_parse_condition(piece) for piece in _split_commas(body))
        return Condition(combinator=head.group(1).lower(), parts=parts)
    match = _CONDITION.match(text)
    if not match:
        raise Unparsed(f"condition {text!r}")
    variable = match.group("var").lower()
    if variable not in KNOWN_VARIABLES:
        raise Unparsed(f"condition variable {variable!r}")
    value = match.group("value").strip("'\"")
    return Condition(variable=variable, value=value, negated=match.group("op") == "!=")


def _split_commas(body: str) -> list[str]:
    parts, current, quote = [], "", ""
    for char in body:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _condition_holds(condition: Condition, variables: Mapping[str, str]) -> bool | None:
    """True/False, or None when a variable it needs is unknown for this request."""
    if condition.combinator:
        results = [_condition_holds(part, variables) for part in condition.parts]
        if condition.combinator == "all":
            if any(result is False for result in results):
                return False
            return None if any(result is None for result in results) else True
        if any(result is True for result in results):
            return True
        return None if any(result is None for result in results) else False
    actual = variables.get(condition.variable)
    if actual is None:
        return None
    # OCI compares type names and resource names case-insensitively; OCIDs are lower case.
    equal = actual.lower() == condition.value.lower()
    return not equal if condition.negated else equal


def parse_matching_rule(rule: str) -> Condition:
    """Parse a dynamic group's matching rule.

    Raises:
        Unparsed: not a rule in the forms this module evaluates.
    """
    return _parse_condition(rule)


def matching_rule_matches(rule: str, variables: Mapping[str, str]) -> bool | None:
    """Whether a dynamic group's matching rule includes a resource.

    Rules are ``resource.type = '...'`` style conditions, or ``all {...}`` / ``any {...}``
    of them (Managing Dynamic Groups, "Writing Matching Rules"). None: cannot tell.
    """
    try:
        return _condition_holds(_parse_condition(rule), variables)
    except Unparsed:
        return None


@dataclass(frozen=True)
class CompartmentTree:
    """Compartment names and parents, for resolving scopes and inheritance.

    Attributes:
        tenancy_id: the root compartment (the tenancy).
        parents: compartment OCID -> parent OCID (the tenancy has none).
        names: compartment OCID -> name.
    """

    tenancy_id: str
    parents: Mapping[str, str]
    names: Mapping[str, str]

    def ancestors(self, compartment_id: str) -> list[str]:
        """``compartment_id`` and every compartment above it, up to the tenancy."""
        chain = [compartment_id]
        while chain[-1] != self.tenancy_id and chain[-1] in self.parents:
            chain.append(self.parents[chain[-1]])
        if chain[-1] != self.tenancy_id:
            chain.append(self.tenancy_id)
        return chain

    def resolve(self, path: str, attached_to: str) -> str | None:
        """The OCID a ``compartment a:b`` scope names in a policy attached to ``attached_to``."""
        segments = [segment.lower() for segment in path.split(":") if segment]
        found = self._walk(attached_to, segments)
        if found is None and segments and self.names.get(attached_to, "").lower() == segments[0]:
            found = self._walk(attached_to, segments[1:])  # the attached compartment, by name
        return found

    def _walk(self, start: str, segments: Sequence[str]) -> str | None:
        current = start
        for segment in segments:
            child = next(
                (
                    ocid
                    for ocid, parent in self.parents.items()
                    if parent == current and self.names.get(ocid, "").lower() == segment
                ),
                None,
            )
            if child is None:
                return None
            current = child
        return current

    def path(self, compartment_id: str) -> str:
        """The scope naming a compartment in a statement attached to the tenancy.

        ``tenancy``, ``compartment a:b``, or ``compartment id <ocid>`` when a name is unknown.
        """
        if compartment_id == self.tenancy_id:
            return "tenancy"
        chain = self.ancestors(compartment_id)[:-1]
        if any(ocid not in self.names for ocid in chain):
            return f"compartment id {compartment_id}"  # a name on the way is unknown
        return "compartment " + ":".join(self.names[ocid] for ocid in reversed(chain))


@dataclass(frozen=True)
class Principal:
    """Who asks: a user (with groups) or a resource (with its type and compartment).

    Attributes:
        kind: ``user`` or ``resource``.
        id: the principal's OCID, when known.
        groups: names (lower case) and OCIDs of the user's groups; None when unknown.
        resource_type: for resources, e.g. ``datasciencemodeldeployment``.
        compartment_id: for resources, the compartment they live in.
    """

    kind: str
    id: str = ""
    groups: frozenset[str] | None = frozenset()
    resource_type: str = ""
    compartment_id: str = ""

    def variables(self) -> dict[str, str]:
        """The ``request.principal.*`` (and matching-rule ``resource.*``) variables."""
        found = {"request.principal.type": self.resource_type or self.kind}
        if self.id:
            found["request.principal.id"] = found["resource.id"] = self.id
        if self.compartment_id:
            found["request.principal.compartment.id"] = self.compartment_id
            found["resource.compartment.id"] = self.compartment_id
        if self.resource_type:
            found["resource.type"] = self.resource_type
        return found


@dataclass(frozen=True)
class Requirement:
    """A permission a principal needs: ``<verb> <resource>`` in a compartment.

    Attributes:
        verb: the least verb that does.
        resource: the individual resource type (``objects``, ``repos``, ``log-content``...).
        compartment_id: where the resource lives.
        target: ``target.*`` variables of the request (``target.bucket.name``...).
        purpose: why it is needed, for findings.
    """

    verb: str
    resource: str
    compartment_id: str
    target: Mapping[str, str] = field(default_factory=dict)
    purpose: str = ""


class Outcome(str, Enum):
    """What the statements say about one requirement."""

    ALLOWED = "allowed"
    DENIED = "denied"
    CANNOT_TELL = "cannot tell"


@dataclass(frozen=True)
class Decision:
    """The outcome, the statement that grants it, and the statements left unread.

    Attributes:
        outcome: allowed, denied (no statement grants it), or cannot tell.
        granted_by: the granting statement's text.
        unparsed: statements (text, reason) in forms this module does not evaluate.
        undecided: statements that might grant it but depend on what is unknown.
    """

    outcome: Outcome
    granted_by: str | None = None
    unparsed: tuple[tuple[str, str], ...] = ()
    undecided: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether some statement grants the requirement."""
        return self.outcome is Outcome.ALLOWED


def _resource_covers(granted: str, needed: str) -> bool:
    if granted in ("all-resources", needed):
        return True
    return needed in FAMILIES.get(granted, frozenset())


def evaluate(
    requirement: Requirement,
    principal: Principal,
    policies: Iterable[tuple[str, Sequence[str]]],
    tree: CompartmentTree,
    dynamic_groups: Mapping[str, str] | None = None,
) -> Decision:
    """Whether the policies grant ``requirement`` to ``principal``.

    Args:
        requirement: what is needed, where.
        principal: who needs it.
        policies: ``(attached compartment OCID, statements)`` for every policy to consider
            (those of the requirement's compartment and its ancestors).
        tree: the compartments, for scopes and inheritance.
        dynamic_groups: dynamic group name (lower case) or OCID -> matching rule.
    """
    dynamic_groups = dynamic_groups or {}
    covered = set(tree.ancestors(requirement.compartment_id))
    variables = {**principal.variables(), **requirement.target}
    variables.setdefault("target.compartment.id", requirement.compartment_id)
    if requirement.compartment_id in tree.names:
        variables.setdefault("target.compartment.name", tree.names[requirement.compartment_id])
    unparsed: list[tuple[str, str]] = []
    undecided: list[str] = []
    for attached, statements in policies:
        for text in statements:
            if not text.strip().lower().startswith("allow"):
                if text.strip():
                    unparsed.append((text, "only 'allow' statements are evaluated"))
                continue
            try:
                statement = parse_statement(text)
            except Unparsed as exc:
                unparsed.append((text, str(exc)))
                continue
            verdict = _grants(statement, attached, requirement, principal, variables, tree, covered,
                              dynamic_groups)  # fmt: skip
            if verdict is True:
                return Decision(Outcome.ALLOWED, statement.text, tuple(unparsed), tuple(undecided))
            if verdict is None:
                undecided.append(statement.text)
    outcome = Outcome.CANNOT_TELL if unparsed or undecided else Outcome.DENIED
    return Decision(outcome, None, tuple(unparsed), tuple(undecided))


def _grants(
    statement: Statement,
    attached: str,
    requirement: Requirement,
    principal: Principal,
    variables: Mapping[str, str],
    tree: CompartmentTree,
    covered: set[str],
    dynamic_groups: Mapping[str, str],
) -> bool | None:
    if VERBS.index(statement.verb) < VERBS.index(requirement.verb):
        return False
    if not _resource_covers(statement.resource, requirement.resource):
        return False
    if statement.scope_kind == "tenancy":
        scope: str | None = tree.tenancy_id if attached == tree.tenancy_id else None
    elif statement.scope_kind == "compartment-id":
        scope = statement.scope
    else:
        scope = tree.resolve(statement.scope, attached)
    if scope is None or scope not in covered:
        return False
    subject = _subject_matches(statement, principal, dynamic_groups)
    if subject is False:
        return False
    condition = (
        True if statement.condition is None else _condition_holds(statement.condition, variables)
    )
    if condition is False:
        return False
    return None if subject is None or condition is None else True


def _subject_matches(
    statement: Statement, principal: Principal, dynamic_groups: Mapping[str, str]
) -> bool | None:
    if statement.subject_kind == "any-user":
        return True
    if statement.subject_kind == "any-group":
        return principal.kind == "user"
    if statement.subject_kind == "group":
        if principal.kind != "user":
            return False
        if principal.groups is None:
            return None
        return any(name in principal.groups for name in statement.subjects)
    # dynamic-group: a resource principal is a member when a matching rule includes it.
    if principal.kind != "resource":
        return False
    results = []
    for name in statement.subjects:
        rule = dynamic_groups.get(name)
        results.append(None if rule is None else matching_rule_matches(rule, principal.variables()))
    if any(result is True for result in results):
        return True
    return None if any(result is None for result in results) else False
