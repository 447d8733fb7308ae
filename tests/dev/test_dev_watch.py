"""``lunora dev``'s loop, driven through a real watchfiles watcher on a temp project."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from lunora_codegen.model import ProjectModel
from lunora_codegen.pipeline import PlanResult
from lunora_codegen.project import Project, load_project
from lunora_codegen.watch import inputs as inputs_module
from lunora_codegen.watch import loop as loop_module
from lunora_codegen.watch.inputs import InputFilter, watch_dirs
from lunora_codegen.watch.loop import DevLoop
from lunora_codegen.wrangler import checks
from lunora_codegen.write import FileChange

from .conftest import (
    RecordingConsole,
    generated,
    make_project,
    running_loop,
    save,
    wait_for,
    workflow_source,
)


def test_a_save_regenerates(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    with running_loop(root) as (loop, console):
        assert "class FirstWorkflow" in generated(root)
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        wait_for(lambda: "class SecondWorkflow" in generated(root), what="SecondWorkflow")
        wait_for(lambda: len(loop.outcomes) == 2, what="the summary of the second run")
    outcome = loop.outcomes[-1]
    assert outcome.ok
    assert outcome.changed == ((root / "src/lunora/workflows.py").resolve(),)
    assert (root / "src/lunora/_generated/workflows.py").resolve() in outcome.written
    # codegen also reconciles wrangler.jsonc: SecondWorkflow's binding is appended there
    assert (root / "wrangler.jsonc").resolve() in outcome.written
    assert "WORKFLOW_SECOND" in (root / "wrangler.jsonc").read_text(encoding="utf-8")
    summary = console.summaries()[-1]
    assert "regenerated 2 files in " in summary
    assert summary.endswith("(src/lunora/workflows.py changed)")


def test_a_broken_save_reports_and_the_next_good_save_recovers(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    with running_loop(root) as (loop, console):
        good = generated(root)
        assert "class FirstWorkflow" in good
        broken = workflow_source("first") + "\n\ndef oops(:\n    pass\n"
        save(root / "src/lunora/workflows.py", broken)
        wait_for(lambda: len(loop.outcomes) == 2, what="the failed run")
        assert not loop.outcomes[-1].ok
        # The error names the file, line and column, and the last good output stays.
        assert "src/lunora/workflows.py:9:10: error: syntax error" in console.text()
        assert "codegen failed" in console.text()
        assert generated(root) == good

        save(root / "src/lunora/workflows.py", workflow_source("first", "third"))
        wait_for(lambda: "class ThirdWorkflow" in generated(root), what="recovery")
        wait_for(lambda: len(loop.outcomes) == 3, what="the recovering run")
        assert loop.outcomes[-1].ok


def test_a_burst_of_saves_ends_in_the_final_state(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    # A quiet period longer than the production 50 ms: on a loaded CI machine the test thread
    # itself may stall between two saves, and the count below must not depend on that.
    with running_loop(root, step_ms=300) as (loop, _console):
        runs_before = len(loop.outcomes)
        # 50 saves within ~100 ms, each declaring a different last workflow.
        for index in range(50):
            save(root / "src/lunora/workflows.py", workflow_source("first", f"burst_{index}"))
            time.sleep(0.002)
        wait_for(lambda: "class Burst49Workflow" in generated(root), what="the final save")
        # Give a straggling batch time to show up (it finds nothing new), then look.
        time.sleep(0.3)
        final = generated(root)
        runs = len(loop.outcomes) - runs_before
    assert "class Burst49Workflow" in final
    assert "class Burst48Workflow" not in final
    assert all(outcome.ok for outcome in loop.outcomes)
    # One run per save would be 50; debouncing coalesces the burst into a handful at most.
    assert 1 <= runs <= 5, f"debouncing should coalesce the burst, got {runs} runs"


def test_a_save_before_the_watches_exist_is_caught_up(tmp_path: Path) -> None:
    """A save between codegen's last run and the watcher's start raises no event; the loop
    compares contents once its watches are in place, so the save is not lost."""
    root = make_project(tmp_path, "first")
    console = RecordingConsole()
    loop = DevLoop(root, console=console)
    assert loop.regenerate().ok
    save(root / "src/lunora/workflows.py", workflow_source("first", "early"))
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=loop.watch, args=(stop, ready.set), daemon=True)
    thread.start()
    try:
        assert ready.wait(30), "the watcher never became ready"
        # on_ready comes after the catch-up run, so no polling is needed here.
        assert "class EarlyWorkflow" in generated(root)
        assert len(loop.outcomes) == 2
        assert loop.outcomes[-1].changed == ((root / "src/lunora/workflows.py").resolve(),)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def test_own_writes_and_unchanged_saves_trigger_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    source = (root / "src/lunora/workflows.py").read_text(encoding="utf-8")
    with running_loop(root) as (loop, _console):
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        wait_for(lambda: len(loop.outcomes) == 2, what="the regenerating run")
        time.sleep(0.4)  # the run's own writes (and the config reconcile) have landed by now
        assert len(loop.outcomes) == 2
        # Saving identical bytes (an editor's ":w" without edits) does not regenerate.
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        (root / "src/lunora/workflows.py").touch()
        time.sleep(0.4)
        assert len(loop.outcomes) == 2
        save(root / "src/lunora/workflows.py", source)
        wait_for(lambda: "class SecondWorkflow" not in generated(root), what="the revert")


def test_ignored_paths_do_not_trigger_runs(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    (root / "src/lunora/tests").mkdir()
    (root / "node_modules").mkdir()
    with running_loop(root) as (loop, _console):
        save(root / "src/lunora/tests/test_flows.py", "x = 1\n")
        save(root / "src/lunora/notes.txt", "hello\n")
        # src/ is watched for the worker entry alone
        save(root / "src/other.py", "x = 1\n")
        save(root / "node_modules/thing.py", "x = 1\n")
        save(root / "src/lunora/_generated/extra.py", "x = 1\n")
        time.sleep(0.4)
        assert len(loop.outcomes) == 1
        # ...while a new module in a new sub-package is picked up, even when it is saved
        # before the loop has started watching the new folder.
        (root / "src/lunora/more").mkdir()
        save(root / "src/lunora/more/helpers.py", "y = 2\n")
        wait_for(lambda: len(loop.outcomes) == 2, what="a run for the new sub-package module")


def test_an_entry_edit_reruns_the_config_checks(tmp_path: Path) -> None:
    """The entry's re-exports are checked on every run (LW103); fixing the entry must clear
    the warning, and breaking it again must bring it back, without touching anything else."""
    root = make_project(tmp_path, "first")
    entry = root / "src/entry.py"
    with running_loop(root) as (loop, console):
        # the entry does not export FirstWorkflow yet; printed as ``lunora codegen`` does
        assert any(line.startswith("src/entry.py:1:1: warning LW103: ") for line in console.lines)
        seen = len(console.lines)
        save(entry, '"""entry"""\n\nfrom lunora._generated.workflows import FirstWorkflow\n')
        wait_for(lambda: len(loop.outcomes) == 2, what="a run for the fixed entry")
        assert loop.outcomes[-1].ok
        assert loop.outcomes[-1].changed == (entry.resolve(),)
        assert "LW103" not in "\n".join(console.lines[seen:])
        seen = len(console.lines)
        save(entry, '"""entry"""\n')
        wait_for(lambda: len(loop.outcomes) == 3, what="a run for the broken entry")
        assert "LW103" in "\n".join(console.lines[seen:])


def test_a_renamed_workflows_old_class_is_known_before_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a run writes ``_generated/workflows.py`` the loop reads its classes at once, so
    the next run's reconciler does not parse that module to learn that a renamed workflow's
    old class was lunora's (``save_1``'s binding ``WORKFLOW_SAVE_1`` is not what the class
    ``Save1Workflow`` derives, so only the previous module tells); the stale entry is still
    reported."""
    checks._classes_of.cache_clear()  # another test may have read this very module text
    root = make_project(tmp_path, "first", "save_1")
    console = RecordingConsole()
    loop = DevLoop(root, console=console)
    assert loop.regenerate().ok
    parsed: list[str] = []
    real = checks._declared_classes_fast

    def counting(source: str) -> frozenset[str] | None:
        parsed.append(source)
        return real(source)

    monkeypatch.setattr(checks, "_declared_classes_fast", counting)
    target = root / "src/lunora/workflows.py"
    save(target, workflow_source("first", "save_2"))
    assert loop.regenerate([target]).ok
    assert not [source for source in parsed if "class Save1Workflow(" in source]
    assert any("LW107" in line and "'Save1Workflow'" in line for line in console.lines)
    # ...and this run's module was read for the next one
    assert any("class Save2Workflow(" in source for source in parsed)


def test_the_filter_and_the_watched_folders(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    (root / "src/lunora/_generated").mkdir()
    (root / "src/lunora/sub").mkdir()
    (root / "src/lunora/__pycache__").mkdir()
    project = load_project(root)
    rules = InputFilter(project)
    package = (root / "src/lunora").resolve()
    accepted = {
        package / "workflows.py",
        package / "sub" / "models.py",
        root.resolve() / "wrangler.jsonc",
        root.resolve() / "wrangler.toml",
        root.resolve() / "pyproject.toml",
        # the worker entry ``main`` names: its re-exports are checked on every run
        root.resolve() / "src" / "entry.py",
    }
    rejected = {
        package / "_generated" / "workflows.py",
        package / "tests" / "flows.py",
        package / "test_flows.py",
        package / "conftest.py",
        package / ".#workflows.py",
        package / "notes.txt",
        package / "workflows.py.swp",
        root.resolve() / "src" / "other.py",
        root.resolve() / "node_modules" / "x.py",
        root.resolve() / ".venv" / "lib" / "x.py",
        root.resolve() / "sub" / "wrangler.jsonc",
    }
    assert all(rules.accepts(path) for path in accepted)
    assert not any(rules.accepts(path) for path in rejected)
    dirs = watch_dirs(project)
    assert package in dirs
    assert package / "sub" in dirs
    assert root.resolve() in dirs
    assert root.resolve() / "src" in dirs  # the entry's folder
    assert package / "_generated" not in dirs
    assert package / "__pycache__" not in dirs


def test_an_edit_during_a_run_is_picked_up_before_the_loop_goes_idle(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    target = root / "src/lunora/workflows.py"
    calls: list[int] = []

    class EditedMidRun(DevLoop):
        """The user saves again right after codegen has read the file (the real pipeline runs)."""

        def _codegen(self) -> tuple[bool, tuple[Path, ...]]:
            result = super()._codegen()
            calls.append(1)
            if len(calls) == 1:
                save(target, workflow_source("first", "late"))
            return result

    console = RecordingConsole()
    outcome = EditedMidRun(root, console=console).regenerate()
    assert len(calls) == 2
    assert outcome.ok
    assert "class LateWorkflow" in generated(root)
    assert len(console.summaries()) == 1  # still one summary line for the whole run


def test_same_size_saves_within_one_timestamp_tick_are_not_missed(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first", "aaa")
    target = root / "src/lunora/workflows.py"
    loop = DevLoop(root, console=RecordingConsole())
    loop.regenerate()
    stat = target.stat()
    save(target, workflow_source("first", "bbb"))  # same size as "aaa"
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    assert target.stat().st_size == stat.st_size
    loop.regenerate(loop.pending([target.resolve()]))
    assert "class BbbWorkflow" in generated(root)


def test_a_package_created_while_watching_is_picked_up(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    shutil.rmtree(root / "src")
    with running_loop(root) as (loop, console):
        assert not loop.outcomes[0].ok  # no package yet: reported, and the loop keeps going
        assert "no lunora package at " in console.text()
        (root / "src" / "lunora").mkdir(parents=True)
        save(root / "src/lunora/workflows.py", workflow_source("first"))
        wait_for(lambda: "class FirstWorkflow" in generated(root), what="the new package")


def test_a_planner_editing_the_wrangler_config_does_not_retrigger(tmp_path: Path) -> None:
    """The reconciler writes wrangler.jsonc, a watched input; that write must not loop."""
    root = make_project(tmp_path, "first")
    config = root / "wrangler.jsonc"

    def count_workflows(project: Project, model: ProjectModel, *, prune: bool) -> PlanResult:
        old = config.read_text(encoding="utf-8")
        body = old.split("\n", 1)[1]
        new = f"// {len(model.workflows)} workflows\n{body}"
        return PlanResult(changes=[FileChange(config, old, new)] if new != old else [])

    console = RecordingConsole()
    loop = DevLoop(root, console=console, planners=[count_workflows])
    loop.regenerate()
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=loop.watch, args=(stop, ready.set), daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        assert config.read_text(encoding="utf-8").startswith("// 1 workflows\n")
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        wait_for(lambda: len(loop.outcomes) == 2, what="the regenerating run")
        assert config.resolve() in loop.outcomes[-1].written
        assert config.read_text(encoding="utf-8").startswith("// 2 workflows\n")
        time.sleep(0.5)
        assert len(loop.outcomes) == 2, console.text()
        # A user's own edit of the config still counts.
        save(config, config.read_text(encoding="utf-8") + "// edited by hand\n")
        wait_for(lambda: len(loop.outcomes) == 3, what="a run for the user's config edit")
    finally:
        stop.set()
        thread.join(30)


def test_settling_the_heap_keeps_runs_correct(tmp_path: Path) -> None:
    """``lunora dev`` freezes the heap after each run (no GC pauses over the caches); the runs
    that follow still see every change, and every FULL_GC_EVERY runs the heap is unfrozen."""
    import gc

    root = make_project(tmp_path, "first")
    loop = DevLoop(root, console=RecordingConsole(), planners=[], settle_heap=True)
    loop.FULL_GC_EVERY = 3
    target = root / "src/lunora/workflows.py"
    try:
        assert loop.regenerate().ok
        assert gc.get_freeze_count() > 0
        for name in ("second", "third", "fourth"):
            save(target, workflow_source(name))
            assert loop.regenerate([target]).ok
            assert f"class {name.capitalize()}Workflow" in generated(root)
        assert gc.get_freeze_count() > 0  # frozen again after the unfreezing run
    finally:
        gc.unfreeze()


def test_a_broken_wrangler_config_is_reported_at_its_location_and_recovers(
    tmp_path: Path,
) -> None:
    """Discovery reads the package's place from the config's ``main``: a save that breaks the
    config must be reported as the config's syntax error, not as a missing package."""
    root = make_project(tmp_path, "first")
    config = root / "wrangler.jsonc"
    loop = DevLoop(root, console=(console := RecordingConsole()))
    assert loop.regenerate().ok
    good_config = config.read_text(encoding="utf-8")
    good_output = generated(root)
    save(config, good_config.replace('"main":', '"main" "x":'))
    assert not loop.regenerate([config.resolve()]).ok
    assert "wrangler.jsonc:4:10: error LW001: cannot parse wrangler.jsonc" in console.text()
    assert console.text().count("cannot parse wrangler.jsonc") == 1  # reported once
    assert "no lunora package" not in console.text()
    assert loop.project.package_dir == (root / "src/lunora").resolve()
    assert generated(root) == good_output
    save(config, good_config)
    save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
    assert loop.regenerate([config.resolve(), (root / "src/lunora/workflows.py").resolve()]).ok
    assert "class SecondWorkflow" in generated(root)


def test_a_folder_removed_between_listing_and_watching_is_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sub-package deleted (say, by a branch switch) after the loop listed the folders to
    watch and before the watches exist makes watchfiles raise FileNotFoundError; the loop lists
    the folders again instead of ending the dev session."""
    root = make_project(tmp_path, "first")
    gone = root / "src/lunora/gone"
    gone.mkdir()
    listed = watch_dirs  # the real one, which the loop imported from inputs
    raced: list[Path] = []

    def racing(project: Project) -> list[Path]:
        dirs = listed(project)
        if not raced and gone.resolve() in dirs:
            gone.rmdir()  # listed, but gone before it is watched
            raced.append(gone)
        return dirs

    monkeypatch.setattr(loop_module, "watch_dirs", racing)
    with running_loop(root) as (loop, _console):
        assert raced == [gone]
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        wait_for(lambda: "class SecondWorkflow" in generated(root), what="a run after the race")
    assert all(outcome.ok for outcome in loop.outcomes)


def test_a_folder_removed_while_inputs_are_listed_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The content snapshot lists folders, then reads each: one removed in between holds no
    inputs any more, and the run goes on."""
    root = make_project(tmp_path, "first")
    gone = root / "src/lunora/gone"
    gone.mkdir()
    (gone / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    project = load_project(root)
    listed = inputs_module.watch_dirs

    def racing(project: Project) -> list[Path]:
        dirs = listed(project)
        if gone.exists():
            shutil.rmtree(gone)  # listed, but gone before it is read
        return dirs

    monkeypatch.setattr(inputs_module, "watch_dirs", racing)
    files = list(inputs_module.input_files(project))
    assert (root / "src/lunora/workflows.py").resolve() in files
    assert not any(path.is_relative_to(gone.resolve()) for path in files)
