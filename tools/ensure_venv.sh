#!/usr/bin/env bash
# Creates (once) the Python environment that tools/ scripts use: PyTorch, transformers,
# tokenizers, safetensors, gguf and NumPy from PyPI. The product never needs it; CI's default test path
# never calls it (the fixtures these scripts write are committed).
# Usage: source "$(dirname "$0")/ensure_venv.sh"   (sets ATTNSCOPE_PY to the venv's python)
set -euo pipefail
tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv_dir=${ATTNSCOPE_VENV:-$tools_dir/.venv}
stamp=$venv_dir/.requirements-installed
if [[ ! -f $stamp ]] || ! cmp -s "$tools_dir/requirements.txt" "$stamp"; then
  (
    # One installer at a time: two scripts started together must not race on the same venv.
    exec 9>"$tools_dir/.venv.lock"
    flock 9
    if [[ ! -f $stamp ]] || ! cmp -s "$tools_dir/requirements.txt" "$stamp"; then
      python3 -m venv "$venv_dir"
      "$venv_dir/bin/pip" install -q --upgrade pip
      "$venv_dir/bin/pip" install -q -r "$tools_dir/requirements.txt"
      cp "$tools_dir/requirements.txt" "$stamp"
    fi
  )
fi
export ATTNSCOPE_PY=$venv_dir/bin/python
