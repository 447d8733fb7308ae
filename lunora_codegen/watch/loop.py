"""The ``lunora dev`` loop: run codegen, then again after every change that matters.

Shape (see the codegen reference, §5.2):

- One run per debounced batch of file events (``watchfiles``, 50 ms quiet ``step``).
- Only changes whose *content* differs from what the last run saw count. That drops our own
  writes (the reconciler's edit of ``wrangler.jsonc``; ``_generated/`` is filtered anyway),
  editors that touch without changing, and duplicate events.
- A long-lived :class:`~lunora_codegen.extract.ParseCache` means a run re-parses only the
  files that changed.
- A user error (syntax error, bad declaration) prints ``path:line:col`` diagnostics and leaves
  the last good ``_generated/`` in place (the pipeline writes nothing on an error); a bug in
  lunora prints a traceback. Neither ends the loop.
- When an input changed *while* a run was in progress, the run is repeated at once, so the
  output always matches the files on disk when the loop goes idle.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from lunora_codegen.diagnostics import LunoraToolError, UserCodeError, display_path
from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import Planner, run
from lunora_codegen.project import Project, load_project, read_wrangler_config
from lunora_codegen.watch.incremental import IncrementalParser
from lunora_codegen.watch.inputs import InputFilter, Snapshot, digest, snapshot, watch_dirs

__all__ = ["Console", "DevLoop", "RunOutcome"]

#: ``path:line:col: warning ...``, the shape of :meth:`Diagnostic.format`
_DIAGNOSTIC = re.compile(r"[^\n]*?:\d+:\d+: (?:warning|info)\b")

#: How often a run may repeat because its inputs changed under it before it waits for events.
_MAX_RERUNS = 5


class Console:
    """Where the loop prints: one method for progress, one for problems."""

    def info(self, message: str) -> None:
        """A progress line (stdout)."""
        print(message, flush=True)

    def error(self, message: str) -> None:
        """A problem (stderr)."""
        print(message, file=sys.stderr, flush=True)


def _mark(good: bool) -> str:
    symbol = "✔" if good else "✖"
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        symbol.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok:" if good else "error:"
    return symbol


def _readable(config: Path | None) -> bool:
    """False when ``config`` exists but does not parse (discovery then ignores its ``main``)."""
    if config is None or not config.is_file():
        return True
    try:
        read_wrangler_config(config)
    except (ValueError, OSError):
        return False
    return True


@dataclass(frozen=True)
class RunOutcome:
    """What one codegen run did."""

    ok: bool
    #: files the run wrote or removed (generated modules, the wrangler config)
    written: tuple[Path, ...]
    #: the inputs whose change triggered the run (empty for the first run)
    changed: tuple[Path, ...]
    elapsed_ms: float


class DevLoop:
    """Codegen on a project, re-run on every relevant change until ``stop_event`` is set."""

    def __init__(
        self,
        start: Path,
        *,
        console: Console | None = None,
        step_ms: int = 50,
        debounce_ms: int = 1600,
        planners: Sequence[Planner] | None = None,
        settle_heap: bool = False,
    ) -> None:
        self.start = start
        #: ``None``: the pipeline's default planners (the wrangler-config reconciler)
        self.planners = planners
        self.project: Project = load_project(start)
        self.console = console if console is not None else Console()
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        # Re-parse only the top-level statements that changed (libcst costs ~0.2 ms a line).
        self.cache = ParseCache(parse=IncrementalParser().parse)
        #: what the inputs held when the last run finished (path -> sha256)
        self.baseline: Snapshot = {}
        #: every outcome so far, oldest first (tests and benchmarks read it)
        self.outcomes: list[RunOutcome] = []
        self._lock = threading.Lock()
        #: freeze the heap after each run (``lunora dev`` does; see :meth:`_settle_heap`)
        self.settle_heap = settle_heap
        self._runs = 0

    # -- one run ---------------------------------------------------------------------------

    def _reload_project(self, changed: Sequence[Path]) -> None:
        rules = InputFilter(self.project)
        if not any(path in rules.configs for path in changed):
            return
        try:
            project = load_project(self.start)
        except UserCodeError:
            # The config does not parse: the run that follows reports it at its line and
            # column (saying it here too would print it twice); keep the known layout.
            return
        except LunoraToolError as error:
            self.console.error(f"lunora: {error}; keeping the previous project settings")
            return
        if project.config_path == self.project.config_path and not _readable(project.config_path):
            # Discovery takes the package's place from the config's ``main``; a config that
            # does not parse says nothing about it. Keep the known layout, so that the run
            # reports the config's own error at its line and column instead of a package
            # missing from a made-up place.
            return
        self.project = project

    def _invalidate(self, paths: Sequence[Path]) -> None:
        """Make the parse cache re-read ``paths``, whatever their mtime and size say.

        The cache trusts an unchanged ``(mtime_ns, size)`` once a file is older than its racy
        window; the loop already knows from the content hashes that these files changed, so
        it asks for a re-hash rather than rely on timestamps. (``recheck``, not ``forget``:
        forgetting would also drop what the next parse and extraction reuse.)
        """
        targets = {path.resolve() for path in paths}
        project = self.project
        entry = () if project.entry_path is None else (project.entry_path,)
        for known in (project.workflows_file, project.steps_file, *entry, *paths):
            if known.resolve() in targets:
                self.cache.recheck(known)

    def _codegen(self) -> tuple[bool, tuple[Path, ...]]:
        try:
            result = run(self.project, cache=self.cache, planners=self.planners)
        except UserCodeError as error:
            for diagnostic in error.diagnostics:
                self.console.error(diagnostic.format())
            return False, ()
        except LunoraToolError as error:
            self.console.error(f"lunora: {error}")
            return False, ()
        except Exception:  # a bug in lunora must not end the user's dev session
            self.console.error(traceback.format_exc().rstrip())
            self.console.error("lunora: internal error in codegen; still watching")
            return False, ()
        for warning in result.warnings:
            # a formatted diagnostic already says "warning" after its position (as in
            # ``lunora codegen``)
            shaped = _DIAGNOSTIC.match(warning) is not None
            self.console.error(warning if shaped else f"warning: {warning}")
        return True, tuple(change.path.resolve() for change in result.changes)

    def regenerate(self, changed: Sequence[Path] = ()) -> RunOutcome:
        """Run codegen now (again if an input changes during the run) and print one summary."""
        with self._lock:
            started = time.perf_counter()
            self._reload_project(changed)
            self._invalidate(changed)
            written: list[Path] = []
            ok = False
            moved: set[Path] = set()
            for _attempt in range(_MAX_RERUNS):
                before = snapshot(self.project)
                ok, wrote = self._codegen()
                written.extend(path for path in wrote if path not in written)
                after = snapshot(self.project)
                self.baseline = after
                moved = {
                    path
                    for path in before.keys() | after.keys()
                    if before.get(path) != after.get(path) and path not in wrote
                }
                if not moved:
                    break
                self._reload_project(sorted(moved))
                self._invalidate(sorted(moved))
            for path in moved:
                # Still changing after every re-run: forget what we saw, so that the events
                # already queued for these files start another run.
                self.baseline.pop(path, None)
            elapsed_ms = (time.perf_counter() - started) * 1000
            outcome = RunOutcome(ok, tuple(written), tuple(changed), elapsed_ms)
            # Report first: whoever waits on ``outcomes`` (tests, the dev server) then also
            # sees the printed summary.
            self._report(outcome)
            self.outcomes.append(outcome)
            self._remember_generated(outcome)
            if self.settle_heap:
                self._settle_heap()
            return outcome

    def _remember_generated(self, outcome: RunOutcome) -> None:
        """After a run wrote ``_generated/workflows.py`` (and reported it), read its classes
        for the next run's wrangler reconciler, which asks about them when a workflow was
        renamed; this keeps that parse off the next save's latency."""
        module = self.project.generated_dir / "workflows.py"
        if self.planners is not None or module.resolve() not in outcome.written:
            return
        # deferred like the planner itself (it imports libcst)
        from lunora_codegen.wrangler.checks import remember_generated_classes

        # only a head start: whatever goes wrong here, the next run reads the module itself
        # (and reports a problem where it belongs), so it must not end the session
        with contextlib.suppress(Exception):
            remember_generated_classes(module)

    #: runs between two full garbage collections
    FULL_GC_EVERY = 100

    def _settle_heap(self) -> None:
        """Keep the cyclic garbage collector off the long-lived caches.

        The caches hold millions of objects (libcst trees of every input, their chunks, the
        lint results). Left alone, the collector scans all of them every so often during a
        run, a 100-300 ms pause at 1,000 workflows that lands on the save-to-written latency.
        After each run (the output is written and reported by now) this collects what the
        run left over, then freezes the survivors so that later collections skip them; they
        are still freed by reference counting, which is how the caches drop old trees (libcst
        nodes hold no cycles). A full collection every :attr:`FULL_GC_EVERY` runs reclaims any
        cycle that died while frozen. Off by default: freezing is process-wide, which suits
        the ``lunora dev`` process and not, say, a test run that builds a loop.
        """
        self._runs += 1
        if self._runs % self.FULL_GC_EVERY == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _report(self, outcome: RunOutcome) -> None:
        root = self.project.root
        reason = ""
        if outcome.changed:
            names = [display_path(path, root) for path in outcome.changed]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            reason = f" ({shown} changed)"
        took = f"{outcome.elapsed_ms:.0f} ms"
        if not outcome.ok:
            self.console.error(
                f"{_mark(False)} codegen failed in {took}{reason}; the last good "
                f"{display_path(self.project.generated_dir, root)}/ is unchanged. "
                "Fix and save to retry."
            )
        elif outcome.written:
            count = len(outcome.written)
            noun = "file" if count == 1 else "files"
            self.console.info(f"{_mark(True)} regenerated {count} {noun} in {took}{reason}")
        else:
            self.console.info(f"{_mark(True)} up to date in {took}{reason}")

    # -- watching --------------------------------------------------------------------------

    def pending(self, paths: Sequence[Path]) -> list[Path]:
        """The inputs among ``paths`` whose content differs from what the last run saw."""
        rules = InputFilter(self.project)
        return [p for p in paths if rules.accepts(p) and digest(p) != self.baseline.get(p)]

    def _missed(self) -> list[Path]:
        """Inputs whose content differs from what the last run saw, by a full content scan."""
        current = snapshot(self.project)
        return sorted(
            path
            for path in current.keys() | self.baseline.keys()
            if current.get(path) != self.baseline.get(path)
        )

    def watch(
        self, stop_event: threading.Event, on_ready: Callable[[], None] | None = None
    ) -> None:
        """Watch and regenerate until ``stop_event`` is set. Does not run codegen first.

        ``on_ready`` is called once the file watches are in place and every save made before
        that has been caught up with (tests wait for it).
        """
        ready = on_ready
        while not stop_event.is_set():
            dirs = watch_dirs(self.project)
            rewatch = False
            caught_up = False
            try:
                for changes in watchfiles.watch(
                    *dirs,
                    watch_filter=InputFilter(self.project),
                    step=self.step_ms,
                    debounce=self.debounce_ms,
                    stop_event=stop_event,
                    raise_interrupt=False,
                    recursive=False,
                    # Wake up now and then even without events: the first wake-up tells us the
                    # watches are installed.
                    rust_timeout=200,
                    yield_on_timeout=True,
                ):
                    if not changes and caught_up:
                        continue
                    paths = sorted({Path(raw) for _change, raw in changes})
                    todo = self.pending(paths)
                    if not caught_up:
                        # The watches are in place now. A save made between the last run's
                        # snapshot and this point (before the first run, or in a folder that was
                        # not watched yet) raised no event here: compare contents to find it.
                        # Scanning only after the watches exist leaves no window in between.
                        caught_up = True
                        todo = sorted({*todo, *self._missed()})
                    if todo:
                        self.regenerate(todo)
                    if ready is not None:
                        ready()
                        ready = None
                    if watch_dirs(self.project) != dirs:
                        rewatch = True  # a sub-package appeared or went, or the package moved
                        break
            except FileNotFoundError:
                if caught_up:  # raised while watching, not while installing: not ours
                    raise
                # A folder went away between listing and watching it (a sub-package deleted,
                # a branch switch in progress): list the folders again, and catch up then.
                stop_event.wait(0.05)
                rewatch = True
            if not rewatch:
                return
