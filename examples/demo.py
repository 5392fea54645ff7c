"""``make demo``: the whole product offline, on the bundled model, with no OCI account.

1. ``oci-tei emulate --strict`` starts OCI on loopback (Identity, Object Storage, Data
   Science, OCIR, Limits, the signed Model Deployment gateway) holding the tenancy to what
   OCI checks: the demo declares the compartment and the service limit it needs, and
   writes a throwaway API key the emulator trusts. The TEI image: when Debian's
   ``docker-registry`` is installed (``make registry-tools``), the emulator runs a real
   registry as OCIR, the demo runs another as ghcr.io holding a TEI-like image, and deploy
   copies the image into OCIR (no docker); otherwise the demo declares it pushed
   (``--ocir-image``). It says which it did.
2. As a tenancy administrator would, the demo creates the project and the IAM policies
   (the group's and the deployment's own) through the oci SDK.
3. ``oci-tei deploy deploy/demo-minilm-emulator.yaml`` runs the same code path as on OCI:
   preflight, upload to a versioned bucket, model by reference, deployment, wait, smoke
   test. The emulator's "container" is ``oci-tei serve`` on the bundled all-MiniLM-L6-v2.
4. The RAG examples (LangChain, LlamaIndex) and the seed's similarity heatmap run against
   the signed endpoint that deploy printed.

    python -m examples.demo [--output-dir out]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from examples import langchain_rag, llamaindex_rag, similarity_heatmap

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "deploy" / "demo-minilm-emulator.yaml"
#: What the demo spec needs in a strict tenancy (see the README, "IAM policies").
COMPARTMENT_NAME = "oci-tei-demo"
COMPARTMENT_ID = "ocid1.compartment.oc1..aaaaaaaaociteidemo"
IMAGE = "iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9"
LIMIT = "ds-e4-core-count=4"  # VM.Standard.E4.Flex with 2 OCPUs, 1 replica, room to spare
DEPLOYMENT_PRINCIPAL = "request.principal.type='datasciencemodeldeployment'"
POLICIES = (
    f"allow group oci-tei-users to manage object-family in compartment {COMPARTMENT_NAME}",
    f"allow group oci-tei-users to manage data-science-family in compartment {COMPARTMENT_NAME}",
    f"allow any-user to read objects in compartment {COMPARTMENT_NAME} where ALL "
    f"{{{DEPLOYMENT_PRINCIPAL}, target.bucket.name='oci-tei-demo'}}",
    f"allow any-user to read repos in tenancy where ALL {{{DEPLOYMENT_PRINCIPAL}}}",
    # What deploy's preflight reads besides its own resources (IAM, OCIR, limits): a strict
    # emulator authorizes every operation, as OCI does.
    *(
        f"allow group oci-tei-users to {grant} in tenancy"
        for grant in (
            "inspect tenancies",
            "read users",
            "inspect compartments",
            "inspect policies",
            "read groups",
            "inspect dynamic-groups",
            "read repos",
            "inspect resource-availability",
        )
    ),
)


def banner(text: str) -> None:
    print(f"\n{'=' * 78}\n{text}\n{'=' * 78}", flush=True)


def start_ghcr() -> tuple[Any, str] | None:
    """A registry playing ghcr.io with a TEI-like ``cpu-1.9``; None without docker-registry.

    Returns the objects to stop and the ``ghcr.io=<url>`` endpoint entry.
    """
    from oci_tei_emulator._registry import (
        PublicTokenServer,
        RegistryServer,
        TokenAuthority,
        registry_available,
    )
    from oci_tei_emulator._registry_images import build_and_push

    if not registry_available():
        return None
    authority = TokenAuthority(issuer="ghcr-stand-in", service="ghcr.io")
    publisher = ("publisher", secrets.token_hex(8))
    tokens = PublicTokenServer(authority, publisher).start()
    server = RegistryServer(authority, tokens.url, name="ghcr").start()
    repo = "huggingface/text-embeddings-inference"
    push = authority.issue(publisher[0], [{"type": "repository", "name": repo, "actions": ["*"]}])
    image = build_and_push(server.url, repo, "cpu-1.9", push, layer_sizes=(4 << 20, 1 << 20))
    print(f"  ghcr.io stand-in: {server.url} holds {repo}:cpu-1.9 ({image.index_digest})")
    return (server, tokens), f"ghcr.io={server.url}"


def start_emulator(
    workdir: Path, *, with_registry: bool
) -> tuple[subprocess.Popen[str], str, Path]:
    """``oci-tei emulate`` on a free port; returns the process, its URL and the config file."""
    image = ["--ocir-registry"] if with_registry else ["--ocir-image", IMAGE]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oci_tei",
            "emulate",
            "--port",
            "0",
            "--write-config",
            str(workdir / "oci"),
            "--strict",
            "--compartment",
            f"{COMPARTMENT_NAME}={COMPARTMENT_ID}",
            *image,
            "--limit",
            LIMIT,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "OCI emulator listening on http://127.0.0.1:PORT"
    if "listening on" not in first:
        process.kill()
        raise RuntimeError(f"the emulator did not start: {first.strip() or 'no output'}")
    url = first.rsplit(" ", 1)[1].strip()
    print(first, end="", flush=True)
    # Keep reading its output so a full pipe can never block it.
    threading.Thread(target=_forward, args=(process.stdout,), daemon=True).start()
    config = workdir / "oci" / "config"
    deadline = time.monotonic() + 30
    while not config.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the emulator wrote no OCI config")
        time.sleep(0.1)
    return process, url, config


def _forward(stream: IO[str]) -> None:
    for line in stream:
        print(f"  [emulator] {line}", end="", flush=True)


def administer(url: str, config: Path, *, copy_image: bool) -> str:
    """What a tenancy administrator does once: the project and the policies; returns the project."""
    import oci

    policies = list(POLICIES)
    if copy_image:
        # Deploy lists images from the tenancy down, makes the repository in the demo's
        # compartment and pushes TEI's image into it.
        policies.append("allow group oci-tei-users to manage repos in tenancy")

    settings = dict(oci.config.from_file(str(config)))
    identity = oci.identity.IdentityClient(settings, service_endpoint=url)
    policy = oci.identity.models.CreatePolicyDetails(
        compartment_id=settings["tenancy"],
        name="oci-tei-demo",
        description="oci-tei demo: the user group and the model deployment's resource principal",
        statements=policies,
    )
    identity.create_policy(policy)
    for statement in policies:
        print(f"  policy: {statement}", flush=True)
    data_science = oci.data_science.DataScienceClient(settings, service_endpoint=url)
    project = data_science.create_project(
        oci.data_science.models.CreateProjectDetails(
            compartment_id=COMPARTMENT_ID, display_name="oci-tei demo"
        )
    ).data
    print(f"  project: {project.id}", flush=True)
    return str(project.id)


def deploy(url: str, config: Path, output: Path, project_id: str, registries: str | None) -> str:
    """``oci-tei deploy`` the demo spec against the emulator; returns the predict endpoint."""
    command = [
        sys.executable, "-m", "oci_tei", "deploy", str(SPEC),
        "--auth", "api_key", "--config-file", str(config),
        "--service-endpoint", url, "--output-json", str(output),
    ]  # fmt: skip
    print("$ oci-tei deploy", SPEC.relative_to(ROOT), "--service-endpoint", url, flush=True)
    env = {**os.environ, "OCI_TEI_DEMO_PROJECT_ID": project_id}
    if registries:
        env["OCI_TEI_REGISTRY_ENDPOINTS"] = registries
    subprocess.run(command, check=True, env=env)
    endpoint: str = json.loads(output.read_text())["endpoint"]
    return endpoint


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "out")
    args = parser.parse_args(argv)
    workdir = args.output_dir / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    banner("1/5  OCI emulator (oci-tei emulate --strict)")
    ghcr = start_ghcr()
    if ghcr is None:
        print(
            f"  TEI image: declared pushed ({IMAGE}, --ocir-image): docker-registry is not "
            "installed (`make registry-tools` installs it), so no image is copied",
            flush=True,
        )
    emulator, url, config = start_emulator(workdir, with_registry=ghcr is not None)
    registries = None
    if ghcr is not None:
        ocir = (workdir / "oci" / "registry-endpoints").read_text().strip()
        registries = f"{ocir},{ghcr[1]}"
        print(
            f"  TEI image: deploy copies it from the ghcr.io stand-in into the emulated OCIR "
            f"({ocir}), registry to registry, signed with the demo's OCI key",
            flush=True,
        )
    try:
        banner("2/5  Tenancy administrator: project and IAM policies (oci SDK)")
        project_id = administer(url, config, copy_image=ghcr is not None)
        banner("3/5  Deploy all-MiniLM-L6-v2 with TEI (oci-tei deploy, preflight first)")
        endpoint = deploy(url, config, workdir / "deployment.json", project_id, registries)
        auth = ["--endpoint", endpoint, "--auth", "api_key", "--config-file", str(config)]
        failures = 0
        banner("4/5  RAG over the bundled corpus: LangChain, then LlamaIndex")
        failures += langchain_rag.main(auth)
        failures += llamaindex_rag.main(auth)
        banner("5/5  The seed's cosine-similarity heatmap")
        heatmap = args.output_dir / "similarity_heatmap.png"
        failures += similarity_heatmap.main([*auth, "--output", str(heatmap)])
    finally:
        emulator.terminate()  # stops the emulator and its container processes
        emulator.wait(timeout=30)
        if ghcr is not None:
            for part in ghcr[0]:
                part.stop()
    banner(
        f"Done in {time.monotonic() - started:.0f} s. Signed endpoint used: {endpoint}\n"
        f"Heatmap: {heatmap.resolve()}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
