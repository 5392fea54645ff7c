"""RSA key helpers: loading PEM keys, OCI fingerprints and the ``DEFAULT`` profile's key."""

from __future__ import annotations

import configparser
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "default_profile_public_key",
    "fingerprint",
    "generate_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_pem",
]


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA private key (exponent 65537), as OCI API keys are."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """The OCI key fingerprint: MD5 of the DER public key, lowercase colon hex.

    This is the value ``~/.oci/config`` holds under ``fingerprint`` and the last part of
    an API-key signature's ``keyId``.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def public_key_pem(public_key: rsa.RSAPublicKey) -> str:
    """PEM (SubjectPublicKeyInfo) text of a public key."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def private_key_pem(private_key: rsa.RSAPrivateKey) -> str:
    """Unencrypted PKCS#8 PEM text of a private key."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_public_key(source: str | Path, passphrase: str | None = None) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM text or a PEM file, public or private.

    Args:
        source: PEM text, or the path of a PEM file.
        passphrase: for an encrypted private key.

    Returns:
        The public key (derived from the private key when a private key is given).

    Raises:
        ValueError: not an RSA key in PEM form, or the file does not exist.
    """
    text = str(source)
    if "-----BEGIN" in text:
        data = text.encode("ascii")
    else:
        path = Path(text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read key file {path}: {exc.strerror}") from None
    key: object
    if b"PRIVATE KEY" in data:
        secret = passphrase.encode() if passphrase else None
        try:
            key = serialization.load_pem_private_key(data, secret)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a usable PEM private key: {exc}") from None
        key = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    else:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA keys are used for OCI request signing")
    return key


def default_profile_public_key(
    config_file: str | os.PathLike[str] = "~/.oci/config", profile: str = "DEFAULT"
) -> rsa.RSAPublicKey:
    """The public key of a profile in an OCI config file, derived from its ``key_file``.

    Args:
        config_file: the OCI config file.
        profile: the profile name.

    Raises:
        ValueError: the file, the profile, its ``key_file`` or the key is missing.
    """
    path = Path(config_file).expanduser()
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path):
        raise ValueError(f"no OCI config file at {path}")
    if profile != parser.default_section and not parser.has_section(profile):
        raise ValueError(f"profile {profile!r} not found in {path}")
    section = parser[profile]
    key_file = section.get("key_file")
    if not key_file:
        raise ValueError(f"profile {profile!r} in {path} has no key_file")
    return load_public_key(Path(key_file).expanduser(), section.get("pass_phrase"))
