"""OCI's documented contract for Data Science model deployments, in one place.

Each rule is data or a small check that names its source: the oci SDK model class whose
docstring states it, or the OCI documentation page. Deploy's spec validation and the
emulator's control plane both import it, so a spec that would be refused by OCI is
refused offline, and the emulator refuses what OCI refuses. Importing it imports only
the standard library. Where OCI documents no limit, none is invented.

* :mod:`~oci_tei.contract._container` — ports, environment variables, CMD/ENTRYPOINT size,
  the OCIR image, ``customHttpEndpoints``.
* :mod:`~oci_tei.contract._shapes` — the shapes offered for model deployment, their OCPU
  and memory ranges.
* :mod:`~oci_tei.contract._scaling` — instance counts, autoscaling, bandwidth, enum values.
* :mod:`~oci_tei.contract._autoscaling` — custom-metric (MQL) autoscaling rules and the
  deployment's metrics (namespace, names, dimensions).
* :mod:`~oci_tei.contract._networking` — private endpoints, subnets, network access types.
* :mod:`~oci_tei.contract._updates` — what an update may change in which lifecycle state;
  :mod:`~oci_tei.contract._changes` — what an update body changes.
* :mod:`~oci_tei.contract._ocir` — OCIR repository and image references;
  :mod:`~oci_tei.contract._regions` — region identifiers and keys.
* :mod:`~oci_tei.contract._sources` — where the rules come from.
"""

from __future__ import annotations

__all__: list[str] = []
