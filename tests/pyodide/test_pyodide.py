"""Workflows on real Pyodide 0.28.2 with the real ``workers-runtime-sdk``, driven by a JS engine.

One ``node tests/pyodide/harness.mjs`` process boots Pyodide once per step mode
(``python_workflows_implicit_dependencies`` on, then off), runs every scenario of
``scenarios.mjs`` and prints a JSON report; the tests below assert on it. Setup (npm + pip
downloads into ``.cache/``) is ``sh tests/pyodide/setup.sh``; the fixture runs it when the
cache is empty.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from fanout_checks import FANOUT_CHECKS, failed_non_retryably

pytestmark = [pytest.mark.pyodide, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "pyodide" / "harness.mjs"
SETUP = ROOT / "tests" / "pyodide" / "setup.sh"
MODES = ("implicit", "legacy")
NODE_HINT = (
    "Node.js >= 20 is required to run the Pyodide conformance tests "
    "(Debian/Ubuntu: `apt-get install nodejs npm`; or https://nodejs.org), "
    "then `sh tests/pyodide/setup.sh`."
)

Result = dict[str, Any]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(NODE_HINT, pytrace=False)
    return node


def run_harness(*args: str, timeout: float = 300) -> dict[str, Any]:
    """Run the harness (running setup.sh once if the cache is empty) and parse its JSON."""
    node = _node()
    command = [node, str(HARNESS), *args]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode == 2:
        setup = subprocess.run(
            ["sh", str(SETUP)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
            # Keep the caller's environment: npm and pip read HOME, proxies and registry config.
            env={**os.environ, "PYTHON": sys.executable},
        )
        if setup.returncode != 0:
            pytest.fail(
                f"tests/pyodide/setup.sh failed (needs npm and pip with network access):\n"
                f"{setup.stdout}\n{setup.stderr}",
                pytrace=False,
            )
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        pytest.fail(f"harness exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout[-2000:]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run_harness("--mode", "both")


@pytest.fixture(scope="module")
def cpython_report() -> dict[str, Any]:
    """The same runtime/example scenarios on CPython with lunora_workflow.testing."""
    specs = subprocess.run(
        [_node(), str(HARNESS), "--specs"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "pyodide" / "cpython_side.py")],
        input=specs,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        pytest.fail(f"cpython_side.py exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def scenario(report: dict[str, Any], name: str, mode: str) -> Result:
    result: Result = report["scenarios"][name][mode]
    assert "harnessError" not in result, result.get("harnessError")
    return result


def only_instance(result: Result) -> Result:
    (inst,) = result["instances"].values()
    assert isinstance(inst, dict)
    return inst


def observed(result: Result, label: str) -> list[list[Any]]:
    return [o[1:] for o in result["observed"] if o and o[0] == label]


def error_type(inst: Result) -> str:
    """The Python exception type that failed an instance (Pyodide's PythonError.type)."""
    return str(inst["error"].get("pythonType") or inst["error"]["name"])


# --- SDK level: what the real SDK does, which the runtime relies on -------------------------


def check_sdk_steps(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete"
    assert inst["output"] == {
        "first": {"n": 1, "none": None, "items": [1, "x", 2.5]},
        "second": "second",
        "at": {"$date": "2026-01-02T03:04:05.000Z"},
    }
    (event,) = observed(r, "event")
    assert event == [
        "workers.rpc.JsDict",
        {"user": "ada", "nested": {"k": [1, 2]}},
        "datetime.datetime",
        "steps-1",
        "sdk-steps",
    ]
    assert observed(r, "step") == [["workers.entrypoints._WorkflowStepWrapper"]]
    # The engine hands the callback its step context; the SDK converts it to a JsDict.
    assert observed(r, "ctx") == [
        ["workers.rpc.JsDict", {"name": "sync-with-ctx", "count": 1}, 1, ["retries", "timeout"]]
    ]
    assert observed(r, "first")[0][0] == "workers.rpc.JsDict"
    assert observed(r, "datetime") == [["datetime.datetime", "2026-01-02T03:04:05"]]
    # Tuples are refused by python_to_rpc; the TypeError survives the JS round trip.
    assert observed(r, "tuple") == [
        ["builtins.TypeError", "TypeError: <class 'tuple'> cannot be sent over RPC."]
    ]
    # Arbitrary objects become a PyProxy that RPC cannot clone; user exception types are lost.
    assert observed(r, "object") == [["pyodide.ffi.JsException"]]
    assert observed(r, "user-error") == [["pyodide.ffi.JsException"]]
    assert inst["configs"][1] == {
        "name": "async-no-ctx",
        "count": 1,
        "config": {"retries": {"limit": 1, "delay": "1 second"}, "timeout": "1 minute"},
    }


def check_sdk_modes(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete"
    out = inst["output"]
    # The forms the runtime uses work in both modes.
    assert out["name-only"] == "ok: 'dep-value'"
    assert out["name-and-config"] == "ok: 1"
    assert out["ctx-only-callback"] == "ok: 'ctx-only'"
    if mode == "implicit":
        assert out["no-name"] == "ok: 1"
        assert out["dependency-by-parameter-name"] == "ok: 'got dep-value'"
        assert out["config-positional"].startswith("TypeError at declaration")
        assert out["dependency-by-depends-list"].startswith("TypeError at declaration")
        assert out["non-ctx-parameter"] == (
            "TypeError when awaited: Received unexpected parameter value"
        )
    else:
        assert out["no-name"].startswith("TypeError at declaration")
        assert out["config-positional"] == "ok: 1"
        assert out["dependency-by-depends-list"] == "ok: 'got dep-value attempt 1'"
        assert out["non-ctx-parameter"] == (
            "TypeError when awaited: Step has 1 non-ctx parameter(s) but no 'depends' list provided"
        )


def check_sdk_sleep(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete"
    assert inst["output"] == "after"
    assert inst["runs"] == 5  # first run + one replay per sleep
    assert inst["timeline"].count("hibernate") == 4
    assert inst["timeline"].count("do before#1 cached") == 4
    assert "sleep nap#1 until +60000ms" in inst["timeline"]
    assert "sleep short#1 until +61500ms" in inst["timeline"]  # numbers are milliseconds
    assert "sleepUntil until-datetime#1 until +3600000ms" in inst["timeline"]
    assert "sleepUntil until-epoch-ms#1 until +7200000ms" in inst["timeline"]
    assert len(observed(r, "body-start")) == 5
    assert len(observed(r, "body-end")) == 1


def check_sdk_sleep_cancel(r: Result, mode: str) -> None:
    check_sdk_sleep(r, mode)
    inst = only_instance(r)
    assert inst["cancelOutcome"] == "CancelledError"


def check_sdk_wait(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete"
    assert inst["output"] == {"early": {"early": True}, "late": {"late": 1}, "timed_out": True}
    early = observed(r, "early")[0]
    assert early == [
        "workers.rpc.JsDict",
        ["payload", "timestamp", "type"],
        {"early": True},
        "datetime.datetime",
    ]
    # The engine's timeout error is not mapped by the SDK: it arrives as a JsException.
    assert observed(r, "timeout") == [
        ["pyodide.ffi.JsException", "WorkflowTimeoutError: Execution timed out after 300000ms"]
    ]
    assert "waitForEvent early#1 received early-type" in inst["timeline"]
    assert "waitForEvent never#1 timed out" in inst["timeline"]


def check_sdk_retry(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete"
    assert inst["output"] == {"succeeded_on": 3}
    attempts = [(e["step"], e["attempt"], e["pythonType"]) for e in inst["attemptErrors"]]
    assert attempts[:2] == [("flaky", 1, "ValueError"), ("flaky", 2, "ValueError")]
    fatal = [e for e in inst["attemptErrors"] if e["step"] == "fatal"]
    # workflows.js turns the Python NonRetryableError into a JS error the engine honours.
    assert fatal == [
        {
            "step": "fatal",
            "count": 1,
            "attempt": 1,
            "error": "NonRetryableError",
            "message": "card declined",
            "pythonType": None,
        }
    ]
    assert "do fatal#1 failed (non-retryable)" in inst["timeline"]
    assert observed(r, "fatal") == [["workers.workflows.NonRetryableError", "card declined"]]
    assert [e["attempt"] for e in inst["attemptErrors"] if e["step"] == "exhausted"] == [1, 2]
    assert observed(r, "exhausted") == [["builtins.ValueError", "ValueError: always"]]
    assert observed(r, "timeout")[0][0] == "pyodide.ffi.JsException"
    # Virtual time: 2 x 1 s (flaky) + 10 s (exhausted) + 5 s spent by the slow step.
    assert r["virtualMs"] == 17_000


def check_sdk_body_nonretryable(r: Result, mode: str) -> None:
    failed_non_retryably(only_instance(r), "rejected by the body")


def check_sdk_fanout(r: Result, mode: str) -> None:
    parent = r["instances"]["parent-1"]
    assert parent["status"] == "complete", parent["error"]
    assert parent["output"] == {"total": 18, "children": ["parent-1-a", "parent-1-b", "parent-1-c"]}
    for child, value in (("parent-1-a", 4), ("parent-1-b", 6), ("parent-1-c", 8)):
        assert r["instances"][child]["status"] == "complete"
        assert r["instances"][child]["output"] == value
    assert observed(r, "binding")[0] == ["workers.rpc._WorkflowBindingWrapper"]
    assert observed(r, "child") == [
        [
            "workers.rpc._WorkflowInstanceWrapper",
            "parent-1-a",
            "workers.rpc.JsDict",
            {"status": "queued"},
        ]
    ]
    assert observed(r, "statuses") == [[["complete", "complete", "complete"]]]


# --- runtime level: lunora_workflow on the real SDK ------------------------------------------


def check_runtime_step_forms(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {
        "sync": {"v": 1},
        "async": "async",
        "with_ctx": {"name": "with-ctx", "count": 1, "attempt": 1},
        "with_ctx_again": {"name": "with-ctx", "count": 2, "attempt": 1},
        "async_with_ctx": 1,
        "retries_object": "ok",
        "timedelta_timeout": None,
        "dataclass": {"left": "a", "right": 2},
    }
    configs = {(c["name"], c["count"]): c["config"] for c in inst["configs"]}
    assert configs[("sync", 1)] is None
    assert configs[("async-with-ctx", 1)] == {
        "retries": {"limit": 2, "delay": "2 seconds", "backoff": "linear"},
        "timeout": "1 minute",
    }
    assert configs[("retries-object", 1)] == {
        "retries": {"limit": 1, "delay": 500, "backoff": "constant"}
    }
    assert configs[("timedelta-timeout", 1)] == {"timeout": 90_000}
    assert observed(r, "step-ctx")[0] == [
        "lunora_workflow.step_context.StepContext",
        "with-ctx",
        1,
        1,
        ["retries", "timeout"],
    ]
    # A step result read back inside the Worker is the SDK's JsDict (a dict subclass).
    assert observed(r, "dataclass-result") == [["workers.rpc.JsDict"]]
    assert observed(r, "params") == [["builtins.dict", {"who": "ada"}]]
    assert observed(r, "event") == [["step-forms-1", "step-forms", "datetime.datetime"]]


def check_runtime_retrying(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"succeeded_on": 3}
    attempts = [(e["step"], e["attempt"], e["error"]) for e in inst["attemptErrors"]]
    assert attempts == [
        ("flaky", 1, "PythonError"),
        ("flaky", 2, "PythonError"),
        # The portable NonRetryableError reaches the engine as a non-retryable JS error.
        ("declined", 1, "NonRetryableError"),
        ("value-error", 1, "PythonError"),
        ("key-error", 1, "PythonError"),
        ("slow", 1, "WorkflowTimeoutError"),
    ]
    # The SDK raises its own class out of step.do; the runtime hands the body lunora's class
    # back (errors.from_platform_error), so `except NonRetryableError` works as under CPython.
    assert observed(r, "declined") == [
        ["lunora_workflow.errors.NonRetryableError", "card declined", True]
    ]
    # ValueError/TypeError are rebuilt from the traceback's last line (type name included);
    # other exception types arrive as a JsException named PythonError.
    assert observed(r, "value-error") == [["builtins.ValueError", "ValueError: bad input", None]]
    assert observed(r, "key-error") == [
        ["pyodide.ffi.JsException", "KeyError: 'gone'", "PythonError"]
    ]
    assert observed(r, "slow") == [
        ["pyodide.ffi.JsException", "WorkflowTimeoutError: Execution timed out after 1000ms"]
    ]


def check_runtime_catch_non_retryable(r: Result, mode: str) -> None:
    """``except NonRetryableError`` around a failing step, as the CPython test engine allows."""
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]["message"].strip().splitlines()[-1]
    assert inst["output"] == {"caught": True, "message": "card declined"}


def check_runtime_sleeper(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == "after"
    assert inst["runs"] == 6
    timeline = inst["timeline"]
    for entry in (
        "sleep string#1 until +60000ms",
        "sleep timedelta#1 until +90000ms",
        "sleep millis#1 until +91500ms",
        "sleepUntil until-datetime#1 until +3600000ms",
        "sleepUntil until-epoch#1 until +7200000ms",
    ):
        assert entry in timeline
    assert timeline.count("do before#1 cached") == 5
    assert timeline.count("do after#1 attempt 1 ok") == 1


def check_runtime_waiter(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"payload": {"ok": True}, "timed_out": True}
    assert observed(r, "event")[-1] == [
        "lunora_workflow.events.ReceivedEvent",
        "approval",
        {"ok": True},
        "datetime.datetime",
    ]
    assert observed(r, "timeout") == [
        ["pyodide.ffi.JsException", "WorkflowTimeoutError: Execution timed out after 300000ms"]
    ]


def check_runtime_typed_steps(r: Result, mode: str) -> None:
    inst = only_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"receipt": "r-o1", "again": "r-o2"}
    assert observed(r, "charged") == [["runtime_matrix.Charged", "r-o1", 250]]
    assert observed(r, "from-dict") == [["runtime_matrix.Charged", "r-o2"]]
    # Invalid args fail before any durable step starts (no "charge#3" in the timeline).
    assert observed(r, "bad-args") == [["lunora_workflow.errors.StepArgsError"]]
    assert not any("charge#3" in line for line in inst["timeline"])
    # A bad return value fails the step once, non-retryably.
    bad = [e for e in inst["attemptErrors"] if e["step"] == "bad_return"]
    assert [(e["attempt"], e["error"]) for e in bad] == [(1, "NonRetryableError")]
    assert observed(r, "bad-return") == [["lunora_workflow.errors.NonRetryableError"]]


def check_runtime_saga(r: Result, mode: str) -> None:
    inst = only_instance(r)
    failed_non_retryably(inst, "cannot ship o-9")
    done = [line for line in inst["timeline"] if " attempt " in line or "failed (" in line]
    assert done == [
        "do reserve#1 attempt 1 ok",
        "do pay#1 attempt 1 ok",
        "do ship#1 attempt 1 failed NonRetryableError: cannot ship o-9",
        "do ship#1 failed (non-retryable)",
        "do lunora:rollback:pay#1 attempt 1 ok",
        "do lunora:rollback:reserve#1 attempt 1 ok",
    ]
    # Rollbacks see the portable class the step raised, not the SDK's (from_platform_error).
    error = "lunora_workflow.errors.NonRetryableError"
    assert observed(r, "rollback") == [
        ["pay", "o-9", "pay-o-9", error],
        ["reserve", "o-9", "res-o-9", error],
    ]
    assert any("rolling back completed steps" in line for line in r["console"])


def check_runtime_saga_cancel(r: Result, mode: str) -> None:
    # The hibernating run is cancelled (CancelledError, a BaseException): no compensation.
    check_runtime_saga(r, mode)
    inst = only_instance(r)
    assert inst["cancelOutcome"] == "CancelledError"
    assert sum("rolling back" in line for line in r["console"]) == 1


def check_runtime_body_fails(r: Result, mode: str) -> None:
    # lunora's portable NonRetryableError must end the instance as the SDK's own one does.
    check_sdk_body_nonretryable(r, mode)


def check_runtime_handles(r: Result, mode: str) -> None:
    parent = r["instances"]["parent-1"]
    assert parent["status"] == "complete", parent["error"]
    assert parent["output"] == {
        "kid": "kid-1",
        "answer": 42,
        "child_status": "complete",
        # read while kid-2 was still waiting for its turn; kid-3 was terminated
        "more": {"kid-2": "queued", "kid-3": "terminated"},
    }
    kid = r["instances"]["kid-1"]
    assert (kid["workflow"], kid["status"], kid["output"]) == ("child", "complete", 42)
    # create_batch, pause/resume, restart(from_step=) and terminate() reached the binding in
    # the shapes workerd's WorkflowImpl/InstanceImpl take; terminate(rollback=True) was refused
    # before reaching it (lunora rollbacks are not native, so Cloudflare would skip them).
    kid2, kid3 = r["instances"]["kid-2"], r["instances"]["kid-3"]
    assert (kid2["status"], kid2["output"]) == ("complete", 2)
    assert kid["restartOptions"] == {"from": {"name": "compute"}}
    assert kid["runs"] == 2  # ran again after the restart
    assert (kid3["status"], kid3["runs"]) == ("terminated", 0)
    assert kid3["terminateOptions"] is None
    refused = "lunora_workflow.errors.RollbackNotSupportedError"
    assert observed(r, "terminate-rollback") == [[refused]]
    assert observed(r, "child-status") == [
        ["lunora_workflow.handles.InstanceStatus", "complete", 42]
    ]


# --- the example app, through its generated module ------------------------------------------

EXAMPLE_CLASSES = {"ChannelWelcomeWorkflow", "ExpenseApprovalWorkflow", "OrderPipelineWorkflow"}


def example_instance(r: Result) -> Result:
    # What workerd would expose from entry.py is exactly the generated classes of SPECS.
    assert r["entrypointClasses"] == r["specClasses"]
    assert set(r["specClasses"]) >= EXAMPLE_CLASSES
    return only_instance(r)


def check_example_welcome(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"channel_id": "general", "posted": 2}
    assert inst["timeline"] == [
        "run",
        "do greet#1 attempt 1 ok",
        "sleep settle#1 until +60000ms",
        "hibernate",
        "replay",
        "do greet#1 cached",
        "sleep settle#1 elapsed",
        "do tips#1 attempt 1 ok",
        "complete",
    ]
    assert (
        'info: [workflow:channel_welcome] welcome sequence complete {"channel_id": "general"}'
        in r["console"]
    )


def check_example_order(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"receipt_id": "rcpt-o-1", "reservation": "res-o-1"}
    configs = {c["name"]: c["config"] for c in inst["configs"]}
    assert configs == {
        "reserve-stock": None,
        "charge_card": {
            "retries": {"limit": 3, "delay": "10 seconds", "backoff": "exponential"},
            "timeout": "30 seconds",
        },
        "send-receipt": {
            "retries": {"limit": 3, "delay": "2 seconds", "backoff": "exponential"},
            "timeout": "30 seconds",
        },
    }


def check_example_order_rollback(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "errored"
    assert error_type(inst) == "NonRetryableError"
    assert inst["timeline"] == [
        "run",
        "do reserve-stock#1 attempt 1 ok",
        "do charge_card#1 attempt 1 failed NonRetryableError: order o-2 has nothing to charge",
        "do charge_card#1 failed (non-retryable)",
        "do lunora:rollback:reserve-stock#1 attempt 1 ok",
        "errored NonRetryableError",
    ]
    assert any("releasing stock" in line and '"o-2"' in line for line in r["console"])


def check_example_approval_approved(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "complete", inst["error"]
    assert inst["output"] == {"request_id": "x-1", "approved": True}
    assert "waitForEvent await-approval#1 received approval" in inst["timeline"]
    assert inst["timeline"].count("do notify-approver#1 attempt 1 ok") == 1


def check_example_approval_rejected(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "errored"
    assert error_type(inst) == "NonRetryableError"
    assert "expense x-2 was rejected" in inst["error"]["message"]
    assert not any("pay-out" in line for line in inst["timeline"])


def check_example_approval_no_answer(r: Result, mode: str) -> None:
    inst = example_instance(r)
    assert inst["status"] == "errored"
    assert "waitForEvent await-approval#1 timed out" in inst["timeline"]
    assert r["virtualMs"] == 7 * 24 * 3_600_000  # the declared "7 days"


# --- a deliberately broken runtime must fail ---------------------------------------------------


def check_broken_unnamed(r: Result, mode: str) -> None:
    """run_durable relying on the function name: implicit mode copes, legacy mode refuses."""
    if mode == "implicit":
        check_runtime_step_forms(r, mode)
        return
    with pytest.raises(AssertionError):
        check_runtime_step_forms(r, mode)
    inst = only_instance(r)
    assert error_type(inst) == "TypeError"
    last_line = inst["error"]["message"].rstrip().splitlines()[-1]
    assert last_line == (
        "TypeError: _WorkflowStepWrapper._do_legacy() missing 1 required positional argument: "
        "'name'"
    )


def check_broken_non_ctx_parameter(r: Result, mode: str) -> None:
    """A step callback whose parameter is not named ``ctx`` fails in both modes."""
    with pytest.raises(AssertionError):
        check_runtime_step_forms(r, mode)
    inst = only_instance(r)
    assert error_type(inst) == "TypeError"
    expected = {
        "implicit": "TypeError: Received unexpected parameter raw",
        "legacy": "TypeError: Step has 1 non-ctx parameter(s) but no 'depends' list provided",
    }[mode]
    assert inst["error"]["message"].rstrip().endswith(expected)


CHECKS: dict[str, Callable[[Result, str], None]] = {
    "runtime.step-forms": check_runtime_step_forms,
    "runtime.retrying": check_runtime_retrying,
    "runtime.catch-non-retryable": check_runtime_catch_non_retryable,
    "runtime.sleeper": check_runtime_sleeper,
    "runtime.waiter": check_runtime_waiter,
    "runtime.typed-steps": check_runtime_typed_steps,
    "runtime.saga": check_runtime_saga,
    "runtime.saga.cancel": check_runtime_saga_cancel,
    "runtime.body-fails": check_runtime_body_fails,
    "runtime.handles": check_runtime_handles,
    "example.welcome": check_example_welcome,
    "example.order": check_example_order,
    "example.order.rollback": check_example_order_rollback,
    "example.approval.approved": check_example_approval_approved,
    "example.approval.rejected": check_example_approval_rejected,
    "example.approval.no-answer": check_example_approval_no_answer,
    "broken.unnamed": check_broken_unnamed,
    "broken.non-ctx-parameter": check_broken_non_ctx_parameter,
    "sdk.steps": check_sdk_steps,
    "sdk.modes": check_sdk_modes,
    "sdk.sleep": check_sdk_sleep,
    "sdk.sleep.cancel": check_sdk_sleep_cancel,
    "sdk.wait": check_sdk_wait,
    "sdk.retry": check_sdk_retry,
    "sdk.body-nonretryable": check_sdk_body_nonretryable,
    "sdk.fanout": check_sdk_fanout,
}
CHECKS.update(FANOUT_CHECKS)  # ctx.parallel / spawn scenarios (scenarios_fanout.mjs)


def test_harness_runs_the_pinned_platform(report: dict[str, Any]) -> None:
    assert report["pyodide"] == "0.28.2"
    assert report["sdk"] == "1.9.5"
    for mode in MODES:
        # The SDK's own JS module was loaded through the runtime's import hook.
        assert report["modes"][mode]["sdkJsModules"] == ["python_modules/workers/workflows.js"]


def test_no_durable_call_after_hibernation(report: dict[str, Any]) -> None:
    """Once an instance hibernates its body is gone (production drops the isolate; the cancel
    variants raise CancelledError into it): no step call may come from it afterwards."""
    late = [
        (name, mode, instance_id, line)
        for name, modes in report["scenarios"].items()
        for mode, result in modes.items()
        for instance_id, inst in (result.get("instances") or {}).items()
        for line in inst["timeline"]
        if line.startswith("LATE ")
    ]
    assert late == []


def test_every_scenario_has_a_check(report: dict[str, Any]) -> None:
    assert sorted(report["scenarios"]) == sorted(CHECKS)


# Known runtime bugs found by this suite: strict xfail, so the fix makes them fail until removed.
# (runtime.catch-non-retryable was one: fixed by errors.from_platform_error in run_durable.)
KNOWN_BUGS: dict[str, str] = {}


def _cases(names: Iterable[str] = CHECKS) -> list[Any]:
    """One case per scenario and step mode; a known bug is a strict xfail."""
    cases = []
    for name in sorted(names):
        for mode in MODES:
            marks = (
                [pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True)]
                if name in KNOWN_BUGS
                else []
            )
            cases.append(pytest.param(name, mode, marks=marks, id=f"{name}-{mode}"))
    return cases


@pytest.mark.parametrize(("name", "mode"), _cases())
def test_scenario(report: dict[str, Any], name: str, mode: str) -> None:
    result = report["scenarios"][name][mode]
    if "skipped" in result:
        pytest.skip(result["skipped"])
    CHECKS[name](scenario(report, name, mode), mode)


def _differential_cases() -> list[Any]:
    # sdk.* scenarios are SDK-only and .cancel ones need the harness's cancellation, so
    # cpython_side.py does not run them.
    return _cases(
        name
        for name in CHECKS
        if name.startswith(("runtime.", "example.")) and not name.endswith(".cancel")
    )


@pytest.mark.parametrize(("name", "mode"), _differential_cases())
def test_cpython_engine_agrees(
    report: dict[str, Any], cpython_report: dict[str, Any], name: str, mode: str
) -> None:
    """The CPython test engine and real Pyodide + SDK end every instance the same way."""
    cpython = cpython_report[name][mode]
    assert "crash" not in cpython, cpython.get("crash")
    pyodide = scenario(report, name, mode)["instances"]
    assert sorted(cpython["instances"]) == sorted(pyodide)
    for instance_id, expected in pyodide.items():
        got = cpython["instances"][instance_id]
        assert (got["status"], got["output"]) == (expected["status"], expected["output"]), (
            instance_id
        )
