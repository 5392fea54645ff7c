"""One command from a Hugging Face model id to a smoke-tested TEI deployment on OCI.

The packages and modules, in the order a deploy uses them:

* :mod:`oci_tei.deploy.spec` — the YAML spec: interpolation, validation, shape -> image
  tag, the container's command, names, bandwidth advice (offline).
* ``_connection`` and ``_session`` — identity, endpoint, the SDK clients every step shares.
* :mod:`oci_tei.deploy.preflight` — what OCI would fail on (``oci-tei doctor``).
* :mod:`oci_tei.deploy.steps` — the pipeline: ONE list of step objects (locate, preflight,
  download, upload, model, deployment, wait, smoke test, snippets) that ``--dry-run``
  describes and a run executes. Adding a step is one object in that list (see its
  docstring); adding a spec field starts in :mod:`oci_tei.deploy.spec`.
* :mod:`oci_tei.deploy.manage` — a live deployment: lookup, status, logs, scale, delete,
  drift and ``--update``.
* ``_cli`` — ``oci-tei deploy | image | bandwidth`` (``manage``'s and ``preflight``'s own
  ``_cli``/``_doctor`` hold the others); ``_errors`` — the typed errors, exported here.

Importing this package imports nothing heavy; oracle-ads loads only where it is used.
"""

from __future__ import annotations

from oci_tei.deploy._errors import (
    ArtifactConflictError,
    DeployError,
    OwnershipError,
    SpecError,
    UnsupportedShapeError,
)

__all__ = [
    "ArtifactConflictError",
    "DeployError",
    "OwnershipError",
    "SpecError",
    "UnsupportedShapeError",
]
