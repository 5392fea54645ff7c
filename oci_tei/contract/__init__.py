"""OCI's documented contract for Data Science model deployments, in one place.

Each rule is data (or, for deploy, a small check over it) that names its source: the oci SDK model class whose
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
* :mod:`~oci_tei.contract._permissions` — the IAM permissions a deployment and its creator
  need, and what each API operation needs; :mod:`~oci_tei.contract._limits` — the
  service limit each shape draws on.
* :mod:`~oci_tei.contract._tei` — which TEI image build starts on which GPU (TEI's rule);
  :mod:`~oci_tei.contract._buckets` — bucket names; :mod:`~oci_tei.contract._lists` —
  List parameters.
* :mod:`~oci_tei.contract._sources` — where the rules come from.

The emulator imports only data from here (tables, patterns, record classes), never a
check function: it applies the rules with its own code (``tests/unit/test_layering.py``).
"""

from __future__ import annotations

__all__: list[str] = []
