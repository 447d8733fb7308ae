// Measurements inside real Pyodide (see benchmarks/pyodide.py): import times of the runtime and
// of a generated module, and the per-step cost of ctx.step.do against the SDK's bare step.do
// (both driven by the same JS engine, so engine cost is in both numbers).

import { Engine } from "./engine.mjs";
import { bootPyodide } from "./pyodide_env.mjs";

function timed(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function stepsRun(env, mod, className, n, id) {
  const engine = new Engine({
    resolveClass: (name) => mod[name],
    ensureFuture: env.ensureFuture,
  });
  engine.register({ name: className.toLowerCase(), binding: null, className });
  engine.create(className.toLowerCase(), { id, params: { n } });
  const t0 = performance.now();
  await engine.runUntilIdle();
  const ms = performance.now() - t0;
  const inst = engine.instance(id);
  if (inst.status !== "complete" || inst.output !== (n * (n - 1)) / 2) {
    throw new Error(`${className} did not complete: ${inst.status} ${JSON.stringify(inst.error)}`);
  }
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runBench(root, steps = 200, rounds = 5) {
  const t0 = performance.now();
  const env = await bootPyodide({ root, implicitDependencies: true });
  const bootMs = performance.now() - t0;
  const { py } = env;
  const imports = {
    workers_sdk: timed(() => py.runPython("import workers")),
    lunora_workflow: timed(() => py.runPython("import lunora_workflow")),
    lunora_workflow_entrypoint: timed(() => py.runPython("import lunora_workflow.entrypoint")),
    generated_module: timed(() => py.runPython("import lunora._generated.workflows")),
  };
  const mod = py.pyimport("bench_workflows");
  const bare = [];
  const runtime = [];
  for (let round = 0; round <= rounds; round += 1) {
    const b = await stepsRun(env, mod, "BareSdkSteps", steps, `bare-${round}`);
    const r = await stepsRun(env, mod, "ManyStepsWorkflow", steps, `rt-${round}`);
    if (round > 0) {
      // round 0 warms up both paths
      bare.push(b);
      runtime.push(r);
    }
  }
  const bareStepUs = (median(bare) / steps) * 1000;
  const runtimeStepUs = (median(runtime) / steps) * 1000;
  return {
    pyodide: py.version,
    sdk: py.runPython("import importlib.metadata as m; m.version('workers-runtime-sdk')"),
    bootMs: Math.round(bootMs),
    importMs: Object.fromEntries(Object.entries(imports).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    steps,
    rounds,
    perStepUs: { sdkBareStepDo: Math.round(bareStepUs), ctxStepDo: Math.round(runtimeStepUs) },
    ratio: Math.round((runtimeStepUs / bareStepUs) * 100) / 100,
  };
}
