"""Which TEI image build runs on which GPU: TEI's own rule, as data.

TEI publishes one image per CUDA compute capability it is compiled for (its README's
"Docker Images" table, :data:`~oci_tei.contract._sources.TEI_DOCKER_IMAGES`): ``cpu-``,
``turing-`` (7.5), a bare version (Ampere 8.0), ``86-`` (Ampere 8.6), ``89-`` (Ada 8.9),
``hopper-`` (9.0). At start the CUDA build compares the GPU's compute capability with
the one it was compiled for and refuses to start unless ``compute_cap_matching(runtime,
compile)`` holds (:data:`~oci_tei.contract._sources.TEI_COMPUTE_CAP`): equal
capabilities, plus the pairs in :data:`COMPATIBLE_CAPS`. So the Ampere-80 build runs on an
A10 (8.6): the ``86-`` build is TEI's build tuned for that GPU, not a requirement.

Newer TEI (``compute_cap.rs`` at commit 0ac77140730803093edd1e33b2c8ba01b6ae96a1) no
longer lists ``(89, 80)`` and ``(89, 86)``; an L4/L40S therefore takes the ``89-`` build,
which both accept.

A CPU build runs anywhere x86-64 (it never looks at a GPU); a GPU build on a shape
without a GPU fails to start ("CUDA is not available").
"""

from __future__ import annotations

from oci_tei.contract._sources import TEI_COMPUTE_CAP, TEI_DOCKER_IMAGES

__all__ = [
    "BUILD_CAP_BY_PREFIX",
    "COMPATIBLE_CAPS",
    "CPU_PREFIXES",
    "DEFAULT_BUILD_CAP",
    "GPU_COMPUTE_CAP",
    "SOURCES",
]

SOURCES = (TEI_COMPUTE_CAP, TEI_DOCKER_IMAGES)

#: Image tag prefixes of TEI's CPU builds.
CPU_PREFIXES = ("cpu-",)
#: Image tag prefix -> the compute capability (major*10+minor) the build is compiled for.
BUILD_CAP_BY_PREFIX: dict[str, int] = {
    "turing-": 75,
    "86-": 86,
    "89-": 89,
    "hopper-": 90,
}
#: A tag with none of the prefixes (``1.5``, ``latest``) is TEI's Ampere 80 build.
DEFAULT_BUILD_CAP = 80

#: ``(runtime, compile)`` pairs ``compute_cap_matching`` accepts besides equal ones.
COMPATIBLE_CAPS: frozenset[tuple[int, int]] = frozenset({(86, 80), (89, 80), (89, 86)})

#: GPU model (as OCI shape names spell it) -> its CUDA compute capability (NVIDIA's
#: CUDA GPUs list, https://developer.nvidia.com/cuda-gpus).
GPU_COMPUTE_CAP: dict[str, int] = {
    "P100": 60,
    "V100": 70,
    "T4": 75,
    "A100": 80,
    "A30": 80,
    "A10": 86,
    "A40": 86,
    "L4": 89,
    "L40": 89,
    "L40S": 89,
    "H100": 90,
    "H200": 90,
}
