"""``oci-tei emulate`` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import oci

from tests.fixtures.oci import OCIKeys, write_oci_config


def test_emulate_trusts_default_profile_and_serves(tmp_path: Path, oci_keys: OCIKeys) -> None:
    config = write_oci_config(tmp_path / "config", oci_keys.trusted)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oci_tei",
            "emulate",
            "--port",
            "0",
            "--oci-config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("OCI emulator listening on http://127.0.0.1:")
        url = first.split()[-1]
        assert oci_keys.trusted.fingerprint in process.stdout.readline()
        client = oci.object_storage.ObjectStorageClient(
            oci.config.from_file(str(config)), service_endpoint=url
        )
        assert client.get_namespace().status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0


def test_emulate_rejects_bad_options(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oci_tei", "emulate", "--trust-public-key", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot read key file" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "oci_tei", "emulate", "--fault-429", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "probability" in result.stderr


def test_written_api_key_config_is_trusted(emulator, tmp_path: Path) -> None:
    emu = emulator()
    config_file = emu.write_api_key_config(tmp_path / "oci")
    config = oci.config.from_file(str(config_file))
    oci.config.validate_config(config)
    client = oci.object_storage.ObjectStorageClient(config, service_endpoint=emu.url)
    assert client.get_namespace().data == emu.namespace
    assert config["fingerprint"] in emu.trusted_fingerprints
    assert not list((tmp_path / "oci").glob(".*"))  # no partial file left behind


def test_emulate_writes_a_resource_principal_environment(tmp_path: Path, monkeypatch) -> None:
    rp_file = tmp_path / "rp.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oci_tei",
            "emulate",
            "--port",
            "0",
            "--oci-config",
            str(tmp_path / "none"),
            "--write-rp-env",
            str(rp_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        banner = "".join(process.stdout.readline() for _ in range(3))
        assert f"resource principal: . {rp_file}" in banner
        lines = rp_file.read_text().splitlines()
        names = {line.removeprefix("export ").split("=", 1)[0] for line in lines}
        assert names == {
            "OCI_RESOURCE_PRINCIPAL_VERSION",
            "OCI_RESOURCE_PRINCIPAL_RPST",
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
            "OCI_RESOURCE_PRINCIPAL_REGION",
        }
        import shlex

        for line in lines:
            name, _, value = line.removeprefix("export ").partition("=")
            monkeypatch.setenv(name, shlex.split(value)[0])
        signer = oci.auth.signers.get_resource_principals_signer()
        client = oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=url)
        assert client.get_namespace().status == 200  # the emulator trusts its token
    finally:
        process.terminate()
        process.wait(timeout=30)
