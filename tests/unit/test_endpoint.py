"""Endpoint forms are classified offline, and unsafe ones refused before any I/O."""

import pytest

from oci_tei._endpoint import Endpoint, is_loopback_host, parse_endpoint
from oci_tei._errors import ConfigurationError

OCID = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaexample"
PREDICT = f"https://modeldeployment.us-ashburn-1.oci.customer-oci.com/{OCID}/predict"


def test_predict_url_is_signed_and_kept():
    endpoint = parse_endpoint(PREDICT)
    assert endpoint == Endpoint("oci", PREDICT, OCID, "us-ashburn-1", None)
    assert endpoint.signed


def test_deployment_url_without_predict_gets_it():
    endpoint = parse_endpoint(PREDICT.removesuffix("/predict") + "/")
    assert endpoint.url == PREDICT


def test_ocid_resolves_with_region_from_ocid():
    endpoint = parse_endpoint(OCID)
    assert endpoint.url == ""
    assert endpoint.signed
    assert endpoint.resolve().url == PREDICT


def test_ocid_with_explicit_region():
    resolved = parse_endpoint(OCID, region="eu-frankfurt-1").resolve()
    assert resolved.url == (
        f"https://modeldeployment.eu-frankfurt-1.oci.customer-oci.com/{OCID}/predict"
    )


def test_ocid_in_another_realm_uses_its_domain():
    resolved = parse_endpoint(OCID, region="us-langley-1").resolve()
    assert resolved.url.startswith("https://md.datascience.us-langley-1.oci.")


@pytest.mark.parametrize(
    ("value", "url", "route"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/embeddings", "/v1/embeddings"),
        ("http://tei:80/", "http://tei:80/v1/embeddings", "/v1/embeddings"),
        ("http://tei:80/embed", "http://tei:80/embed", "/embed"),
        (
            "https://x.example/tei/v1/embeddings",
            "https://x.example/tei/v1/embeddings",
            "/v1/embeddings",
        ),
    ],
)
def test_plain_tei_urls(value, url, route):
    endpoint = parse_endpoint(value)
    assert (endpoint.kind, endpoint.url, endpoint.route) == ("tei", url, route)
    assert not endpoint.signed


def test_route_overrides_plain_tei_path():
    endpoint = parse_endpoint("http://127.0.0.1:8080", route="/embed")
    assert endpoint.url == "http://127.0.0.1:8080/embed"
    assert endpoint.base_url == "http://127.0.0.1:8080"


def test_signed_loopback_http_allowed_for_the_emulator():
    endpoint = parse_endpoint(f"http://127.0.0.1:9000/{OCID}/predict")
    assert endpoint.signed
    assert endpoint.deployment_id == OCID


def test_signed_plain_http_to_remote_host_refused():
    with pytest.raises(ConfigurationError, match="plain http"):
        parse_endpoint(PREDICT.replace("https://", "http://"))


def test_missing_endpoint_reads_env(monkeypatch):
    monkeypatch.setenv("OCI_TEI_ENDPOINT", "http://localhost:8080")
    assert parse_endpoint(None).url == "http://localhost:8080/v1/embeddings"
    monkeypatch.delenv("OCI_TEI_ENDPOINT")
    with pytest.raises(ConfigurationError, match="OCI_TEI_ENDPOINT"):
        parse_endpoint(None)


@pytest.mark.parametrize(
    "value",
    [
        "ftp://x",
        "not a url",
        f"{PREDICT}?x=1",
        PREDICT.replace("/predict", "/predictWithResponseStream"),
    ],
)
def test_bad_endpoints(value):
    with pytest.raises(ConfigurationError):
        parse_endpoint(value)


def test_route_must_be_a_path():
    with pytest.raises(ConfigurationError, match="route"):
        parse_endpoint("http://127.0.0.1:1", route="embed")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback(host, loopback):
    assert is_loopback_host(host) is loopback
