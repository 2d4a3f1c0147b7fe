"""Chunk bodies, the spill file, retry delays and the sync status enum."""

from __future__ import annotations

import json

from target_eloqua.bulk import SyncStatus
from target_eloqua.encode import Chunk, RowEncoder, Spill, encode_row
from target_eloqua.http import RetryPolicy


def test_chunk_size_is_the_exact_body_size_and_last_row_wins():
    chunk = Chunk()
    assert chunk.size == len(chunk.body()) == 2
    for key, value in [("a", "1"), ("b", None), ("a", "3")]:
        encoded = encode_row({"k": key, "v": value})
        expected = chunk.size if key in chunk else chunk.size_with(encoded)
        chunk.put(key, encoded)
        assert chunk.size == len(chunk.body())
        assert expected <= chunk.size + len(encoded)
    assert json.loads(chunk.body()) == [{"k": "b", "v": None}, {"k": "a", "v": "3"}]
    assert b"null" in chunk.body()
    assert b'"null"' not in chunk.body()


def test_spill_gives_back_every_body_until_reset():
    spill = Spill()
    spill.append(b"[1]")
    spill.append(b"[2,3]")
    assert list(spill.bodies()) == [b"[1]", b"[2,3]"]
    spill.reset()
    assert list(spill.bodies()) == []
    spill.append(b"[4]")
    assert list(spill.bodies()) == [b"[4]"]
    spill.close()


def test_retry_delay_honours_retry_after_and_caps_backoff():
    policy = RetryPolicy(max_tries=5, base_delay=1.0, max_delay=8.0)
    assert policy.delay(3, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=10_000.0) == 300.0
    for attempt in range(1, 10):
        delay = policy.delay(attempt, None)
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_sync_status_accepts_error_and_errored():
    assert SyncStatus("errored").is_failure
    assert SyncStatus("error").is_failure
    assert not SyncStatus("warning").is_failure
    assert [s.is_terminal for s in SyncStatus] == [False, False, True, True, True, True]


def test_row_encoder_gives_the_bytes_of_the_dict_encoding():
    keys = ["Order_Id1", "Amount1", "Notes 1 (free text)", "é"]
    encoder = RowEncoder(keys)
    for values in (["A1", "10.5", None, "ü"], [None, None, None, None], ["", "0", "x", '"q"']):
        assert encoder.encode(values) == encode_row(dict(zip(keys, values, strict=True)))
    assert encoder.encode(["A1", None, "n", "e"]).count(b"null") == 1


def test_take_body_hands_over_the_rows_and_empties_the_chunk():
    chunk = Chunk()
    for key in ("a", "b", "c"):
        chunk.put(key, encode_row({"k": key}))
    size = chunk.size
    body = chunk.take_body()
    assert len(body) == size
    assert json.loads(bytes(body)) == [{"k": "a"}, {"k": "b"}, {"k": "c"}]
    assert len(chunk) == 0
    assert chunk.size == len(chunk.body()) == 2
    chunk.put("d", encode_row({"k": "d"}))
    assert json.loads(bytes(body)) == [{"k": "a"}, {"k": "b"}, {"k": "c"}]  # not written again


def test_take_body_drops_replaced_rows_and_keeps_the_last_order():
    chunk = Chunk()
    for key, value in [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4"), ("b", "5")]:
        chunk.put(key, encode_row({"k": key, "v": value}))
    expected = [{"k": "a", "v": "3"}, {"k": "c", "v": "4"}, {"k": "b", "v": "5"}]
    assert json.loads(chunk.body()) == expected
    size = chunk.size
    body = chunk.take_body()
    assert len(body) == size
    assert json.loads(bytes(body)) == expected
    assert len(chunk) == 0
