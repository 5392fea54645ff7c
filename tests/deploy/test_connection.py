"""deploy's Connection: one signer for all its SDK clients while oracle-ads' auth is unchanged."""

from __future__ import annotations

import copy
import pickle

import oci

from oci_tei._auth import AuthSpec
from oci_tei.deploy._connection import Connection
from tests.fixtures.oci import write_oci_config


def test_clients_share_one_signer_until_ads_auth_changes(
    tmp_path, oci_keys, emulator, restore_ads_auth
):
    emu = emulator()
    first = write_oci_config(tmp_path / "first", oci_keys.trusted)
    connection = Connection(AuthSpec("api_key", None, str(first)), emu.url)
    connection.configure_ads()
    identity = connection.client(oci.identity.IdentityClient)
    storage = connection.client(oci.object_storage.ObjectStorageClient)
    # One key read for every client of a deploy; the calls still sign (the emulator checks).
    assert identity.base_client.signer is storage.base_client.signer
    assert storage.get_namespace().data == emu.namespace

    # ads.set_auth with another identity: the next client signs as that one.
    second = write_oci_config(tmp_path / "second", oci_keys.stranger)
    Connection(AuthSpec("api_key", None, str(second)), emu.url).configure_ads()
    other = connection.client(oci.identity.IdentityClient)
    assert other.base_client.signer is not identity.base_client.signer
    assert other.base_client.signer.api_key.endswith(oci_keys.stranger.fingerprint)


def test_a_copy_or_pickle_of_a_connection_holds_no_signer(tmp_path, oci_keys, restore_ads_auth):
    config = write_oci_config(tmp_path / "config", oci_keys.trusted)
    connection = Connection(AuthSpec("api_key", None, str(config)), "http://127.0.0.1:9")
    connection.configure_ads()
    connection.client(oci.identity.IdentityClient)
    for twin in (copy.deepcopy(connection), pickle.loads(pickle.dumps(connection))):
        assert twin == connection
        assert b"PRIVATE KEY" not in pickle.dumps(twin)
        assert twin.client(oci.identity.IdentityClient) is not None


def test_a_session_token_is_read_again_for_each_client(tmp_path, emulator, restore_ads_auth):
    # `oci session refresh` rewrites the token file while a long deploy waits: each new
    # client must sign with the token on disk now, as before the signer was kept.
    emu = emulator()
    config = emu.session_token_config(tmp_path / "session")
    connection = Connection(AuthSpec("security_token", None, str(config)), emu.url)
    connection.configure_ads()
    first = connection.client(oci.object_storage.ObjectStorageClient)
    assert first.get_namespace().data == emu.namespace
    emu.session_token_config(tmp_path / "session")  # a refresh: new key, new token
    second = connection.client(oci.object_storage.ObjectStorageClient)
    assert second.base_client.signer is not first.base_client.signer
    assert second.get_namespace().data == emu.namespace
