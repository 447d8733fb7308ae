// Boots real Pyodide 0.28.2 (npm) the way workerd prepares a Python Worker, as far as the
// workflow code path needs it: the REAL `workers-runtime-sdk` wheel installed into
// site-packages, the two runtime-injected modules the SDK imports
// (`_pyodide_entrypoint_helper`, `_cloudflare_compat_flags`, both registered as JS modules
// exactly like workerd's `pyodide.registerJsModule` calls), and the SDK's own ES module
// (`python_modules/workers/workflows.js`) served from the installed wheel through a real
// dynamic `import()`.

import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const PYODIDE_VERSION = "0.28.2";
export const SDK_VERSION = "1.9.5";

export function paths(root) {
  const cache = join(root, ".cache");
  return {
    root,
    pyodideDir: join(cache, "node", "node_modules", "pyodide"),
    sdkWheel: join(cache, "wheels", `workers_runtime_sdk-${SDK_VERSION}-py3-none-any.whl`),
    runtimeDir: join(root, "lunora_workflow"),
    fixturesDir: join(root, "tests", "pyodide", "fixtures"),
    exampleSrc: join(root, "examples", "chat-app", "src"),
  };
}

export function missingSetup(p) {
  const missing = [];
  if (!existsSync(join(p.pyodideDir, "pyodide.mjs"))) missing.push(`npm pyodide@${PYODIDE_VERSION} (${p.pyodideDir})`);
  if (!existsSync(p.sdkWheel)) missing.push(`workers-runtime-sdk==${SDK_VERSION} wheel (${p.sdkWheel})`);
  return missing;
}

/** Copy a host directory of Python sources into the Pyodide file system. */
function copyTree(py, from, to) {
  py.FS.mkdirTree(to);
  for (const name of readdirSync(from)) {
    if (name === "__pycache__" || name.startsWith(".")) continue;
    const src = join(from, name);
    const dst = `${to}/${name}`;
    if (statSync(src).isDirectory()) copyTree(py, src, dst);
    else if (name.endsWith(".py") || name.endsWith(".typed")) py.FS.writeFile(dst, readFileSync(src));
  }
}

/**
 * Load one Pyodide with the given compat flags. Flags are fixed for the lifetime of the
 * interpreter, as they are for a Worker isolate.
 */
export async function bootPyodide({ root, implicitDependencies, withExample = true, quiet = true }) {
  const p = paths(root);
  const { loadPyodide } = await import(pathToFileURL(join(p.pyodideDir, "pyodide.mjs")).href);
  const stdout = [];
  const py = await loadPyodide({
    indexURL: p.pyodideDir + sep,
    stdout: (line) => (quiet ? stdout.push(line) : console.error(line)),
    stderr: (line) => (quiet ? stdout.push(line) : console.error(line)),
  });

  const sitePackages = py.runPython("import site; site.getsitepackages()[0]");
  const cloudflareWorkers = { env: {} };
  const jsModules = new Map();
  const waitUntilPatched = new WeakSet();

  // What workerd's python-entrypoint-helper exposes to Python; only the members the SDK uses.
  const entrypointHelper = {
    cloudflareWorkersModule: cloudflareWorkers,
    cloudflareSocketsModule: {},
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkers;
      const prefix = "python_modules/";
      if (!name.startsWith(prefix)) throw new Error(`harness: no module ${JSON.stringify(name)}`);
      if (!jsModules.has(name)) {
        // wrangler uploads python_modules/workers/*.js as ES modules; python_modules/ is the
        // synced site-packages, so the file comes from the installed wheel.
        const source = py.FS.readFile(`${sitePackages}/${name.slice(prefix.length)}`);
        const url = `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`;
        jsModules.set(name, await import(url));
      }
      return jsModules.get(name);
    },
    patchWaitUntil(ctx) {
      if (Object.prototype.toString.call(ctx) !== "[object ExecutionContext]") return;
      waitUntilPatched.add(ctx);
    },
    patch_env_helper() {
      throw new Error("harness: patch_env is not provided");
    },
  };
  const compatFlags = {
    python_workers: true,
    python_workflows: true,
    enable_python_external_sdk: true,
    python_workflows_implicit_dependencies: implicitDependencies,
  };
  py.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper);
  py.registerJsModule("_cloudflare_compat_flags", compatFlags);

  py.FS.writeFile("/tmp/sdk.whl", readFileSync(p.sdkWheel));
  py.runPython(`
import zipfile
with zipfile.ZipFile("/tmp/sdk.whl") as whl:
    whl.extractall(${JSON.stringify(sitePackages)})
`);
  copyTree(py, p.runtimeDir, `${sitePackages}/lunora_workflow`);
  copyTree(py, p.fixturesDir, "/session/fixtures");
  const sysPath = ["/session/fixtures"];
  if (withExample && existsSync(p.exampleSrc)) {
    // workerd puts the Worker's modules in /session/metadata, the main module's directory.
    copyTree(py, p.exampleSrc, "/session/metadata");
    sysPath.unshift("/session/metadata");
  }
  py.runPython(`import sys\nsys.path[:0] = ${JSON.stringify(sysPath)}`);

  const asyncio = py.pyimport("asyncio");
  return {
    py,
    sitePackages,
    compatFlags,
    entrypointHelper,
    cloudflareWorkers,
    jsModules,
    waitUntilPatched,
    stdout,
    ensureFuture: (awaitable) => asyncio.ensure_future(awaitable),
  };
}

export function relativeToRoot(root, path) {
  return relative(root, path);
}
