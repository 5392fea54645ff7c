"""Signed calls through the emulator's predict gateway: real oci signers, verified server-side."""

import asyncio
import logging
import sys
import threading
import time

import pytest

from oci_tei import _errors as errors
from oci_tei._client import EmbeddingClient
from oci_tei_emulator import FaultConfig
from tests.fixtures.oci import write_oci_config

TEXTS = [f"chunk {i} about fast cars on highways" for i in range(60)]


@pytest.fixture
def gateway(emulator, tei_server):
    """An emulator forwarding one deployment to the session's local TEI server."""
    emu = emulator()
    ocid = emu.register_deployment(tei_server.url)
    return emu, emu.predict_url(ocid)


@pytest.fixture(scope="module")
def expected(tei_server):
    with EmbeddingClient(endpoint=tei_server.url) as client:
        return client.embed(TEXTS)


def close_to(vectors, expected):
    return len(vectors) == len(expected) and all(
        max(abs(x - y) for x, y in zip(v, e, strict=True)) < 1e-5
        for v, e in zip(vectors, expected, strict=True)
    )


def test_api_key_signed_call(gateway, oci_config, expected):
    _, url = gateway
    with EmbeddingClient(
        endpoint=url, auth="api_key", config_file=str(oci_config), batch_size=8
    ) as client:
        assert close_to(client.embed(TEXTS), expected)


async def test_api_key_signed_async_call(gateway, oci_config, expected):
    _, url = gateway
    async with EmbeddingClient(
        endpoint=url, auth="api_key", config_file=str(oci_config), batch_size=8
    ) as client:
        assert close_to(await client.aembed(TEXTS), expected)


def test_automatic_auth_uses_the_config_profile(gateway, oci_config, monkeypatch, expected):
    _, url = gateway
    monkeypatch.setenv("OCI_CONFIG_LOCATION", str(oci_config))
    monkeypatch.delenv("OCI_IAM_TYPE", raising=False)
    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION", raising=False)
    # A program that never imported oracle-ads (other tests do: its global auth would win).
    monkeypatch.delitem(sys.modules, "ads", raising=False)
    with EmbeddingClient(endpoint=url) as client:
        assert close_to(client.embed(TEXTS[:3]), expected[:3])
        assert client.signer.spec.auth_type == "api_key"


def test_explicit_oci_signer_and_ads_style_dict(gateway, oci_config, expected):
    import oci

    _, url = gateway
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))
    for auth in (signer, {"signer": signer, "config": {}}):
        with EmbeddingClient(endpoint=url, auth=auth) as client:
            assert close_to(client.embed(TEXTS[:2]), expected[:2])


def test_unknown_key_is_an_authentication_error(gateway, tmp_path, oci_keys):
    _, url = gateway
    config = write_oci_config(tmp_path / "stranger", oci_keys.stranger)
    with (
        EmbeddingClient(endpoint=url, auth="api_key", config_file=str(config)) as client,
        pytest.raises(errors.AuthenticationError) as info,
    ):
        client.embed(["x"])
    assert info.value.status == 401
    assert info.value.error_type == "NotAuthenticated"
    assert info.value.opc_request_id
    assert str(oci_keys.stranger.key_file) not in str(info.value)


def test_unknown_deployment_is_not_found(emulator, oci_config):
    emu = emulator()
    url = emu.predict_url("ocid1.datasciencemodeldeployment.oc1.iad.doesnotexist")
    with (
        EmbeddingClient(endpoint=url, auth="api_key", config_file=str(oci_config)) as client,
        pytest.raises(errors.NotFoundError) as info,
    ):
        client.embed(["x"])
    assert info.value.error_type == "NotAuthorizedOrNotFound"
    assert info.value.opc_request_id


def test_security_token_refreshes_after_expiry(gateway, tmp_path, expected):
    emu, url = gateway
    config = emu.session_token_config(tmp_path / "session")
    with EmbeddingClient(
        endpoint=url, auth="security_token", config_file=str(config), batch_size=20
    ) as client:
        assert close_to(client.embed(TEXTS), expected)
        # The token expires; the user (or `oci session refresh`) writes a new one.
        emu.expire_tokens()
        write_fresh_session_token(emu, tmp_path / "session")
        generation = client.signer.generation
        assert close_to(client.embed(TEXTS), expected)
        assert client.signer.generation == generation + 1


def write_fresh_session_token(emu, directory):
    """What `oci session refresh` does: a new token for the same session key."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = (directory / "session_key.pem").read_text()
    public = load_pem_private_key(key.encode(), None).public_key()
    (directory / "security_token").write_text(emu.issue_security_token(public))


def test_expired_security_token_without_refresh_fails_typed(gateway, tmp_path):
    emu, url = gateway
    config = emu.session_token_config(tmp_path / "session")
    emu.expire_tokens()
    with (
        EmbeddingClient(endpoint=url, auth="security_token", config_file=str(config)) as client,
        pytest.raises(errors.NotFoundError) as info,
    ):
        client.embed(["x"])
    # Predict answers an expired token with 404 NotAuthorizedOrNotFound; the client re-read
    # the token file once (still expired) before giving up.
    assert info.value.status == 404
    assert info.value.error_type == "NotAuthorizedOrNotFound"
    assert client.signer.generation == 1


def test_resource_principal_with_refresh(gateway, tmp_path, monkeypatch, expected):
    emu, url = gateway
    for name, value in emu.resource_principal_env(tmp_path / "rp").items():
        monkeypatch.setenv(name, value)
    with EmbeddingClient(endpoint=url, auth="resource_principal") as client:
        assert close_to(client.embed(TEXTS[:5]), expected[:5])
        assert client.signer.generation == 0
        emu.expire_tokens()
        emu.refresh_resource_principal_token(tmp_path / "rp")
        assert close_to(client.embed(TEXTS[:5]), expected[:5])
        assert client.signer.generation == 1  # refused once, refreshed, re-signed


def instance_principal_client(emu, url, monkeypatch):
    """A client signing as the emulator's instance principal (IMDS + federation)."""
    for name, value in emu.instance_principal_env().items():
        monkeypatch.setenv(name, value)
    return EmbeddingClient(
        endpoint=url,
        auth="instance_principal",
        auth_kwargs={"federation_endpoint": emu.federation_endpoint},
    )


def test_instance_principal_with_refresh(gateway, monkeypatch, expected):
    emu, url = gateway
    with instance_principal_client(emu, url, monkeypatch) as client:
        assert close_to(client.embed(TEXTS[:5]), expected[:5])
        assert client.signer.generation == 0
        emu.expire_tokens()  # the federation endpoint issues a fresh token on refresh
        assert close_to(client.embed(TEXTS[:5]), expected[:5])
        assert client.signer.generation == 1


def test_route_header_selects_the_native_route(gateway, oci_config):
    _, url = gateway
    with EmbeddingClient(
        endpoint=url, auth="api_key", config_file=str(oci_config), route="/embed", normalize=False
    ) as client:
        (vector,) = client.embed(["fast cars"])
    assert abs(sum(x * x for x in vector) - 1.0) > 0.01


def test_resplits_when_the_container_refuses_the_batch_size(
    emulator, start_tei_server, oci_config, expected
):
    for compat, status in (("1.5", 413), ("1.9", 422)):
        server = start_tei_server(max_client_batch_size=4, compat=compat)
        emu = emulator()
        url = emu.predict_url(emu.register_deployment(server.url))
        with EmbeddingClient(
            endpoint=url, auth="api_key", config_file=str(oci_config), batch_size=32
        ) as client:
            assert close_to(client.embed(TEXTS), expected), status
            assert client._get_engine().limits.max_count == 4


@pytest.mark.parametrize("fault", ["p_429", "p_500", "p_502", "p_503", "p_504", "p_reset"])
def test_retries_through_injected_faults_keep_order(
    emulator, tei_server, oci_config, expected, fault
):
    emu = emulator(faults=FaultConfig(**{fault: 0.3}, retry_after_s=0), seed=7)
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    with EmbeddingClient(
        endpoint=url,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=4,
        max_concurrency=6,
        max_retries=10,
        retry_backoff=0.05,
    ) as client:
        assert close_to(client.embed(TEXTS), expected)
    counts = emu.fault_counts
    assert counts.get(fault.removeprefix("p_"), 0) > 0, counts


def test_stall_beyond_timeout_is_retried(emulator, tei_server, oci_config, expected):
    emu = emulator(faults=FaultConfig(p_stall=0.3, stall_s=5.0), seed=3)
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    with EmbeddingClient(
        endpoint=url,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=10,
        timeout=0.5,
        max_retries=10,
        retry_backoff=0.05,
    ) as client:
        assert close_to(client.embed(TEXTS), expected)


def test_retry_after_is_honoured(emulator, tei_server, oci_config):
    emu = emulator(faults=FaultConfig(p_429=1.0, retry_after_s=1), seed=1)
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    import time

    started = time.monotonic()
    with (
        EmbeddingClient(
            endpoint=url, auth="api_key", config_file=str(oci_config), max_retries=2
        ) as client,
        pytest.raises(errors.RateLimitError) as info,
    ):
        client.embed(["x"])
    assert time.monotonic() - started >= 2.0  # two waits of Retry-After: 1
    assert info.value.retry_after == 1.0
    assert "gave up after 3 attempts" in info.value.message


def test_unhealthy_container_is_a_server_error(gateway, oci_config):
    emu, url = gateway
    emu.set_deployment_health(url.split("/")[-2], False)
    with (
        EmbeddingClient(
            endpoint=url, auth="api_key", config_file=str(oci_config), max_retries=1
        ) as client,
        pytest.raises(errors.ServerError) as info,
    ):
        client.embed(["x"])
    assert info.value.status == 503


def test_no_secret_in_logs_or_errors(gateway, oci_config, oci_keys, caplog):
    _, url = gateway
    caplog.set_level(logging.DEBUG)
    with EmbeddingClient(endpoint=url, auth="api_key", config_file=str(oci_config)) as client:
        client.embed(TEXTS[:3])
        text = repr(client) + caplog.text
    key_body = oci_keys.trusted.key_file.read_text().splitlines()[1]
    assert "Signature" not in text
    assert key_body not in text


def test_async_refresh_and_concurrency(gateway, tmp_path, expected):
    emu, url = gateway
    config = emu.session_token_config(tmp_path / "session")
    client = EmbeddingClient(
        endpoint=url, auth="security_token", config_file=str(config), batch_size=5
    )
    assert close_to(asyncio.run(client.aembed(TEXTS)), expected)
    emu.expire_tokens()
    write_fresh_session_token(emu, tmp_path / "session")
    # Twelve concurrent batches all meet the expired token: one refresh serves them all.
    assert close_to(asyncio.run(client.aembed(TEXTS)), expected)
    assert client.signer.generation == 1
    client.close()


class SlowSigner:
    """A real API-key signer that first blocks, as a token signer does while it fetches a
    new token over the network (that exchange cannot be slowed down in the emulator)."""

    def __init__(self, inner, seconds):
        self.inner = inner
        self.seconds = seconds
        self.threads = set()

    def __call__(self, request, *args, **kwargs):
        self.threads.add(threading.get_ident())
        time.sleep(self.seconds)
        return self.inner(request, *args, **kwargs)


async def test_a_signer_that_may_block_signs_off_the_event_loop(gateway, oci_config, expected):
    import oci

    _, url = gateway
    signer = SlowSigner(oci.signer.Signer.from_config(oci.config.from_file(str(oci_config))), 0.3)
    gaps = []

    async def heartbeat():
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beating = asyncio.ensure_future(heartbeat())
    async with EmbeddingClient(endpoint=url, auth=signer, batch_size=30) as client:
        assert close_to(await client.aembed(TEXTS), expected)
    beating.cancel()
    assert threading.get_ident() not in signer.threads
    assert max(gaps) < 0.2  # each signature took 0.3 s, and the loop kept running


def test_which_signers_may_block(gateway, oci_config, monkeypatch):
    emu, url = gateway
    with EmbeddingClient(endpoint=url, auth="api_key", config_file=str(oci_config)) as client:
        assert client.signer.may_block  # not built yet: building reads files
        client.embed(["x"])
        assert not client.signer.may_block  # an API key signs from memory, on the loop
    with instance_principal_client(emu, url, monkeypatch) as client:
        client.embed(["x"])
        assert client.signer.may_block  # fetches a new token inside sign() near expiry
