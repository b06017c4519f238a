#!/usr/bin/env bash
# Creates the tools venv (once), fetches the real models, then runs bench_torch_gemma3.py.
set -euo pipefail
here=$(dirname "$0")
"$here/prepare_real_models.sh"
source "$here/ensure_venv.sh"
exec "$ATTNSCOPE_PY" "$here/bench_torch_gemma3.py" "$@"
