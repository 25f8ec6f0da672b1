#!/usr/bin/env bash
# Where the private cluster keeps its files: the same work on a cluster in /tmp (this machine's
# disk) and on one in /dev/shm (memory), alternating, in one run:
#   1. building a generated 300-table schema (the one scripts/peer-diff.sh's generated pair
#      uses: a key, a foreign key, an index per table) into a fresh database with `psql -f`,
#      then dropping the database, as a scratch database is used;
#   2. a warm `pgspec check` of seed 000.
# Usage: scripts/bench-cluster-storage.sh [RUNS]   (default 7; PGSPEC_BIN=path for another binary)
# Prints each side's median and the disk/memory ratio. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
if [ -z "${PGSPEC_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${PGSPEC_BIN:-$PWD/target/release/pgspec}
[ -d /dev/shm ] || { echo "no /dev/shm on this machine" >&2; exit 2; }
disk=$(mktemp -d /tmp/pgspec-storage.XXXX)
memory=$(mktemp -d /dev/shm/pgspec-storage.XXXX)
chmod 755 "$disk" "$memory"   # the server runs as the `postgres` OS user
trap 'for d in "$disk" "$memory"; do $bin cluster destroy --cluster-dir "$d/c" >/dev/null 2>&1 || true; rm -rf "$d"; done' EXIT

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
url_of() { $bin cluster status --cluster-dir "$1/c" | sed -n 's/^running ([^)]*): //p'; }

for side in "$disk" "$memory"; do $bin cluster start --cluster-dir "$side/c" >/dev/null; done
python3 - "$disk/schema.sql" <<'PY'
import sys
out = []
for i in range(300):
    fk = f", prev_id bigint REFERENCES t{i - 1} (id)" if i else ""
    note = "" if i % 5 == 0 else ", note text"
    out.append(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, "
               f"created_at timestamptz DEFAULT now(){note}{fk}, added_{i} text);")
    out.append(f"CREATE INDEX t{i}_name ON t{i} (name);")
    if i % 3 == 0:
        out.append(f"CREATE INDEX t{i}_created ON t{i} (created_at);")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
build() {   # cluster dir → milliseconds of `psql -f` into a fresh database, dropped after
    local url db t0 t1
    url=$(url_of "$1")
    db=${url/\/postgres\?//storage_bench?}
    psql -q "$url" -c "CREATE DATABASE storage_bench" >/dev/null
    t0=$(now); psql -q -v ON_ERROR_STOP=1 "$db" -f "$disk/schema.sql" >/dev/null; t1=$(now)
    psql -q "$url" -c "DROP DATABASE storage_bench" >/dev/null
    ms "$t0" "$t1"
}
check() {   # cluster dir → milliseconds of a warm `pgspec check` of seed 000
    local t0 t1
    t0=$(now); $bin check --cluster-dir "$1/c" --format json seeds/repaired/000_1c0bd6538ded23d5.txt >/dev/null || true; t1=$(now)
    ms "$t0" "$t1"
}

# One work, on both sides in turn: a warm-up each, then RUNS pairs; medians and the ratio.
compare() {   # title, function
    local d=() m=() dm mm
    echo "## $1 (median of $runs, ms)"
    load
    "$2" "$disk" >/dev/null; "$2" "$memory" >/dev/null   # warm-up
    for _ in $(seq "$runs"); do d+=("$("$2" "$disk")"); m+=("$("$2" "$memory")"); done
    dm=$(printf '%s\n' "${d[@]}" | median); mm=$(printf '%s\n' "${m[@]}" | median)
    echo "disk (/tmp):       ${dm} ms (runs: ${d[*]})"
    echo "memory (/dev/shm): ${mm} ms (runs: ${m[*]})"
    awk -v a="$dm" -v b="$mm" 'BEGIN { if (b > 0) printf "disk/memory: %.2fx\n", a / b }'
    load
}

compare "building 300 tables into a fresh database" build
echo
compare "warm check of seed 000" check
