"""`oci-tei serve` / `python -m oci_tei_local`: TEI's flags and environment variables."""

from __future__ import annotations

import argparse
import copy
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from oci_tei_local._cli import ServeArgsError, configure_serve, parse_serve_args, unused_flags
from oci_tei_local._secret import Secret
from oci_tei_local._settings import ServerSettings

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_teis_except_bind_address() -> None:
    settings = parse_serve_args([], env={})
    assert settings == ServerSettings()
    assert settings.hostname == "127.0.0.1"
    assert settings.port == 8080
    assert settings.max_client_batch_size == 32
    assert settings.max_batch_tokens == 16384
    assert settings.max_concurrent_requests == 512
    assert settings.payload_limit == 2_000_000
    assert settings.effective_auto_truncate is True
    assert settings.compat == "1.9"


def test_seed_command_parses() -> None:
    cmd = ["--model-id", "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/", "--port", "8080",
           "--hostname", "0.0.0.0", "--json-output"]  # fmt: skip
    settings = parse_serve_args(cmd, env={})
    assert settings.model_id == "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/"
    assert (settings.hostname, settings.port, settings.json_output) == ("0.0.0.0", 8080, True)


def test_every_tei_flag_parses() -> None:
    argv = [
        "--model-id=/m", "--revision", "abc", "--tokenization-workers", "3", "--dtype", "float16",
        "--served-model-name", "served", "--pooling", "last-token",
        "--max-concurrent-requests", "7", "--max-batch-tokens", "999", "--max-batch-requests", "5",
        "--max-client-batch-size", "4", "--auto-truncate", "false", "--default-prompt", "query: ",
        "--dense-path", "2_Dense", "--hf-token", "hf_secret", "--hostname", "::1", "-p", "0",
        "--uds-path", "/tmp/x", "--huggingface-hub-cache", "/cache", "--payload-limit", "10",
        "--api-key", "key", "--json-output", "--disable-spans", "--otlp-endpoint", "http://x:4317",
        "--otlp-service-name", "svc", "--prometheus-port", "9001",
        "--cors-allow-origin", "http://a", "--cors-allow-origin", "http://b", "--compat", "1.5",
    ]  # fmt: skip
    settings = parse_serve_args(argv, env={})
    assert settings.model_id == "/m"
    assert settings.revision == "abc"
    assert settings.tokenization_workers == 3
    assert settings.dtype == "float16"
    assert settings.served_model_name == "served"
    assert settings.pooling == "last-token"
    assert (settings.max_concurrent_requests, settings.max_batch_tokens) == (7, 999)
    assert (settings.max_batch_requests, settings.max_client_batch_size) == (5, 4)
    assert settings.auto_truncate is False
    assert settings.default_prompt == "query: "
    assert settings.hf_token == Secret("hf_secret")
    assert (settings.hostname, settings.port, settings.payload_limit) == ("::1", 0, 10)
    assert settings.api_key is not None
    assert settings.api_key.reveal() == "key"
    assert settings.json_output
    assert settings.disable_spans
    assert settings.cors_allow_origin == ("http://a", "http://b")
    assert settings.compat == "1.5"
    assert unused_flags(settings) == [
        "--dense-path", "--disable-spans", "--hf-token", "--huggingface-hub-cache",
        "--otlp-endpoint", "--otlp-service-name", "--prometheus-port", "--uds-path",
    ]  # fmt: skip


def test_every_flag_reads_teis_environment_variable() -> None:
    env = {
        "MODEL_ID": "/m", "REVISION": "r", "TOKENIZATION_WORKERS": "2", "DTYPE": "float32",
        "SERVED_MODEL_NAME": "s", "POOLING": "cls", "MAX_CONCURRENT_REQUESTS": "3",
        "MAX_BATCH_TOKENS": "100", "MAX_BATCH_REQUESTS": "4", "MAX_CLIENT_BATCH_SIZE": "5",
        "AUTO_TRUNCATE": "false", "DEFAULT_PROMPT_NAME": "query", "API_KEY": "k", "PORT": "9",
        "PAYLOAD_LIMIT": "11", "JSON_OUTPUT": "true", "CORS_ALLOW_ORIGIN": "http://o",
        "OCI_TEI_COMPAT": "1.5", "OCI_TEI_HOSTNAME": "127.0.0.2",
    }  # fmt: skip
    settings = parse_serve_args([], env=env)
    assert settings.model_id == "/m"
    assert settings.revision == "r"
    assert settings.tokenization_workers == 2
    assert settings.pooling == "cls"
    assert settings.max_concurrent_requests == 3
    assert settings.max_batch_tokens == 100
    assert settings.max_batch_requests == 4
    assert settings.max_client_batch_size == 5
    assert settings.auto_truncate is False
    assert settings.default_prompt_name == "query"
    assert settings.api_key == Secret("k")
    assert (settings.port, settings.payload_limit, settings.json_output) == (9, 11, True)
    assert settings.cors_allow_origin == ("http://o",)
    assert (settings.compat, settings.hostname) == ("1.5", "127.0.0.2")


def test_task_comes_from_the_environment_only() -> None:
    assert parse_serve_args([], env={"TASK": "sentence-similarity"}).task == "sentence-similarity"
    assert parse_serve_args([], env={}).task is None


def test_flags_win_over_environment() -> None:
    settings = parse_serve_args(["--port", "1234"], env={"PORT": "9", "MAX_BATCH_TOKENS": ""})
    assert settings.port == 1234
    assert settings.max_batch_tokens == 16384  # empty variables count as unset, as in clap


def test_inherited_hostname_never_moves_the_bind_address() -> None:
    # Shells and containers set HOSTNAME to the machine's name; TEI would read it.
    assert parse_serve_args([], env={"HOSTNAME": "0.0.0.0"}).hostname == "127.0.0.1"
    assert parse_serve_args([], env={"OCI_TEI_HOSTNAME": "0.0.0.0"}).hostname == "0.0.0.0"


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--auto-truncate"], {}, True),
        (["--auto-truncate", "true"], {}, True),
        (["--auto-truncate=false"], {}, False),
        ([], {"AUTO_TRUNCATE": "true"}, True),
        (["--compat", "1.5"], {}, False),  # TEI 1.5's default
        (["--compat", "1.5", "--auto-truncate"], {}, True),
    ],
)
def test_auto_truncate_forms(argv: list[str], env: dict[str, str], expected: bool) -> None:
    assert parse_serve_args(argv, env=env).effective_auto_truncate is expected


def test_json_output_environment_uses_clap_falsey_values() -> None:
    assert parse_serve_args([], env={"JSON_OUTPUT": "false"}).json_output is False
    assert parse_serve_args([], env={"JSON_OUTPUT": "0"}).json_output is False
    assert parse_serve_args([], env={"JSON_OUTPUT": "1"}).json_output is True


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--unknown-flag"], {}, "unrecognized arguments: --unknown-flag"),
        (["--max-batch"], {}, "unrecognized arguments: --max-batch"),  # no abbreviations
        (["--port", "http"], {}, "invalid value 'http' for '--port <PORT>'"),
        ([], {"PORT": "x"}, "invalid value 'x' for env PORT"),
        (["--port", "70000"], {}, "port must be within"),
        (["--pooling", "max"], {}, "[possible values: cls, mean, splade, last-token]"),
        (["--dtype", "bfloat16"], {}, "[possible values: float16, float32]"),
        (["--compat", "2.0"], {}, "[possible values: 1.5, 1.9]"),
        (["--auto-truncate", "yes"], {}, "[possible values: true, false]"),
        (["--max-batch-tokens", "0"], {}, "max_batch_tokens must be at least 1"),
        (["--hostname", "my-host"], {}, "hostname must be an IP address"),
        (["--default-prompt", "a", "--default-prompt-name", "b"], {}, "cannot be used with"),
        (["--port"], {}, "expected one argument"),
    ],
)
def test_bad_arguments_are_refused(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ServeArgsError, match=None) as caught:
        parse_serve_args(argv, env=env)
    assert message in str(caught.value)


def test_settings_hide_secrets() -> None:
    settings = ServerSettings(api_key="topsecret", hf_token="hf_abc")
    assert "topsecret" not in repr(settings)
    assert "hf_abc" not in repr(settings)
    assert "topsecret" not in str(settings.redacted())
    assert repr(settings.api_key) == "Secret('**********')"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(settings)
    assert copy.deepcopy(settings) == settings
    assert settings.replace(port=1).api_key == settings.api_key
    assert hash(settings) == hash(ServerSettings(api_key="topsecret", hf_token="hf_abc"))


def test_settings_validate_values() -> None:
    with pytest.raises(ValueError, match="compat"):
        ServerSettings(compat="2.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pooling"):
        ServerSettings(pooling="max")
    assert ServerSettings(cors_allow_origin=["a"]).cors_allow_origin == ("a",)  # type: ignore[arg-type]
    assert ServerSettings(compat="1.5").tei_version == "1.5.0"
    assert ServerSettings(tokenization_workers=3).effective_tokenization_workers == 3


def test_dispatcher_registers_serve() -> None:
    from oci_tei._cli import build_parser

    args = build_parser(["serve", "--port", "0"]).parse_args(["serve", "--port", "0"])
    assert args.port == "0"
    parser = argparse.ArgumentParser()
    configure_serve(parser)
    assert "--max-client-batch-size" in parser.format_help()


def _run_module(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "oci_tei_local", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_module_help() -> None:
    result = _run_module("--help")
    assert result.returncode == 0, result.stderr
    for flag in ("--model-id", "--auto-truncate", "--payload-limit", "--api-key", "--compat"):
        assert flag in result.stdout
    assert "[env: MAX_BATCH_TOKENS]" in " ".join(result.stdout.split())


def test_module_bad_flag_exits_2() -> None:
    result = _run_module("--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_module_exits_nonzero_for_a_directory_without_a_model(tmp_path: Path) -> None:
    result = _run_module("--model-id", str(tmp_path), "--port", "0", "--json-output")
    assert result.returncode == 1
    assert "`config.json` not found" in result.stderr
    assert '"level": "ERROR"' in result.stdout  # the JSON log line says it too
