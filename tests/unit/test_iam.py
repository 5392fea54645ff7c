"""Policy statements: the documented forms, matched statement by statement; others "cannot tell"."""

from __future__ import annotations

import pytest

from oci_tei._iam import (
    CompartmentTree,
    Outcome,
    Principal,
    Requirement,
    Unparsed,
    evaluate,
    parse_statement,
)

TENANCY = "ocid1.tenancy.oc1..root"
PROJECTS = "ocid1.compartment.oc1..projects"
ML = "ocid1.compartment.oc1..ml"
OTHER = "ocid1.compartment.oc1..other"
TREE = CompartmentTree(
    TENANCY,
    parents={PROJECTS: TENANCY, ML: PROJECTS, OTHER: TENANCY},
    names={TENANCY: "root", PROJECTS: "Projects", ML: "ml", OTHER: "other"},
)
USER = Principal("user", "ocid1.user.oc1..jane", frozenset({"data-scientists", "ocid1.group..ds"}))
DEPLOYMENT = Principal(
    "resource", "ocid1.datasciencemodeldeployment.oc1..md", frozenset(),
    "datasciencemodeldeployment", ML,
)  # fmt: skip
NOTEBOOK = Principal(
    "resource", "ocid1.datasciencenotebooksession.oc1..nb", frozenset(),
    "datasciencenotebooksession", ML,
)  # fmt: skip
MANAGE_MD = Requirement("manage", "data-science-model-deployments", ML)
READ_OBJECTS = Requirement("read", "objects", ML, {"target.bucket.name": "models"})


def decide(
    statements: list[str],
    requirement: Requirement = MANAGE_MD,
    principal: Principal = USER,
    attached: str = TENANCY,
    dynamic_groups: dict[str, str] | None = None,
) -> Outcome:
    return evaluate(requirement, principal, [(attached, statements)], TREE, dynamic_groups).outcome


@pytest.mark.parametrize(
    "statement",
    [
        "allow group data-scientists to manage data-science-model-deployments in compartment Projects:ml",
        "Allow group Data-Scientists to manage data-science-family in compartment Projects",
        "allow group 'Default'/'data-scientists' to manage all-resources in tenancy",
        "allow group id ocid1.group..ds to manage data-science-model-deployments in tenancy",
        "allow group admins, group data-scientists to manage data-science-family in tenancy",
        "allow group data-scientists to manage data-science-model-deployments "
        f"in compartment id {ML}",
        "allow any-group to manage data-science-family in tenancy",
    ],
)
def test_group_subjects_and_scopes_grant(statement: str) -> None:
    assert decide([statement]) is Outcome.ALLOWED


@pytest.mark.parametrize(
    "statement",
    [
        "allow group admins to manage data-science-family in tenancy",  # another group
        "allow group data-scientists to use data-science-model-deployments in tenancy",  # verb
        "allow group data-scientists to manage data-science-models in tenancy",  # resource
        "allow group data-scientists to manage data-science-family in compartment other",  # scope
        f"allow group data-scientists to manage all-resources in compartment id {OTHER}",
        "allow dynamic-group data-scientists to manage all-resources in tenancy",  # a user
    ],
)
def test_what_does_not_grant(statement: str) -> None:
    assert decide([statement]) is Outcome.DENIED


def test_inheritance_goes_down_not_up() -> None:
    parent = "allow group data-scientists to manage data-science-family in compartment Projects"
    assert decide([parent]) is Outcome.ALLOWED
    child = "allow group data-scientists to manage data-science-family in compartment Projects:ml"
    assert decide([child], Requirement("manage", "data-science-models", PROJECTS)) is (
        Outcome.DENIED
    )


def test_a_policy_attached_to_a_compartment_names_compartments_from_there() -> None:
    # Attached to Projects: "ml" is its child; "Projects:ml" names it from itself too.
    for scope in ("ml", "Projects:ml", "Projects"):
        statement = (
            f"allow group data-scientists to manage data-science-family in compartment {scope}"
        )
        assert decide([statement], attached=PROJECTS) is Outcome.ALLOWED
    # "in tenancy" from a compartment's policy reaches nothing.
    statement = "allow group data-scientists to manage all-resources in tenancy"
    assert decide([statement], attached=PROJECTS) is Outcome.DENIED


def test_any_user_with_the_deployments_principal_type() -> None:
    documented = (
        "allow any-user to read objects in compartment Projects where ALL "
        "{request.principal.type='datasciencemodeldeployment', target.bucket.name='models'}"
    )
    assert decide([documented], READ_OBJECTS, DEPLOYMENT) is Outcome.ALLOWED
    assert decide([documented], READ_OBJECTS, NOTEBOOK) is Outcome.DENIED
    other_bucket = documented.replace("'models'", "'other'")
    assert decide([other_bucket], READ_OBJECTS, DEPLOYMENT) is Outcome.DENIED
    single = (
        "allow any-user to read repos in tenancy "
        "where request.principal.type = 'datasciencemodeldeployment'"
    )
    repos = Requirement("read", "repos", TENANCY)
    assert decide([single], repos, DEPLOYMENT) is Outcome.ALLOWED
    negated = single.replace(" = ", " != ")
    assert decide([negated], repos, DEPLOYMENT) is Outcome.DENIED
    any_of = (
        "allow any-user to read repos in tenancy where ANY "
        "{request.principal.type='datasciencejobrun', request.principal.type='datasciencemodeldeployment'}"
    )
    assert decide([any_of], repos, DEPLOYMENT) is Outcome.ALLOWED


def test_dynamic_group_membership_by_matching_rule() -> None:
    statement = "allow dynamic-group md-dg to read objects in compartment Projects"
    rules = {
        "md-dg": f"ALL {{resource.type='datasciencemodeldeployment', resource.compartment.id='{ML}'}}"
    }
    assert decide([statement], READ_OBJECTS, DEPLOYMENT, dynamic_groups=rules) is Outcome.ALLOWED
    assert decide([statement], READ_OBJECTS, NOTEBOOK, dynamic_groups=rules) is Outcome.DENIED
    # A dynamic group whose rule is unknown: cannot tell.
    assert decide([statement], READ_OBJECTS, DEPLOYMENT) is Outcome.CANNOT_TELL


def test_unknown_groups_cannot_tell() -> None:
    statement = "allow group data-scientists to manage data-science-family in tenancy"
    unknown = Principal("user", "ocid1.user..x", None)
    assert decide([statement], principal=unknown) is Outcome.CANNOT_TELL


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("define tenancy Acme as ocid1.tenancy.oc1..acme", "only 'allow' statements"),
        ("endorse group data-scientists to manage all-resources in tenancy Acme", "only 'allow'"),
        ("allow group data-scientists to {DATA_SCIENCE_MODEL_DEPLOYMENT_CREATE} in tenancy",
         "permission lists"),
        ("allow group data-scientists to manage all-resources in tenancy "
         "where request.utc-timestamp.month-of-year = '1'", "condition variable"),
        ("allow group data-scientists to administer all-resources in tenancy", "verb"),
        ("allow service datascience to use virtual-network-family in tenancy", "subject"),
    ],
)  # fmt: skip
def test_forms_it_does_not_parse_cannot_tell(statement: str, reason: str) -> None:
    decision = evaluate(MANAGE_MD, USER, [(TENANCY, [statement])], TREE)
    assert decision.outcome is Outcome.CANNOT_TELL
    assert reason in decision.unparsed[0][1]


def test_a_grant_wins_over_statements_it_cannot_read() -> None:
    statements = [
        "allow group data-scientists to {DATA_SCIENCE_MODEL_DEPLOYMENT_CREATE} in tenancy",
        "allow group data-scientists to manage data-science-family in tenancy",
    ]
    decision = evaluate(MANAGE_MD, USER, [(TENANCY, statements)], TREE)
    assert decision.allowed
    assert decision.granted_by == statements[1]


def test_parse_statement_fields() -> None:
    statement = parse_statement(
        "Allow  group 'Default'/'DS'  to READ objects in compartment a:b "
        "where target.bucket.name='m'"
    )
    assert (statement.subject_kind, statement.subjects, statement.verb) == (
        "group",
        ("ds",),
        "read",
    )
    assert (statement.resource, statement.scope_kind, statement.scope) == (
        "objects",
        "compartment",
        "a:b",
    )
    assert statement.condition is not None
    assert statement.condition.variable == "target.bucket.name"
    with pytest.raises(Unparsed):
        parse_statement("allow everyone to do everything")


def test_tree_paths() -> None:
    assert TREE.path(TENANCY) == "tenancy"
    assert TREE.path(ML) == "compartment Projects:ml"
    assert TREE.ancestors(ML) == [ML, PROJECTS, TENANCY]
    assert (
        TREE.path("ocid1.compartment.oc1..unknown")
        == "compartment id ocid1.compartment.oc1..unknown"
    )
