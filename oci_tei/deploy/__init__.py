"""One command (or one object) from a Hugging Face model id to a smoke-tested TEI deployment on OCI.

:class:`Deployment` is the Python API (notebooks); ``oci-tei deploy | status | scale |
stop | start | delete`` is a thin layer over it. The packages and modules, in the order a
deploy uses them:

* :mod:`oci_tei.deploy.spec` — the YAML spec: interpolation, validation, shape -> image
  tag, the container's command, names, bandwidth advice (offline).
* ``_connection`` and ``_session`` — identity, endpoint, the SDK clients every step shares.
* :mod:`oci_tei.deploy.preflight` — what OCI would fail on (``oci-tei doctor``).
* :mod:`oci_tei.deploy.steps` — the pipeline: ONE list of step objects (locate, preflight,
  download, upload, model, deployment, wait, smoke test, snippets) that ``--dry-run``
  describes and a run executes.
* :mod:`oci_tei.deploy.manage` — a live deployment: lookup, status, logs, scale, stop and
  start, delete, drift and ``--update``.
* ``_api`` — :class:`Deployment`; ``_cli`` — ``oci-tei deploy | image | bandwidth``
  (``manage._cli`` and ``preflight._doctor`` hold the others); ``_errors`` — the typed
  errors, exported here.

Adding a pipeline step (an image copy into OCIR, private networking): one
:class:`~oci_tei.deploy.steps.Step` object placed in
:data:`~oci_tei.deploy.steps.PIPELINE`; the numbering, ``--dry-run``, resume and
``--update`` follow (see :mod:`oci_tei.deploy.steps`). Adding a spec field: declare it in
``spec/_document.py``, then let the step that uses it read it and show it in its
``describe`` (see :mod:`oci_tei.deploy.spec`).

Importing this package loads the spec model (pydantic, PyYAML) and nothing heavier: the oci
SDK and oracle-ads load only where a call needs them.
"""

from __future__ import annotations

from oci_tei.deploy._api import Deployment, DeploymentStatus
from oci_tei.deploy._errors import (
    ArtifactConflictError,
    DeployError,
    OwnershipError,
    SpecError,
    UnsupportedShapeError,
    UsageError,
)
from oci_tei.deploy.preflight import PreflightError
from oci_tei.deploy.spec import DeploySpec, load_spec
from oci_tei.deploy.steps import DeployOutcome, Plan

__all__ = [
    "ArtifactConflictError",
    "DeployError",
    "DeployOutcome",
    "DeploySpec",
    "Deployment",
    "DeploymentStatus",
    "OwnershipError",
    "Plan",
    "PreflightError",
    "SpecError",
    "UnsupportedShapeError",
    "UsageError",
    "load_spec",
]
