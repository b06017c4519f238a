#!/usr/bin/env bash
# Creates the tools venv (once) and runs prepare_real_models.py with it. Exit 77 = download impossible.
set -euo pipefail
source "$(dirname "$0")/ensure_venv.sh" || exit 77
exec "$ATTNSCOPE_PY" "$(dirname "$0")/prepare_real_models.py" "$@"
