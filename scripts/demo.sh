#!/usr/bin/env bash
# The main job on a fresh machine: install, index a real repository (Go's standard library,
# ~7,400 files of Go, assembly, C and text that no one here wrote) on the embedded store, search it.
#
#   npm run demo                       # lexical-only unless a model is available (see README)
#   CODEIDX_MODEL=<model dir or id> npm run demo
#   DEMO_REPO=/path/to/any/tree npm run demo
set -euo pipefail
cd "$(dirname "$0")/.."

export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
if [ ! -d node_modules/better-sqlite3/build ]; then
  echo "== installing dependencies (npm ci; better-sqlite3 builds from source: about a minute)"
  npm ci --no-fund --no-audit
fi

GO_SRC=/usr/share/go-1.19/src
REPO="${DEMO_REPO:-$GO_SRC}"
if [ ! -d "$REPO" ]; then
  if [ "$REPO" = "$GO_SRC" ] && [ "$(id -u)" = 0 ]; then
    echo "== installing Go's standard library sources (Debian package golang-1.19-src)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-1.19-src
  else
    echo "error: $REPO does not exist. Install it with: sudo apt-get install golang-1.19-src, or set DEMO_REPO=<folder>" >&2
    exit 2
  fi
fi

DATA="${DEMO_DATA_DIR:-.codeidx-demo}"
MODEL_ARGS=()
[ -n "${CODEIDX_MODEL:-}" ] && MODEL_ARGS=(--model "$CODEIDX_MODEL")

echo "== codeidx index $REPO"
npx tsx src/cli/index.ts index "$REPO" --data-dir "$DATA" --repo golang/go --ref refs/tags/go1.19 "${MODEL_ARGS[@]}"
echo
echo "== codeidx index again (unchanged tree: nothing to do)"
npx tsx src/cli/index.ts index "$REPO" --data-dir "$DATA" --repo golang/go --ref refs/tags/go1.19 --quiet "${MODEL_ARGS[@]}" | head -3
for q in "parse http request header" "gzip writer flush" "sort slice stable"; do
  echo
  echo "== codeidx search \"$q\" -k 3"
  npx tsx src/cli/index.ts search "$q" --dir "$REPO" --data-dir "$DATA" -k 3 --lines 4
done
echo
npx tsx src/cli/index.ts status --dir "$REPO" --data-dir "$DATA"
