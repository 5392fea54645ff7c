"""Request signing and every principal, with the real oci SDK signers against the emulator."""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

import oci
import pytest
import requests

from oci_tei_emulator import TokenExpiryWindow
from tests.fixtures.oci import EmulatorFactory, OCIKeys, write_oci_config


def _api_signer(config_file: Path) -> oci.signer.Signer:
    return oci.signer.Signer.from_config(oci.config.from_file(str(config_file)))


def _os_client(emu, config_file: Path, **kw) -> oci.object_storage.ObjectStorageClient:
    config = oci.config.from_file(str(config_file))
    return oci.object_storage.ObjectStorageClient(
        config, service_endpoint=emu.url, retry_strategy=oci.retry.NoneRetryStrategy(), **kw
    )


def test_api_key_signed_calls_pass(emulator: EmulatorFactory, oci_config: Path) -> None:
    emu = emulator()
    client = _os_client(emu, oci_config)
    response = client.get_namespace()
    assert response.data == emu.namespace
    assert response.headers["opc-request-id"]


def test_unknown_key_is_refused(emulator, tmp_path: Path, oci_keys: OCIKeys) -> None:
    emu = emulator()
    client = _os_client(emu, write_oci_config(tmp_path / "c", oci_keys.stranger))
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_namespace()
    assert info.value.status == 401
    assert info.value.code == "NotAuthenticated"


def _signed_post(emu, config_file: Path, path: str, body: bytes):
    request = requests.Request(
        "POST", f"{emu.url}{path}", data=body, headers={"content-type": "application/json"}
    ).prepare()
    return _api_signer(config_file)(request)


@pytest.mark.parametrize("tamper", ["body", "path", "date", "signature", "unsigned-body-header"])
def test_tampered_requests_are_refused(emulator, oci_config: Path, tamper: str) -> None:
    emu = emulator()
    body = json.dumps({"name": "b1", "compartmentId": "ocid1.compartment.oc1..x"}).encode()
    request = _signed_post(emu, oci_config, f"/n/{emu.namespace}/b", body)
    if tamper == "body":
        request.body = body.replace(b"b1", b"b2")
    elif tamper == "path":
        request.url = request.url.replace("/b", "/b/")
    elif tamper == "date":
        request.headers["date"] = email.utils.formatdate(time.time() - 3600, usegmt=True)
    elif tamper == "signature":
        auth = request.headers["authorization"]
        request.headers["authorization"] = auth.replace('signature="', 'signature="AAAA')
    else:
        request.headers["authorization"] = request.headers["authorization"].replace(
            " content-length content-type x-content-sha256", ""
        )
    response = requests.Session().send(request)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "NotAuthenticated"
    assert response.headers["opc-request-id"]


def test_stale_date_within_skew_passes(emulator, oci_config: Path) -> None:
    emu = emulator()
    body = json.dumps({"name": "b1", "compartmentId": "ocid1.compartment.oc1..x"}).encode()
    request = requests.Request(
        "POST",
        f"{emu.url}/n/{emu.namespace}/b",
        data=body,
        headers={
            "content-type": "application/json",
            "date": email.utils.formatdate(time.time() - 240, usegmt=True),
        },
    ).prepare()
    response = requests.Session().send(_api_signer(oci_config)(request))
    assert response.status_code == 200, response.text


def test_security_token_signer_and_expiry(emulator, tmp_path: Path) -> None:
    emu = emulator()
    config_file = emu.session_token_config(tmp_path / "session")
    config = oci.config.from_file(str(config_file))
    key = oci.signer.load_private_key_from_file(config["key_file"])
    token = Path(config["security_token_file"]).read_text()
    signer = oci.auth.signers.SecurityTokenSigner(token, key)
    client = oci.object_storage.ObjectStorageClient(
        {"region": config["region"]}, signer=signer, service_endpoint=emu.url
    )
    assert client.get_namespace().data == emu.namespace
    emu.expire_tokens()
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_namespace()
    assert info.value.status == 401
    fresh = emu.issue_security_token(key.public_key())
    client.base_client.signer = oci.auth.signers.SecurityTokenSigner(fresh, key)
    assert client.get_namespace().status == 200


def test_token_signed_by_other_key_is_refused(emulator, tmp_path: Path, oci_keys) -> None:
    emu = emulator()
    token = emu.issue_security_token(oci_keys.trusted.private_key.public_key())
    signer = oci.auth.signers.SecurityTokenSigner(token, oci_keys.stranger.private_key)
    client = oci.object_storage.ObjectStorageClient(
        {"region": "us-ashburn-1"},
        signer=signer,
        service_endpoint=emu.url,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_namespace()
    assert info.value.status == 401


def test_token_from_another_emulator_is_refused(emulator, oci_keys) -> None:
    first, second = emulator(), emulator()
    key = oci_keys.trusted.private_key
    signer = oci.auth.signers.SecurityTokenSigner(first.issue_security_token(key.public_key()), key)
    client = oci.object_storage.ObjectStorageClient(
        {"region": "us-ashburn-1"},
        signer=signer,
        service_endpoint=second.url,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_namespace()
    assert info.value.status == 401


def test_resource_principal_v22_and_refresh(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emulator()
    for name, value in emu.resource_principal_env(tmp_path / "rp").items():
        monkeypatch.setenv(name, value)
    signer = oci.auth.signers.get_resource_principals_signer()
    assert signer.tenancy_id == emu.config.tenancy_id
    client = oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=emu.url)
    assert client.get_namespace().data == emu.namespace
    before = signer.get_security_token()
    emu.expire_tokens()
    emu.refresh_resource_principal_token(tmp_path / "rp")
    # The SDK refreshes resource principals on a 401 and retries once.
    assert client.get_namespace().status == 200
    assert signer.get_security_token() != before


def test_instance_principal(emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator()
    for name, value in emu.instance_principal_env().items():
        monkeypatch.setenv(name, value)
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
        federation_endpoint=emu.federation_endpoint
    )
    assert signer.tenancy_id == emu.config.tenancy_id
    assert signer.region == emu.config.region
    client = oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=emu.url)
    assert client.get_namespace().data == emu.namespace
    emu.expire_tokens()
    assert client.get_namespace().status == 200  # refreshed through federation on the 401


def test_federation_refuses_foreign_certificate(emulator, monkeypatch) -> None:
    first, second = emulator(), emulator()
    monkeypatch.setenv("OCI_METADATA_BASE_URL", first.instance_metadata_url)
    with pytest.raises(oci.exceptions.ServiceError) as info:
        oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
            federation_endpoint=second.federation_endpoint,
            federation_client_retry_strategy=oci.retry.NoneRetryStrategy(),
        ).get_security_token()
    assert info.value.status == 401


def test_scripted_expiry_window(emulator, tmp_path: Path, oci_keys) -> None:
    # The window counts from the emulator's start; the SDK client takes a while to build on
    # a loaded machine, so the window opens late enough for the first call to come before it,
    # and each later call waits for its moment measured from the start, not from the last call.
    emu = emulator(token_expiry_windows=[TokenExpiryWindow(2.0, 3.0)])
    started = time.monotonic()
    key = oci_keys.trusted.private_key
    signer = oci.auth.signers.SecurityTokenSigner(emu.issue_security_token(key.public_key()), key)
    client = oci.object_storage.ObjectStorageClient(
        {"region": "us-ashburn-1"},
        signer=signer,
        service_endpoint=emu.url,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    assert client.get_namespace().status == 200
    time.sleep(max(0.0, started + 2.2 - time.monotonic()))
    with pytest.raises(oci.exceptions.ServiceError):
        client.get_namespace()
    time.sleep(max(0.0, started + 3.2 - time.monotonic()))
    assert client.get_namespace().status == 200


def test_malformed_requests_get_oci_errors(emulator, oci_config: Path) -> None:
    emu = emulator()
    signer = _api_signer(oci_config)
    bad_json = requests.post(
        f"{emu.url}/n/{emu.namespace}/b",
        data=b"{not json",
        auth=signer,
        headers={"content-type": "application/json"},
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "InvalidParameter"
    unknown = requests.get(f"{emu.url}/nowhere/at/all", auth=signer)
    assert unknown.status_code == 404
    # OCI's answer for a path with no operation (API Errors: 404 NotFound), not a denial.
    assert unknown.json()["code"] == "NotFound"
    assert "not emulated" in unknown.json()["message"]
    unsigned = requests.get(f"{emu.url}/n")
    assert unsigned.status_code == 401
    assert set(unsigned.json()) == {"code", "message"}
    garbage = requests.get(f"{emu.url}/n", headers={"authorization": "Signature garbage"})
    assert garbage.status_code == 401
    echoed = requests.get(f"{emu.url}/n", headers={"opc-request-id": "abc123"})
    assert echoed.headers["opc-request-id"] == "abc123"
    assert _os_client(emu, oci_config).get_namespace().status == 200
