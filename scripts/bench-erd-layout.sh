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
# Readability: how many times an edge runs through a table box that is not one of its ends,
# and how many pairs of boxes overlap (bezier curves sampled; both engines' SVG read alike).
crossings_of() {
  python3 - "$1" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
boxes = []
if 'class="node"' in svg:  # Graphviz: a node's box is the hull of its polygons
    for g in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S):
        pts = [tuple(map(float, p.split(','))) for poly in re.findall(r'points="([^"]+)"', g) for p in poly.split()]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
else:  # layout-rs: a table's box is a rect that holds other rects
    rects = [tuple(map(float, m)) for m in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg)]
    rects = [(x, y, x + w, y + h) for x, y, w, h in rects]
    boxes = [r for r in rects if not any(o != r and o[0] <= r[0] + .5 and o[1] <= r[1] + .5 and o[2] >= r[2] - .5 and o[3] >= r[3] - .5 for o in rects)]
    boxes = sorted(set(boxes))  # it draws each table's outline twice
def curve(d):
    toks = re.findall(r'[MCSmcs]|-?[\d.]+(?:e-?\d+)?', d)
    pts, cmd, nums, segs, last_c2 = [], None, [], [], None
    def flush():
        nonlocal last_c2
        if cmd == 'M': pts.append((nums[0], nums[1]))
        elif cmd in 'CS':
            step = 6 if cmd == 'C' else 4
            for i in range(0, len(nums) - step + 1, step):
                p0 = pts[-1]
                if cmd == 'C': c1, c2, p1 = (nums[i], nums[i+1]), (nums[i+2], nums[i+3]), (nums[i+4], nums[i+5])
                else:
                    c1 = (2*p0[0] - last_c2[0], 2*p0[1] - last_c2[1]) if last_c2 else p0
                    c2, p1 = (nums[i], nums[i+1]), (nums[i+2], nums[i+3])
                segs.append((p0, c1, c2, p1)); pts.append(p1); last_c2 = c2
    for t in toks:
        if t in 'MCScms':
            if cmd: flush()
            cmd, nums = t.upper(), []
        else: nums.append(float(t))
    if cmd: flush()
    out = []
    for p0, c1, c2, p1 in segs:
        for k in range(21):
            t = k / 20; u = 1 - t
            out.append(tuple(u**3*a + 3*u*u*t*b + 3*u*t*t*c + t**3*e for a, b, c, e in zip(p0, c1, c2, p1)))
    return out
inside = lambda p, b, m=2: b[0] + m < p[0] < b[2] - m and b[1] + m < p[1] < b[3] - m
near = lambda p, b, m=6: b[0] - m <= p[0] <= b[2] + m and b[1] - m <= p[1] <= b[3] + m
hits = 0
for d in re.findall(r'<path[^>]* d="([^"]+)"', svg):
    pts = curve(d)
    if not pts: continue
    ends = [i for i, b in enumerate(boxes) if near(pts[0], b) or near(pts[-1], b)]
    hits += sum(1 for i, b in enumerate(boxes) if i not in ends and any(inside(p, b) for p in pts))
overlaps = sum(1 for i, a in enumerate(boxes) for b in boxes[i+1:] if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
print(hits, overlaps)
PY
}
size_of() { sed -n 's/.*<svg width="\([0-9.]*\)[a-z]*" height="\([0-9.]*\)[a-z]*".*/\1x\2/p' "$1" | head -1; }
echo "| seed | tables | edges | Graphviz, our DOT: ms median (min) | size (pt) | edge through a box / boxes overlapping | Graphviz, record copy: ms | layout-rs, record copy: ms median (min) | size (px) | edge through a box / boxes overlapping |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for f in "$out"/[0-9][0-9][0-9].dot; do
  n=$(basename "$f" .dot)
  tables=$(grep -c '^  t[0-9]* \[' "$f")
  edges=$(grep -c -- ' -> ' "$f")
  read -r gmed gmin < <(median_dot "$f")
  gsize=$(size_of "$f.graphviz.svg")
  read -r rmed _ < <(median_dot "$out/$n.record.dot")
  read -r _ lmed lmin lw lh < <(RUNS=$runs "$out/target/release/erd_layout_bench" "$out/$n.flat.dot")
  read -r gcross gover < <(crossings_of "$f.graphviz.svg")
  read -r lcross lover < <(crossings_of "$out/$n.flat.dot.layout-rs.svg")
  printf '| %s | %s | %s | %s (%s) | %s | %s / %s | %s | %s (%s) | %.0fx%.0f | %s / %s |\n' "$n" "$tables" "$edges" "$gmed" "$gmin" "$gsize" "$gcross" "$gover" "$rmed" "$lmed" "$lmin" "$lw" "$lh" "$lcross" "$lover"
done
echo "pictures: $out/NNN.dot.graphviz.svg (ours) and $out/NNN.flat.dot.layout-rs.svg" >&2
