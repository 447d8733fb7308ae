// Scenarios the harness runs in each step mode. A scenario names the Python module to import
// (the Worker's main module), the workflows to register (deployed name, env binding, class),
// the instances to start and events to deliver from outside. The harness reports what happened
// (status, output, error, timeline, Python-side observations); the assertions live in
// tests/pyodide/test_pyodide.py.

const sdk = (className, name, binding) => ({ name, binding, className });
const SDK_MODULE = "sdk_workflows";

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
];
