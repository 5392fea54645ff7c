"""Identity API subset (``/20160918``): tenancy, regions, users, compartments, groups, policies.

Paths and JSON shapes are those of ``oci.identity.IdentityClient`` (``get_tenancy``,
``list_region_subscriptions``, ``get_user``, ``get_compartment``, ``create_compartment``,
``list_compartments``, ``create_policy``, ``list_policies``, ``create_group``,
``get_group``, ``list_groups``, ``add_user_to_group``, ``list_user_group_memberships``,
``create_dynamic_group``, ``list_dynamic_groups``). Writes are not authorized: the
emulator's callers administer its tenancy.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from oci_tei_emulator._context import EmulatorContext
from oci_tei_emulator._errors import OCIError, invalid_parameter, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._lists import listed
from oci_tei_emulator._policy import rule_problem
from oci_tei_emulator._tenancy import (
    TENANCY,
    TenancyState,
    page,
    region_key,
    region_name,
    require_compartment,
)
from oci_tei_emulator._wire import from_wire, model_response

__all__ = ["add_routes"]

SERVICE = "identity"
API = "/20160918"


def _state(request: web.Request) -> TenancyState:
    return request.app[TENANCY]


async def _body(request: web.Request, type_name: str) -> Any:
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    return from_wire(SERVICE, body, type_name)


def _auth(request: web.Request) -> None:
    request.app[CONTEXT].authenticate(request)


def _listed(request: web.Request, items: list[Any]) -> web.Response:
    chunk, headers = page(request, items)
    return model_response(SERVICE, chunk, headers=headers)


def _tenancy_only(request: web.Request, state: TenancyState) -> str:
    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    if compartment != state.config.tenancy_id:
        raise invalid_parameter("compartmentId must be the tenancy OCID for this resource.")
    return compartment


async def get_tenancy(request: web.Request) -> web.Response:
    """GetTenancy."""
    import oci

    _auth(request)
    state = _state(request)
    if request.match_info["id"] != state.config.tenancy_id:
        raise not_found("tenancy")
    key = region_key(state.config.region) or state.config.region
    tenancy = oci.identity.models.Tenancy(
        id=state.config.tenancy_id,
        name="emulatortenancy",
        description="The oci-tei emulator's tenancy",
        home_region_key=key.upper(),
    )
    return model_response(SERVICE, tenancy)


async def list_region_subscriptions(request: web.Request) -> web.Response:
    """ListRegionSubscriptions: the emulator's region, the home region."""
    import oci

    _auth(request)
    state = _state(request)
    if request.match_info["id"] != state.config.tenancy_id:
        raise not_found("tenancy")
    region = region_name(state.config.region)
    key = region_key(region) or region
    subscription = oci.identity.models.RegionSubscription(
        region_key=key.upper(), region_name=region, status="READY", is_home_region=True
    )
    return model_response(SERVICE, [subscription])


async def get_user(request: web.Request) -> web.Response:
    """GetUser: any user OCID the emulator's keys sign for exists."""
    import oci

    _auth(request)
    user_id = request.match_info["id"]
    if not user_id.startswith("ocid1.user."):
        raise not_found("user")
    user = oci.identity.models.User(
        id=user_id,
        compartment_id=_state(request).config.tenancy_id,
        name=user_id.rsplit(".", 1)[-1],
        description="emulator user",
        lifecycle_state="ACTIVE",
    )
    return model_response(SERVICE, user)


async def get_compartment(request: web.Request) -> web.Response:
    """GetCompartment (the tenancy OCID names the root compartment)."""
    _auth(request)
    return model_response(SERVICE, require_compartment(_state(request), request.match_info["id"]))


async def create_compartment(request: web.Request) -> web.Response:
    """CreateCompartment below ``compartmentId``."""
    details = await _body(request, "CreateCompartmentDetails")
    state = _state(request)
    if not details.compartment_id or not details.name or not details.description:
        raise invalid_parameter("compartmentId, name and description are required.")
    require_compartment(state, details.compartment_id)
    with state.lock:
        clash = any(
            c.compartment_id == details.compartment_id and c.name == details.name
            for c in state.compartments.values()
        )
    if clash:
        raise OCIError(409, "CompartmentAlreadyExists", f"Compartment {details.name} exists.")
    compartment = state.add_compartment(
        details.name, details.compartment_id, description=details.description
    )
    return model_response(SERVICE, compartment)


async def list_compartments(request: web.Request) -> web.Response:
    """ListCompartments: children of ``compartmentId`` (or its whole subtree)."""
    _auth(request)
    state = _state(request)
    parent = request.query.get("compartmentId")
    if not parent:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    subtree = request.query.get("compartmentIdInSubtree") == "true"
    tree = state.tree()
    with state.lock:
        items = [
            c
            for c in state.compartments.values()
            if c.compartment_id
            and (c.compartment_id == parent or (subtree and parent in tree.ancestors(c.id)[1:]))
        ]
    return _listed(request, listed(request, "ListCompartments", items))


async def create_policy(request: web.Request) -> web.Response:
    """CreatePolicy: statements are stored as written (OCI accepts forms we do not evaluate)."""
    details = await _body(request, "CreatePolicyDetails")
    state = _state(request)
    if not details.compartment_id or not details.name or not details.statements:
        raise invalid_parameter("compartmentId, name, statements and description are required.")
    require_compartment(state, details.compartment_id)
    for statement in details.statements:
        if not str(statement).strip():
            raise invalid_parameter("A policy statement must not be empty.")
    policy = state.add_policy(details.name, details.compartment_id, list(details.statements))
    if details.description:
        policy.description = details.description
    return model_response(SERVICE, policy)


async def list_policies(request: web.Request) -> web.Response:
    """ListPolicies attached to one compartment."""
    _auth(request)
    state = _state(request)
    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    require_compartment(state, compartment)
    with state.lock:
        items = [p for p in state.policies.values() if p.compartment_id == compartment]
    return _listed(request, listed(request, "ListPolicies", items))


async def create_group(request: web.Request) -> web.Response:
    """CreateGroup."""
    details = await _body(request, "CreateGroupDetails")
    if not details.name:
        raise invalid_parameter("name is required.")
    return model_response(
        SERVICE, _state(request).add_group(details.name, description=details.description or "")
    )


async def get_group(request: web.Request) -> web.Response:
    """GetGroup."""
    _auth(request)
    state = _state(request)
    with state.lock:
        group = state.groups.get(request.match_info["id"])
    if group is None:
        raise not_found("group")
    return model_response(SERVICE, group)


async def list_groups(request: web.Request) -> web.Response:
    """ListGroups (compartmentId: the tenancy)."""
    _auth(request)
    state = _state(request)
    _tenancy_only(request, state)
    with state.lock:
        items = list(state.groups.values())
    return _listed(request, items)


async def add_user_to_group(request: web.Request) -> web.Response:
    """AddUserToGroup."""
    details = await _body(request, "AddUserToGroupDetails")
    state = _state(request)
    if not details.user_id or details.group_id not in state.groups:
        raise invalid_parameter("userId and an existing groupId are required.")
    return model_response(SERVICE, state.add_membership(details.user_id, details.group_id))


async def list_user_group_memberships(request: web.Request) -> web.Response:
    """ListUserGroupMemberships of a user or a group (default groups hold every user)."""
    import oci

    _auth(request)
    state = _state(request)
    tenancy = _tenancy_only(request, state)
    user_id = request.query.get("userId")
    group_id = request.query.get("groupId")
    if not user_id and not group_id:
        raise OCIError(400, "MissingParameter", "userId or groupId is required.")
    items: list[Any] = []
    if user_id:
        explicit = {m.group_id: m for m in state.memberships if m.user_id == user_id}
        for gid in state.group_ids_of(user_id):
            items.append(
                explicit.get(gid)
                or oci.identity.models.UserGroupMembership(
                    id=f"ocid1.groupmembership.oc1..default{gid[-12:]}",
                    compartment_id=tenancy,
                    group_id=gid,
                    user_id=user_id,
                    lifecycle_state="ACTIVE",
                    time_created=state.groups[gid].time_created,
                )
            )
        if group_id:
            items = [m for m in items if m.group_id == group_id]
    else:
        items = [m for m in state.memberships if m.group_id == group_id]
    return _listed(request, items)


async def create_dynamic_group(request: web.Request) -> web.Response:
    """CreateDynamicGroup; the matching rule must be one :mod:`._policy` can read."""
    details = await _body(request, "CreateDynamicGroupDetails")
    if not details.name or not details.matching_rule:
        raise invalid_parameter("name and matchingRule are required.")
    problem = rule_problem(details.matching_rule)
    if problem is not None:
        raise invalid_parameter(f"Invalid matching rule: {problem}")
    group = _state(request).add_dynamic_group(
        details.name, details.matching_rule, details.description or ""
    )
    return model_response(SERVICE, group)


async def list_dynamic_groups(request: web.Request) -> web.Response:
    """ListDynamicGroups (compartmentId: the tenancy)."""
    _auth(request)
    state = _state(request)
    _tenancy_only(request, state)
    with state.lock:
        items = list(state.dynamic_groups.values())
    return _listed(request, items)


def add_routes(app: web.Application) -> None:
    """Register the Identity routes under ``/20160918``."""
    r = app.router
    r.add_get(f"{API}/tenancies/{{id}}", get_tenancy)
    r.add_get(f"{API}/tenancies/{{id}}/regionSubscriptions", list_region_subscriptions)
    r.add_get(f"{API}/users/{{id}}", get_user)
    r.add_get(f"{API}/compartments/{{id}}", get_compartment)
    r.add_post(f"{API}/compartments", create_compartment)
    r.add_get(f"{API}/compartments", list_compartments)
    r.add_post(f"{API}/policies", create_policy)
    r.add_get(f"{API}/policies", list_policies)
    r.add_post(f"{API}/groups", create_group)
    r.add_get(f"{API}/groups", list_groups)
    r.add_get(f"{API}/groups/{{id}}", get_group)
    r.add_post(f"{API}/userGroupMemberships", add_user_to_group)
    r.add_get(f"{API}/userGroupMemberships", list_user_group_memberships)
    r.add_post(f"{API}/dynamicGroups", create_dynamic_group)
    r.add_get(f"{API}/dynamicGroups", list_dynamic_groups)
