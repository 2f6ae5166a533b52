"""The nesting bound checked before a JSON body is decoded (entrypoints/http/body.py): the bracket
count that skips the walk never changes the answer."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from hospital.entrypoints.http.body import MAX_JSON_DEPTH, _depth_ok


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_a_body_as_deep_as_the_bound_passes_and_one_level_more_does_not() -> None:
    assert _depth_ok(nested(MAX_JSON_DEPTH))
    assert not _depth_ok(nested(MAX_JSON_DEPTH + 1))
    assert not _depth_ok(b"[" * 100_000)


def test_many_brackets_side_by_side_are_not_depth() -> None:
    assert _depth_ok(json.dumps({"a": [[1], [2]] * MAX_JSON_DEPTH}).encode())


def _walked(raw: bytes) -> bool:
    depth = deepest = 0
    for byte in raw:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest <= MAX_JSON_DEPTH


@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b"1", b","]), max_size=3 * MAX_JSON_DEPTH))
def test_the_answer_is_the_walks(parts: list[bytes]) -> None:
    raw = b"".join(parts)
    assert _depth_ok(raw) == _walked(raw)
