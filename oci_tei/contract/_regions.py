"""OCI region keys and names: ``iad`` and ``us-ashburn-1`` name the same region.

OCIR hosts use region keys (``iad.ocir.io``) or region identifiers
(``ocir.us-ashburn-1.oci.oraclecloud.com``); specs use identifiers. The mapping is the
oci SDK's own table (``oci.regions.REGIONS_SHORT_NAMES``), imported only when a key has
to be translated.
"""

from __future__ import annotations

__all__ = ["region_key", "region_name"]


def region_name(region: str) -> str | None:
    """The region identifier for a key or identifier (``IAD`` -> ``us-ashburn-1``).

    Returns None for a key the installed oci SDK does not know.
    """
    lowered = region.strip().lower()
    if "-" in lowered:
        return lowered
    import oci

    name = oci.regions.REGIONS_SHORT_NAMES.get(lowered)
    return str(name) if name else None


def region_key(name: str) -> str | None:
    """The region key for an identifier (``us-ashburn-1`` -> ``iad``), when the SDK knows it."""
    import oci

    lowered = name.strip().lower()
    if "-" not in lowered:
        return lowered
    return next((k for k, v in oci.regions.REGIONS_SHORT_NAMES.items() if v == lowered), None)
