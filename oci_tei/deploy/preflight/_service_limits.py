"""Which Data Science service limit a model deployment's shape draws on, and how much.

Model deployment instances count against the ``data-science`` service's limits, read with
the Limits API's ``GetResourceAvailability`` (``oci.limits.LimitsClient``). oracle-ads
checks ``ds-gpu-a10-count`` for ``VM.GPU.A10.*`` with one unit per GPU
(``ads/aqua/ui.py`` ``get_shape_availability``, ``ads/aqua/verify_policies``); the other
names follow the same pattern (``ds-gpu-<gpu>-count``, ``ds-gpu<generation>-count`` for
``VM.GPU2/3/4`` shapes, ``ds-<series>-core-count`` in OCPUs for CPU shapes). OCI does
not publish the full list here, so a name the Limits API does not know is reported as a
warning by preflight, never as a failure. The names of the shapes offered for model
deployment are the table :data:`oci_tei.contract._limits.SHAPE_LIMITS` (which the
emulator reads too); other shape names follow the pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oci_tei.contract._limits import DATA_SCIENCE_SERVICE, SHAPE_LIMITS
from oci_tei.deploy.spec import parse_shape

__all__ = ["DATA_SCIENCE_SERVICE", "ShapeLimit", "shape_limit"]

_GENERATION = re.compile(r"^(?:VM|BM)\.GPU(\d)\.")
_CPU_SERIES = re.compile(r"^(?:VM|BM)\.(Standard|Optimized|DenseIO)(\d*)(?:\.([A-Za-z0-9]+))?\.")


@dataclass(frozen=True)
class ShapeLimit:
    """A limit and what one instance of a shape uses of it.

    Attributes:
        name: the Data Science limit name (``ds-gpu-a10-count``).
        per_instance: units one instance uses (GPUs, or OCPUs for CPU shapes).
        unit: ``GPUs`` or ``OCPUs``.
    """

    name: str
    per_instance: float
    unit: str

    def needed(self, instances: int) -> float:
        """Units for ``instances`` instances."""
        return self.per_instance * instances


def shape_limit(shape_name: str, ocpus: float | None = None) -> ShapeLimit | None:
    """The limit ``shape_name`` counts against, or None for a name outside OCI's naming."""
    try:
        shape = parse_shape(shape_name)
    except ValueError:
        return None
    known = SHAPE_LIMITS.get(shape_name)
    if known is not None:
        if known.unit == "GPUs":
            return ShapeLimit(known.name, shape.gpu_count, "GPUs")
        per_instance = float(ocpus) if shape.flex and ocpus else float(shape.ocpus or 1)
        return ShapeLimit(known.name, per_instance, "OCPUs")
    if shape.kind == "gpu":
        generation = _GENERATION.match(shape_name)
        if generation:
            return ShapeLimit(f"ds-gpu{generation.group(1)}-count", shape.gpu_count, "GPUs")
        token = shape_name.split(".")[2].lower()
        return ShapeLimit(f"ds-gpu-{token}-count", shape.gpu_count, "GPUs")
    match = _CPU_SERIES.match(shape_name)
    if match is None:
        return None
    family, number, series = match.groups()
    label = (series or f"{family}{number}").lower()
    per_instance = float(ocpus) if shape.flex and ocpus else float(shape.ocpus or 1)
    return ShapeLimit(f"ds-{label}-core-count", per_instance, "OCPUs")
