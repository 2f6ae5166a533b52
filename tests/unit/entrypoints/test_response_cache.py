"""The per-worker cache of encoded responses: only bytes of the current version, within its budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hospital.entrypoints.http.response_cache import ResponseCache, request_key
from tests.conftest import properties


def key(query: bytes = b"", host: bytes = b"api.example.org") -> tuple:
    return request_key({"scheme": "http", "headers": [(b"host", host)], "path": "/doctors/",
                        "raw_path": b"/doctors/", "query_string": query})


def test_bytes_are_reused_only_at_the_version_they_were_made_at():
    cache = ResponseCache(100_000)
    cache.put(key(), 3, b"[1]")
    assert cache.get(key(), 3) == b"[1]"
    assert cache.get(key(), 4) is None
    assert cache.get(key(), 3) is None  # a stale entry is dropped once seen
    assert cache.size == 0


def test_everything_the_bytes_depend_on_is_in_the_key():
    assert key(b"limits=10") != key(b"limits=100")
    assert key(host=b"a.example.org") != key(host=b"b.example.org")
    other_scheme = request_key({"scheme": "https", "headers": [(b"host", b"api.example.org")],
                                "path": "/doctors/", "raw_path": b"/doctors/", "query_string": b""})
    assert other_scheme != key()


def test_the_least_recently_used_goes_first_when_full():
    cache = ResponseCache(8 * 1_000)
    body = b"x" * 500
    cache.put(key(b"a"), 1, body)
    cache.put(key(b"b"), 1, body)
    assert cache.get(key(b"a"), 1) == body  # a is now the most recent
    for name in (b"c", b"d", b"e", b"f", b"g", b"h", b"i"):
        cache.put(key(name), 1, body)
    assert cache.size <= 8_000
    assert cache.get(key(b"b"), 1) is None
    assert cache.get(key(b"a"), 1) == body and cache.get(key(b"i"), 1) == body


def test_a_response_too_big_for_an_eighth_of_the_budget_is_not_kept():
    cache = ResponseCache(8_000)
    cache.put(key(), 1, b"x" * 2_000)
    assert cache.get(key(), 1) is None and cache.size == 0


def test_long_keys_count_against_the_budget():
    cache = ResponseCache(80_000)
    for n in range(1_000):
        cache.put(key(b"q=" + str(n).encode() + b"x" * 5_000), 1, b"{}")
    assert cache.size <= 80_000


@properties(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from([b"a", b"b", b"c", b"d"]), st.integers(0, 3),
                          st.binary(max_size=600), st.booleans()), max_size=60))
def test_never_over_budget_and_never_answers_another_version(operations):
    cache = ResponseCache(4_000)
    kept: dict[bytes, tuple[int, bytes]] = {}
    for query, version, body, is_put in operations:
        if is_put:
            cache.put(key(query), version, body)
            kept[query] = (version, body)
        else:
            found = cache.get(key(query), version)
            if found is not None:
                assert kept[query] == (version, found)
        assert 0 <= cache.size <= 4_000
