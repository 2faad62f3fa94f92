# Sourced by the model scripts. find_python MODULES: prints the first of python3 (PATH) and /usr/bin/python3
# that imports every module named (e.g. "torch, onnx"), or says how to install them and returns 1. A python3
# earlier on PATH (pyenv, venv) without them is skipped in favour of Debian's.
find_python() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c "import $1" 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no python3 that imports $1; run: apt-get install -y python3-torch python3-onnx" >&2
  return 1
}
