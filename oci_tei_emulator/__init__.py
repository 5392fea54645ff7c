"""An OCI Model Deployment emulator on loopback, for the real ``oci`` SDK and oracle-ads.

One :class:`Emulator` serves, on one port, Object Storage (``/n/...``), Data Science and
its work requests (``/20190101/...``), the Model Deployment predict gateway
(``/{ocid}/predict``), what instance principals need (IMDS under ``/opc/v2``, federation
at ``/v1/x509``), and the tenancy: Identity (``/20160918``: compartments, groups, policies),
Artifacts (OCIR images), Limits and Logging subsets, open by default and enforced as OCI
does with ``strict`` (:mod:`oci_tei_emulator._tenancy`). Every request must carry a valid OCI
request signature.

The public API is what this package exports (its ``__all__`` below) and the OCI wire
protocol it serves. Every module inside is internal: its ``__all__`` names what it shares
with the rest of the emulator and with oci-tei's tests, and any of it may change without
notice. Import from ``oci_tei_emulator``, not from its modules.
"""

from __future__ import annotations

from oci_tei_emulator._config import EmulatorConfig, FaultConfig, TokenExpiryWindow
from oci_tei_emulator._emulator import Emulator

__all__ = ["Emulator", "EmulatorConfig", "FaultConfig", "TokenExpiryWindow"]
