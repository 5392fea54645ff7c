"""max_requests_per_second through the emulator's signed gateway and its tenancy rate cap."""

import pytest

from oci_tei._client import EmbeddingClient

TEXTS = [f"input {i} on a rate-limited tenancy" for i in range(25)]


@pytest.fixture
def capped(emulator, tei_server):
    """A gateway allowing 20 requests/s (a token bucket with a burst of 20), as OCI's 150."""
    emu = emulator(requests_per_second=20)
    return emu.predict_url(emu.register_deployment(tei_server.url))


def embed_one_per_request(url, oci_config, **options):
    with EmbeddingClient(
        endpoint=url,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=1,
        retry_backoff=0.05,
        **options,
    ) as client:
        vectors = client.embed(TEXTS)
        return vectors, client.usage()


def test_without_a_limit_the_cap_answers_429_and_the_client_backs_off(
    emulator, tei_server, oci_config
):
    # A cap of 5/s (burst 5): 25 requests from 8 threads outrun it even on a loaded machine,
    # where a cap of 20/s could refill faster than the client sends.
    emu = emulator(requests_per_second=5)
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    vectors, usage = embed_one_per_request(url, oci_config, max_retries=50)
    assert len(vectors) == len(TEXTS)
    assert usage.retries > 0


def test_a_limit_under_the_cap_gets_no_429(capped, oci_config):
    vectors, usage = embed_one_per_request(capped, oci_config, max_requests_per_second=10)
    assert len(vectors) == len(TEXTS)
    assert usage.retries == 0
    assert usage.requests == len(TEXTS)


async def test_the_async_path_is_limited_too(capped, oci_config):
    with EmbeddingClient(
        endpoint=capped,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=1,
        max_requests_per_second=10,
    ) as client:
        assert len(await client.aembed(TEXTS)) == len(TEXTS)
        assert client.usage().retries == 0
