#!/bin/sh
# Installs the JSONC parser wrangler itself uses (Microsoft's jsonc-parser) into the git-ignored
# .cache/node/ folder, for tests/wrangler/test_jsonc_parser.py. Idempotent.
set -eu
cd "$(dirname "$0")/../.."
if [ ! -f .cache/node/node_modules/jsonc-parser/package.json ]; then
  npm install --prefix .cache/node --no-audit --no-fund --silent jsonc-parser@3
fi
