#!/usr/bin/env bash
# Side-by-side A/B of the GitHub Action on a push that renames 100 files (`git mv`, same files on both
# sides), alternating OLD and NEW in one session so that machine noise hits both alike.
#
#   OLD = the action built from commit $OLD_REF (a git worktree in $OLD_DIR, node_modules linked),
#         on its own copy of the repository, its own store and its own fake Actions cache, cold-indexed
#         by OLD itself first (so the store and cache have OLD's layout);
#   NEW = this checkout's dist/action, copied into the benchmark's installed action, on the kept workspace.
# Both run without a loader hook: their node_modules is the installed action's (links to this
# checkout's packages, with the fake @actions/cache).
#
# Needs a kept action benchmark workspace: `npm run bench -- --only action --keep` first.
# Usage: OLD_REF=<commit> ROUNDS=4 bash bench/action-ab.sh   (prints one line per run: wall time of the
# `node dist/action/index.js` process and the pipeline's phases from the job summary).
# MV_PAIRS=<file of "path other-path" lines> renames that fixed set back and forth instead of 100 random
# files per round (e.g. the benchmark's own set: `git diff --name-status -M HEAD~1 HEAD` of the kept
# workspace's monorepo after a §8 run).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(ls -d "$REPO_ROOT"/bench/.work/run-*/action | tail -1)
OLD_REF=${OLD_REF:?set OLD_REF to the commit to compare against}
OLD_DIR=${OLD_DIR:-/tmp/codeidx-ab-old}
ROUNDS=${ROUNDS:-4}
INSTALL=$W/installed-action
if [ ! -f "$OLD_DIR/dist/action/index.js" ]; then
  git -C "$REPO_ROOT" worktree add -f "$OLD_DIR" "$OLD_REF" -q
  ln -sfn "$REPO_ROOT/node_modules" "$OLD_DIR/node_modules"
  (cd "$OLD_DIR" && if grep -q bundle-action package.json; then npm run build --silent; else npx tsc -p tsconfig.build.json; fi)
fi
ln -sfn "$INSTALL/node_modules" "$OLD_DIR/node_modules"
(cd "$REPO_ROOT" && npm run build --silent)
rm -rf "$INSTALL/dist/action" && cp -r "$REPO_ROOT/dist/action" "$INSTALL/dist/action"

run() { # label dir repo store fake before after created
  local label=$1 dir=$2 repo=$3 store=$4 fake=$5 before=$6 after=$7 created=$8
  local R; R=$(mktemp -d "$W/ab-XXXX"); mkdir -p "$R/runner-temp"
  echo "{\"ref\":\"refs/heads/main\",\"before\":\"$before\",\"after\":\"$after\",\"created\":$created,\"deleted\":false,\"forced\":false,\"repository\":{\"full_name\":\"bench/monorepo\",\"name\":\"monorepo\",\"owner\":{\"login\":\"bench\"}}}" > "$R/event.json"
  : > "$R/output"; : > "$R/summary.md"
  local t0 t1; t0=$(date +%s.%N)
  (cd "$repo" && env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$R/event.json" GITHUB_OUTPUT="$R/output" \
    GITHUB_STEP_SUMMARY="$R/summary.md" GITHUB_REPOSITORY=bench/monorepo GITHUB_WORKSPACE="$repo" GITHUB_RUN_ID="$RANDOM$RANDOM" \
    GITHUB_RUN_ATTEMPT=1 GITHUB_SHA="$after" GITHUB_REF=refs/heads/main RUNNER_TEMP="$R/runner-temp" HF_ENDPOINT=http://127.0.0.1:9 \
    CODEIDX_MODEL_CACHE="$W/model-cache" CODEIDX_BENCH_FAKE_CACHE="$fake" INPUT_STORE_PATH="$store" \
    node "$dir/dist/action/index.js" > "$R/stdout" 2>&1) || { echo "$label FAILED"; tail -5 "$R/stdout"; exit 1; }
  t1=$(date +%s.%N)
  printf '%s wall %.2f s | %s\n' "$label" "$(echo "$t1 - $t0" | bc)" "$(grep -o 'Duration</td><td>[^<]*' "$R/summary.md" | sed 's/.*<td>//')"
}

NEW_REPO=$W/monorepo
OLD_REPO=$W/ab-old-monorepo
if [ ! -d "$OLD_REPO" ]; then
  cp -r "$NEW_REPO" "$OLD_REPO"; mkdir -p "$W/ab-old-store" "$W/ab-old-fake"
  run OLD-cold-index "$OLD_DIR" "$OLD_REPO" "$W/ab-old-store" "$W/ab-old-fake" 0000000000000000000000000000000000000000 "$(git -C "$OLD_REPO" rev-parse HEAD)" true
fi
for i in $(seq 1 "$ROUNDS"); do
  if [ -n "${MV_PAIRS:-}" ]; then
    # A fixed set: lines "<path> <other path>", moved from whichever name exists to the other one
    # (e.g. the benchmark's own 100 files: there, back, there again).
    for repo in "$NEW_REPO" "$OLD_REPO"; do
      (cd "$repo"; while read -r a b; do if [ -e "$a" ]; then git mv "$a" "$b"; else git mv "$b" "$a"; fi; done < "$MV_PAIRS"
       git -c user.email=bench@codeidx -c user.name=bench commit -qm "A/B fixed rename round $i")
    done
  else
    # Files present in both copies (a NEW-only profiling run may have renamed some).
    comm -12 <(git -C "$NEW_REPO" ls-files 'go/*.go' | sort) <(git -C "$OLD_REPO" ls-files 'go/*.go' | sort) \
      | grep -v _test.go | shuf -n 100 > "$W/ab-mv.txt"
    for repo in "$NEW_REPO" "$OLD_REPO"; do
      (cd "$repo"; while read -r f; do git mv "$f" "${f%.go}_ab$i.go"; done < "$W/ab-mv.txt"
       git -c user.email=bench@codeidx -c user.name=bench commit -qm "A/B rename round $i")
    done
  fi
  run OLD "$OLD_DIR" "$OLD_REPO" "$W/ab-old-store" "$W/ab-old-fake" "$(git -C "$OLD_REPO" rev-parse HEAD~1)" "$(git -C "$OLD_REPO" rev-parse HEAD)" false
  run NEW "$INSTALL" "$NEW_REPO" "$W/store" "$W/fake-actions-cache" "$(git -C "$NEW_REPO" rev-parse HEAD~1)" "$(git -C "$NEW_REPO" rev-parse HEAD)" false
done
