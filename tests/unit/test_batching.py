"""Inputs are checked before anything is sent; batches respect every limit."""

import pytest

from oci_tei._batching import Batch, BatchLimits, encode_inputs
from oci_tei._errors import InputTypeError, InvalidInputError, PayloadTooLargeError
from oci_tei._scheduler import Source, encoded_source


def test_encoding_is_compact_json():
    assert encode_inputs(['héllo "x"'], max_fragment_bytes=100) == ['"héllo \\"x\\""'.encode()]


def test_prefix_is_prepended():
    assert encode_inputs(["q"], prefix="query: ", max_fragment_bytes=100) == [b'"query: q"']


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_input_names_its_index(bad):
    with pytest.raises(InvalidInputError) as info:
        encode_inputs(["fine", bad], max_fragment_bytes=100)
    assert info.value.input_index == 1
    assert isinstance(info.value, ValueError)
    assert "input 1" in str(info.value)


def test_non_string_is_a_type_error_with_index():
    with pytest.raises(TypeError) as info:
        encode_inputs(["a", "b", 3], max_fragment_bytes=100)  # type: ignore[list-item]
    assert isinstance(info.value, InputTypeError)
    assert info.value.input_index == 2


def test_single_string_instead_of_list():
    with pytest.raises(TypeError, match="single string"):
        encode_inputs("abc", max_fragment_bytes=100)


def test_lone_surrogate_is_invalid_input():
    with pytest.raises(InvalidInputError) as info:
        encode_inputs(["ok", "bad \ud800"], max_fragment_bytes=100)
    assert info.value.input_index == 1


def test_oversized_input_names_index():
    with pytest.raises(PayloadTooLargeError) as info:
        encode_inputs(["ok", "x" * 200], max_fragment_bytes=100)
    assert info.value.input_index == 1


def _all(source):
    batches = []
    while (batch := source.next_entry()) is not None:
        batches.append(batch)
    return batches


def _source(fragments, limits, overhead, chunk_size=1 << 30):
    return encoded_source(fragments, limits, overhead, chunk_size)


def test_source_cuts_by_count():
    fragments = [b'"a"'] * 70
    batches = _all(_source(fragments, BatchLimits(32, 10_000), overhead=20))
    assert [(b.start, len(b)) for b in batches] == [(0, 32), (32, 32), (64, 6)]


def test_source_cuts_by_bytes():
    fragments = [b'"' + b"x" * 98 + b'"'] * 10  # 100 bytes each, plus a comma between
    source = _source(fragments, BatchLimits(32, 20 + 302), overhead=20)
    assert [len(b) for b in _all(source)] == [3, 3, 3, 1]


def test_source_cuts_mixed_sizes_as_the_lazy_source_does():
    fragments = [b'"' + b"x" * (i * 7 % 40) + b'"' for i in range(300)]
    limits = BatchLimits(9, 20 + 150)
    lazy = Source(iter(fragments), lambda _, f: f, limits, 20, chunk_size=50)
    assert [(b.start, list(b.fragments)) for b in _all(_source(fragments, limits, 20, 50))] == [
        (b.start, list(b.fragments)) for b in _all(lazy)
    ]


def test_source_never_crosses_a_chunk_boundary():
    batches = _all(_source([b'"a"'] * 25, BatchLimits(32, 10_000), overhead=20, chunk_size=10))
    assert [(b.start, len(b)) for b in batches] == [(0, 10), (10, 10), (20, 5)]


def test_source_uses_a_limit_learned_mid_call():
    limits = BatchLimits(32, 10_000)
    source = _source([b'"a"'] * 40, limits, overhead=20)
    assert len(source.next_entry()) == 32
    limits.learn_count(5)
    assert [len(b) for b in _all(source)] == [5, 3]


def test_limits_only_shrink():
    limits = BatchLimits(32, 1000)
    limits.learn_count(64)
    limits.learn_bytes(5000)
    assert (limits.max_count, limits.max_bytes) == (32, 1000)


def test_source_covers_every_input_once():
    batches = _all(_source([b'"a"'] * 10_000, BatchLimits(7, 10_000), overhead=20))
    covered = [i for b in batches for i in range(b.start, b.start + len(b))]
    assert covered == list(range(10_000))


def test_batch_split_and_halves():
    batch = Batch(10, [b"1", b"2", b"3", b"4", b"5"])
    assert [(b.start, len(b)) for b in batch.split(2)] == [(10, 2), (12, 2), (14, 1)]
    assert [(b.start, len(b)) for b in batch.halves()] == [(10, 3), (13, 2)]
