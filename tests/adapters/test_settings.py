"""Both adapters share one set of options; secrets never leave the process."""

import json
import pickle

import pytest

from langchain_oci_tei import OCITEIEmbeddings
from llama_index_oci_tei import OCITEIEmbedding
from oci_tei._errors import ConfigurationError

OCID = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaexample"
ADAPTERS = [OCITEIEmbeddings, OCITEIEmbedding]


@pytest.mark.parametrize("cls", ADAPTERS)
def test_same_options_in_both_adapters(cls):
    model = cls(
        endpoint=OCID, auth="api_key", profile="P", batch_size=16, max_concurrency=4, dimensions=256
    )
    assert (model.batch_size, model.max_concurrency, model.dimensions) == (16, 4, 256)


def test_llamaindex_embed_batch_size_is_the_request_size():
    model = OCITEIEmbedding(endpoint="http://127.0.0.1:1", embed_batch_size=12)
    assert model.batch_size == 12 == model.embed_batch_size
    assert OCITEIEmbedding(endpoint="http://127.0.0.1:1", batch_size=7).embed_batch_size == 7


@pytest.mark.parametrize("cls", ADAPTERS)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"endpoint": "ftp://x"}, "neither"),
        ({"endpoint": OCID, "auth": "password"}, "unknown auth"),
        ({"endpoint": OCID, "normalize": False}, "route='/embed'"),
        ({"endpoint": OCID, "route": "/rerank"}, "not an embedding route"),
        ({"endpoint": OCID, "api_key": "k"}, "plain TEI"),
        (
            {
                "endpoint": OCID.replace("ocid1.", "https://modeldeployment.x/ocid1.").replace(
                    "https", "http"
                )
            },
            "plain http",
        ),
    ],
)
def test_bad_configuration_fails_at_construction(cls, kwargs, match):
    with pytest.raises((ConfigurationError, ValueError), match=match):
        cls(**kwargs)


@pytest.mark.parametrize("cls", ADAPTERS)
def test_native_options_allowed_on_embed_route(cls):
    model = cls(endpoint=OCID, route="/embed", normalize=False, truncate=True)
    assert model.normalize is False


class _FakeKeySigner:
    """Stands in for an API-key signer object holding a private key (no real key needed)."""

    secret = "-----BEGIN PRIVATE KEY----- not-a-real-key"

    def __call__(self, request):
        return request


@pytest.mark.parametrize("cls", ADAPTERS)
def test_secrets_absent_from_repr_and_dumps(cls):
    model = cls(endpoint="http://127.0.0.1:8080", api_key="tei-secret")
    assert "tei-secret" not in repr(model)
    assert "tei-secret" not in str(model.model_dump())
    assert "tei-secret" not in model.model_dump_json()
    signed = cls(endpoint=OCID, auth={"signer": _FakeKeySigner()})
    assert "not-a-real-key" not in repr(signed)
    assert "auth" not in signed.model_dump()


def test_llamaindex_to_dict_and_json_hold_no_secret():
    model = OCITEIEmbedding(endpoint="http://127.0.0.1:8080", api_key="tei-secret")
    assert "tei-secret" not in json.dumps(model.to_dict(), default=str)
    assert "tei-secret" not in model.to_json()


@pytest.mark.parametrize("cls", ADAPTERS)
def test_pickle_keeps_identity_not_keys(cls):
    model = cls(endpoint=OCID, auth="security_token", profile="SESSION", config_file="/tmp/cfg")
    clone = pickle.loads(pickle.dumps(model))
    assert (clone.auth, clone.profile, clone.config_file) == (
        "security_token",
        "SESSION",
        "/tmp/cfg",
    )


@pytest.mark.parametrize("cls", ADAPTERS)
def test_pickle_refuses_an_explicit_key_signer(cls):
    model = cls(endpoint=OCID, auth={"signer": _FakeKeySigner()})
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(model)


@pytest.mark.parametrize("cls", ADAPTERS)
def test_pickle_leaves_the_bearer_key_behind(cls, monkeypatch):
    model = cls(endpoint="http://127.0.0.1:8080", api_key="tei-secret")
    with pytest.raises(TypeError, match="OCI_TEI_API_KEY"):
        pickle.dumps(model)
    monkeypatch.setenv("OCI_TEI_API_KEY", "tei-secret")
    model = cls(endpoint="http://127.0.0.1:8080")
    data = pickle.dumps(model)
    assert b"tei-secret" not in data
    assert pickle.loads(data).api_key.get_secret_value() == "tei-secret"


def test_importing_adapters_imports_neither_ads_nor_pandas():
    import subprocess
    import sys

    code = (
        "import sys, langchain_oci_tei, llama_index_oci_tei\n"
        "bad = [m for m in ('ads', 'pandas', 'torch') if m in sys.modules]\n"
        "sys.exit(', '.join(bad) or None)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
