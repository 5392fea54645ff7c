"""Management commands on a live deployment, apart from the deploy pipeline.

* :mod:`~oci_tei.deploy.manage.status` — what a deployment is running, and whether it
  still matches its spec.
* :mod:`~oci_tei.deploy.manage.logs` — work requests with their logs and errors; the
  container's access and predict logs.
* :mod:`~oci_tei.deploy.manage.scale` — instance count and bandwidth.
* :mod:`~oci_tei.deploy.manage.delete` — delete what this tool created, nothing else.
* :mod:`~oci_tei.deploy.manage.cli` — ``oci-tei status | logs | scale | delete``.

Each takes a :class:`~oci_tei.deploy.session.DeploySession` and a deployment record found
with :mod:`~oci_tei.deploy.lookup`.
"""

from __future__ import annotations

__all__: list[str] = []
