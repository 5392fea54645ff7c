"""The predict gateway: routing, OCI's limits and errors, network emulation and faults."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import oci
import pytest
import requests

from oci_tei_emulator import FaultConfig
from tests.emulator.stub_container import StubContainer


@pytest.fixture(scope="module")
def stub() -> Iterator[StubContainer]:
    container = StubContainer().start()
    yield container
    container.stop()


@pytest.fixture
def signer(oci_config: Path) -> oci.signer.Signer:
    return oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))


def _post(url: str, signer, payload: object = None, **kw) -> requests.Response:
    return requests.post(
        url, json=payload if payload is not None else {"input": ["hi"]}, auth=signer, **kw
    )


# Routing, signing, limits and faults go through the real local TEI server (``tei_server``);
# the stub only stands in for what no real model does on cue: stalls, streams, huge bodies.


def test_forwards_to_predict_endpoint_and_route_header(emulator, tei_server, signer) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url, "/v1/embeddings")
    ok = _post(emu.predict_url(ocid), signer, headers={"opc-request-id": "rid-1"})
    assert ok.status_code == 200
    assert ok.json()["object"] == "list"  # TEI's /v1/embeddings answered
    assert ok.headers["x-compute-type"]  # TEI's compute headers are forwarded
    assert ok.headers["opc-request-id"] == "rid-1"
    native = _post(emu.predict_url(ocid), signer, {"inputs": "hi"}, headers={"route": "/embed"})
    assert native.status_code == 200
    assert isinstance(native.json()[0], list)  # TEI's /embed: a bare list of vectors
    routed = _post(emu.predict_url(ocid), signer, {"inputs": "hi"}, headers={"route": "/predict"})
    assert routed.status_code == 424  # an embedding model is not a classifier
    assert routed.json()["error_type"] == "Backend"


def test_server_timing_is_not_forwarded(emulator, stub, signer) -> None:
    emu = emulator()
    ocid = emu.register_deployment(stub.url, "/v1/embeddings")
    ok = _post(emu.predict_url(ocid), signer)
    assert ok.headers["x-other"] == "1"
    assert "server-timing" not in ok.headers


def test_default_route_is_predict(emulator, tei_server, signer) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url, predict_endpoint=None)
    assert _post(emu.predict_url(ocid), signer, {"inputs": "hi"}).status_code == 424


def test_model_deployment_client_predict(emulator, tei_server, oci_config: Path) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url)
    client = oci.model_deployment.ModelDeploymentClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
    response = client.predict(ocid, json.dumps({"input": ["a"]}))
    assert json.loads(response.data)["object"] == "list"


def test_unknown_deployment_and_expired_token_are_404(emulator, tei_server, oci_keys) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url)
    key = oci_keys.trusted.private_key
    signer = oci.auth.signers.SecurityTokenSigner(emu.issue_security_token(key.public_key()), key)
    assert _post(emu.predict_url(ocid), signer).status_code == 200
    missing = _post(emu.predict_url("ocid1.datasciencemodeldeployment.oc1..nope"), signer)
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotAuthorizedOrNotFound"
    emu.expire_tokens()
    expired = _post(emu.predict_url(ocid), signer)
    assert expired.status_code == 404
    assert expired.json()["code"] == "NotAuthorizedOrNotFound"


def test_bad_signature_on_predict_is_401(emulator, tei_server, signer) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url)
    request = requests.Request("POST", emu.predict_url(ocid), json={"input": ["a"]}).prepare()
    signer(request)
    request.body = b'{"input": ["b"]}'
    response = requests.Session().send(request)
    assert response.status_code == 401


def _raw(url: str, head: str, body: bytes = b"") -> tuple[int, dict]:
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        data = sock.recv(65536)
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1] or b"{}")


def test_length_required_and_payload_too_large(emulator, tei_server) -> None:
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url)
    host = urlparse(emu.url).netloc
    status, body = _raw(
        emu.url,
        f"POST /{ocid}/predict HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n",
        b"2\r\n{}\r\n0\r\n\r\n",
    )
    assert (status, body["code"]) == (411, "LengthRequired")
    # Decided from Content-Length before any of the 11 MB body is sent.
    status, body = _raw(
        emu.url,
        f"POST /{ocid}/predict HTTP/1.1\r\nHost: {host}\r\nContent-Length: {11 * 1024 * 1024}\r\n"
        "Connection: close\r\n\r\n",
    )
    assert (status, body["code"]) == (413, "PayloadTooLarge")


def test_request_rate_limit(emulator, tei_server, signer) -> None:
    emu = emulator(requests_per_second=3)
    ocid = emu.register_deployment(tei_server.url)
    statuses = [_post(emu.predict_url(ocid), signer).status_code for _ in range(8)]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses


def test_container_timeout_is_500_and_down_is_503(emulator, stub, signer) -> None:
    emu = emulator(predict_timeout_s=0.5)
    ocid = emu.register_deployment(stub.url, "/slow")
    slow = _post(emu.predict_url(ocid), signer)
    assert slow.status_code == 500
    assert slow.json()["code"] == "InternalServerError"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = emu.register_deployment(dead)
    response = _post(emu.predict_url(down), signer)
    assert response.status_code == 503
    assert response.json()["code"] == "ServiceUnavailable"
    emu.set_deployment_health(ocid, False)
    assert _post(emu.predict_url(ocid), signer).status_code == 503


def test_stream_endpoint(emulator, stub, signer) -> None:
    emu = emulator()
    plain = emu.register_deployment(stub.url, "/v1/embeddings")
    url = f"{emu.url}/{plain}/predictWithResponseStream"
    refused = _post(url, signer)
    assert refused.status_code == 409
    assert refused.json()["code"] == "ExternalServerIncorrectState"
    streaming = emu.register_deployment(stub.url, "/stream")
    ok = _post(f"{emu.url}/{streaming}/predictWithResponseStream", signer)
    assert ok.status_code == 200
    assert ok.text.count("data:") == 3


def test_emulator_keeps_serving_after_resets(emulator, tei_server, signer) -> None:
    emu = emulator(faults=FaultConfig(p_reset=1.0))
    ocid = emu.register_deployment(tei_server.url)
    with pytest.raises(requests.ConnectionError):
        _post(emu.predict_url(ocid), signer)
    assert requests.get(f"{emu.url}/n", auth=signer).status_code == 200


def test_fault_rates_match_configuration(emulator, tei_server, signer) -> None:
    faults = FaultConfig(p_429=0.2, p_500=0.05, p_503=0.1, p_reset=0.05, retry_after_s=3)
    emu = emulator(faults=faults, seed=7, requests_per_second=0)
    ocid = emu.register_deployment(tei_server.url)
    session = requests.Session()
    seen: dict[str, int] = {}
    total = 400
    for _ in range(total):
        try:
            response = session.post(emu.predict_url(ocid), json={"input": ["a"]}, auth=signer)
            key = str(response.status_code)
            if response.status_code == 429:
                assert response.headers["Retry-After"] == "3"
        except requests.ConnectionError:
            key = "reset"
            session = requests.Session()
        seen[key] = seen.get(key, 0) + 1
    for key, p in (("429", 0.2), ("500", 0.05), ("503", 0.1), ("reset", 0.05)):
        assert abs(seen.get(key, 0) / total - p) < 0.05, (key, seen)
    assert emu.fault_counts["429"] == seen["429"]


def test_same_seed_same_faults(emulator, tei_server, signer) -> None:
    faults = FaultConfig(p_429=0.3, p_503=0.3)

    def statuses() -> list[int]:
        emu = emulator(faults=faults, seed=11, requests_per_second=0)
        ocid = emu.register_deployment(tei_server.url)
        return [_post(emu.predict_url(ocid), signer).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 429, 503} <= set(first)


def test_latency_and_bandwidth(emulator, tei_server, stub, signer) -> None:
    emu = emulator(rtt_ms=300)
    ocid = emu.register_deployment(tei_server.url)
    started = time.perf_counter()
    assert _post(emu.predict_url(ocid), signer).status_code == 200
    assert time.perf_counter() - started >= 0.3
    capped = emulator(bandwidth_mbps=2.0)
    ocid = capped.register_deployment(stub.url, "/big?n=250000")
    body = {"input": ["x" * 250_000]}
    started = time.perf_counter()
    response = _post(capped.predict_url(ocid), signer, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(response.content) == 250_000
    expected = (len(json.dumps(body)) + 250_000) * 8 / 2e6  # ~2 s at 2 Mbps
    assert expected * 0.75 < elapsed < expected * 2.5


def test_bandwidth_backlog_gives_429(emulator, stub, signer) -> None:
    emu = emulator(bandwidth_mbps=0.5, bandwidth_backlog_s=0.2)
    ocid = emu.register_deployment(stub.url, "/big?n=100000")
    conn = http.client.HTTPConnection(urlparse(emu.url).hostname, urlparse(emu.url).port)
    prepared = requests.Request("POST", emu.predict_url(ocid), json={"input": ["a"]}).prepare()
    signer(prepared)
    conn.request("POST", prepared.path_url, body=prepared.body, headers=dict(prepared.headers))
    time.sleep(0.3)  # the 100 kB answer now occupies the link for ~1.6 s
    second = _post(emu.predict_url(ocid), signer)
    assert second.status_code == 429
    assert "bandwidth" in second.json()["message"]
    assert conn.getresponse().status == 200
    conn.close()
