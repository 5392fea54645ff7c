"""What a user without a framework installed sees, and settings the adapters refuse."""

import subprocess
import sys
import textwrap

import pytest

# Runs in a fresh interpreter: hides the framework's modules as if it were not installed.
HIDE = textwrap.dedent(
    """
    import importlib.abc, sys

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == {hidden!r} or name.startswith({hidden!r} + "."):
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    try:
        import {package}
    except ModuleNotFoundError as exc:
        print(exc)
    else:
        print("imported")
    """
)


@pytest.mark.parametrize(
    ("package", "hidden", "hint"),
    [
        ("langchain_oci_tei", "langchain_core", 'pip install "oci-tei[langchain]"'),
        ("llama_index_oci_tei", "llama_index", 'pip install "oci-tei[llamaindex]"'),
        ("llama_index_oci_tei", "llama_index.core", 'pip install "oci-tei[llamaindex]"'),
    ],
)
def test_a_missing_framework_names_the_extra(package, hidden, hint):
    code = HIDE.format(package=package, hidden=hidden)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert hint in output, output
    assert package in output


def test_two_different_batch_sizes_are_refused():
    from llama_index_oci_tei import OCITEIEmbedding

    with pytest.raises(ValueError, match="embed_batch_size=8 and batch_size=16 disagree"):
        OCITEIEmbedding(endpoint="http://127.0.0.1:9", batch_size=16, embed_batch_size=8)
    same = OCITEIEmbedding(endpoint="http://127.0.0.1:9", batch_size=16, embed_batch_size=16)
    assert same.batch_size == same.embed_batch_size == 16
    one = OCITEIEmbedding(endpoint="http://127.0.0.1:9", batch_size=4)
    assert one.embed_batch_size == 4
