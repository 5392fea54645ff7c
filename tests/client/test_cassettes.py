"""Recorded signed exchanges, replayed with the network blocked.

The cassettes in ``cassettes/test_cassettes/`` were recorded against the OCI emulator's
signed gateway (``make cassettes``). Recording scrubs the ``Authorization`` header (it
holds the keyId and the signature), ``opc-request-id`` both ways, and the body hash.
Replaying runs the real client — real signing with a throwaway key, real batching,
re-split and error mapping — against the recorded answers, with sockets blocked.

To record against a real deployment instead::

    OCI_TEI_ENDPOINT=https://modeldeployment.<region>.oci.customer-oci.com/<ocid>/predict \\
    pytest tests/client/test_cassettes.py --record-mode=rewrite
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import yaml

from oci_tei import _errors as errors
from oci_tei._client import EmbeddingClient

CASSETTES = Path(__file__).parent / "cassettes" / "test_cassettes"
DEPLOYMENT = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaacassette"
SEED = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]
SCRUBBED = ("authorization", "opc-request-id", "x-content-sha256")

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]


def _client_leg_only(request):
    # The emulator runs in this process and forwards with aiohttp, which VCR also
    # patches: record the client's signed call, not the gateway's call to the container.
    return request if "/predict" in request.path else None


def _scrub_response(response: dict) -> dict:
    for name in list(response["headers"]):
        if name.lower() in SCRUBBED:
            del response["headers"][name]
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return {
        "filter_headers": list(SCRUBBED),
        "before_record_request": _client_leg_only,
        "before_record_response": _scrub_response,
        # Hosts and ports differ between recording and replay; what was asked must not.
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture
def predict_url(request, record_mode, default_cassette_name):
    """Where to send: the live deployment, a fresh emulator, or the recorded URL."""
    if record_mode == "none":
        cassette = yaml.safe_load((CASSETTES / f"{default_cassette_name}.yaml").read_text())
        return cassette["interactions"][0]["request"]["uri"]
    if os.environ.get("OCI_TEI_ENDPOINT"):
        return os.environ["OCI_TEI_ENDPOINT"]
    emu = request.getfixturevalue("emulator")()
    tei_server = request.getfixturevalue("tei_server")
    return emu.predict_url(emu.register_deployment(tei_server.url, ocid=DEPLOYMENT))


@pytest.fixture
def client_for(oci_config, record_mode):
    live = record_mode != "none" and os.environ.get("OCI_TEI_ENDPOINT")
    auth = {} if live else {"auth": "api_key", "config_file": str(oci_config)}

    def make(url: str, **options) -> EmbeddingClient:
        return EmbeddingClient(endpoint=url, max_concurrency=1, max_retries=0, **auth, **options)

    return make


def _cosine(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


def test_signed_embeddings(predict_url, client_for):
    with client_for(predict_url) as client:
        a, b, c = client.embed(SEED)
    assert _cosine(a, b) > max(_cosine(a, c), _cosine(b, c)) + 0.2


def test_resplit_on_the_containers_batch_limit(predict_url, client_for):
    texts = [f"chunk {i}: {SEED[i % 3]}" for i in range(40)]
    with client_for(predict_url, batch_size=64) as client:
        vectors = client.embed(texts)
        assert client._get_engine().limits.max_count == 32  # TEI's default, learned from 422
    assert len(vectors) == 40
    # Same sentence three inputs apart: closer than neighbours with other sentences.
    assert _cosine(vectors[0], vectors[3]) > _cosine(vectors[0], vectors[1])


def test_unknown_deployment_is_not_found(predict_url, client_for):
    url = predict_url.replace(predict_url.split("/")[-2], DEPLOYMENT.replace("cassette", "missing"))
    with client_for(url) as client, pytest.raises(errors.NotFoundError) as info:
        client.embed(["x"])
    assert info.value.error_type == "NotAuthorizedOrNotFound"


def test_cassettes_hold_no_secrets():
    text = "".join(path.read_text() for path in CASSETTES.glob("*.yaml"))
    assert text, "no cassettes recorded"
    for needle in ("Signature", "keyId", "ST$", "BEGIN", "PRIVATE", "opc-request-id"):
        assert needle not in text, needle
