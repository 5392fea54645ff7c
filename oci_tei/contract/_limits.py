"""Which Data Science service limit each model-deployment shape draws on (data only).

Model deployment instances count against the ``data-science`` service's limits, read with
the Limits API's ``GetResourceAvailability`` (``oci.limits.LimitsClient``). oracle-ads
checks ``ds-gpu-a10-count`` for ``VM.GPU.A10.*`` with one unit per GPU
(``ads/aqua/ui.py`` ``get_shape_availability``); the other names follow the same pattern
(``ds-gpu-<gpu>-count``, ``ds-gpu<generation>-count`` for ``VM.GPU2/3/4`` shapes,
``ds-<series>-core-count`` in OCPUs for CPU shapes) and are *inferred*: OCI does not
publish the full list, so a name the Limits API does not know is a preflight warning.

Units per instance: the shape's GPUs (:data:`~oci_tei.contract._shapes.MODEL_DEPLOYMENT_SHAPES`)
for ``GPUs``; for ``OCPUs`` the OCPUs asked for (flexible shapes) or the shape's OCPUs.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DATA_SCIENCE_SERVICE", "SHAPE_LIMITS", "LimitName"]

#: The Limits API's service name for Data Science (``ads.config.DATA_SCIENCE_SERVICE_NAME``).
DATA_SCIENCE_SERVICE = "data-science"


class LimitName(NamedTuple):
    """A limit a shape draws on, as a record.

    Attributes:
        name: the Data Science limit name (``ds-gpu-a10-count``).
        unit: ``GPUs`` or ``OCPUs``.
        source: ``ads`` (oracle-ads checks this name) or ``inferred`` (the naming pattern).
    """

    name: str
    unit: str
    source: str = "inferred"


def _ocpus(name: str) -> LimitName:
    return LimitName(name, "OCPUs")


def _gpus(name: str) -> LimitName:
    return LimitName(name, "GPUs")


#: Shape -> the limit it draws on.
SHAPE_LIMITS: dict[str, LimitName] = {
    "VM.Standard.E3.Flex": _ocpus("ds-e3-core-count"),
    "VM.Standard.E4.Flex": _ocpus("ds-e4-core-count"),
    "VM.Standard.E5.Flex": _ocpus("ds-e5-core-count"),
    "VM.Standard3.Flex": _ocpus("ds-standard3-core-count"),
    "VM.Optimized3.Flex": _ocpus("ds-optimized3-core-count"),
    "VM.Standard.A1.Flex": _ocpus("ds-a1-core-count"),
    "VM.Standard.A2.Flex": _ocpus("ds-a2-core-count"),
    "VM.Standard2.1": _ocpus("ds-standard2-core-count"),
    "VM.Standard2.2": _ocpus("ds-standard2-core-count"),
    "VM.Standard2.4": _ocpus("ds-standard2-core-count"),
    "VM.Standard2.8": _ocpus("ds-standard2-core-count"),
    "VM.Standard2.16": _ocpus("ds-standard2-core-count"),
    "VM.Standard2.24": _ocpus("ds-standard2-core-count"),
    "VM.GPU2.1": _gpus("ds-gpu2-count"),
    "VM.GPU3.1": _gpus("ds-gpu3-count"),
    "VM.GPU3.2": _gpus("ds-gpu3-count"),
    "VM.GPU3.4": _gpus("ds-gpu3-count"),
    "BM.GPU3.8": _gpus("ds-gpu3-count"),
    "VM.GPU.A10.1": LimitName("ds-gpu-a10-count", "GPUs", "ads"),
    "VM.GPU.A10.2": LimitName("ds-gpu-a10-count", "GPUs", "ads"),
    "BM.GPU.A10.4": LimitName("ds-gpu-a10-count", "GPUs", "ads"),
    "BM.GPU4.8": _gpus("ds-gpu4-count"),
    "BM.GPU.A100-v2.8": _gpus("ds-gpu-a100-v2-count"),
    "BM.GPU.H100.8": _gpus("ds-gpu-h100-count"),
    "BM.GPU.L40S.4": _gpus("ds-gpu-l40s-count"),
}
