"""``oci-tei delete``: delete a deployment this tool created (the model by reference stays)."""

from __future__ import annotations

from typing import Any

from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.manage._lookup import check_owned

__all__ = ["delete"]


def delete(session: DeploySession, deployment: Any, *, expected_owner: str | None = None) -> None:
    """Request the deletion.

    Raises:
        OwnershipError: Not created by oci-tei (or by another spec).
    """
    check_owned(deployment, expected_owner)
    session.data_science().delete_model_deployment(deployment.id)
