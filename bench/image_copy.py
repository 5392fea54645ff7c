"""Registry-to-registry copy of a generated 1 GB image: oci-tei against skopeo, same registries.

Two real registries on loopback (Debian's ``docker-registry``): one plays ghcr.io
(anonymous pull through a token realm), the other the target (token auth, basic
credentials). The image is one linux/amd64 manifest with layers of random bytes summing to
``--size-mb`` (1 GiB by default), built and pushed by the stand-in builder.

Measured, each copy into a fresh target registry (nothing to skip, nothing to mount):

* wall time of ``copy_image`` (in a child process) against ``skopeo copy`` of the same image
  between the same registries: the ratio oci-tei/skopeo of speeds (goal >= 0.8);
* the copying process's peak RSS growth (``VmHWM`` after minus ``VmRSS`` before the copy;
  goal <= 64 MB);
* resume: a copy killed (SIGKILL) once about half the bytes reached the target, then run
  again: how many blobs and bytes the second run sent (only what was missing).

Each timing runs ``--rounds`` times alternating the two tools; the median is kept. Needs
``docker-registry`` and ``skopeo`` (``make registry-tools``). Asserts nothing.

    python bench/image_copy.py [--size-mb 1024] [--rounds 3] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oci_tei_emulator._registry import PublicTokenServer, RegistryServer, TokenAuthority
from oci_tei_emulator._registry_images import build_and_push

PUBLISHER = ("publisher", "bench-secret")
REPO = "huggingface/text-embeddings-inference"

CHILD = r"""
import json, sys, time
from oci_tei.registry import BasicCredentials, copy_image

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0

source, target, endpoints, workers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
before = status("VmRSS")
started = time.perf_counter()
result = copy_image(source, target, target_credentials=BasicCredentials("publisher", "bench-secret"),
                    endpoints=endpoints, progress=False, workers=workers)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "rss_growth": status("VmHWM") - before,
                  "blobs_copied": result.blobs_copied, "blobs_skipped": result.blobs_skipped,
                  "bytes_copied": result.bytes_copied, "bytes_skipped": result.bytes_skipped}))
"""


def registry(name: str) -> tuple[RegistryServer, PublicTokenServer]:
    authority = TokenAuthority(issuer=f"{name}-issuer", service=name)
    tokens = PublicTokenServer(authority, PUBLISHER).start()
    return RegistryServer(authority, tokens.url, name=name).start(), tokens


def stop(pair: tuple[RegistryServer, PublicTokenServer]) -> None:
    pair[0].stop()
    pair[1].stop()


def ours(source: RegistryServer, target: RegistryServer, workers: int, env: dict[str, str]) -> dict:
    endpoints = {source.host: source.url, target.host: target.url}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, f"{source.host}/{REPO}:cpu-1.9",
         f"{target.host}/ns/tei:cpu-1.9", json.dumps(endpoints), str(workers)],
        check=True, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    return json.loads(out)


def skopeo(source: RegistryServer, target: RegistryServer, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
         "--dest-creds", ":".join(PUBLISHER), f"docker://{source.host}/{REPO}:cpu-1.9",
         f"docker://{target.host}/ns/tei:cpu-1.9"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    return time.perf_counter() - started


def stored_bytes(server: RegistryServer) -> int:
    assert server.directory is not None
    return sum(p.stat().st_size for p in (server.directory / "data").rglob("*") if p.is_file())


def resume(source: RegistryServer, workers: int, total: int, env: dict[str, str]) -> dict:
    target = registry("resume")
    try:
        endpoints = {source.host: source.url, target[0].host: target[0].url}
        args = [sys.executable, "-c", CHILD, f"{source.host}/{REPO}:cpu-1.9",
                f"{target[0].host}/ns/tei:cpu-1.9", json.dumps(endpoints), str(workers)]  # fmt: skip
        child = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        while stored_bytes(target[0]) < total // 2 and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        at_kill = stored_bytes(target[0])
        again = json.loads(subprocess.run(args, check=True, capture_output=True, text=True,
                                          env=env).stdout)  # fmt: skip
        again["stored_at_kill"] = at_kill
        return again
    finally:
        stop(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("docker-registry") or not shutil.which("skopeo"):
        print("needs docker-registry and skopeo: make registry-tools")
        return 2
    mib = 1024 * 1024
    total = args.size_mb * mib
    # Layers as TEI's images have them: a few large, some small.
    shares = (0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.02)
    sizes = tuple(int(total * share) for share in shares)
    home = tempfile.mkdtemp(prefix="bench-home-")
    env = {**os.environ, "HOME": home, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    source = registry("source")
    try:
        token = source[0].authority.issue(
            PUBLISHER[0], [{"type": "repository", "name": REPO, "actions": ["*"]}]
        )
        started = time.perf_counter()
        build_and_push(source[0].url, REPO, "cpu-1.9", token, platforms=("linux/amd64",),
                       layer_sizes=sizes, shared_layers=0, seed=1)  # fmt: skip
        print(f"image: {len(sizes)} layers, {sum(sizes) / mib:.0f} MiB "
              f"(built and pushed in {time.perf_counter() - started:.0f} s)")  # fmt: skip
        ours_runs, skopeo_runs = [], []
        for _ in range(args.rounds):
            target = registry("target")
            try:
                ours_runs.append(ours(source[0], target[0], args.workers, env))
            finally:
                stop(target)
            target = registry("target")
            try:
                skopeo_runs.append(skopeo(source[0], target[0], env))
            finally:
                stop(target)
        ours_s = statistics.median(r["seconds"] for r in ours_runs)
        skopeo_s = statistics.median(skopeo_runs)
        growth = max(r["rss_growth"] for r in ours_runs)
        print(
            f"oci-tei copy_image: {[round(r['seconds'], 2) for r in ours_runs]} s, "
            f"median {ours_s:.2f} s = {sum(sizes) / mib / ours_s:.0f} MiB/s"
        )
        print(
            f"skopeo copy:        {[round(s, 2) for s in skopeo_runs]} s, "
            f"median {skopeo_s:.2f} s = {sum(sizes) / mib / skopeo_s:.0f} MiB/s"
        )
        print(f"speed ratio oci-tei/skopeo: {skopeo_s / ours_s:.2f} (goal >= 0.8)")
        print(f"peak RSS growth of the copying process: {growth / mib:.1f} MiB (goal <= 64)")
        again = resume(source[0], args.workers, sum(sizes), env)
        print(
            f"resume after SIGKILL at {again['stored_at_kill'] / mib:.0f} MiB stored: second run sent "
            f"{again['blobs_copied']} blob(s), {again['bytes_copied'] / mib:.0f} MiB; skipped "
            f"{again['blobs_skipped']} blob(s), {again['bytes_skipped'] / mib:.0f} MiB"
        )
    finally:
        stop(source)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
