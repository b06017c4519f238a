#!/usr/bin/env bash
# Fits the learned predictors shipped with the demo model (issue #11) into
# assets/models/demo/predictors/<method>.safetensors.
# Calibration text: the Epistle to the Romans from Debian's bible-kjv (training split of the demo
# model; never the held-out Revelation), formatted as the training text (one verse per line,
# references stripped, whitespace collapsed), first 8192 tokens (16 windows of 512).
# Usage: tools/fit_demo_predictors.sh [method ...]   (default: dsa sbm; runs under nice -n 15,
# one torch thread: the machine is shared)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
methods=("$@")
[[ ${#methods[@]} -gt 0 ]] || methods=(dsa sbm)
calibration=$(mktemp /tmp/attnscope-calibration-XXXXXX.txt)
trap 'rm -f "$calibration"' EXIT
bible -f "Ro1:1-Ro16:27" | sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //; s/[[:space:]]+/ /g; s/ $//' >"$calibration"
for method in "${methods[@]}"; do
  nice -n 15 "$root/tools/fit_predictors.py" "$root/assets/models/demo" --text "$calibration" --method "$method" \
    --max-tokens 8192 --seed 1 --threads 1 --out "$root/assets/models/demo/predictors/$method.safetensors"
done
