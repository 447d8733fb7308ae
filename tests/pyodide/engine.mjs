// A small Workflows engine playing Cloudflare's part for Python WorkflowEntrypoint classes
// running on real Pyodide. It owns what production owns: instance state, the durable step
// cache (keyed by step name and per-run occurrence count), hibernation and replay of the whole
// body after every sleep / waitForEvent, retries with backoff, step timeouts, event buffering,
// and the `env` Workflow bindings (class `WorkflowImpl`, the name the SDK detects).
// Time is virtual: nothing here ever sleeps for real.

const UNIT_MS = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};
const DURATION_RE = /^(\d+(?:\.\d+)?) (second|minute|hour|day|week|month|year)s?$/;
const DEFAULT_CONFIG = {
  retries: { limit: 5, delay: 10_000, backoff: "exponential" },
  timeout: "10 minutes",
};
const NON_RETRYABLE = "NonRetryableError";

/** Error raised for a contract violation the real platform would also reject. */
export class EngineContractError extends Error {
  constructor(message) {
    super(message);
    this.name = "EngineContractError";
  }
}

/** Milliseconds of a Workflows duration (a number of ms or "N unit(s)"). */
export function durationMs(value, what) {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === "string") {
    const m = DURATION_RE.exec(value.trim());
    if (m) return Number(m[1]) * UNIT_MS[m[2]];
  }
  throw new EngineContractError(`${what}: invalid duration ${describe(value)}`);
}

function describe(value) {
  if (value === null) return "null";
  if (typeof value === "function") return `function (${value.constructor?.name ?? "?"})`;
  if (typeof value === "object") return `${value.constructor?.name ?? "object"} ${safeJson(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function safeJson(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return "<unserialisable>";
  }
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

/** Validate a step config the way the engine's schema does (strict objects, known keys). */
export function resolveConfig(config) {
  if (config === undefined) return structuredClone(DEFAULT_CONFIG);
  if (!isPlainObject(config)) throw new EngineContractError(`step config must be a plain object, got ${describe(config)}`);
  for (const key of Object.keys(config)) {
    if (!["retries", "timeout", "sensitive"].includes(key)) {
      throw new EngineContractError(`step config: unexpected key ${JSON.stringify(key)}`);
    }
  }
  const out = structuredClone(DEFAULT_CONFIG);
  if (config.retries !== undefined) {
    const r = config.retries;
    if (!isPlainObject(r)) throw new EngineContractError(`step config retries must be an object, got ${describe(r)}`);
    for (const key of Object.keys(r)) {
      if (!["limit", "delay", "backoff"].includes(key)) {
        throw new EngineContractError(`step config retries: unexpected key ${JSON.stringify(key)}`);
      }
    }
    if (!(Number.isInteger(r.limit) && r.limit >= 0)) {
      throw new EngineContractError(`step config retries.limit must be an integer >= 0, got ${describe(r.limit)}`);
    }
    durationMs(r.delay, "step config retries.delay");
    if (r.backoff !== undefined && !["constant", "linear", "exponential"].includes(r.backoff)) {
      throw new EngineContractError(`step config retries.backoff: invalid ${describe(r.backoff)}`);
    }
    out.retries = { limit: r.limit, delay: r.delay, backoff: r.backoff ?? "exponential" };
  }
  if (config.timeout !== undefined) {
    durationMs(config.timeout, "step config timeout");
    out.timeout = config.timeout;
  }
  if (config.sensitive !== undefined) {
    if (config.sensitive !== "output") throw new EngineContractError(`step config sensitive: invalid ${describe(config.sensitive)}`);
    out.sensitive = "output";
  }
  return out;
}

function retryDelayMs(retries, attempt) {
  const base = durationMs(retries.delay, "retries.delay");
  if (retries.backoff === "constant") return base;
  if (retries.backoff === "linear") return base * attempt;
  return base * 2 ** (attempt - 1);
}

/** What crosses the RPC boundary: a structured clone, as the real engine stores it. */
function serialise(value, what) {
  if (value === undefined) return undefined;
  try {
    return structuredClone(value);
  } catch (err) {
    throw new EngineContractError(`${what} is not serialisable over RPC (${err.message}): ${describe(value)}`);
  }
}

/** Error as the engine records it and rethrows it into the body: name and message survive. */
function engineError(err) {
  const name = typeof err?.name === "string" ? err.name : "Error";
  const message = typeof err?.message === "string" ? err.message : String(err);
  const record = { name, message };
  if (typeof err?.type === "string") record.pythonType = err.type;
  return record;
}

function rebuildError(record) {
  const err = new Error(record.message);
  err.name = record.name;
  return err;
}

// One turn of the event loop including the timers phase, so Pyodide's WebLoop callbacks (timers
// or immediates) get to run between two checks.
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

class ExecutionContext {
  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }
  waitUntil(promise) {
    Promise.resolve(promise).catch(() => {});
  }
  passThroughOnException() {}
}

/** One execution of an instance's body, from the top (a fresh isolate after hibernation). */
class Run {
  constructor(instance) {
    this.instance = instance;
    this.counts = new Map();
    this.inFlight = 0;
    this.suspensions = [];
    this.waitingTypes = [];
    this.onSuspend = null;
    this.hibernated = false;
  }
  nextCount(name) {
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    return count;
  }
  suspend(wakeAt, reason) {
    this.suspensions.push({ wakeAt, reason });
    if (this.onSuspend) this.onSuspend();
    return new Promise(() => {});
  }
}

/** The `step` object handed to `run(event, step)`: do / sleep / sleepUntil / waitForEvent. */
class WorkflowStep {
  #engine;
  #run;
  constructor(engine, run) {
    this.#engine = engine;
    this.#run = run;
    // Like an RPC stub, the methods must not depend on `this`: the SDK's workflows.js wraps the
    // step in a Proxy whose non-`do` members are called with the Proxy as receiver.
    for (const method of ["do", "sleep", "sleepUntil", "waitForEvent"]) this[method] = this[method].bind(this);
  }

  #late(kind, name) {
    // The isolate is gone in production: nothing the abandoned body does may take effect.
    this.#run.instance.timeline.push(`LATE ${kind} ${name} after hibernation`);
    return new Promise(() => {});
  }

  async do(name, ...rest) {
    const engine = this.#engine;
    const run = this.#run;
    const inst = run.instance;
    if (run.hibernated) return this.#late("do", name);
    if (typeof name !== "string" || name.length === 0) {
      throw new EngineContractError(`step.do name must be a non-empty string, got ${describe(name)}`);
    }
    let config;
    let callback;
    if (rest.length === 1) [callback] = rest;
    else if (rest.length === 2) [config, callback] = rest;
    else throw new EngineContractError(`step.do(${name}) expects (name, [config], callback), got ${rest.length + 1} args`);
    if (typeof callback !== "function") {
      throw new EngineContractError(`step.do(${name}) callback must be a function, got ${describe(callback)}`);
    }
    const count = run.nextCount(name);
    const key = `do:${name}:${count}`;
    const cached = inst.cache.get(key);
    if (cached) {
      inst.log("do", name, count, "cached");
      if (cached.error) throw rebuildError(cached.error);
      return serialise(cached.output, `cached output of step ${name}`);
    }
    const resolved = resolveConfig(config);
    inst.configs.push({ name, count, config: config === undefined ? null : structuredClone(config) });
    const timeoutMs = durationMs(resolved.timeout, "timeout");
    run.inFlight += 1;
    try {
      for (let attempt = 1; ; attempt += 1) {
        const started = engine.now;
        const ctx = { step: { name, count }, attempt, config: structuredClone(resolved) };
        let failure;
        try {
          const out = await callback(ctx);
          if (engine.now - started > timeoutMs) {
            const err = new Error(`Execution timed out after ${timeoutMs}ms`);
            err.name = "WorkflowTimeoutError";
            throw err;
          }
          let stored;
          try {
            stored = serialise(out, `output of step ${name}`);
          } catch (err) {
            // The real engine fails the attempt when the callback's result cannot cross RPC.
            err.name = "DataCloneError";
            throw err;
          }
          inst.cache.set(key, { output: stored });
          inst.log("do", name, count, `attempt ${attempt} ok`);
          return serialise(stored, `output of step ${name}`);
        } catch (err) {
          failure = engineError(err);
        }
        inst.log("do", name, count, `attempt ${attempt} failed ${failure.name}: ${lastLine(failure.message)}`);
        inst.attemptErrors.push({ step: name, count, attempt, error: failure.name, message: failure.message, pythonType: failure.pythonType ?? null });
        if (failure.name === NON_RETRYABLE || attempt > resolved.retries.limit) {
          inst.cache.set(key, { error: failure });
          inst.log("do", name, count, failure.name === NON_RETRYABLE ? "failed (non-retryable)" : "failed (retries exhausted)");
          throw rebuildError(failure);
        }
        engine.now += retryDelayMs(resolved.retries, attempt);
      }
    } finally {
      run.inFlight -= 1;
    }
  }

  sleep(name, duration) {
    if (this.#run.hibernated) return this.#late("sleep", name);
    const ms = durationMs(duration, `step.sleep(${name})`);
    return this.#sleepTo(name, (now) => now + ms, "sleep");
  }

  sleepUntil(name, timestamp) {
    if (this.#run.hibernated) return this.#late("sleepUntil", name);
    let at;
    if (timestamp instanceof Date) at = timestamp.getTime();
    else if (typeof timestamp === "number") at = timestamp;
    else if (typeof timestamp === "string") at = Date.parse(timestamp);
    if (!Number.isFinite(at)) throw new EngineContractError(`step.sleepUntil(${name}): invalid timestamp ${describe(timestamp)}`);
    return this.#sleepTo(name, () => at, "sleepUntil");
  }

  #sleepTo(name, wakeFrom, kind) {
    const run = this.#run;
    const inst = run.instance;
    const count = run.nextCount(name);
    const key = `sleep:${name}:${count}`;
    let wakeAt = inst.timers.get(key);
    if (wakeAt === undefined) {
      wakeAt = wakeFrom(this.#engine.now);
      inst.timers.set(key, wakeAt);
      inst.log(kind, name, count, `until +${wakeAt - inst.createdAt}ms`);
    }
    if (this.#engine.now >= wakeAt) {
      if (!inst.cache.has(key)) {
        inst.cache.set(key, { output: null });
        inst.log(kind, name, count, "elapsed");
      }
      return Promise.resolve(undefined);
    }
    return run.suspend(wakeAt, `${kind} ${name}`);
  }

  async waitForEvent(name, options) {
    const run = this.#run;
    if (run.hibernated) return this.#late("waitForEvent", name);
    const inst = run.instance;
    const engine = this.#engine;
    if (!isPlainObject(options) || typeof options.type !== "string") {
      throw new EngineContractError(`step.waitForEvent(${name}) options must be {type, timeout?}, got ${describe(options)}`);
    }
    const count = run.nextCount(name);
    const key = `wait:${name}:${count}`;
    const cached = inst.cache.get(key);
    if (cached) {
      if (cached.error) throw rebuildError(cached.error);
      return serialise(cached.output, "event");
    }
    const timeoutMs = durationMs(options.timeout ?? "24 hours", `step.waitForEvent(${name}) timeout`);
    let deadline = inst.timers.get(key);
    if (deadline === undefined) {
      deadline = engine.now + timeoutMs;
      inst.timers.set(key, deadline);
      inst.log("waitForEvent", name, count, `type ${options.type}`);
    }
    const index = inst.inbox.findIndex((e) => e.type === options.type);
    if (index >= 0) {
      const [event] = inst.inbox.splice(index, 1);
      const output = { payload: event.payload, timestamp: new Date(event.at), type: event.type };
      inst.cache.set(key, { output });
      inst.log("waitForEvent", name, count, `received ${event.type}`);
      return serialise(output, "event");
    }
    if (engine.now >= deadline) {
      const error = { name: "WorkflowTimeoutError", message: `Execution timed out after ${timeoutMs}ms` };
      inst.cache.set(key, { error });
      inst.log("waitForEvent", name, count, "timed out");
      throw rebuildError(error);
    }
    run.waitingTypes.push(options.type);
    return run.suspend(deadline, `waitForEvent ${name}`);
  }
}

function lastLine(message) {
  const lines = String(message).split("\n").filter((l) => l.trim() !== "");
  return lines.at(-1) ?? "";
}

class Instance {
  constructor(engine, workflow, id, params) {
    this.engine = engine;
    this.workflow = workflow;
    this.id = id;
    this.params = params;
    this.createdAt = engine.now;
    this.status = "queued";
    this.output = undefined;
    this.error = undefined;
    this.cache = new Map();
    this.timers = new Map();
    this.inbox = [];
    this.wakeAt = null;
    this.waitingTypes = [];
    this.runs = 0;
    this.timeline = [];
    this.attemptErrors = [];
    this.configs = [];
  }
  log(kind, name, count, what) {
    this.timeline.push(`${kind} ${name}#${count} ${what}`);
  }
  statusRecord() {
    const record = { status: this.status };
    if (this.error) record.error = { name: this.error.name, message: this.error.message };
    if (this.output !== undefined) record.output = structuredClone(this.output);
    return record;
  }
  runnable(now) {
    if (this.status === "queued") return true;
    if (this.status !== "waiting") return false;
    if (this.wakeAt !== null && now >= this.wakeAt) return true;
    return this.inbox.some((e) => this.waitingTypes.includes(e.type));
  }
}

/** `env.<BINDING>.get(id)` result (workerd's InstanceImpl): id plus async controls. */
class InstanceImpl {
  #engine;
  constructor(engine, id) {
    this.#engine = engine;
    this.id = id;
  }
  #inst() {
    return this.#engine.instance(this.id);
  }
  async status() {
    return this.#inst().statusRecord();
  }
  async pause() {
    const inst = this.#inst();
    if (["queued", "running", "waiting"].includes(inst.status)) inst.status = "paused";
  }
  async resume() {
    const inst = this.#inst();
    if (inst.status === "paused") inst.status = inst.wakeAt === null && inst.runs === 0 ? "queued" : "waiting";
  }
  async terminate(options) {
    const inst = this.#inst();
    inst.terminateOptions = options === undefined ? null : structuredClone(options);
    if (!["complete", "errored"].includes(inst.status)) inst.status = "terminated";
  }
  async restart(options) {
    const inst = this.#inst();
    inst.restartOptions = options === undefined ? null : structuredClone(options);
    inst.cache.clear();
    inst.timers.clear();
    inst.status = "queued";
    inst.output = undefined;
    inst.error = undefined;
  }
  async sendEvent(event) {
    if (!isPlainObject(event) || typeof event.type !== "string") {
      throw new EngineContractError(`sendEvent expects {type, payload}, got ${describe(event)}`);
    }
    this.#engine.deliver(this.id, event.type, serialise(event.payload, "event payload"));
  }
}

/** The Workflow binding on `env` (workerd's class name is what the Python SDK detects). */
export class WorkflowImpl {
  #engine;
  #workflow;
  constructor(engine, workflow) {
    this.#engine = engine;
    this.#workflow = workflow;
  }
  async create(options) {
    const inst = this.#engine.create(this.#workflow, options ?? {});
    return new InstanceImpl(this.#engine, inst.id);
  }
  async createBatch(list) {
    if (!Array.isArray(list)) throw new EngineContractError(`createBatch expects an array, got ${describe(list)}`);
    if (list.length === 0 || list.length > 100) throw new EngineContractError("createBatch takes 1 to 100 instances");
    return list.map((options) => new InstanceImpl(this.#engine, this.#engine.create(this.#workflow, options).id));
  }
  async get(id) {
    const inst = this.#engine.instances.get(id);
    if (!inst || inst.workflow !== this.#workflow) throw new Error("instance.not_found");
    return new InstanceImpl(this.#engine, id);
  }
}

const ID_RE = /^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/;

export class Engine {
  /**
   * @param {object} opts
   * @param {(className: string) => any} opts.resolveClass  Python class (PyProxy) by name
   * @param {"abandon"|"cancel"} [opts.onSuspend]  what happens to a hibernating body: production
   *   simply drops the isolate ("abandon"); "cancel" cancels the asyncio task instead, so a
   *   BaseException unwinds the body (what a local engine may do).
   */
  constructor({ resolveClass, ensureFuture, onSuspend = "abandon", vars = {} }) {
    this.resolveClass = resolveClass;
    this.ensureFuture = ensureFuture;
    this.onSuspend = onSuspend;
    this.vars = vars;
    this.now = Date.UTC(2026, 0, 1, 12, 0, 0);
    this.start = this.now;
    this.workflows = new Map();
    this.instances = new Map();
    this.scheduled = [];
    this.idCounter = 0;
    this.totalRuns = 0;
  }

  /** Register a workflow: `name` (deployed), `binding` (env key), `className` (Python class). */
  register({ name, binding, className }) {
    const workflow = { name, binding, className };
    this.workflows.set(name, workflow);
    return workflow;
  }

  env() {
    const env = { ...this.vars };
    for (const wf of this.workflows.values()) {
      if (wf.binding) env[wf.binding] = new WorkflowImpl(this, wf);
    }
    return env;
  }

  instance(id) {
    const inst = this.instances.get(id);
    if (!inst) throw new Error("instance.not_found");
    return inst;
  }

  create(workflow, options) {
    if (typeof workflow === "string") workflow = this.workflows.get(workflow);
    if (!isPlainObject(options)) throw new EngineContractError(`create options must be a plain object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (!["id", "params", "retention", "locationHint"].includes(key)) {
        throw new EngineContractError(`create options: unexpected key ${JSON.stringify(key)}`);
      }
    }
    const id = options.id ?? `inst-${++this.idCounter}`;
    if (typeof id !== "string" || id.length > 100 || !ID_RE.test(id)) throw new Error(`invalid instance id ${JSON.stringify(id)}`);
    if (this.instances.has(id)) throw new Error(`instance.already_exists: ${id}`);
    const params = serialise(options.params === undefined ? {} : options.params, "instance params");
    const inst = new Instance(this, workflow, id, params);
    inst.retention = options.retention ?? null;
    this.instances.set(id, inst);
    return inst;
  }

  deliver(id, type, payload) {
    const inst = this.instance(id);
    inst.inbox.push({ type, payload, at: this.now });
    inst.timeline.push(`event ${type} delivered`);
  }

  /** Deliver an event from outside at a virtual time offset (ms after the engine started). */
  scheduleEvent(id, type, payload, atOffsetMs) {
    this.scheduled.push({ id, type, payload, at: this.start + atOffsetMs });
  }

  async runOnce(inst) {
    inst.runs += 1;
    this.totalRuns += 1;
    inst.status = "running";
    inst.wakeAt = null;
    inst.waitingTypes = [];
    inst.timeline.push(inst.runs === 1 ? "run" : "replay");
    const run = new Run(inst);
    const step = new WorkflowStep(this, run);
    const env = this.env();
    const ctx = new ExecutionContext();
    const event = {
      payload: serialise(inst.params, "params"),
      timestamp: new Date(inst.createdAt),
      instanceId: inst.id,
      workflowName: inst.workflow.name,
    };
    let suspended;
    const suspendedSignal = new Promise((resolve) => {
      suspended = resolve;
    });
    run.onSuspend = () => suspended();
    let task = null;
    const body = (async () => {
      // workerd: the JS entrypoint class constructs the Python class with (ctx, env), then calls
      // pyInstance.run(event, step) as a relaxed call (extra arguments are dropped).
      const cls = this.resolveClass(inst.workflow.className);
      const pyInstance = cls(ctx, env);
      try {
        const result = pyInstance.run.callRelaxed(event, step);
        task = this.ensureFuture(result);
        // Awaiting a PyProxy consumes it; keep `task` alive for a later cancel().
        return await task.copy();
      } finally {
        pyInstance.destroy?.();
      }
    })();
    const settled = body.then(
      (value) => ({ kind: "done", value }),
      (error) => ({ kind: "error", error }),
    );
    let outcome = await Promise.race([settled, suspendedSignal.then(() => ({ kind: "suspend" }))]);
    if (outcome.kind === "suspend") {
      outcome = await this.#settleSuspension(run, settled);
    }
    if (outcome.kind === "done") {
      try {
        inst.output = serialise(outcome.value, "workflow output");
        inst.status = "complete";
        inst.timeline.push("complete");
      } catch (err) {
        inst.status = "errored";
        inst.error = engineError(err);
        inst.timeline.push(`errored ${err.name}`);
      }
      if (outcome.value && typeof outcome.value.destroy === "function") outcome.value.destroy();
    } else if (outcome.kind === "error") {
      inst.status = "errored";
      inst.error = engineError(outcome.error);
      inst.timeline.push(`errored ${inst.error.pythonType ?? inst.error.name}`);
    } else {
      run.hibernated = true;
      inst.status = "waiting";
      inst.wakeAt = Math.min(...run.suspensions.map((s) => s.wakeAt));
      inst.waitingTypes = run.waitingTypes;
      inst.timeline.push("hibernate");
      if (this.onSuspend === "cancel" && task) {
        task.cancel();
        const after = await settled;
        inst.cancelOutcome = after.kind === "error" ? after.error.type ?? after.error.name : after.kind;
        inst.timeline.push(`cancelled -> ${inst.cancelOutcome}`);
      }
    }
  }

  // A body that asked to hibernate may still have other branches with steps in flight (gather);
  // the isolate only hibernates once nothing is running any more.
  async #settleSuspension(run, settled) {
    let done = null;
    settled.then((o) => {
      done = o;
    });
    let quiet = 0;
    for (let i = 0; i < 10_000 && quiet < 5; i += 1) {
      await tick();
      if (done) return done;
      quiet = run.inFlight === 0 ? quiet + 1 : 0;
    }
    return { kind: "suspend" };
  }

  /** Run every instance until nothing can make progress (all complete, errored or blocked). */
  async runUntilIdle({ maxRuns = 500 } = {}) {
    for (let guard = 0; guard < maxRuns; guard += 1) {
      const due = this.scheduled.filter((s) => s.at <= this.now);
      this.scheduled = this.scheduled.filter((s) => s.at > this.now);
      for (const s of due) this.deliver(s.id, s.type, s.payload);
      const runnable = [...this.instances.values()].find((i) => i.runnable(this.now));
      if (runnable) {
        await this.runOnce(runnable);
        continue;
      }
      const wakes = [...this.instances.values()]
        .filter((i) => i.status === "waiting" && i.wakeAt !== null)
        .map((i) => i.wakeAt)
        .concat(this.scheduled.map((s) => s.at));
      if (wakes.length === 0) return;
      this.now = Math.max(this.now, Math.min(...wakes));
    }
    throw new Error(`engine did not settle within ${maxRuns} runs`);
  }
}
