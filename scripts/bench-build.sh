#!/usr/bin/env bash
# Build and test times of two revisions, measured one after the other on this machine, each in a
# fresh clone with an empty target directory (so each pays the whole build, pg_query's C part
# included):
#   scripts/bench-build.sh [BASE [HEAD]]      (defaults: 8e8d7c4, the build before the workspace; HEAD)
#   scripts/bench-build.sh HEAD HEAD          one revision only (no ratio): to compare with figures
#                                             recorded earlier on the same, idle machine
#   STEPS="release testbuild tests" scripts/bench-build.sh …
#       release: `cargo build --release`; testbuild: compiling every test, cold (what the layout
#       changes); tests: `scripts/test.sh`, a cold run of every test (which also grows with the
#       number of tests)
# Prints wall-clock and CPU (user+sys) seconds per step and revision, and HEAD/BASE ratios.
# Not part of `cargo test`: it takes minutes and needs the machine to itself to mean anything.
set -euo pipefail
base=${1:-8e8d7c4}
head=${2:-HEAD}
steps=${STEPS:-release testbuild tests}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/pgspec-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Resolved once: HEAD may move while this runs.
b=$(git -C "$repo" rev-parse --short "$base")
h=$(git -C "$repo" rev-parse --short "$head")
declare -A wall cpu
revisions="$b $h"
[ "$b" = "$h" ] && revisions=$h
for sha in $revisions; do
    for step in $steps; do
        dir="$work/$sha-$step"
        git clone -q --no-hardlinks "$repo" "$dir"
        git -C "$dir" checkout -q "$sha"
        case $step in
            release) cmd="cargo build --release --locked" ;;
            testbuild) cmd="cargo test --workspace --locked --no-run" ;;
            tests) cmd="bash scripts/test.sh" ;;
            *) echo "unknown step $step" >&2; exit 2 ;;
        esac
        echo "== $sha $step: $cmd" >&2
        if ! /usr/bin/time -f "%e %U %S" -o "$work/time" \
            env CARGO_TARGET_DIR="$dir/target" bash -c "cd '$dir' && $cmd" >"$work/$sha-$step.log" 2>&1; then
            echo "$sha $step failed; last lines:" >&2
            tail -20 "$work/$sha-$step.log" >&2
            exit 1
        fi
        read -r w u s <"$work/time"
        wall[$sha-$step]=$w
        cpu[$sha-$step]=$(echo "$u + $s" | bc)
        echo "$sha $step: ${w} s wall, ${cpu[$sha-$step]} s cpu" >&2
        grep -E "passed, .* failed" "$work/$sha-$step.log" | tail -1 >&2 || true
        rm -rf "$dir"
    done
done

printf "%-8s %-10s %10s %10s\n" step revision wall_s cpu_s
for step in $steps; do
    for sha in $revisions; do
        printf "%-8s %-10s %10.1f %10.1f\n" "$step" "$sha" "${wall[$sha-$step]}" "${cpu[$sha-$step]}"
    done
    [ "$b" = "$h" ] && continue
    printf "%-8s %-10s %10.2f %10.2f\n" "$step" "ratio" \
        "$(echo "${wall[$h-$step]} / ${wall[$b-$step]}" | bc -l)" \
        "$(echo "${cpu[$h-$step]} / ${cpu[$b-$step]}" | bc -l)"
done
