"""``make demo`` end to end: emulator, deploy, both RAG examples and the heatmap, offline."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the whole demo: emulator, deploy, both frameworks
def test_demo_runs_offline(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--output-dir", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Predict endpoint: http://127.0.0.1:" in out
    assert out.count("10/10 questions answered from the expected passage") == 2
    assert (tmp_path / "similarity_heatmap.png").stat().st_size > 10_000
    assert (tmp_path / "demo" / "deployment.json").exists()
    # It says how the TEI image got into OCIR: copied when docker-registry is installed.
    if shutil.which("docker-registry"):
        assert "TEI image: deploy copies it from the ghcr.io stand-in" in out
        assert "copying ghcr.io/huggingface/text-embeddings-inference:cpu-1.9" in out
    else:
        assert "TEI image: declared pushed" in out
