#!/usr/bin/env bash
# The grasp-source design measurement (docs/grasping.md, "Choosing the default"): network, geometric and
# hybrid through perception_node's path (`eval real`, its default parameters and model, 640x480) on
# simulator design scenes that no model was trained on and that are never reported as results:
#   - every shipped cell but the default one: dataset seed 7201, 16 scenes each (--cell cells/<cell>.yaml);
#   - the default cell (the training cell; dataset with no --cell): dataset seed 7001, 24 scenes.
# Seeds 7001-7999 are the grasp-source design range (training datasets use seed 1, tests 9101-9103).
# Usage: scripts/grasp-source-design.sh DIR [--model M]
#   DIR holds (or receives) the datasets, design-<cell>/; an existing one with the right seed and scene
#   count is reused. Prints a Markdown table: per cell and source, P@1, P@10, object recall@10,
#   confident grasps (score >= 0.5) off objects.
set -euo pipefail
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: $0 DIR [--model M]" >&2
  exit 2
fi
dir=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cli=("node" "$root/bin/grasp-perception.js")
mkdir -p "$dir"

# name seed scenes cell-file ('-' = no --cell: the default cell)
designs=(
  "default 7001 24 -"
  "arc_tote_sr300 7201 16 cells/arc_tote_sr300.yaml"
  "black_bin_phoxi 7201 16 cells/black_bin_phoxi.yaml"
  "domain_randomized 7201 16 cells/domain_randomized.yaml"
  "tabletop_d435 7201 16 cells/tabletop_d435.yaml"
)

has() { # dataset DIR has seed S and N scenes
  [[ -f "$1/dataset.json" ]] &&
    node -e 'const d=require(process.argv[1]);process.exit(d.seed==+process.argv[2]&&d.scenes==+process.argv[3]?0:1)' \
      "$(realpath "$1")/dataset.json" "$2" "$3"
}

for d in "${designs[@]}"; do
  read -r name seed scenes cell <<<"$d"
  out="$dir/design-$name"
  if has "$out" "$seed" "$scenes"; then continue; fi
  [[ -e "$out" ]] && { echo "$out exists but is not the $name design set (seed $seed, $scenes scenes)" >&2; exit 1; }
  args=(dataset --out "$out" --scenes "$scenes" --seed "$seed" --split 0/0/100)
  [[ "$cell" != "-" ]] && args+=(--cell "$root/$cell")
  echo "building $out" >&2
  "${cli[@]}" "${args[@]}" >&2
done

echo "| cell (seed, scenes) | source | P@1 | P@10 | object recall@10 (objects) | confident off objects |"
echo "|---|---|---|---|---|---|"
for d in "${designs[@]}"; do
  read -r name seed scenes cell <<<"$d"
  for source in network geometric hybrid; do
    "${cli[@]}" eval real --data "$dir/design-$name" --grasp-source "$source" --json "$@" |
      node -e '
        let s = "";
        process.stdin.on("data", (d) => (s += d)).on("end", () => {
          const m = JSON.parse(s);
          const f = (x) => (x == null ? "n/a" : x.toFixed(2));
          const [cell, source] = process.argv.slice(1);
          console.log(`| ${cell} | ${source} | ${f(m.precision_at["1"].mean)} | ${f(m.precision_at["10"].mean)} | ` +
            `${f(m.recall_at_10.value)} (${m.recall_at_10.objects}) | ${m.confident_off_objects} |`);
        });' "$name ($seed, $scenes)" "$source"
  done
done
