"""A private deployment's predict URL: the private endpoint's FQDN, then ``/<ocid>/predict``.

OCI: "for a private model deployment, the HTTP endpoint contains a private FQDN that was
set while creating the private endpoint". The parser recognises any https URL whose path
holds a deployment OCID; plain http only to loopback, ``*.localhost`` included (RFC 6761).
"""

from __future__ import annotations

import pytest

from oci_tei import ConfigurationError
from oci_tei._endpoint import is_loopback_host, parse_endpoint

OCID = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaaexample"


@pytest.mark.parametrize(
    "url",
    [
        f"https://embeddings.customer.example/{OCID}/predict",
        f"https://embeddings.customer.example/{OCID}",  # the console's URL, without /predict
        f"http://embeddings.us-ashburn-1.pe.datascience.localhost:8998/{OCID}/predict",
    ],
)
def test_a_private_fqdn_url_is_a_signed_deployment(url: str) -> None:
    endpoint = parse_endpoint(url)
    assert endpoint.signed
    assert endpoint.deployment_id == OCID
    assert endpoint.url.endswith(f"/{OCID}/predict")


def test_plain_http_to_a_private_fqdn_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        parse_endpoint(f"http://embeddings.customer.example/{OCID}/predict")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("a.b.localhost", True),
        ("A.LOCALHOST.", True),
        ("127.0.0.1", True),
        ("localhost.example.com", False),
        ("notlocalhost", False),
    ],
)
def test_localhost_names_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
