"""The bandwidth byte model, its figures at OCI's default 10 Mbps, and the shape capacity warning."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from oci_tei.deploy.spec import (
    TrafficModel,
    bandwidth_warnings,
    bytes_per_vector,
    max_vectors_per_second,
    parse_shape,
    recommend_bandwidth_mbps,
    shape_capacity,
)

from .conftest import SpecFactory


def test_default_10_mbps_caps_768d_base64_near_230() -> None:
    assert max_vectors_per_second(10, 768, "base64") == pytest.approx(230, rel=0.06)


def test_default_10_mbps_caps_768d_float_json_near_120() -> None:
    # TEI's shortest-form f32 JSON is ~12.4 bytes per number: ~118 vectors/s.
    assert max_vectors_per_second(10, 768, "float") == pytest.approx(118, rel=0.03)


def test_the_issue_rule_of_thumb_is_this_model_at_9_2_bytes_per_float() -> None:
    # "~150 float-JSON vectors/s at 10 Mbps" holds for ~9.2 bytes per float.
    model = TrafficModel(float_json_bytes_per_number=9.2)
    assert max_vectors_per_second(10, 768, "float", model) == pytest.approx(150, rel=0.03)
    assert max_vectors_per_second(10, 768, "base64", model) == pytest.approx(230, rel=0.06)


def test_float_bytes_per_number_matches_shortest_f32_json() -> None:
    """The model's 12.4 bytes per float is what shortest-form f32 JSON of unit vectors costs."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((20, 768)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # numpy's unique float32 repr is the shortest round-trip form, as serde_json/ryu writes it.
    sizes = [
        len(",".join(np.format_float_positional(x, unique=True) for x in row)) + 1
        for row in vectors
    ]
    assert np.mean(sizes) / 768 == pytest.approx(
        TrafficModel().float_json_bytes_per_number, rel=0.03
    )


def test_base64_size_is_exact() -> None:
    vector = np.ones(768, dtype="<f4")
    encoded = json.dumps(base64.b64encode(vector.tobytes()).decode())
    model = TrafficModel(
        vector_envelope_bytes=0, chunk_bytes=0, input_quoting_bytes=0, request_overhead_bytes=0
    )
    assert bytes_per_vector(768, "base64", model) == len(encoded)


def test_request_bytes_count() -> None:
    small = TrafficModel(chunk_bytes=200)
    large = TrafficModel(chunk_bytes=2000)
    assert bytes_per_vector(768, "base64", large) - bytes_per_vector(768, "base64", small) == 1800
    batched = TrafficModel(batch_size=32)
    single = TrafficModel(batch_size=1)
    assert bytes_per_vector(768, "float", single) > bytes_per_vector(768, "float", batched)


def test_recommendation_covers_the_target_with_headroom() -> None:
    mbps = recommend_bandwidth_mbps(1000, 768, "base64")
    assert max_vectors_per_second(mbps, 768, "base64") >= 1000 * 1.25
    assert max_vectors_per_second(mbps - 1, 768, "base64") < 1000 * 1.25
    assert recommend_bandwidth_mbps(1, 384, "base64") == 10  # never below OCI's default
    with pytest.raises(ValueError, match="positive"):
        recommend_bandwidth_mbps(0, 768)


def test_float_needs_about_twice_the_bandwidth_of_base64() -> None:
    ratio = recommend_bandwidth_mbps(2000, 768, "float") / recommend_bandwidth_mbps(
        2000, 768, "base64"
    )
    assert 1.8 < ratio < 2.3


def test_shape_capacity_table() -> None:
    assert shape_capacity(parse_shape("VM.GPU.A10.1")) == 700
    # TEI uses one GPU: a 2-GPU shape embeds like one.
    assert shape_capacity(parse_shape("VM.GPU.A10.2")) == 700
    assert shape_capacity(parse_shape("BM.GPU.H100.8")) > shape_capacity(parse_shape("BM.GPU4.8"))
    assert shape_capacity(parse_shape("VM.Standard.E4.Flex"), ocpus=8) == pytest.approx(12)
    assert shape_capacity(parse_shape("VM.Standard2.4")) == pytest.approx(6)
    assert shape_capacity(parse_shape("BM.GPU.MI300X.8")) is None


def test_seed_spec_warns_that_10_mbps_caps_an_a10(seed_spec) -> None:
    [warning] = bandwidth_warnings(seed_spec)
    assert (
        "bandwidth_mbps 10 caps throughput at ~240 base64 or ~118 float-JSON vectors/s" in warning
    )
    assert "~700/s 1 x VM.GPU.A10.1" in warning
    needed = recommend_bandwidth_mbps(700, 768, "base64")
    assert f"set bandwidth_mbps to ~{needed}" in warning


def test_enough_bandwidth_or_a_cpu_shape_does_not_warn(make_spec: SpecFactory) -> None:
    assert bandwidth_warnings(make_spec(**{"infrastructure.bandwidth_mbps": 40})) == []
    cpu = make_spec(
        **{
            "infrastructure.shape": "VM.Standard.E4.Flex",
            "infrastructure.ocpus": 16,
            "infrastructure.memory_in_gbs": 128,
        }
    )
    assert bandwidth_warnings(cpu) == []


def test_warning_counts_autoscaling_maximum(make_spec: SpecFactory) -> None:
    spec = make_spec(
        **{"infrastructure.bandwidth_mbps": 40, "infrastructure.autoscaling": {"max_replicas": 4}}
    )
    [warning] = bandwidth_warnings(spec)
    assert "~2800/s 4 x VM.GPU.A10.1" in warning
    assert math.isfinite(max_vectors_per_second(40, 768))


@pytest.mark.parametrize(("encoding", "tolerance"), [("base64", 0.01), ("float", 0.03)])
def test_the_model_matches_bytes_measured_on_the_wire(
    emulator, tei_server, oci_config, encoding, tolerance
) -> None:
    """Body bytes the emulator's gateway carried for real signed calls, per vector."""
    from oci_tei._client import EmbeddingClient

    chunk = 500
    texts = [f"{i:04d} " + "word " * ((chunk - 5) // 5) for i in range(64)]
    assert {len(t) for t in texts} == {chunk}
    emu = emulator()
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    with EmbeddingClient(
        endpoint=url, auth="api_key", config_file=str(oci_config), encoding_format=encoding
    ) as client:
        dimension = len(client.embed(texts)[0])
    measured = emu.predict_bytes / len(texts)
    # The gateway counts bodies only: the model without its per-request header overhead.
    model = TrafficModel(chunk_bytes=chunk, request_overhead_bytes=0, batch_size=32)
    assert measured == pytest.approx(bytes_per_vector(dimension, encoding, model), rel=tolerance)


def test_request_header_overhead_matches_a_signed_request(oci_config) -> None:
    """The ~1.2 KB of signed request headers in ``request_overhead_bytes`` is what we send."""
    from oci_tei._settings import EmbeddingSettings

    url = "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaaexampleexampleexampleexampleexampleexample/predict"
    signer = EmbeddingSettings(
        endpoint=url, auth="api_key", config_file=str(oci_config)
    ).request_signer()
    body = b'{"input":["x"],"encoding_format":"base64"}'
    headers = signer.sign(
        "POST", url, {"content-type": "application/json", "user-agent": "oci-tei/0.1.0"}, body
    )
    size = len(f"POST {url} HTTP/1.1\r\n") + sum(len(k) + len(v) + 4 for k, v in headers.items())
    assert size == pytest.approx(1200, rel=0.25)
