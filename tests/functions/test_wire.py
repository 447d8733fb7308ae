"""The wire value codec: the protocol's encoding table, round trips, and the bounds every
port must enforce."""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

import pytest

from lunora_workflow.wire import TAG, WireError, decode, encode

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ({"a": 1, "b": [True, None, "x", 1.5]}, {"a": 1, "b": [True, None, "x", 1.5]}),
        (2**53 - 1, 2**53 - 1),
        (2**53, [TAG, "bigint", "9007199254740992"]),
        (-(2**64), [TAG, "bigint", "-18446744073709551616"]),
        (float("inf"), [TAG, "inf"]),
        (float("-inf"), [TAG, "-inf"]),
        (datetime.datetime(2026, 6, 1, 12, 0, tzinfo=UTC), [TAG, "date", 1780315200000]),
        (datetime.datetime(1970, 1, 1, 0, 0, 0, 5000), [TAG, "date", 5]),  # naive = UTC
        (b"\x00\xffhi", [TAG, "bytes", "AP9oaQ=="]),
        ([TAG, "bigint", "1"], [TAG, "arr", [TAG, "bigint", "1"]]),  # escaped user data
        ((1, 2), [1, 2]),
    ],
)
def test_encoding_table(value: Any, wire: Any) -> None:
    assert encode(value) == wire


@pytest.mark.parametrize(
    "wire",
    [
        {"amountCents": [TAG, "bigint", "4294967296"]},
        {"dueAt": [TAG, "date", 1780315200000]},
        [TAG, "bytes", "AP9oaQ=="],
        [TAG, "arr", [TAG, "bigint", "1"]],
        [TAG, "set", [1, 2]],
        [TAG, "inf"],
        {"plain": ["json", 1, None]},
    ],
)
def test_encode_of_decode_is_the_identity(wire: Any) -> None:
    assert encode(decode(wire)) == wire


def test_decoded_values_are_python_values() -> None:
    assert decode([TAG, "bigint", "-42"]) == -42
    assert decode([TAG, "date", 5]) == datetime.datetime(1970, 1, 1, 0, 0, 0, 5000, tzinfo=UTC)
    assert math.isnan(decode([TAG, "nan"]))
    assert decode([TAG, "undefined"]) is None
    assert decode([TAG, "url", "https://x.test/"]) == "https://x.test/"
    assert decode([TAG, "map", [["a", 1], ["b", [TAG, "bigint", "2"]]]]) == {"a": 1, "b": 2}
    assert decode([TAG, "error", "LunoraError", "nope", {"code": "X"}]) == {
        "name": "LunoraError",
        "message": "nope",
        "code": "X",
    }
    assert decode([TAG, "future-tag", 1]) == [TAG, "future-tag", 1]  # forward compatible


def test_dataclasses_and_sets_are_encoded() -> None:
    @dataclasses.dataclass
    class Row:
        when: datetime.datetime
        tags: frozenset[str]

    row = Row(datetime.datetime(1970, 1, 1, tzinfo=UTC), frozenset({"a"}))
    assert encode(row) == {"when": [TAG, "date", 0], "tags": [TAG, "set", ["a"]]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": object()}, "$.a: object cannot be sent to a function"),
        ({1: "x"}, "$: key 1 is not a string"),
    ],
)
def test_unencodable_values_name_the_path(value: Any, message: str) -> None:
    with pytest.raises(WireError) as caught:
        encode(value)
    assert str(caught.value) == message


def test_bounds() -> None:
    deep: Any = 1
    for _ in range(70):
        deep = [deep]
    with pytest.raises(WireError, match="deeper than 64"):
        encode(deep)
    with pytest.raises(WireError, match="bad bigint"):
        decode([TAG, "bigint", "9" * 1025])
    with pytest.raises(WireError, match="bad bigint"):
        decode([TAG, "bigint", "12abc"])
    with pytest.raises(WireError, match="bad base64"):
        decode([TAG, "bytes", "not base64!"])
