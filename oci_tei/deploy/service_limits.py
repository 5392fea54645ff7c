"""Compatibility path for :mod:`oci_tei.deploy.preflight`'s service limits (the emulator's import).

The OCI emulator (``oci_tei_emulator._limits_api``) imports these names from here; it is
owned elsewhere and moves to ``oci_tei.deploy.preflight`` (or to the rule tables in
``oci_tei.contract``) separately. Nothing in ``oci_tei`` imports this module.
"""

from __future__ import annotations

from oci_tei.deploy.preflight import DATA_SCIENCE_SERVICE, ShapeLimit, shape_limit

__all__ = ["DATA_SCIENCE_SERVICE", "ShapeLimit", "shape_limit"]
