#!/usr/bin/env bash
# The learned-vs-training-free table of docs/variants.md (issue #11), measured by the attnscope CLI:
#   metrics  `attnscope compare` (every layer and head, with --controls: a random control matched
#            row by row to each variant's kept counts) on the first WINDOWS windows of 512 ids of
#            the held-out text (the eval protocol's windows: tokenized whole, BOS first), averaged
#            over windows;
#   perplexity  `attnscope eval --variant` on the whole held-out text (every layer replaced).
# Usage: tools/learned_variants_table.sh [VARIANT ...]
#   env: ATTNSCOPE_BIN (default build/app/attnscope), MODEL (assets/models/demo), TEXT (MODEL/heldout.txt),
#        WINDOWS (4). Default variants: dsa and sbm, training-free and learned, at density 0.1, with
#        topk:k=27 (about the same density on 512-token windows) and random:density=0.1.
# Prints a markdown table: variant, density, recall, KL(eff||dense), TV, out_err, perplexity.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ATTNSCOPE_BIN:-$root/build/app/attnscope}
model=${MODEL:-$root/assets/models/demo}
text=${TEXT:-$model/heldout.txt}
windows=${WINDOWS:-4}
variants=("$@")
if [[ ${#variants[@]} -eq 0 ]]; then
  variants=(dsa:mode=rp,density=0.1 dsa:mode=learned,density=0.1
            sbm:mode=kmeans,density=0.1 sbm:mode=learned,density=0.1
            topk:k=27 random:density=0.1)
fi
work=$(mktemp -d /tmp/attnscope-learned-table-XXXXXX)
trap 'rm -rf "$work"' EXIT

"$bin" tokenize "$model" --text-file "$text" --json | jq -r '.ids | join(" ")' | tr ' ' '\n' >"$work/ids"
total=$(wc -l <"$work/ids")
args=()
for variant in "${variants[@]}"; do args+=(--variant "$variant"); done
for ((w = 0; w < windows; ++w)); do
  first=$((w * 512 + 1))
  [[ $first -le $((total - 1)) ]] || break
  ids=$(sed -n "${first},$((first + 511))p" "$work/ids" | paste -sd,)
  "$bin" compare "$model" --ids "$ids" "${args[@]}" --controls --no-perplexity --json >"$work/compare.$w.json"
done
jq -s '[.[] | .variants[] | {variant, m: .mean}] | group_by(.variant)
       | map({variant: .[0].variant, n: length,
              density: (map(.m.density) | add / length), recall: (map(.m.recall) | add / length),
              kl: (map(.m.kl) | add / length), tv: (map(.m.tv) | add / length),
              out: (map(.m.output_error) | add / length)})' "$work"/compare.*.json >"$work/metrics.json"

dense_ppl=$("$bin" eval "$model" --text-file "$text" --json | jq -r '.perplexity')
echo "| variant | density | recall | KL(eff‖dense) | TV | output error | perplexity (dense $(printf %.3f "$dense_ppl")) |"
echo "|---|---|---|---|---|---|---|"
for variant in "${variants[@]}"; do
  ppl=$("$bin" eval "$model" --text-file "$text" --variant "$variant" --json | jq -r '.perplexity')
  names=("$variant")
  [[ $variant == random:* ]] || names+=("random~$variant")  # a random control of a random mask says nothing
  for name in "${names[@]}"; do
    jq -r --arg v "$name" --arg p "$ppl" '.[] | select(.variant == $v) |
      "| `\(.variant)` | \(.density*1000|round/1000) | \(.recall*1000|round/1000) | \(.kl*1000|round/1000) | \(.tv*1000|round/1000) | \(.out*1000|round/1000) | \(if ($v|startswith("random~")) then "–" else ($p|tonumber*1000|round/1000|tostring) end) |"' \
      "$work/metrics.json"
  done
done
echo
echo "Windows: $(ls "$work"/compare.*.json | wc -l) x 512 ids of $(basename "$text") for the metrics; perplexity over all $total ids."
