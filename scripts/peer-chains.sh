#!/usr/bin/env bash
# Chains of revisions through `pgspec migrate` on the peers' whole sets (tests/it/migrate_chains.rs
# in its whole-set mode; the peers' data is read at run time from ../shared/peer-cases, never
# copied into this repository):
#   scripts/peer-chains.sh                      # every case of every peer (long: about an hour)
#   STRIDE=10 scripts/peer-chains.sh            # every tenth pair of each peer (pgroll whole)
#   ONLY=pgroll scripts/peer-chains.sh          # one peer: pg_schema_diff, migra, sqldef, pgroll
#   WRITE=1 scripts/peer-chains.sh              # and put the table into BENCHMARKS.md
# Each chain: A → B → A for a pair (pgroll: its 56 examples in order), `migrate new`, `up`,
# `seed`, `migrate apply` per revision with the rows there, the catalog equal to a fresh build
# of each revision, then `migrate down` back to the first. Per-chain lines go to $OUT/chains.tsv.
# A chain whose step pgspec refuses with DIF008 and a reason (an extension with no update path
# back to its older version) is counted as refused, apart from the chains that fail.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$repo/../shared/peer-cases" ]; then
    echo "SKIPPED: $repo/../shared/peer-cases is absent" >&2
    exit 0
fi
out=${OUT:-$(mktemp -d /tmp/pgspec-peer-chains.XXXXXX)}
mkdir -p "$out"
filter=migrate_chain
case "${ONLY:-}" in
    "") ;;
    pgroll) filter=migrate_chain_from_pgroll_examples ;;
    *) filter=migrate_chains_from_${ONLY} ;;
esac
start=$(date +%s)
cd "$repo"
PGSPEC_CHAINS=all PGSPEC_CHAINS_STRIDE=${STRIDE:-1} \
    cargo test --test it "$filter" -- --nocapture --test-threads 1 >"$out/log" 2>&1 || true
took=$(( $(date +%s) - start ))
grep -o 'chain: .*' "$out/log" | sed 's/^chain: //' >"$out/chains.tsv" || true
echo "log: $out/log; chains: $out/chains.tsv; ${took} s" >&2

STRIDE=${STRIDE:-1} TOOK=$took COMMIT=$(git rev-parse --short HEAD) \
python3 - "$out/chains.tsv" >"$out/table.md" <<'PY'
import os, sys
from collections import OrderedDict
rows = [l.rstrip("\n").split("\t", 6) for l in open(sys.argv[1]) if l.strip()]
by = OrderedDict()
for source, name, fwd, down, conflicts, rowsum, result in rows:
    s = by.setdefault(source, dict(chains=0, ok=0, fwd=[0, 0], down=[0, 0], conflicts=0, rowless=0, failures=[], refusals=[]))
    s["chains"] += 1
    s["ok"] += result == "ok"
    for key, frac in (("fwd", fwd), ("down", down)):
        a, b = frac.split("/")
        s[key][0] += int(a); s[key][1] += int(b)
    s["conflicts"] += int(conflicts)
    s["rowless"] += result == "ok" and rowsum == "0"
    if result.startswith("refused"):
        s["refusals"].append((name, result))
    elif result != "ok":
        s["failures"].append((name, result))
stride = os.environ["STRIDE"]
print(f"Commit {os.environ['COMMIT']}, {'every case' if stride == '1' else 'every ' + stride + 'th pair'} "
      f"(pgroll: the whole chain), {os.environ['TOOK']} s, debug build, `scripts/peer-chains.sh`.\n")
print("| peer | chains | chains passed | refused, with the reason (DIF008) | failed | of which without rows | steps forward | steps down | steps applied once the rows were gone |")
print("|---|---|---|---|---|---|---|---|---|")
for source, s in by.items():
    print(f"| {source} | {s['chains']} | {s['ok']} | {len(s['refusals'])} | {len(s['failures'])} | {s['rowless']} | {s['fwd'][0]}/{s['fwd'][1]} | {s['down'][0]}/{s['down'][1]} | {s['conflicts']} |")
refusals = [(src, n, r) for src, s in by.items() for n, r in s["refusals"]]
if refusals:
    print("\nRefused chains (pgspec writes no file for the step and says why):\n")
    for src, n, r in refusals:
        print(f"- {src} `{n}`: {r[:400]}")
failures = [(src, n, r) for src, s in by.items() for n, r in s["failures"]]
if failures:
    print("\nFailing chains (the first lines of the reason):\n")
    for src, n, r in failures:
        print(f"- {src} `{n}`: {r[:300]}")
PY
cat "$out/table.md"
if [ "${WRITE:-0}" = 1 ]; then
    python3 - "$repo/BENCHMARKS.md" "$out/table.md" <<'PY'
import sys
path, table = sys.argv[1], open(sys.argv[2]).read().strip()
text = open(path).read()
begin, end = "<!-- peer-chains:begin -->", "<!-- peer-chains:end -->"
block = f"{begin}\n{table}\n{end}"
if begin in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n## Migration chains on the peers' cases (issue 15)\n\n" + block + "\n"
open(path, "w").write(text)
PY
fi
