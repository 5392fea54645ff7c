"""OCI's documented contract for Data Science model deployments, in one place.

Each rule is data or a small check that names its source: the oci SDK model class whose
docstring states it, or the OCI documentation page. Deploy's spec validation and the
emulator's control plane both import it, so a spec that would be refused by OCI is
refused offline, and the emulator refuses what OCI refuses. Importing it imports only
the standard library.
"""

from __future__ import annotations

__all__: list[str] = []
