"""Preflight: what OCI would fail on, checked before anything is uploaded or created.

The modules, in the order a deploy uses them:

* ``_checks`` — :func:`run_preflight`: identity, compartment, project, shape, limits,
  image, bucket, logs, IAM policies; each finding with its fix (:class:`PreflightReport`).
* ``_service_limits`` — the Limits API name of a shape's limit, and what a deployment uses.
* ``_permissions`` — the IAM permissions deploy and the deployment's resource principal
  need (evaluated by :mod:`oci_tei._iam`).
* ``_doctor`` — ``oci-tei doctor SPEC``: the checks alone.

The pipeline runs the checks as a step (:mod:`oci_tei.deploy.steps`). A new check is a
function in ``_checks`` called from :func:`run_preflight`, adding findings.
"""

from __future__ import annotations

from oci_tei.deploy.preflight._checks import (
    Finding,
    PreflightError,
    PreflightReport,
    run_preflight,
)
from oci_tei.deploy.preflight._permissions import (
    DEPLOYMENT_PRINCIPAL_TYPE,
    NeededPermission,
    caller_permissions,
    deployment_permissions,
    deployment_principal,
)
from oci_tei.deploy.preflight._service_limits import (
    DATA_SCIENCE_SERVICE,
    ShapeLimit,
    shape_limit,
)

__all__ = [
    "DATA_SCIENCE_SERVICE",
    "DEPLOYMENT_PRINCIPAL_TYPE",
    "Finding",
    "NeededPermission",
    "PreflightError",
    "PreflightReport",
    "ShapeLimit",
    "caller_permissions",
    "deployment_permissions",
    "deployment_principal",
    "run_preflight",
    "shape_limit",
]
