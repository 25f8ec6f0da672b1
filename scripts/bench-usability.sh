#!/usr/bin/env bash
# Issue 16's speed and memory figures, each side by side with its reference in one run:
#   1. warm `pgspec check` of seed 000 against squawk's static lint of the same SQL blocks, and
#      `psql -f` of those blocks into a ready empty database (what running the SQL alone costs);
#   2. a generated document of ~15,000 lines and 3,000 statements: `pgspec check` (wall time and
#      peak memory of the pgspec process) against `psql -1 -f` of the same SQL into a fresh
#      database of the same server.
# Runs alternate (pgspec, reference, pgspec, …) so load on the machine falls on both sides.
# Usage: scripts/bench-usability.sh [RUNS]   (needs squawk on PATH: `pip install squawk-cli`;
# GNU time at /usr/bin/time; psql). PGSPEC_BIN=path measures that binary instead of this
# tree's release build (e.g. an older commit's, for a before/after). PGSPEC_BASE_BIN=path also
# measures that binary in part 1, its runs alternating with the other's on the same cluster, so
# load falls on both (a before/after in the same minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
if [ -z "${PGSPEC_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${PGSPEC_BIN:-$PWD/target/release/pgspec}
base=${PGSPEC_BASE_BIN:-}
# The cluster lives where pgspec's private cluster does by default: in memory (/dev/shm) when
# the machine has it.
parent=/tmp
if awk '$2 == "/dev/shm" && $3 == "tmpfs" { found = 1 } END { exit !found }' /proc/mounts 2>/dev/null; then
  parent=/dev/shm
fi
work=$(mktemp -d "$parent/pgsu.XXXX")
chmod 755 "$work"   # the server runs as the `postgres` OS user
home=$work/cluster
trap '$bin cluster destroy --cluster-dir "$home" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

now() { date +%s%N; }
# The machine's load average (1, 5, 15 min), printed beside each figure: compare ratios.
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The ```sql blocks of a Markdown file, one after the other.
sql_blocks() { awk '/^```/ { if (inside) { inside = 0; next } if ($0 ~ /^```(sql|postgres|postgresql|plpgsql)[[:space:]]*$/) { inside = 1; next } } inside' "$1"; }

command -v squawk >/dev/null || { echo "squawk is not on PATH (pip install squawk-cli)" >&2; exit 1; }
# The binary itself, not a version manager's shim (pyenv's adds ~0.8 s to every call).
squawk=$(pyenv which squawk 2>/dev/null || command -v squawk)
$bin cluster start --cluster-dir "$home" >/dev/null
export PGOPTIONS="-c client_min_messages=warning"
url=$($bin cluster status --cluster-dir "$home" | sed -n 's/^running ([^)]*): //p')

echo "## 1. warm check of seed 000 against squawk (median of $runs, ms)"
load
doc=seeds/repaired/000_1c0bd6538ded23d5.txt
sql_blocks "$doc" > "$work/seed000.sql"
$bin check --cluster-dir "$home" --format json "$doc" >/dev/null || true   # warm-up
if [ -n "$base" ]; then $base check --cluster-dir "$home" --format json "$doc" >/dev/null || true; fi
p=(); s=(); b=(); f=()
floor_url=$(echo "$url" | sed "s#@/postgres?#@/pgsu_floor?#")
for _ in $(seq "$runs"); do
  # The floor: the same SQL alone, run by psql into an empty database made ready beforehand
  # (no scratch database to make or drop, no catalog read, no lint), as a reference for what
  # applying the document costs the server at all.
  psql "$url" -qXc "DROP DATABASE IF EXISTS pgsu_floor" -c "CREATE DATABASE pgsu_floor" >/dev/null
  t0=$(now); psql "$floor_url" -qX -f "$work/seed000.sql" >/dev/null 2>&1 || true; t1=$(now)
  f+=("$(ms "$t0" "$t1")")
  if [ -n "$base" ]; then
    t0=$(now); $base check --cluster-dir "$home" --format json "$doc" >/dev/null || true; t1=$(now)
    b+=("$(ms "$t0" "$t1")")
  fi
  t0=$(now); $bin check --cluster-dir "$home" --format json "$doc" >/dev/null || true; t1=$(now)
  p+=("$(ms "$t0" "$t1")")
  t0=$(now); "$squawk" "$work/seed000.sql" >/dev/null 2>&1 || true; t1=$(now)
  s+=("$(ms "$t0" "$t1")")
done
psql "$url" -qXc "DROP DATABASE IF EXISTS pgsu_floor" >/dev/null
pm=$(printf '%s\n' "${p[@]}" | median); sm=$(printf '%s\n' "${s[@]}" | median)
fm=$(printf '%s\n' "${f[@]}" | median)
echo "pgspec check: ${pm} ms (runs: ${p[*]})"
echo "squawk:       ${sm} ms (runs: ${s[*]})"
echo "psql -f (the SQL alone, into a ready empty database): ${fm} ms (runs: ${f[*]})"
awk -v a="$pm" -v b="$sm" 'BEGIN { if (b > 0) printf "ratio: %.1fx (target: within 5x)\n", a / b }'
awk -v a="$fm" -v b="$sm" -v c="$pm" 'BEGIN { if (b > 0 && a > 0) printf "psql -f / squawk: %.1fx; pgspec check / psql -f: %.1fx\n", a / b, c / a }'
if [ -n "$base" ]; then
  bm=$(printf '%s\n' "${b[@]}" | median)
  echo "base ($base): ${bm} ms (runs: ${b[*]})"
  awk -v a="$bm" -v b="$sm" 'BEGIN { if (b > 0) printf "base ratio: %.1fx\n", a / b }'
fi
load

echo
echo "## 2. a 15,000-line document of 3,000 statements against psql -1 -f (median of 3)"
python3 - "$work/big.md" <<'PY'
import sys
out = ["# A large generated design", ""]
for i in range(500):
    parent = f"t_{i-1}" if i else None
    out += [f"## Table t_{i}", "", f"Table number {i}, with sixteen columns;",
            f"each of its rows points at a row of the table before it.", "", "```sql"]
    out.append(f"CREATE TABLE t_{i} (")
    out.append("    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,")
    out.append(f"    parent_id bigint{' REFERENCES ' + parent + '(id)' if parent else ''},")
    for c in range(12):
        kind = ["text", "integer", "numeric(12,2)", "timestamptz"][c % 4]
        out.append(f"    c{c} {kind}{' NOT NULL DEFAULT 0' if kind == 'integer' else ''},")
    out.append("    created_at timestamptz NOT NULL DEFAULT now()")
    out.append(");")
    out.append(f"CREATE INDEX t_{i}_parent_idx ON t_{i} (parent_id);")
    out.append(f"CREATE INDEX t_{i}_created_idx ON t_{i} (created_at);")
    out.append(f"ALTER TABLE t_{i} ADD CONSTRAINT t_{i}_c1_check CHECK (c1 >= 0);")
    out.append(f"COMMENT ON TABLE t_{i} IS 'table {i}';")
    out.append(f"INSERT INTO t_{i} (c0, c1) VALUES ('row', {i});")
    out += ["```", ""]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
sql_blocks "$work/big.md" > "$work/big.sql"
echo "document: $(wc -l < "$work/big.md") lines, $(grep -c ';$' "$work/big.sql") statements"
load
p=(); q=(); rss=()
for i in 1 2 3; do
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" $bin check --cluster-dir "$home" --format json "$work/big.md" >/dev/null 2>&1 || true
  t1=$(now)
  p+=("$(ms "$t0" "$t1")"); rss+=("$(tail -1 "$work/rss")")
  db=pgsu_psql_$i
  psql "$url" -qXc "DROP DATABASE IF EXISTS $db" >/dev/null
  t0=$(now)
  psql "$url" -qXc "CREATE DATABASE $db" >/dev/null
  psql "$(echo "$url" | sed "s#@/postgres?#@/$db?#")" -qX1 -v ON_ERROR_STOP=1 -f "$work/big.sql" >/dev/null
  psql "$url" -qXc "DROP DATABASE $db" >/dev/null
  t1=$(now)
  q+=("$(ms "$t0" "$t1")")
done
pm=$(printf '%s\n' "${p[@]}" | median); qm=$(printf '%s\n' "${q[@]}" | median)
rm_kb=$(printf '%s\n' "${rss[@]}" | median)
echo "pgspec check: ${pm} ms (runs: ${p[*]}), peak RSS $(( rm_kb / 1024 )) MiB (target: under 100 MiB)"
echo "psql -1 -f:   ${qm} ms (runs: ${q[*]}; CREATE DATABASE, the SQL in one transaction, DROP DATABASE)"
awk -v a="$pm" -v b="$qm" 'BEGIN { if (b > 0) printf "ratio: %.2fx (target: within 1.2x)\n", a / b }'
load
