"""The deploy commands through ``oci_tei._cli.main``: image, bandwidth, deploy --dry-run, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from oci_tei._cli import main
from oci_tei.deploy.spec._ads_resources import build_deployment

from .conftest import CPU_SPEC, REPO, SEED_SPEC, SPEC_ENV


@pytest.fixture
def no_oci_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home without ~/.oci and no OCI variables: nothing to authenticate with."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in list(os.environ):
        if name.startswith(("OCI_CONFIG", "OCI_CLI", "OCI_IAM", "OCI_RESOURCE")):
            monkeypatch.delenv(name)
    return tmp_path


def test_image_prints_the_docker_commands(spec_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", str(SEED_SPEC), "--print"]) == 0
    out = capsys.readouterr().out
    assert "docker login -u 'mytenancy/<username>' iad.ocir.io" in out
    assert (
        "docker pull --platform linux/amd64 ghcr.io/huggingface/text-embeddings-inference:86-1.5"
        in out
    )
    assert "docker push iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5" in out


def test_image_for_the_cpu_spec(spec_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["image", str(CPU_SPEC), "--username", "oracleidentitycloudservice/jane", "--print"])
        == 0
    )
    out = capsys.readouterr().out
    assert "text-embeddings-inference:cpu-1.9" in out
    assert "-u 'mytenancy/oracleidentitycloudservice/jane'" in out


def test_bandwidth(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "bandwidth",
                "--vectors-per-second",
                "500",
                "--dimension",
                "768",
                "--encoding",
                "base64",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "bandwidth_mbps: 27" in out
    assert "allows ~240 base64 vectors/s" in out
    assert "allows ~118 float vectors/s" in out


def test_bandwidth_rejects_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bandwidth", "--vectors-per-second", "0", "--dimension", "768"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_bad_spec_exits_2_naming_the_field(
    spec_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OCI_TEI_PROJECT_ID")
    assert main(["deploy", str(SEED_SPEC), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "project_id: environment variable OCI_TEI_PROJECT_ID is not set" in err


def test_dry_run_needs_no_credentials_and_opens_no_socket(
    seed_spec, no_oci_config, capsys: pytest.CaptureFixture[str]
) -> None:
    import pytest_socket

    build_deployment(seed_spec)  # warm imports: urllib3 probes IPv6 with a socket on import
    pytest_socket.disable_socket()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = main(["deploy", str(SEED_SPEC), "--dry-run"])
    finally:
        pytest_socket.enable_socket()
    assert status == 0
    # ResourceWarnings are other tests' sockets being garbage-collected meanwhile.
    attempts = [
        w for w in caught if "socket" in str(w.message) and w.category is not ResourceWarning
    ]
    assert not attempts
    assert not (no_oci_config / ".oci").exists()
    out = capsys.readouterr().out
    plan_text, _, ads_yaml = out.partition("# oracle-ads ModelDeployment")
    assert plan_text.startswith(
        f"Plan for bge-base-en-v1.5-a10 (spec hash {seed_spec.spec_hash()})"
    )
    assert "[smoke_test]" in plan_text
    assert "bandwidth_mbps 10 caps throughput" in plan_text
    document = yaml.safe_load(ads_yaml.split("\n", 1)[1])
    assert document == build_deployment(seed_spec).to_dict()
    assert document["spec"]["runtime"]["spec"]["image"].endswith(":86-1.5")


def test_dry_run_of_the_cpu_spec(spec_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", str(CPU_SPEC), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "shapeConfigDetails" in out
    assert "autoScaling" in out


def test_scale_needs_a_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scale", "ocid1.datasciencemodeldeployment.oc1..x"]) == 2
    assert "--replicas and/or --bandwidth-mbps" in capsys.readouterr().err


def test_oci_commands_take_the_auth_flags() -> None:
    from oci_tei._cli import build_parser

    for command in ("deploy", "status", "logs", "scale", "delete"):
        argv = [
            command,
            "x.yaml",
            "--auth",
            "security_token",
            "--profile",
            "P",
            "--config-file",
            "c",
            "--service-endpoint",
            "http://127.0.0.1:1",
        ]
        args = build_parser(argv).parse_args(argv)
        assert (args.auth, args.profile, args.config_file, args.service_endpoint) == (
            "security_token",
            "P",
            "c",
            "http://127.0.0.1:1",
        )


@pytest.mark.parametrize(
    "argv",
    [
        ["image", str(SEED_SPEC), "--print"],
        ["bandwidth", "--vectors-per-second", "100", "--dimension", "384"],
    ],
)
def test_offline_commands_never_import_oracle_ads(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from oci_tei._cli import main\n"
        f"status = main({argv!r})\n"
        "heavy = sorted(name for name in sys.modules if name == 'ads' or name.startswith('ads.'))\n"
        "assert status == 0 and not heavy, (status, heavy[:5])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **SPEC_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("127.0.0.1:8998", "expected an http(s) URL"),
        ("http://example.com", "refusing to send signed OCI calls over plain http"),
    ],
)
def test_bad_service_endpoint_is_refused_by_the_parser(
    endpoint: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["status", "x.yaml", "--service-endpoint", endpoint])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def _fake_engine(directory: Path, name: str) -> Path:
    """A stand-in for docker/podman (no container engine runs here): it records its argv."""
    log = directory / f"{name}.log"
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    script.chmod(0o755)
    return log


def test_image_runs_the_engine_on_path(
    spec_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _fake_engine(tmp_path, "podman")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["image", str(SEED_SPEC), "--engine", "podman", "--username", "jane"]) == 0
    assert log.read_text().splitlines() == [
        "login -u mytenancy/jane iad.ocir.io",
        "pull --platform linux/amd64 ghcr.io/huggingface/text-embeddings-inference:86-1.5",
        "tag ghcr.io/huggingface/text-embeddings-inference:86-1.5 "
        "iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5",
        "push iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5",
    ]
    assert (
        "pushed iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5" in capsys.readouterr().out
    )


def test_image_without_an_engine_prints_and_says_it_did_not_push(
    spec_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither docker nor podman
    assert main(["image", str(SEED_SPEC), "--engine", "docker"]) == 0
    out = capsys.readouterr().out
    assert "docker push iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5" in out
    assert "# NOT pushed (docker is not on PATH)" in out
