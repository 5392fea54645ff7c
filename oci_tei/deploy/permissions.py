"""Compatibility path for :mod:`oci_tei.deploy.preflight`'s permissions (the emulator's import).

The OCI emulator (``oci_tei_emulator._authorization``) imports these names from here; it
is owned elsewhere and moves to ``oci_tei.deploy.preflight`` (or to the rule tables in
``oci_tei.contract``) separately. Nothing in ``oci_tei`` imports this module.
"""

from __future__ import annotations

from oci_tei.deploy.preflight import (
    DEPLOYMENT_PRINCIPAL_TYPE,
    NeededPermission,
    caller_permissions,
    deployment_permissions,
    deployment_principal,
)

__all__ = [
    "DEPLOYMENT_PRINCIPAL_TYPE",
    "NeededPermission",
    "caller_permissions",
    "deployment_permissions",
    "deployment_principal",
]
