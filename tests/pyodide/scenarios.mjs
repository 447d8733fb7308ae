// Scenarios the harness runs in each step mode. A scenario names the Python module to import
// (the Worker's main module), the workflows to register (deployed name, env binding, class),
// the instances to start and events to deliver from outside. The harness reports what happened
// (status, output, error, timeline, Python-side observations); the assertions live in
// tests/pyodide/test_pyodide.py.

import { FANOUT_SCENARIOS } from "./scenarios_fanout.mjs";

const sdk = (className, name, binding) => ({ name, binding, className });
const SDK_MODULE = "sdk_workflows";
const RUNTIME_MODULE = "runtime_matrix";

function example(id, workflow, params, events = []) {
  const instanceId = `${workflow}-1`;
  return {
    id,
    module: "entry",
    specsModule: "lunora._generated.workflows",
    vars: { SUPPORT_EMAIL: "support@example.com" },
    start: [{ workflow, id: instanceId, params }],
    events: events.map((e) => ({ id: instanceId, ...e })),
  };
}

function runtime(id, className, name, { params = {}, onSuspend } = {}) {
  const instanceId = `${name}-1`;
  return [
    {
      id,
      module: RUNTIME_MODULE,
      onSuspend,
      workflows: [{ name, binding: `WORKFLOW_${name.toUpperCase().replaceAll("-", "_")}`, className }],
      start: [{ workflow: name, id: instanceId, params }],
    },
  ];
}

export const SCENARIOS = [
  {
    id: "sdk.steps",
    module: SDK_MODULE,
    workflows: [sdk("SdkSteps", "sdk-steps", "SDK_STEPS")],
    start: [{ workflow: "sdk-steps", id: "steps-1", params: { user: "ada", nested: { k: [1, 2] } } }],
  },
  {
    id: "sdk.modes",
    module: SDK_MODULE,
    workflows: [sdk("SdkModes", "sdk-modes", "SDK_MODES")],
    start: [{ workflow: "sdk-modes", id: "modes-1", params: {} }],
  },
  {
    id: "sdk.sleep",
    module: SDK_MODULE,
    workflows: [sdk("SdkSleep", "sdk-sleep", "SDK_SLEEP")],
    start: [{ workflow: "sdk-sleep", id: "sleep-1", params: {} }],
  },
  {
    id: "sdk.sleep.cancel",
    module: SDK_MODULE,
    onSuspend: "cancel",
    workflows: [sdk("SdkSleep", "sdk-sleep", "SDK_SLEEP")],
    start: [{ workflow: "sdk-sleep", id: "sleep-2", params: {} }],
  },
  {
    id: "sdk.wait",
    module: SDK_MODULE,
    workflows: [sdk("SdkWait", "sdk-wait", "SDK_WAIT")],
    start: [{ workflow: "sdk-wait", id: "wait-1", params: {} }],
    events: [
      { id: "wait-1", type: "early-type", payload: { early: true }, at: 0 },
      { id: "wait-1", type: "late-type", payload: { late: 1 }, at: 30 * 60_000 },
    ],
  },
  {
    id: "sdk.retry",
    module: SDK_MODULE,
    workflows: [sdk("SdkRetry", "sdk-retry", "SDK_RETRY")],
    start: [{ workflow: "sdk-retry", id: "retry-1", params: {} }],
  },
  {
    id: "sdk.body-nonretryable",
    module: SDK_MODULE,
    workflows: [sdk("SdkBodyNonRetryable", "sdk-body", "SDK_BODY")],
    start: [{ workflow: "sdk-body", id: "body-1", params: {} }],
  },
  {
    id: "sdk.fanout",
    module: SDK_MODULE,
    workflows: [sdk("SdkParent", "sdk-parent", "SDK_PARENT"), sdk("SdkChild", "sdk-child", "SDK_CHILD")],
    start: [{ workflow: "sdk-parent", id: "parent-1", params: {} }],
  },

  // The runtime's feature matrix (lunora_workflow), through generated-style classes.
  ...runtime("runtime.step-forms", "StepFormsWorkflow", "step-forms", { params: { who: "ada" } }),
  ...runtime("runtime.retrying", "RetryingWorkflow", "retrying"),
  ...runtime("runtime.catch-non-retryable", "CatchNonRetryableWorkflow", "catch-non-retryable"),
  ...runtime("runtime.sleeper", "SleeperWorkflow", "sleeper"),
  {
    ...runtime("runtime.waiter", "WaiterWorkflow", "waiter")[0],
    events: [{ id: "waiter-1", type: "approval", payload: { ok: true }, at: 10 * 60_000 }],
  },
  ...runtime("runtime.typed-steps", "TypedStepsWorkflow", "typed-steps"),
  ...runtime("runtime.saga", "SagaWorkflow", "saga", { params: { order: "o-9" } }),
  ...runtime("runtime.saga.cancel", "SagaWorkflow", "saga", { params: { order: "o-9" }, onSuspend: "cancel" }),
  ...runtime("runtime.body-fails", "BodyFailsWorkflow", "body-fails"),
  {
    id: "runtime.handles",
    module: RUNTIME_MODULE,
    workflows: [
      { name: "parent", binding: "WORKFLOW_PARENT", className: "ParentWorkflow" },
      { name: "child", binding: "WORKFLOW_CHILD", className: "ChildWorkflow" },
    ],
    start: [{ workflow: "parent", id: "parent-1", params: {} }],
  },

  // The example app (examples/chat-app/src): main module entry.py, bindings from the generated
  // SPECS, as `lunora codegen` wires them into wrangler.jsonc.
  example("example.welcome", "channel-welcome", { channel_id: "general", user_name: "ada" }),
  example("example.order", "orders", { order_id: "o-1", sku: "sku-7", quantity: 2, amount_cents: 1250 }),
  example("example.order.rollback", "orders", { order_id: "o-2", sku: "sku-7", quantity: 1, amount_cents: 0 }),
  example("example.approval.approved", "expense-approval", { request_id: "x-1", amount_cents: 9900 }, [
    { type: "approval", payload: { approved: true }, at: 3_600_000 },
  ]),
  example("example.approval.rejected", "expense-approval", { request_id: "x-2", amount_cents: 100 }, [
    { type: "approval", payload: { approved: false }, at: 60_000 },
  ]),
  example("example.approval.no-answer", "expense-approval", { request_id: "x-3", amount_cents: 100 }),

  // A deliberately broken runtime must fail here: run_durable swapped for a variant that calls
  // step.do the way one mode (or both) rejects.
  ...["unnamed", "non-ctx-parameter"].map((variant) => ({
    ...runtime(`broken.${variant}`, "StepFormsWorkflow", "step-forms", { params: { who: "ada" } })[0],
    setup: `import broken_runtime\nbroken_runtime.install(${JSON.stringify(variant)})`,
    teardown: "import broken_runtime\nbroken_runtime.uninstall()",
  })),

  ...FANOUT_SCENARIOS,
];
