"""durations, config, schema parsing, JSON conversion, logger, error conversion."""

from __future__ import annotations

import datetime
import enum
import math
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, TypedDict

import pytest

from lunora_workflow import NonRetryableError, Retries, StepConfig
from lunora_workflow.config import build_config, config_from
from lunora_workflow.durations import duration_ms, duration_problem, normalize_duration
from lunora_workflow.errors import (
    InvalidConfigError,
    SchemaError,
    StepOutputError,
    is_non_retryable,
    to_platform_error,
)
from lunora_workflow.log import Logger
from lunora_workflow.schema import describe, parse_value
from lunora_workflow.serialize import NotJsonError, json_size, to_jsonable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 second", "1 second"),
        ("2 seconds", "2 seconds"),
        ("1.5 hours", "1.5 hours"),
        ("7 days", "7 days"),
        ("1 week", "1 week"),
        ("3 months", "3 months"),
        ("1 year", "1 year"),
        (datetime.timedelta(seconds=1.5), 1500),
        (250, 250),
        (0, 0),
        (2.4, 2),
    ],
)
def test_durations_accepted(value: Any, expected: Any) -> None:
    assert normalize_duration(value, what="x") == expected


@pytest.mark.parametrize(
    "value",
    [
        "2 secs",
        "2seconds",
        "2  seconds",
        "seconds",
        "-1 second",
        "1 Second",
        "",
        True,
        -5,
        math.inf,
        datetime.timedelta(seconds=-1),
        None,
        [1],
    ],
)
def test_durations_refused(value: Any) -> None:
    assert duration_problem(value) is not None
    with pytest.raises(InvalidConfigError, match=r"^step \"s\": timeout "):
        normalize_duration(value, what='step "s": timeout')


def test_duration_ms() -> None:
    assert duration_ms("2 minutes") == 120_000
    assert duration_ms("1 month") == 30 * 86_400_000
    assert duration_ms(datetime.timedelta(hours=1)) == 3_600_000
    assert duration_ms(5) == 5


def test_config_forms() -> None:
    assert build_config(where="s") is None
    assert build_config(retries=Retries(3), where="s") == {"retries": {"limit": 3, "delay": 10_000}}
    assert build_config(
        retries=Retries(2, datetime.timedelta(seconds=2), "constant"),
        timeout="5 minutes",
        where="s",
    ) == {"retries": {"limit": 2, "delay": 2000, "backoff": "constant"}, "timeout": "5 minutes"}
    assert config_from(StepConfig(timeout=10), where="s") == {"timeout": 10}
    assert config_from({"retries": {"limit": 0}}, where="s") == {
        "retries": {"limit": 0, "delay": 10_000}
    }
    with pytest.raises(
        InvalidConfigError, match=r"^s: config has unknown key\(s\) retry \(allowed"
    ):
        config_from({"retry": {}}, where="s")
    with pytest.raises(InvalidConfigError, match=r"^s: config must be StepConfig"):
        config_from(5, where="s")
    with pytest.raises(
        InvalidConfigError, match="retries limit must be a non-negative int, got True"
    ):
        build_config(retries={"limit": True}, where="s")


@dataclass
class Inner:
    when: str
    tags: list[str] = field(default_factory=list)


@dataclass
class Outer:
    name: str
    inner: Inner
    size: float = 1.0
    kind: Literal["a", "b"] = "a"
    maybe: Optional[int] = None  # noqa: UP045 - the old spelling must work too
    pair: tuple[int, str] = (0, "")


class TD(TypedDict, total=False):
    a: int
    b: dict[str, Inner]


def test_parse_dataclass_nested() -> None:
    value = parse_value(
        Outer, {"name": "n", "inner": {"when": "now"}, "size": 2, "pair": [1, "x"]}, "p"
    )
    assert value == Outer("n", Inner("now"), 2.0, pair=(1, "x"))
    assert isinstance(value.size, float)


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (Outer, {"name": "n"}, "p.inner: required field is missing"),
        (Outer, {"name": "n", "inner": {"when": 1}}, "p.inner.when: expected str, got int"),
        (
            Outer,
            {"name": "n", "inner": {"when": "x", "tags": ["a", 2]}},
            "p.inner.tags[1]: expected str, got int",
        ),
        (
            Outer,
            {"name": "n", "inner": {"when": "x"}, "kind": "c"},
            "p.kind: expected one of 'a', 'b', got 'c'",
        ),
        (
            Outer,
            {"name": "n", "inner": {"when": "x"}, "maybe": "1"},
            "p.maybe: expected int | None, got str",
        ),
        (
            Outer,
            {"name": "n", "inner": {"when": "x"}, "pair": [1]},
            "p.pair: expected 2 items, got 1",
        ),
        (Outer, [], "p: expected an object for Outer, got list"),
        (TD, {"a": True}, "p.a: expected int, got bool"),
        (TD, {"b": {"k": {"when": 3}}}, "p.b.k.when: expected str, got int"),
        (TD, {"c": 1}, "p.c: unexpected key for TD"),
        (dict[str, int], {"x": "y"}, "p.x: expected int, got str"),
        (list[int], "abc", "p: expected a list, got str"),
        (type(None), 1, "p: expected None, got int"),
    ],
)
def test_parse_errors(tp: Any, value: Any, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_value(tp, value, "p")
    assert str(caught.value) == message


def test_parse_passthrough_and_describe() -> None:
    assert parse_value(Any, {1: 2}, "p") == {1: 2}
    assert parse_value(TD, {}, "p") == {}
    assert describe(Outer) == "Outer"
    assert describe(None) == "None"


def test_pydantic_models_are_parsed_when_used() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Model(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        id: int
        tags: list[str] = []  # noqa: RUF012 - a pydantic field default, not shared state

    assert parse_value(Model, {"id": "3"}, "params") == Model(id=3)
    with pytest.raises(SchemaError) as caught:
        parse_value(Model, {"id": "x", "tags": [1]}, "params")
    assert str(caught.value).startswith("params.id: Input should be a valid integer")
    assert str(caught.value).endswith("(and 1 more problem)")
    assert to_jsonable(Model(id=1, tags=["a"])) == {"id": 1, "tags": ["a"]}


def test_to_jsonable() -> None:
    assert to_jsonable(Outer("n", Inner("w", ["t"]))) == {
        "name": "n",
        "inner": {"when": "w", "tags": ["t"]},
        "size": 1.0,
        "kind": "a",
        "maybe": None,
        "pair": [0, ""],
    }
    for value, path, kind in [
        ({"a": [1, {"b c": b"x"}]}, '$.a[1]["b c"]', "bytes"),
        ({"f": math.nan}, "$.f", "float nan (JSON has no NaN or infinity)"),
        ({1: 1}, "$", "dict key 1 (int) is not a str"),
        (Inner, "$", "type"),
    ]:
        with pytest.raises(NotJsonError) as caught:
            to_jsonable(value)
        assert (caught.value.path, caught.value.kind) == (path, kind)
    assert json_size({"é": 1}) == len('{"é":1}'.encode())


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


class Tone(enum.StrEnum):
    WARM = "warm"


@dataclass
class Paint:
    color: Color
    size: Size
    tone: Tone = Tone.WARM
    alternatives: list[Color] = field(default_factory=list)


def test_enums_are_stored_as_values_and_parsed_back() -> None:
    paint = Paint(Color.RED, Size.LARGE, alternatives=[Color.BLUE])
    stored = to_jsonable(paint)
    assert stored == {"color": "red", "size": 2, "tone": "warm", "alternatives": ["blue"]}
    # plain types only, so the platform stores (and a replay reads) exactly this
    assert [type(v) for v in (stored["color"], stored["size"], stored["tone"])] == [str, int, str]
    assert parse_value(Paint, stored, "output") == paint
    assert parse_value(Color, Color.BLUE, "x") is Color.BLUE


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (Color, "green", "x: expected one of 'red', 'blue' (Color), got 'green'"),
        (Size, True, "x: expected one of 1, 2 (Size), got True"),
        (Paint, {"color": "red", "size": 3}, "x.size: expected one of 1, 2 (Size), got 3"),
    ],
)
def test_enum_mismatches_name_the_members(tp: Any, value: Any, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_value(tp, value, "x")
    assert str(caught.value) == message


def test_logger_lines() -> None:
    lines: list[tuple[str, str]] = []
    log = Logger.for_workflow(
        "order_pipeline", sink=lambda level, line: lines.append((level, line))
    )
    log.info("hi")
    log.warn("retrying", attempt=2, when=datetime.date(2026, 1, 1))
    log.bind(step="charge").error("failed", code=3)
    log.debug("dbg")
    log.warning("w")
    assert lines == [
        ("info", "[workflow:order_pipeline] hi"),
        (
            "warn",
            '[workflow:order_pipeline] retrying {"attempt": 2, '
            '"when": "datetime.date(2026, 1, 1)"}',
        ),
        ("error", '[workflow:order_pipeline] failed {"step": "charge", "code": 3}'),
        ("debug", "[workflow:order_pipeline] dbg"),
        ("warn", "[workflow:order_pipeline] w"),
    ]


def test_default_sink_prints(capsys: pytest.CaptureFixture[str]) -> None:
    log = Logger.for_workflow("w")
    log.info("to stdout", a=1)
    log.error("to stderr")
    out, err = capsys.readouterr()
    assert out == '[workflow:w] to stdout {"a": 1}\n'
    assert err == "[workflow:w] to stderr\n"


def test_conversion_without_sdk_keeps_the_portable_error() -> None:
    error = NonRetryableError("stop")
    assert to_platform_error(error) is error
    plain = ValueError("x")
    assert to_platform_error(plain) is plain


def test_conversion_keeps_message_cause_and_traceback(sdk_module: type[Exception]) -> None:
    cause = KeyError("missing")
    try:
        try:
            raise cause
        except KeyError as inner:
            raise StepOutputError("bad output") from inner
    except StepOutputError as error:
        portable = error
    native = to_platform_error(portable)
    assert type(native) is sdk_module
    assert str(native) == "bad output"
    assert native.__cause__ is cause
    assert native.__traceback__ is portable.__traceback__
    assert is_non_retryable(native)
    assert is_non_retryable(portable)
    assert not is_non_retryable(ValueError())
    already = sdk_module("x")
    assert to_platform_error(already) is already


def test_no_pydantic_after_import_and_dataclass_workflow() -> None:
    """In a fresh interpreter: importing the runtime and running a dataclass workflow never
    imports pydantic (Workers pay for every import at cold start)."""
    code = """
import asyncio, sys
from dataclasses import dataclass
from lunora_workflow import WorkflowContext, define_workflow
from lunora_workflow.entrypoint import WorkflowEntrypoint, run_workflow
assert "pydantic" not in sys.modules, "imported by lunora_workflow"

@dataclass
class P:
    n: int

@define_workflow
async def flow(ctx: WorkflowContext[P]) -> dict:
    return {"n": await ctx.step.do("double", lambda: ctx.params.n * 2)}

class Step:
    def do(self, name, *, concurrent=False, config=None):
        def deco(fn):
            async def wrapper():
                return await fn({"attempt": 1, "step": {"name": name, "count": 1}})
            return wrapper
        return deco

async def main():
    out = await run_workflow(WorkflowEntrypoint(None, {}), flow, {"payload": {"n": 2}}, Step(),
                             export="flow")
    assert out == {"n": 4}, out
asyncio.run(main())
print("pydantic" in sys.modules)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_step_info_tolerates_missing_or_odd_contexts() -> None:
    from lunora_workflow.step_context import StepInfo

    assert StepInfo.from_sdk(None, "s", {"timeout": 1}) == StepInfo("s", 1, 1, {"timeout": 1})
    odd = {"attempt": "2", "step": {"name": "s", "count": 3}, "config": {"retries": {"limit": 1}}}
    assert StepInfo.from_sdk(odd, "x", None) == StepInfo("s", 3, 2, {"retries": {"limit": 1}})
    assert StepInfo.from_sdk({"attempt": "n/a"}, "x", None).attempt == 1


def test_from_js_converts_proxies() -> None:
    from lunora_workflow import platform

    class JsProxy:  # named like Pyodide's proxies
        def __init__(self, value: Any) -> None:
            self.value = value

        def to_py(self) -> Any:
            return self.value

    class JsDate:
        def getTime(self) -> float:
            return 1_700_000_000_000.0

    assert platform.from_js(JsProxy({"a": JsProxy([1, JsDate()])})) == {
        "a": [1, datetime.datetime(2023, 11, 14, 22, 13, 20)]
    }
    assert platform.from_js({"already": "python"}) == {"already": "python"}
    assert platform.from_js(None) is None


def test_workflow_event_from_js_proxy() -> None:
    from lunora_workflow import WorkflowEvent

    class JsProxy:
        def to_py(self) -> dict[str, Any]:
            return {"instanceId": "i", "payload": {"x": 1}, "workflowName": "w"}

    assert WorkflowEvent.from_sdk(JsProxy()) == WorkflowEvent("i", {"x": 1}, None, "w")
    assert WorkflowEvent.from_sdk(None) == WorkflowEvent("", None, None, "")
