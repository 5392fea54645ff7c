"""The test image builder lives with the stand-ins (the demo and the bench use it too)."""

from oci_tei_emulator._registry_images import BuiltImage, build_and_push, digest_of

__all__ = ["BuiltImage", "build_and_push", "digest_of"]
