"""List calls honour their documented parameters: ``limit``, ``sortBy``, ``sortOrder``, filters.

The emulator's own reading of the table :data:`oci_tei.contract._lists.LISTS` (from the
SDK's docstrings): a ``limit`` outside the documented range, or a ``sortBy`` /
``sortOrder`` value the SDK does not allow, is 400 InvalidParameter; every documented
filter is applied (all at once); items are sorted as asked, or by the documented default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from aiohttp import web

from oci_tei.contract._lists import LISTS
from oci_tei_emulator._errors import invalid_parameter

__all__ = ["listed"]

T = TypeVar("T")


def _key(value: Any) -> tuple[int, Any]:
    # None sorts first; everything else by its own order (strings case-sensitively, as
    # the docstrings say of displayName).
    return (0, "") if value is None else (1, value)


def listed(request: web.Request, operation: str, items: Sequence[T]) -> list[T]:
    """``items`` filtered and sorted as the List call asks.

    Raises:
        OCIError: 400 InvalidParameter for an undocumented limit, sortBy or sortOrder.
    """
    rule = LISTS[operation]
    query = request.query
    if rule.limit is not None and "limit" in query:
        low, high = rule.limit
        try:
            limit = int(query["limit"])
        except ValueError:
            raise invalid_parameter("limit must be an integer.") from None
        if not low <= limit <= high:
            raise invalid_parameter(f"limit must be between {low} and {high} ({operation}).")
    order = query.get("sortOrder")
    if order is not None and order not in ("ASC", "DESC"):
        raise invalid_parameter(f"sortOrder must be ASC or DESC, not {order!r}.")
    sort_by = query.get("sortBy")
    if sort_by is not None and sort_by not in rule.sort_by:
        allowed = ", ".join(rule.sort_by) or "none"
        raise invalid_parameter(f"sortBy {sort_by!r} is not one of {allowed} ({operation}).")
    found = [
        item
        for item in items
        if all(
            str(getattr(item, attribute, None)) == query[name]
            for name, attribute in rule.filters.items()
            if name in query
        )
    ]
    field = sort_by or rule.default_sort
    if field is None:
        return found
    descending = order == "DESC" if order else field in rule.descending
    attribute = rule.sort_by[field]
    return sorted(found, key=lambda item: _key(getattr(item, attribute, None)), reverse=descending)
