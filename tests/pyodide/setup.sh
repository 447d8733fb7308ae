#!/bin/sh
# Fetch what the Pyodide conformance harness needs into the git-ignored .cache/ folder:
#   .cache/node/node_modules/pyodide   npm pyodide@0.28.2 (Python 3.13.2, what Python Workers run)
#   .cache/wheels/workers_runtime_sdk-1.9.5-py3-none-any.whl   Cloudflare's Python Workers SDK
# Idempotent: each download is skipped when its pinned version is already in place.
# Override the interpreter used for pip with PYTHON=... (default: the repo's .venv, else python3).
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
CACHE="$ROOT/.cache"
PYODIDE_VERSION=0.28.2
SDK_VERSION=1.9.5
SDK_WHEEL="workers_runtime_sdk-$SDK_VERSION-py3-none-any.whl"

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

command -v node >/dev/null 2>&1 || { echo "setup.sh: Node.js >= 20 is required (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm is required (apt-get install npm)" >&2; exit 1; }

mkdir -p "$CACHE/node" "$CACHE/wheels"

installed=$(node -e "try{process.stdout.write(require('$CACHE/node/node_modules/pyodide/package.json').version)}catch(e){}")
if [ "$installed" != "$PYODIDE_VERSION" ]; then
  [ -f "$CACHE/node/package.json" ] || printf '{"private": true}\n' > "$CACHE/node/package.json"
  npm install --prefix "$CACHE/node" --no-audit --no-fund --save-exact "pyodide@$PYODIDE_VERSION"
fi

if [ ! -f "$CACHE/wheels/$SDK_WHEEL" ]; then
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "$CACHE/wheels" "workers-runtime-sdk==$SDK_VERSION"
fi

echo "pyodide $PYODIDE_VERSION: $CACHE/node/node_modules/pyodide"
echo "workers-runtime-sdk $SDK_VERSION: $CACHE/wheels/$SDK_WHEEL"
