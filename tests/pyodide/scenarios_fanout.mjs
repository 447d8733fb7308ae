// Fan-out scenarios (ctx.parallel / branch / ctx.spawn) on real Pyodide + the real SDK.
// Registered in scenarios.mjs; checks in tests/pyodide/fanout_checks.py. Named runtime.* so the
// CPython test engine is compared with the same runs (test_cpython_engine_agrees).

const MODULE = "fanout_flows";

function fan(id, instanceId, params, extra = {}) {
  return {
    id,
    module: MODULE,
    specsModule: MODULE,
    start: [{ workflow: "fan", id: instanceId, params }],
    ...extra,
  };
}

const FORGED = {
  event_type: "lunora-branch-victim-c0",
  index: 0,
  parent_binding: "SECRETS",
  parent_id: "victim",
};

export const FANOUT_SCENARIOS = [
  fan("runtime.fanout.success", "fan-ok", {
    items: [{ item: "slow", delay: "3 minutes" }, { item: "fast" }, { item: "medium!", delay: "1 minute" }],
  }),
  fan("runtime.fanout.fail-first", "fan-fail", {
    items: [
      { item: "slow", delay: "3 minutes" },
      { item: "bad", fail: true, delay: "1 minute" },
      { item: "ok" },
    ],
    compensate: true,
  }),
  fan("runtime.fanout.join-timeout", "fan-late", {
    items: [{ item: "a" }, { item: "z", delay: "2 hours" }],
    timeout: "1 hour",
    compensate: true,
  }),
  fan("runtime.fanout.replay", "fan-replay", {
    items: [
      { item: "i0" },
      { item: "i1", delay: "1 minute" },
      { item: "i2", delay: "2 minutes" },
      { item: "i3", delay: "5 minutes" },
    ],
  }),
  fan("runtime.fanout.compensation-order", "fan-comp", {
    items: [
      { item: "a" },
      { item: "b", delay: "1 minute" },
      { item: "c", delay: "2 minutes" },
      { item: "d", fail: true, delay: "3 minutes" },
      { item: "e", delay: "10 minutes" },
    ],
    compensate: true,
  }),
  fan("runtime.fanout.duplicate-ids", "fan-dup", {
    items: [{ item: "a" }, { item: "b" }],
    ids: ["same", "same"],
  }),
  fan("runtime.fanout.too-large", "fan-big", { items: [{ item: "a", big: 1_100_000 }] }),
  {
    id: "runtime.fanout.100",
    module: MODULE,
    specsModule: MODULE,
    maxRuns: 1000,
    start: [{ workflow: "many", id: "many-100", params: { count: 100 } }],
  },
  {
    id: "runtime.fanout.101",
    module: MODULE,
    specsModule: MODULE,
    start: [{ workflow: "many", id: "many-101", params: { count: 101 } }],
  },
  {
    id: "runtime.fanout.spawn",
    module: MODULE,
    specsModule: MODULE,
    start: [
      { workflow: "spawner", id: "spawner-1", params: { item: "abc" } },
      // An explicit id that is already taken: the spawn attaches instead of failing.
      { workflow: "work", id: "report-7", params: { item: "already" } },
      { workflow: "spawner", id: "spawner-2", params: { item: "abc", id: "report-7" } },
    ],
  },
  {
    id: "runtime.fanout.forged-marker",
    module: MODULE,
    specsModule: MODULE,
    start: [
      { workflow: "fan", id: "victim", params: { items: [{ item: "slow", delay: "1 hour" }] } },
      { workflow: "work", id: "forged-1", params: { item: "abc", __lunora_branch: FORGED } },
      {
        workflow: "work",
        id: "forged-2",
        params: { item: "abc", __lunora_branch: { ...FORGED, parent_binding: "WORKFLOW_FAN", extra: 1 } },
      },
    ],
  },
  // The example app's media pipeline, through entry.py and its generated SPECS.
  {
    id: "example.media-pipeline",
    module: "entry",
    specsModule: "lunora._generated.workflows",
    start: [
      {
        workflow: "media-pipeline",
        id: "media-1",
        params: { media_id: "m1", url: "https://cdn.example.com/cats/sunny-beach.jpg" },
      },
    ],
  },
];
