"""What an OCI compute shape name says: GPU model and count, or CPU architecture and size.

OCI names shapes ``<VM|BM>.<family>[.<series>].<size>``: ``VM.GPU.A10.1`` (one A10),
``BM.GPU.H100.8``, ``VM.Standard.E4.Flex`` (AMD x86, sized by OCPUs and memory),
``VM.Standard.A1.Flex`` (Ampere ARM). Older GPU shapes carry a generation digit instead
of the GPU model: ``VM.GPU2.1`` (P100), ``VM.GPU3.2`` (V100), ``BM.GPU4.8`` (A100).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Shape", "parse_shape"]

# Shape generations and series names that do not spell the GPU model.
_GPU_BY_GENERATION = {"2": "P100", "3": "V100", "4": "A100"}
_GPU_ALIASES = {"B4": "A100", "GM4": "A100"}

_GPU_SHAPE = re.compile(r"^(?P<kind>VM|BM)\.GPU(?P<generation>\d)?\.(?P<rest>[A-Za-z0-9.-]+)$")
_CPU_SHAPE = re.compile(
    r"^(?P<kind>VM|BM)\.(?P<family>Standard|Optimized|DenseIO)\d*(?:\.(?P<series>[A-Za-z0-9]+))?"
    r"\.(?P<size>Flex|\d+)$"
)
# Ampere Altra / AmpereOne series (A1, A2, A4...): ARM cores.
_ARM_SERIES = re.compile(r"^A\d+$")


@dataclass(frozen=True)
class Shape:
    """A parsed shape name.

    Attributes:
        name: The shape as OCI spells it.
        kind: ``gpu`` or ``cpu``.
        gpu: The GPU model (``A10``, ``H100``...) for GPU shapes.
        gpu_count: GPUs in the shape (0 for CPU shapes).
        arch: CPU architecture of the host: ``x86_64`` or ``aarch64``.
        flex: Whether OCPUs and memory are chosen at deploy time (``*.Flex``).
        ocpus: OCPUs of a fixed-size CPU shape (``VM.Standard2.4`` -> 4).
    """

    name: str
    kind: Literal["gpu", "cpu"]
    gpu: str | None = None
    gpu_count: int = 0
    arch: Literal["x86_64", "aarch64"] = "x86_64"
    flex: bool = False
    ocpus: int | None = None


def parse_shape(name: str) -> Shape:
    """Parse an OCI shape name.

    Args:
        name: e.g. ``VM.GPU.A10.1``, ``BM.GPU.L40S-NC.4``, ``VM.Standard.E5.Flex``.

    Raises:
        ValueError: The name does not follow OCI's GPU or CPU shape naming.
    """
    gpu_match = _GPU_SHAPE.match(name)
    if gpu_match:
        return _gpu_shape(name, gpu_match)
    cpu_match = _CPU_SHAPE.match(name)
    if cpu_match:
        series = cpu_match.group("series") or ""
        size = cpu_match.group("size")
        return Shape(
            name=name,
            kind="cpu",
            arch="aarch64" if _ARM_SERIES.match(series) else "x86_64",
            flex=size == "Flex",
            ocpus=None if size == "Flex" else int(size),
        )
    raise ValueError(
        f"unrecognized shape {name!r}: expected an OCI shape name such as VM.GPU.A10.1, "
        "BM.GPU.H100.8 or VM.Standard.E4.Flex"
    )


def _gpu_shape(name: str, match: re.Match[str]) -> Shape:
    rest = match.group("rest")
    generation = match.group("generation")
    parts = rest.split(".")
    count = int(parts[-1]) if parts[-1].isdigit() else 1
    if generation:
        gpu = _GPU_BY_GENERATION.get(generation)
        if gpu is None:
            raise ValueError(f"unrecognized GPU shape generation in {name!r}")
    else:
        # "A100-v2", "L40S-NC", "A100.80G": the model is the first token.
        token = parts[0].split("-")[0].upper()
        gpu = _GPU_ALIASES.get(token, token)
    return Shape(name=name, kind="gpu", gpu=gpu, gpu_count=count)
