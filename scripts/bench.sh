#!/usr/bin/env bash
# Wall time and peak memory of `pgspec check` per seed document: cold (fresh cluster directory:
# initdb + start + check) and warm (cluster running, median of N runs). Prints a Markdown table.
# Usage: scripts/bench.sh [N]   (needs GNU time at /usr/bin/time for peak RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --quiet
bin=target/release/pgspec
home=$(mktemp -d /tmp/pgsb.XXXX)
trap '$bin cluster destroy --cluster-dir "$home" >/dev/null 2>&1 || true; rm -rf "$home" "$home.rss"' EXIT

ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| seed | cold (ms) | warm median of $runs (ms) | warm min (ms) | peak RSS (MiB) |"
echo "|---|---|---|---|---|"
for doc in seeds/original/*.txt; do
  name=$(basename "$doc" .txt)
  $bin cluster destroy --cluster-dir "$home" >/dev/null 2>&1 || true
  t0=$(date +%s%N); $bin check --cluster-dir "$home" --format json "$doc" >/dev/null || true; t1=$(date +%s%N)
  cold=$(ms "$t0" "$t1")
  times=()
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N); $bin check --cluster-dir "$home" --format json "$doc" >/dev/null || true; t1=$(date +%s%N)
    times+=("$(ms "$t0" "$t1")")
  done
  warm=$(printf '%s\n' "${times[@]}" | median)
  min=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  /usr/bin/time -f '%M' -o "$home.rss" $bin check --cluster-dir "$home" --format json "$doc" >/dev/null 2>&1 || true
  rss_kb=$(tail -1 "$home.rss")
  rss=$(awk -v k="${rss_kb:-0}" 'BEGIN {printf "%.1f", k/1024}')
  echo "| ${name%%_*} | $cold | $warm | $min | $rss |"
done
