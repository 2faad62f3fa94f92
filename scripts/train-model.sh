#!/usr/bin/env bash
# Rebuilds codeidx-static end to end: tokenizer → mined pairs and validation suite → extra training pairs →
# training (checkpoint selected on the validation suite) → ONNX export. Arguments go to the training script;
# the shipped model's are in models/codeidx-static/codeidx-model.json (training.command).
# Needs Debian's python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx):
# a python3 earlier on PATH (pyenv, venv) without torch is skipped in favour of /usr/bin/python3.
# Extra training-only sources (see models/codeidx-static/MODEL_CARD.md): the Go libraries of
#   apt-get install -y --no-install-recommends golang-golang-x-tools-dev golang-golang-x-net-dev \
#     golang-golang-x-crypto-dev golang-golang-x-text-dev golang-github-google-go-cmp-dev \
#     golang-google-protobuf-dev golang-google-grpc-dev golang-github-prometheus-client-golang-dev \
#     golang-github-spf13-cobra-dev golang-github-sirupsen-logrus-dev golang-github-gorilla-mux-dev \
#     golang-github-klauspost-compress-dev golang-gopkg-yaml.v3-dev golang-github-minio-minio-go-v7-dev \
#     golang-github-gogo-protobuf-dev golang-github-go-kit-kit-dev golang-github-gin-gonic-gin-dev
# (and their dependencies), the Python packages in /usr/lib/python3/dist-packages, and the npm
# packages pinned in scripts/static-model/npm-corpus (installed into /tmp/corpus, not the project).
# Only permissively licensed packages are mined (mine-pairs.ts checks each licence).
#
#   bash scripts/train-model.sh --prepare-only   # the data steps only (mining, suites, dumps), no training
#   CODEIDX_DATA_READY=1 bash scripts/train-model.sh ARGS…   # training only, on the data already prepared
# Runs side by side (scripts/build-shipped-model.sh) prepare once and then train with CODEIDX_DATA_READY=1,
# so that no run reads a suite dump while another one rewrites it.
set -euo pipefail
cd "$(dirname "$0")/.."
PREPARE_ONLY=0
if [ "${1:-}" = "--prepare-only" ]; then
  PREPARE_ONLY=1
  shift
  [ $# -eq 0 ] || { echo "error: --prepare-only takes no training arguments (got: $*); run the training without it" >&2; exit 2; }
fi
if [ "$PREPARE_ONLY" = 0 ]; then
  source scripts/lib/find-python.sh
  PY=$(find_python "torch, onnx")
fi
if [ "${CODEIDX_DATA_READY:-}" = 1 ]; then
  for f in .data/pairs/train.jsonl .data/pairs/extra-go.jsonl .data/pairs/extra-python-npm.jsonl \
    .data/suite-valid.ids.json .data/suite-train.ids.json; do
    [ -s "$f" ] || { echo "error: CODEIDX_DATA_READY=1 but $f is missing; run bash scripts/train-model.sh --prepare-only first" >&2; exit 1; }
  done
else
  npx tsx scripts/static-model/write-tokenizer.ts
  [ -s .data/pairs/train.jsonl ] && [ -s .data/suite-valid.jsonl ] || npx tsx scripts/mine-pairs.ts --valid-suite
  [ -s .data/pairs/extra-go.jsonl ] || npx tsx scripts/mine-pairs.ts --extra go
  if [ ! -s .data/pairs/extra-python-npm.jsonl ]; then
    mkdir -p /tmp/corpus
    cp scripts/static-model/npm-corpus/package.json scripts/static-model/npm-corpus/package-lock.json /tmp/corpus/
    (cd /tmp/corpus && npm ci --ignore-scripts --no-audit --no-fund)
    npx tsx scripts/mine-pairs.ts --extra python,npm --npm-root /tmp/corpus/node_modules
  fi
  # The validation suite (valid split, built like eval suite 1) as token ids: checkpoints are selected on it.
  npx tsx scripts/static-model/dump-suite.ts .data/suite-valid.jsonl --source .data/valid-corpus --out .data/suite-valid.ids.json
  # The train split built the same way (every chunk of the train units' files, most of them undocumented):
  # the pool of same-file negatives of --mined-negs / --file-negs. Mined into .data/train-suite so that the
  # committed eval suite 1 is not rewritten.
  if [ ! -s .data/suite-train.ids.json ]; then
    npx tsx scripts/mine-pairs.ts --out .data/train-suite --train-suite --suite1 .data/train-suite/suite1.jsonl
    npx tsx scripts/static-model/dump-suite.ts .data/train-suite/suite-train.jsonl --source .data/train-suite/train-corpus \
      --out .data/suite-train.ids.json
  fi
fi
[ "$PREPARE_ONLY" = 1 ] && exit 0
"$PY" scripts/train-static-model.py --extra .data/pairs/extra-go.jsonl .data/pairs/extra-python-npm.jsonl \
  --suite-ids .data/suite-valid.ids.json --train-suite-ids .data/suite-train.ids.json "$@"
