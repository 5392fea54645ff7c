"""One command from a Hugging Face model id to a smoke-tested TEI deployment on OCI.

The modules, in the order a deploy uses them:

* :mod:`~oci_tei.deploy.spec` — the YAML spec, ``${VAR}`` interpolation
  (:mod:`~oci_tei.deploy.interpolate`), validation with field-named errors; OCI's own
  rules come from :mod:`oci_tei.contract`.
* :mod:`~oci_tei.deploy.shapes`, :mod:`~oci_tei.deploy.image_tags` and
  :mod:`~oci_tei.deploy.images` — shape -> TEI image tag, OCIR target, ``docker`` commands.
* :mod:`~oci_tei.deploy.bandwidth` — load-balancer bandwidth advice and shape capacity.
* :mod:`~oci_tei.deploy.container` and :mod:`~oci_tei.deploy.naming` — TEI command line,
  environment, names.
* :mod:`~oci_tei.deploy.plan` — the ordered steps with their inputs (offline).
* :mod:`~oci_tei.deploy.ads_resources` — the oracle-ads objects, as the seed builds them.
* :mod:`~oci_tei.deploy.executor` — the pipeline; it only sequences the step modules
  :mod:`~oci_tei.deploy.download`, :mod:`~oci_tei.deploy.upload`,
  :mod:`~oci_tei.deploy.model`, :mod:`~oci_tei.deploy.deployment`,
  :mod:`~oci_tei.deploy.progress` (the wait), :mod:`~oci_tei.deploy.smoke` and
  :mod:`~oci_tei.deploy.snippets`, sharing a :mod:`~oci_tei.deploy.session` (clients,
  output, pacing); :mod:`~oci_tei.deploy.lookup` finds a spec's deployment again.
* :mod:`~oci_tei.deploy.drift` — a live deployment that no longer matches its spec:
  the difference, and ``--update``.
* :mod:`~oci_tei.deploy.image_push` — ``oci-tei image`` with docker or podman.
* :mod:`oci_tei.deploy.manage` — status, logs, scale, delete on a live deployment.
* :mod:`~oci_tei.deploy.cli` — ``oci-tei deploy | image | bandwidth``.

Importing this package imports nothing heavy; oracle-ads loads only where it is used.
"""

from __future__ import annotations

__all__: list[str] = []
