#!/usr/bin/env node
// Pyodide conformance harness: runs workflow classes on real Pyodide 0.28.2 with the real
// workers-runtime-sdk under a JS engine playing Cloudflare (see engine.mjs), in both step.do
// signature modes, and prints one JSON document on stdout.
//
//   node tests/pyodide/harness.mjs [--mode implicit|legacy|both] [--only id,prefix*] [--list]
//   node tests/pyodide/harness.mjs --bench [--steps N]
//
// Exit status: 0 when the harness itself ran (scenario failures are data for the caller),
// 2 when the setup is missing, 1 on a harness crash.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { Engine } from "./engine.mjs";
import { bootPyodide, missingSetup, paths } from "./pyodide_env.mjs";
import { SCENARIOS } from "./scenarios.mjs";

// Workers run in UTC; naive datetimes from python_from_rpc depend on the local zone.
process.env.TZ = "UTC";

// Python's ctx.log goes to the JS console inside a Worker; keep stdout for the JSON report and
// collect console output per scenario instead.
const consoleLines = [];
for (const level of ["log", "info", "debug", "warn", "error"]) {
  console[level] = (...args) => consoleLines.push(`${level}: ${args.map(String).join(" ")}`);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODES = { implicit: true, legacy: false };

function selected(only) {
  if (!only) return SCENARIOS;
  const patterns = only.split(",").map((p) => p.trim()).filter(Boolean);
  return SCENARIOS.filter((s) =>
    patterns.some((p) => (p.endsWith("*") ? s.id.startsWith(p.slice(0, -1)) : s.id === p)),
  );
}

function observations(env, module) {
  const json = env.py.runPython(`
import json, sys
_probe = sys.modules.get("probe")
_out = json.dumps(_probe.OBSERVED if _probe else [], default=repr)
if _probe:
    _probe.OBSERVED.clear()
_out`);
  return JSON.parse(json);
}

// JSON with dates kept recognisable ({"$date": iso}); JSON.stringify would flatten them to strings.
function jsonSafe(value) {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value === undefined) return null;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

// The classes workerd would expose as Workflow entrypoints of the main module: exported names
// (`__all__`, else public names) bound to strict subclasses of the SDK's WorkflowEntrypoint.
function entrypointClasses(py, moduleName) {
  return JSON.parse(
    py.runPython(`
import importlib, inspect, json
from workers import WorkflowEntrypoint as _WE
_mod = importlib.import_module(${JSON.stringify(moduleName)})
_names = getattr(_mod, "__all__", None) or [n for n in dir(_mod) if not n.startswith("_")]
json.dumps(sorted(n for n in _names if inspect.isclass(getattr(_mod, n)) and issubclass(getattr(_mod, n), _WE) and getattr(_mod, n) is not _WE))`),
  );
}

async function runScenario(env, scenario, modeName) {
  const { py } = env;
  const started = performance.now();
  if (scenario.modes && !scenario.modes.includes(modeName)) return { skipped: `not run in ${modeName} mode` };
  const result = { mode: modeName };
  const firstLine = consoleLines.length;
  try {
    if (scenario.setup) py.runPython(scenario.setup);
    const mod = py.pyimport(scenario.module);
    const engine = new Engine({
      resolveClass: (className) => {
        const cls = mod[className];
        if (typeof cls !== "function") throw new TypeError(`There is no '${className}' class defined in the Python Worker's main module`);
        return cls;
      },
      ensureFuture: env.ensureFuture,
      onSuspend: scenario.onSuspend ?? "abandon",
    });
    engine.vars = {
      CLOCK: {
        advance(ms) {
          engine.now += ms;
        },
      },
      ...(scenario.vars ?? {}),
    };
    let workflows = scenario.workflows;
    if (scenario.specsModule) {
      // The bindings wrangler would create from the generated SPECS (name, binding, class).
      workflows = JSON.parse(
        py.runPython(`
import importlib, json
_specs = importlib.import_module(${JSON.stringify(scenario.specsModule)}).SPECS
json.dumps([{"name": s.name, "binding": s.binding, "className": s.class_name} for s in _specs.values()])`),
      );
      result.entrypointClasses = entrypointClasses(py, scenario.module);
      result.specClasses = workflows.map((w) => w.className).sort();
    }
    for (const wf of workflows) engine.register(wf);
    env.cloudflareWorkers.env = engine.env();
    for (const s of scenario.start) engine.create(s.workflow, { id: s.id, params: s.params });
    for (const e of scenario.events ?? []) engine.scheduleEvent(e.id, e.type, e.payload, e.at);
    await engine.runUntilIdle({ maxRuns: scenario.maxRuns ?? 500 });
    result.instances = {};
    for (const inst of engine.instances.values()) {
      result.instances[inst.id] = jsonSafe({
        workflow: inst.workflow.name,
        status: inst.status,
        output: inst.output,
        error: inst.error,
        runs: inst.runs,
        timeline: inst.timeline,
        attemptErrors: inst.attemptErrors.map((e) => ({ ...e, message: e.message.split("\n").filter(Boolean).at(-1) })),
        configs: inst.configs,
        cancelOutcome: inst.cancelOutcome,
        terminateOptions: inst.terminateOptions,
        restartOptions: inst.restartOptions,
      });
    }
    result.virtualMs = engine.now - engine.start;
  } catch (err) {
    result.harnessError = `${err.name}: ${err.message}`;
  } finally {
    if (scenario.teardown) {
      try {
        py.runPython(scenario.teardown);
      } catch (err) {
        result.harnessError = (result.harnessError ?? "") + ` teardown: ${err.message}`;
      }
    }
  }
  result.observed = observations(env);
  result.console = consoleLines.slice(firstLine);
  result.ms = Math.round(performance.now() - started);
  return result;
}

async function main() {
  const { values } = parseArgs({
    options: {
      mode: { type: "string", default: "both" },
      only: { type: "string" },
      list: { type: "boolean", default: false },
      specs: { type: "boolean", default: false },
      bench: { type: "boolean", default: false },
      steps: { type: "string", default: "200" },
    },
  });
  if (values.list) {
    emit(SCENARIOS.map((s) => s.id));
    return 0;
  }
  if (values.specs) {
    // The scenario definitions as data, for the CPython side of the differential test.
    emit(SCENARIOS.map(({ setup, teardown, ...spec }) => ({ ...spec, patched: Boolean(setup || teardown) })));
    return 0;
  }
  const missing = missingSetup(paths(ROOT));
  if (missing.length) {
    emit({ setupMissing: missing, fix: "sh tests/pyodide/setup.sh" });
    return 2;
  }
  if (values.bench) {
    const { runBench } = await import("./bench.mjs");
    emit(await runBench(ROOT, Number(values.steps)));
    return 0;
  }
  const modes = values.mode === "both" ? Object.keys(MODES) : [values.mode];
  const report = { pyodide: null, sdk: null, modes: {}, scenarios: {} };
  for (const modeName of modes) {
    if (!(modeName in MODES)) throw new Error(`unknown mode ${modeName}`);
    const t0 = performance.now();
    const env = await bootPyodide({ root: ROOT, implicitDependencies: MODES[modeName] });
    report.pyodide = env.py.version;
    report.sdk = env.py.runPython("import importlib.metadata as m; m.version('workers-runtime-sdk')");
    report.modes[modeName] = { bootMs: Math.round(performance.now() - t0) };
    for (const scenario of selected(values.only)) {
      report.scenarios[scenario.id] ??= {};
      report.scenarios[scenario.id][modeName] = await runScenario(env, scenario, modeName);
    }
    report.modes[modeName].sdkJsModules = [...env.jsModules.keys()];
    report.modes[modeName].totalMs = Math.round(performance.now() - t0);
  }
  emit(report);
  return 0;
}

let pending = Promise.resolve();

// stdout to a pipe is asynchronous in Node: exit only once the report is flushed.
function emit(value) {
  pending = new Promise((resolve) => process.stdout.write(JSON.stringify(value) + "\n", resolve));
}

main().then(
  async (code) => {
    await pending;
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`harness crashed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
