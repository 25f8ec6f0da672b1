#!/usr/bin/env bash
# Run every test (unit, integration against a real PostgreSQL 15, CLI end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export INSTA_UPDATE=no
# Four test threads on two cores: most tests wait on PostgreSQL (a server process per test,
# pgspec's own binary), so two threads left the cores idle a fifth of the time (measured:
# the integration tests in 298.8 s with 4 threads, 362.7 s with 2; BENCHMARKS.md). Each
# thread gets a temporary cluster of its own (tests/it/postgres.rs, up to 4).
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-4}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Every test binary runs even after one fails: the closing line then counts every failure.
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
