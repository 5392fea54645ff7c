"""Inputs are checked before anything is sent; batches respect every limit."""

import threading

import pytest

from oci_tei._batching import Batch, BatchLimits, BatchPlanner, encode_inputs
from oci_tei._errors import InputTypeError, InvalidInputError, PayloadTooLargeError


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


def _all(planner):
    batches = []
    while (batch := planner.next_batch()) is not None:
        batches.append(batch)
    return batches


def test_planner_cuts_by_count():
    fragments = [b'"a"'] * 70
    batches = _all(BatchPlanner(fragments, BatchLimits(32, 10_000), overhead=20))
    assert [(b.start, len(b)) for b in batches] == [(0, 32), (32, 32), (64, 6)]


def test_planner_cuts_by_bytes():
    fragments = [b'"' + b"x" * 98 + b'"'] * 10  # 100 bytes each, plus a comma between
    planner = BatchPlanner(fragments, BatchLimits(32, 20 + 302), overhead=20)
    assert [len(b) for b in _all(planner)] == [3, 3, 3, 1]


def test_planner_uses_a_limit_learned_mid_call():
    limits = BatchLimits(32, 10_000)
    planner = BatchPlanner([b'"a"'] * 40, limits, overhead=20)
    assert len(planner.next_batch()) == 32
    limits.learn_count(5)
    assert [len(b) for b in _all(planner)] == [5, 3]


def test_limits_only_shrink():
    limits = BatchLimits(32, 1000)
    limits.learn_count(64)
    limits.learn_bytes(5000)
    assert (limits.max_count, limits.max_bytes) == (32, 1000)


def test_planner_is_thread_safe_and_covers_every_input_once():
    planner = BatchPlanner([b'"a"'] * 10_000, BatchLimits(7, 10_000), overhead=20)
    seen: list[Batch] = []
    lock = threading.Lock()

    def take():
        while (batch := planner.next_batch()) is not None:
            with lock:
                seen.append(batch)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    covered = sorted(i for b in seen for i in range(b.start, b.start + len(b)))
    assert covered == list(range(10_000))


def test_stop_ends_handing_out():
    planner = BatchPlanner([b'"a"'] * 10, BatchLimits(2, 10_000), overhead=20)
    planner.next_batch()
    planner.stop()
    assert planner.next_batch() is None
    assert planner.stopped.is_set()


def test_batch_split_and_halves():
    batch = Batch(10, [b"1", b"2", b"3", b"4", b"5"])
    assert [(b.start, len(b)) for b in batch.split(2)] == [(10, 2), (12, 2), (14, 1)]
    assert [(b.start, len(b)) for b in batch.halves()] == [(10, 3), (13, 2)]
