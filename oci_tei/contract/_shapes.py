"""The compute shapes Model Deployment offers, with their OCPU and memory ranges.

Sources, in order of precedence for a model deployment:

* the SDK's ``ModelDeploymentInstanceShapeConfigDetails`` docstrings (model-deployment
  specific): VM.Standard.E3.Flex and VM.Standard.E4.Flex 1-64 OCPUs and 6-1024 GB,
  VM.Standard3.Flex 1-32 OCPUs and 6-512 GB, VM.Optimized3.Flex 1-18 OCPUs and 6-256 GB;
* OCI's "Supported Compute Shapes" page (supported-shapes.htm) for the shapes the SDK
  does not size (VM.Standard.E5.Flex 1-94 OCPUs up to 1049 GB, the Ampere A1/A2 Flex
  shapes, the fixed X7 and GPU shapes), and for the rule that flexible shapes used by a
  model deployment take at least 6 and at most 64 GB per OCPU, up to the shape's maximum.

The page lists more OCPUs for E3/E4 (1-114) than the SDK; the SDK's model-deployment
range is used. A shape not listed here is refused: OCI offers a model deployment only the
shapes ``ListModelDeploymentShapes`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from oci_tei.contract._container import Problem
from oci_tei.contract._sources import SDK_SHAPE_CONFIG, SHAPES_DOC

__all__ = [
    "FLEX_MEMORY_PER_OCPU_GB",
    "MODEL_DEPLOYMENT_SHAPES",
    "ShapeLimits",
    "check_shape",
]

#: "The minimum memory is 6 GB per OCPU ... The maximum memory is 64 GB per OCPU up to the
#: allowed memory for each shape" (supported-shapes.htm, for model deployments).
FLEX_MEMORY_PER_OCPU_GB = (6.0, 64.0)


@dataclass(frozen=True)
class ShapeLimits:
    """One shape offered for model deployment.

    Attributes:
        name: The shape name.
        ocpus: OCPUs of a fixed shape, or the (min, max) range of a flexible one.
        memory_gb: Memory of a fixed shape, or the most a flexible one takes.
        series: ``ListModelDeploymentShapes``' ``shapeSeries``.
        gpus: GPUs in the shape.
        source: Where the figures come from.
    """

    name: str
    ocpus: tuple[float, float]
    memory_gb: float
    series: str
    gpus: int = 0
    source: str = SHAPES_DOC

    @property
    def flex(self) -> bool:
        """Whether OCPUs and memory are chosen per deployment."""
        return self.name.endswith(".Flex")


def _flex(name: str, ocpus: float, memory: float, series: str, source: str) -> ShapeLimits:
    return ShapeLimits(name, (1, ocpus), memory, series, 0, source)


def _fixed(name: str, ocpus: float, memory: float, series: str, gpus: int = 0) -> ShapeLimits:
    return ShapeLimits(name, (ocpus, ocpus), memory, series, gpus)


MODEL_DEPLOYMENT_SHAPES: dict[str, ShapeLimits] = {
    shape.name: shape
    for shape in (
        _flex("VM.Standard.E3.Flex", 64, 1024, "AMD_ROME", SDK_SHAPE_CONFIG),
        _flex("VM.Standard.E4.Flex", 64, 1024, "AMD_ROME", SDK_SHAPE_CONFIG),
        _flex("VM.Standard3.Flex", 32, 512, "INTEL_SKYLAKE", SDK_SHAPE_CONFIG),
        _flex("VM.Optimized3.Flex", 18, 256, "INTEL_SKYLAKE", SDK_SHAPE_CONFIG),
        _flex("VM.Standard.E5.Flex", 94, 1049, "AMD_ROME", SHAPES_DOC),
        _flex("VM.Standard.A1.Flex", 80, 512, "ARM", SHAPES_DOC),
        _flex("VM.Standard.A2.Flex", 78, 946, "ARM", SHAPES_DOC),
        _fixed("VM.Standard2.1", 1, 15, "LEGACY"),
        _fixed("VM.Standard2.2", 2, 30, "LEGACY"),
        _fixed("VM.Standard2.4", 4, 60, "LEGACY"),
        _fixed("VM.Standard2.8", 8, 120, "LEGACY"),
        _fixed("VM.Standard2.16", 16, 240, "LEGACY"),
        _fixed("VM.Standard2.24", 24, 320, "LEGACY"),
        _fixed("VM.GPU2.1", 12, 72, "NVIDIA_GPU", 1),
        _fixed("VM.GPU3.1", 6, 90, "NVIDIA_GPU", 1),
        _fixed("VM.GPU3.2", 12, 180, "NVIDIA_GPU", 2),
        _fixed("VM.GPU3.4", 24, 360, "NVIDIA_GPU", 4),
        _fixed("BM.GPU3.8", 52, 768, "NVIDIA_GPU", 8),
        _fixed("VM.GPU.A10.1", 15, 240, "NVIDIA_GPU", 1),
        _fixed("VM.GPU.A10.2", 30, 480, "NVIDIA_GPU", 2),
        _fixed("BM.GPU.A10.4", 64, 1024, "NVIDIA_GPU", 4),
        _fixed("BM.GPU4.8", 64, 2048, "NVIDIA_GPU", 8),
        _fixed("BM.GPU.A100-v2.8", 128, 2048, "NVIDIA_GPU", 8),
        _fixed("BM.GPU.H100.8", 112, 2048, "NVIDIA_GPU", 8),
        _fixed("BM.GPU.L40S.4", 112, 1024, "NVIDIA_GPU", 4),
    )
}


def check_shape(
    name: str, ocpus: float | None, memory_gb: float | None, *, fields: tuple[str, str, str]
) -> list[Problem]:
    """A shape offered for model deployment; for a flexible one, OCPUs and memory in range.

    Args:
        name: The shape.
        ocpus: The OCPUs asked for (flexible shapes).
        memory_gb: The memory asked for (flexible shapes).
        fields: The caller's names for the shape, OCPU and memory fields.
    """
    shape_field, ocpu_field, memory_field = fields
    shape = MODEL_DEPLOYMENT_SHAPES.get(name)
    if shape is None:
        return [
            (
                shape_field,
                f"{name!r} is not a shape offered for model deployments (see "
                "ListModelDeploymentShapes)",
            )
        ]
    if not shape.flex or ocpus is None:
        return []
    problems: list[Problem] = []
    low, high = shape.ocpus
    if not low <= ocpus <= high:
        problems.append((ocpu_field, f"{name} takes {low:g} to {high:g} OCPUs, not {ocpus:g}"))
    if memory_gb is None:  # OCI's default memory for the OCPUs: only their range applies
        return problems
    per_low, per_high = FLEX_MEMORY_PER_OCPU_GB
    most = min(shape.memory_gb, per_high * ocpus)
    least = per_low * ocpus
    if not least <= memory_gb <= most:
        problems.append(
            (
                memory_field,
                f"{memory_gb:g} GB for {ocpus:g} OCPUs: a model deployment on {name} takes "
                f"{per_low:g} to {per_high:g} GB per OCPU, at most {shape.memory_gb:g} GB "
                f"(here {least:g} to {most:g} GB)",
            )
        )
    return problems
