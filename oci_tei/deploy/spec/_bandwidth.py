"""How much load-balancer bandwidth an embedding deployment needs, and what a shape can serve.

OCI meters a Model Deployment's traffic at its load balancer (``bandwidth_mbps``, 10 by
default) and answers 429 "LB bandwidth limit exceeded" above it. Embeddings are large
answers to small questions, so this limit, not the GPU, is often what caps throughput.

The byte model, per vector (768 dimensions, defaults):

* response: the vector itself, float JSON ``12.4`` bytes per number (TEI writes f32 in
  shortest form, e.g. ``-0.045759525,``; measured on normalized vectors and matching the
  seed walkthrough's output) or base64 ``4 * ceil(4d / 3)`` characters (little-endian f32,
  4096 for 768-d), plus ~45 bytes of ``{"object":"embedding","embedding":...,"index":i}``;
* request: the input text (``chunk_bytes``, 1000 by default: a common RAG chunk size) plus
  its JSON quoting;
* per request, shared by a batch of ``batch_size`` inputs (TEI's default 32): signed OCI
  request headers (~1.2 KB), response headers and JSON envelopes (~0.6 KB).

Requests and responses are assumed to share the budget (conservative). At 10 Mbps this gives
~240 base64 or ~118 float-JSON vectors/s for 768-d vectors. The issue's rule of thumb,
"~150 float-JSON", corresponds to ~9.2 bytes per float; TEI's real output is ~12.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from oci_tei.deploy.spec._shape_names import Shape

__all__ = [
    "DEFAULT_BANDWIDTH_MBPS",
    "Encoding",
    "TrafficModel",
    "bytes_per_vector",
    "max_vectors_per_second",
    "recommend_bandwidth_mbps",
    "shape_capacity",
]

Encoding = Literal["float", "base64"]
DEFAULT_BANDWIDTH_MBPS = 10
_BITS_PER_MEGABIT = 1_000_000


@dataclass(frozen=True)
class TrafficModel:
    """The byte model's parameters (module docstring); all per vector unless said.

    Attributes:
        float_json_bytes_per_number: Average size of one float in TEI's JSON, with its comma.
        vector_envelope_bytes: ``{"object":"embedding","embedding":...,"index":i},``.
        chunk_bytes: Average input text size (UTF-8 bytes).
        input_quoting_bytes: Quotes and comma around each input in the request.
        request_overhead_bytes: Per request: signed request headers, response headers and
            both JSON envelopes.
        batch_size: Inputs per request.
    """

    float_json_bytes_per_number: float = 12.4
    vector_envelope_bytes: int = 45
    chunk_bytes: int = 1000
    input_quoting_bytes: int = 3
    request_overhead_bytes: int = 1800
    batch_size: int = 32


def _vector_bytes(dimension: int, encoding: Encoding, model: TrafficModel) -> float:
    if encoding == "base64":
        # 4 base64 characters per 3 bytes of little-endian f32, padded; plus the quotes.
        return 4 * math.ceil(4 * dimension / 3) + 2
    return dimension * model.float_json_bytes_per_number


def bytes_per_vector(
    dimension: int, encoding: Encoding = "float", model: TrafficModel | None = None
) -> float:
    """Bytes crossing the load balancer per embedded input (request and response).

    Args:
        dimension: Vector dimension (768 for bge-base).
        encoding: ``float`` (JSON numbers) or ``base64``.
        model: The byte model; defaults as documented in the module.
    """
    if dimension <= 0:
        raise ValueError(f"dimension must be positive, got {dimension}")
    model = model or TrafficModel()
    response = _vector_bytes(dimension, encoding, model) + model.vector_envelope_bytes
    request = model.chunk_bytes + model.input_quoting_bytes
    return response + request + model.request_overhead_bytes / max(1, model.batch_size)


def max_vectors_per_second(
    bandwidth_mbps: float,
    dimension: int,
    encoding: Encoding = "float",
    model: TrafficModel | None = None,
) -> float:
    """The most vectors per second ``bandwidth_mbps`` lets through."""
    budget = bandwidth_mbps * _BITS_PER_MEGABIT / 8
    return budget / bytes_per_vector(dimension, encoding, model)


def recommend_bandwidth_mbps(
    vectors_per_second: float,
    dimension: int,
    encoding: Encoding = "float",
    model: TrafficModel | None = None,
    *,
    headroom: float = 1.25,
) -> int:
    """The ``bandwidth_mbps`` to provision for a target throughput.

    Args:
        vectors_per_second: Target embedded inputs per second.
        dimension: Vector dimension.
        encoding: ``float`` or ``base64``.
        model: The byte model.
        headroom: Multiplier for bursts and TLS/TCP framing (25% by default).

    Returns:
        Whole Mbps, never below OCI's default of 10.
    """
    if vectors_per_second <= 0:
        raise ValueError(f"vectors_per_second must be positive, got {vectors_per_second}")
    bits = vectors_per_second * bytes_per_vector(dimension, encoding, model) * 8 * headroom
    return max(DEFAULT_BANDWIDTH_MBPS, math.ceil(bits / _BITS_PER_MEGABIT))


# Rough vectors/s of ONE TEI process for a base-size model (110M parameters, 768-d, e.g.
# bge-base) on 256-token inputs: dense fp16 tensor throughput of the GPU at ~35% use,
# ~60 GFLOP per input. Order of magnitude only: it decides whether bandwidth, not compute,
# is the bottleneck, never a promise.
_GPU_VECTORS_PER_SECOND = {
    "T4": 300,
    "A10": 700,
    "A40": 900,
    "A30": 1000,
    "A100": 2000,
    "L4": 600,
    "L40": 1500,
    "L40S": 1800,
    "H100": 5000,
    "H200": 5500,
}
# x86 CPU, per OCPU (one physical core) with MKL: ~100 GFLOP/s sustained fp32.
_CPU_VECTORS_PER_OCPU = 1.5


def shape_capacity(shape: Shape, *, ocpus: float | None = None) -> float | None:
    """Rough vectors/s one replica of ``shape`` embeds (assumptions above), None if unknown.

    TEI serves a model on one GPU, so multi-GPU shapes count one GPU.
    """
    if shape.kind == "gpu":
        return _GPU_VECTORS_PER_SECOND.get(shape.gpu or "")
    cores = ocpus if ocpus is not None else shape.ocpus
    if cores is None or shape.arch != "x86_64":
        return None
    return cores * _CPU_VECTORS_PER_OCPU
