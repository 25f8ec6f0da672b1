#!/usr/bin/env bash
# Seeding throughput of `pgspec seed` against the server's own limit: the same rows loaded
# with plain server-side `COPY … FROM 'file'` into the same schema (same indexes, constraints
# and triggers), table by table in the same order.
#
#   scripts/bench-seed.sh [ROWS_PER_TABLE] [DOC]
#
# Default: seed 001 (10 tables) at 100000 rows per table = 1M rows. Prints both rates and
# the ratio. Uses the private cluster (pgspec cluster start) and databases pgspec_bench_*.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
DOC=${2:-seeds/original/001_da80d060174ed1a2.txt}
DB=pgspec_bench_seed
cargo build --release --quiet
PGSPEC=target/release/pgspec
URL=$($PGSPEC cluster start)
psql_db() { psql -X -q -At "$(echo "$URL" | sed "s#/postgres?#/$DB?#")" "$@"; }
now() { date +%s.%N; }

$PGSPEC up --recreate --name "$DB" "$DOC" >/dev/null || true
$PGSPEC seed --name "$DB" --rows "$ROWS" --format json "$DOC" 2>/dev/null >/tmp/pgspec-bench-seed.json || true
read -r SEED_ROWS SEED_SECS < <(python3 -c "import json; d=json.load(open('/tmp/pgspec-bench-seed.json')); print(d['total_rows'], d['seconds'])")
TABLES=$(python3 -c "import json; d=json.load(open('/tmp/pgspec-bench-seed.json')); print(' '.join(t['table'] for t in d['tables'] if t['rows']))")

# Export what pgspec generated to files. Client-side (psql's \copy): the server runs in a
# sandbox that cannot write or read this machine's /tmp.
DIR=$(mktemp -d /tmp/pgspec-bench-XXXXXX)
for t in $TABLES; do
  psql_db -c "\\copy $t TO '$DIR/$t.copy'"
done

# Same schema, empty; then the server loads the files.
$PGSPEC up --recreate --name "$DB" "$DOC" >/dev/null || true
START=$(now)
for t in $TABLES; do
  psql_db -c "SET synchronous_commit = off" -c "\\copy $t FROM '$DIR/$t.copy'"
done
END=$(now)
COPY_SECS=$(python3 -c "print($END - $START)")
rm -rf "$DIR"
$PGSPEC down --name "$DB" "$DOC" >/dev/null

python3 - "$SEED_ROWS" "$SEED_SECS" "$COPY_SECS" <<'PY'
import sys
rows, seed, copy = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"rows:               {rows}")
print(f"pgspec seed:        {seed:.2f} s  {rows/seed:,.0f} rows/s (generation + binary COPY + catalog reads)")
print(f"COPY FROM file:     {copy:.2f} s  {rows/copy:,.0f} rows/s (psql \\copy: text COPY FROM STDIN of the same rows, from files)")
print(f"seed / COPY:        {100*copy/seed:.0f}%")
PY
