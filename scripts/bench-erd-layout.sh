#!/usr/bin/env bash
# Graphviz (`dot`, Debian's graphviz) against layout-rs (a pure-Rust layout crate) on the ERDs
# of the five seeds: time per drawing (median and minimum of RUNS), drawing size, and pictures
# to look at. layout-rs reads neither HTML-like labels nor crow's-foot arrows, so both engines
# also draw a record-shaped copy of each DOT (same tables, rows and edges) for a like-for-like
# time (Graphviz turns `{a|b}` upright in a left-to-right graph, layout-rs turns `a|b`). Usage: scripts/bench-erd-layout.sh [RUNS] (default 5); pictures go to $OUT
# (default /tmp/pgspec-erd-layout).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=${OUT:-/tmp/pgspec-erd-layout}
mkdir -p "$out"
command -v dot >/dev/null || { echo "bench-erd-layout: Graphviz's dot is missing (scripts/setup.sh installs it)" >&2; exit 1; }
cargo build --quiet --bin pgspec
CARGO_TARGET_DIR="$out/target" cargo build --quiet --release --manifest-path bench/erd_layout/Cargo.toml
pgspec=target/debug/pgspec
for seed in seeds/repaired/*.txt; do
  n=$(basename "$seed" | cut -c1-3)
  "$pgspec" erd --format dot -o "$out/$n.dot" "$seed"
  # Record-shaped copy: one field per table row, ports and HTML dropped.
  python3 - "$out/$n.dot" "$out/$n.record.dot" "$out/$n.flat.dot" <<'PY'
import html, re, sys
src, dst, flat = sys.argv[1], sys.argv[2], sys.argv[3]
def field(s):
    return re.sub(r'([{}|<>"\\])', r'\\\1', s)
out = []
for line in open(src):
    m = re.match(r'  (t\d+) \[label=<(.*)>\];$', line)
    if m:
        rows = []
        for row in re.findall(r'<tr>(.*?)</tr>', m.group(2)):
            cells = [html.unescape(re.sub(r'<[^>]+>', '', c)).strip() for c in re.findall(r'<td[^>]*>(.*?)</td>', row)]
            rows.append(field(' '.join(c for c in cells if c)))
        out.append('  %s [shape=record, label="{%s}"];\n' % (m.group(1), '|'.join(rows)))
        continue
    line = re.sub(r':c\d+:e', '', line)
    line = re.sub(r', (arrowtail|arrowhead)=\w+', '', line)
    line = re.sub(r'label=<([^>]*)>', lambda m: 'label="%s"' % html.unescape(m.group(1)).replace('"', "'"), line)
    line = line.replace('shape=plaintext, ', '')
    out.append(line)
open(dst, 'w').write(''.join(out))
open(flat, 'w').write(re.sub(r'label="\{(.*)\}"\];', r'label="\1"];', ''.join(out)))
PY
done
median_dot() { # file → "median min" in ms over $runs runs of dot -Tsvg
  local f=$1 t=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N); dot -Tsvg "$f" >"$f.graphviz.svg"; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%d %d\n", a[int((NR+1)/2)], a[1]}'
}
size_of() { sed -n 's/.*<svg width="\([0-9.]*\)[a-z]*" height="\([0-9.]*\)[a-z]*".*/\1x\2/p' "$1" | head -1; }
echo "| seed | tables | edges | Graphviz, our DOT: ms median (min) | size (pt) | Graphviz, record copy: ms | layout-rs, record copy: ms median (min) | size (px) |"
echo "|---|---|---|---|---|---|---|---|"
for f in "$out"/[0-9][0-9][0-9].dot; do
  n=$(basename "$f" .dot)
  tables=$(grep -c '^  t[0-9]* \[' "$f")
  edges=$(grep -c -- ' -> ' "$f")
  read -r gmed gmin < <(median_dot "$f")
  gsize=$(size_of "$f.graphviz.svg")
  read -r rmed _ < <(median_dot "$out/$n.record.dot")
  read -r _ lmed lmin lw lh < <(RUNS=$runs "$out/target/release/erd_layout_bench" "$out/$n.flat.dot")
  printf '| %s | %s | %s | %s (%s) | %s | %s | %s (%s) | %sx%s |\n' "$n" "$tables" "$edges" "$gmed" "$gmin" "$gsize" "$rmed" "$lmed" "$lmin" "$lw" "$lh"
done
echo "pictures: $out/NNN.dot.graphviz.svg (ours) and $out/NNN.flat.dot.layout-rs.svg" >&2
