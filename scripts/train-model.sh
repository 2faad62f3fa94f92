#!/usr/bin/env bash
# Rebuilds codeidx-static end to end: tokenizer → mined pairs → training → ONNX export.
# Needs Debian's python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx):
# a python3 earlier on PATH (pyenv, venv) without torch is skipped in favour of /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import torch, onnx' 2>/dev/null; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  echo "error: no python3 with torch and onnx; run: apt-get install -y python3-torch python3-onnx" >&2
  exit 1
fi
npx tsx scripts/static-model/write-tokenizer.ts
[ -s .data/pairs/train.jsonl ] || npx tsx scripts/mine-pairs.ts
"$PY" scripts/train-static-model.py "$@"
