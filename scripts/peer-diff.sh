#!/usr/bin/env bash
# The round-trip property of `pgspec diff` on the peers' own test cases (data read at run time
# from ../shared/peer-cases or the directory given; never copied into this repository):
#   scripts/peer-diff.sh [PEER_DIR]
#   SUITES="pg-schema-diff migra" FILTER=enum LIMIT=20 OUT=/tmp/peer-diff scripts/peer-diff.sh
#   SUITES="sqldef sqldef-reverse" scripts/peer-diff.sh     # sqldef's psqldef YAML cases, both ways
#   SPEED=1 RUNS=5 scripts/peer-diff.sh                     # and time migra beside pgspec
#   STRIDE=3 SUITES=sqldef scripts/peer-diff.sh             # every third case only
#   SPEED=1 SUITES=none scripts/peer-diff.sh                # the generated pairs alone
# For each case: build A and B with psql in databases of pgspec's private cluster (creating the
# roles the case names), run `pgspec diff --format json <A's URL> b.sql`, apply its statements to
# A with psql (ON_ERROR_STOP), compare the normalised `pg_dump --schema-only` of A and B (its
# statements without comments and settings, sorted: strict, then ignoring the order of columns), and run `pgspec diff <A's URL> b.sql` again: it must print
# nothing. Prints one Markdown table per suite (rows per group) and the hazard precision and
# recall against pg-schema-diff's expected hazards; per-case results go to $OUT/results.jsonl.
# Not part of `cargo test`: it takes many minutes. PGSPEC names the binary (default: the release
# build if present, else the debug build).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
peers=${1:-$repo/../shared/peer-cases}
if [ ! -d "$peers" ]; then
    echo "peer cases not found at $peers (give the directory as the first argument)" >&2
    exit 2
fi
if [ -z "${PGSPEC:-}" ]; then
    if [ -x "$repo/target/release/pgspec" ]; then PGSPEC=$repo/target/release/pgspec; else PGSPEC=$repo/target/debug/pgspec; fi
fi
out=${OUT:-$(mktemp -d /tmp/pgspec-peer-diff.XXXXXX)}
mkdir -p "$out"
url=$("$PGSPEC" cluster status | sed -n 's/^running ([^)]*): //p')
if [ -z "$url" ]; then
    "$PGSPEC" cluster start >/dev/null 2>&1 || true
    url=$("$PGSPEC" cluster status | sed -n 's/^running ([^)]*): //p')
fi
[ -n "$url" ] || { echo "the private cluster does not run" >&2; exit 2; }
echo "pgspec: $PGSPEC; cluster: $url; results: $out/results.jsonl" >&2

PEERS=$peers PGSPEC=$PGSPEC CLUSTER_URL=$url OUT=$out SUITES=${SUITES:-pg-schema-diff migra} \
FILTER=${FILTER:-} LIMIT=${LIMIT:-0} SPEED=${SPEED:-0} STRIDE=${STRIDE:-1} RUNS=${RUNS:-5} RENAMES=${RENAMES:---no-renames} \
exec python3 - <<'PY'
import json, os, re, statistics, subprocess, sys, time
from collections import defaultdict
from pathlib import Path

peers = Path(os.environ["PEERS"])
pgspec = os.environ["PGSPEC"]
cluster = os.environ["CLUSTER_URL"]
out = Path(os.environ["OUT"])
suites = os.environ["SUITES"].split()
flt = os.environ["FILTER"]
limit = int(os.environ["LIMIT"])
# The peers' cases expect a drop and an add where pgspec offers a rename: --no-renames by default.
RENAMES = os.environ.get("RENAMES", "--no-renames")

def db_url(name):
    return re.sub(r"/postgres\?", f"/{name}?", cluster, count=1)

ADMIN = db_url("postgres")

def run(args, timeout=180, **kw):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", "timeout")

def psql(db, *args):
    return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db_url(db), *args])

def recreate(db):
    psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    r = psql("postgres", "-c", f'CREATE DATABASE "{db}"')
    if r.returncode != 0:
        raise RuntimeError(r.stderr)

def drop(db):
    psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

def ensure_roles(roles):
    for role in roles:
        psql("postgres", "-c",
             f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
             f"THEN CREATE ROLE \"{role}\"; END IF; END$$")

def dump(db):
    r = run(["pg_dump", "--schema-only", "-d", db_url(db)])
    lines = []
    for line in r.stdout.splitlines():
        s = line.rstrip()
        if not s or s.startswith("--") or s.startswith("SET ") or s.startswith("\\restrict") \
                or s.startswith("\\unrestrict") or s.startswith("SELECT pg_catalog.set_config"):
            continue
        lines.append(s)
    # As statements, sorted: pg_dump's order among objects whose names tie follows their oids,
    # which says nothing about the schema.
    statements, current = [], []
    for s in lines:
        current.append(s)
        if s.endswith(";"):
            statements.append("\n".join(current))
            current = []
    if current:
        statements.append("\n".join(current))
    return sorted(statements)

def without_column_order(statements):
    def columns_sorted(st):
        lines = st.split("\n")
        if lines[0].startswith("CREATE TABLE ") and lines[0].endswith("("):
            end = next((i for i, l in enumerate(lines) if l.startswith(")")), len(lines))
            return "\n".join([lines[0]] + sorted(l.rstrip(",") for l in lines[1:end]) + lines[end:])
        return st
    return sorted(columns_sorted(st) for st in statements)

# pg-schema-diff hazard names -> pgspec codes.
HAZARDS = {
    "DELETES_DATA": {"DIF001", "DIF002"},
    "ACQUIRES_ACCESS_EXCLUSIVE_LOCK": {"DIF003", "DIF006"},
    "IMPACTS_DATABASE_PERFORMANCE": {"DIF003", "DIF004"},
    "INDEX_BUILD": {"DIF004"},
    "INDEX_DROPPED": {"DIF005"},
    "HAS_UNTRACKABLE_DEPENDENCIES": {"DIF007"},
    "UPGRADING_EXTENSION_VERSION": {"DIF007"},
}

def version_key(v):
    return tuple(int(x) for x in str(v).split("."))

def cases():
    if "pg-schema-diff" in suites:
        for meta in sorted((peers / "pg-schema-diff").glob("*/*/meta.json")):
            m = json.loads(meta.read_text())
            yield "pg-schema-diff", meta.parent.parent.name, meta.parent, m
    if "migra" in suites:
        for d in sorted((peers / "migra" / "FIXTURES").iterdir()):
            if (d / "a.sql").exists():
                yield "migra", "fixtures", d, {}
    for suite in ("sqldef", "sqldef-reverse"):
        if suite not in suites:
            continue
        # Each YAML case has `current` (A) and `desired` (B), empty when left out; the reverse
        # suite goes from desired back to current (the rollback direction). Cases for pgvector,
        # for a server other than 15 or offline-only (Aurora DSQL syntax) are left out.
        import yaml
        for f in sorted((peers / "sqldef" / "psqldef").glob("tests_*.yml")):
            for name, case in (yaml.safe_load(f.read_text()) or {}).items():
                if not isinstance(case, dict) or case.get("offline"):
                    continue
                if case.get("flavor") == "pgvector":
                    continue
                if version_key(case.get("min_version", "0")) > (15,) or \
                        version_key(case.get("max_version", "99")) < (15,):
                    continue
                current, desired = case.get("current") or "", case.get("desired") or ""
                a, b = (current, desired) if suite == "sqldef" else (desired, current)
                d = out / "cases" / suite / f.stem / name
                d.mkdir(parents=True, exist_ok=True)
                (d / "a.sql").write_text(a)
                (d / "b.sql").write_text(b)
                meta = {"roles": list(case.get("managed_roles") or []) + ([case["user"]] if case.get("user") else [])}
                if case.get("error") and suite == "sqldef":
                    meta["expected_error"] = case["error"]
                yield suite, f.stem[len("tests_"):], d, meta

# Speed beside migra (SPEED=1): migra in a virtualenv of its own (made on first use), timed on
# the same A and B as pgspec, the two runs of a case in alternating order so that the
# machine's load falls on both.
speed = os.environ.get("SPEED") == "1"
migra = None
if speed:
    venv = Path(os.environ.get("MIGRA_VENV", Path.home() / ".cache" / "pgspec-bench" / "migra-venv"))
    if not (venv / "bin" / "migra").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        # migra's last release predates SQLAlchemy 2 (which defaults to psycopg 3).
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "migra", "psycopg2-binary",
                        "sqlalchemy<2"], check=True)
    migra = str(venv / "bin" / "migra")

def timed(args):
    t0 = time.monotonic()
    r = run(args)
    return r, round(time.monotonic() - t0, 3)

def time_migra(a, b):
    r, secs = timed([migra, "--unsafe", db_url(a), db_url(b)])
    # migra exits 2 when it found differences, 0 when none.
    return secs if r.returncode in (0, 2) else None

results = []
n = 0
# The machine's load, said beside every figure (a shared machine moves times by a factor of two).
load_at_start = os.getloadavg()
# STRIDE=k: every k-th case of each suite, in file order (a fixed sample when time is short).
stride = int(os.environ.get("STRIDE", "1"))
seen = defaultdict(int)
for suite, group, path, meta in cases():
    cid = f"{suite}/{group}/{path.name}"
    if flt and flt not in cid:
        continue
    seen[suite] += 1
    if (seen[suite] - 1) % stride:
        continue
    if "plan_factory" in meta:
        continue  # tests of the peer's own API (schema sources), not of a diff
    n += 1
    if limit and n > limit:
        break
    res = {"case": cid, "suite": suite, "group": group,
           "expects_error": "expected_error" in meta}
    a, b = f"pgspec_peer_a_{os.getpid()}", f"pgspec_peer_b_{os.getpid()}"
    # migra's own test set-up creates this role for its rls fixture.
    ensure_roles(meta.get("roles", []) + (["schemainspect_test_role"] if suite == "migra" else []))
    recreate(a); recreate(b)
    ra = psql(a, "-f", str(path / "a.sql"))
    rb = psql(b, "-f", str(path / "b.sql"))
    if ra.returncode or rb.returncode:
        res["status"] = "setup-error"
        res["why"] = (ra.stderr or rb.stderr).strip().splitlines()[-1:] 
        results.append(res); print(cid, res["status"], file=sys.stderr); continue
    if speed and suite in ("pg-schema-diff", "migra") and n % 2 == 0:
        res["migra_seconds"] = time_migra(a, b)
    r, res["seconds"] = timed([pgspec, "diff", "--format", "json", RENAMES, db_url(a), str(path / "b.sql")])
    if speed and suite in ("pg-schema-diff", "migra") and n % 2 == 1:
        res["migra_seconds"] = time_migra(a, b)
    if r.returncode == 2:
        res["status"] = "refused"
        res["why"] = [l for l in r.stderr.splitlines() if "error" in l][:3]
    elif r.returncode != 0:
        res["status"] = "crash"
        res["why"] = r.stderr.strip().splitlines()[-3:]
    else:
        plan = json.loads(r.stdout)
        stmts = plan.get("statements", [])
        res["rename_candidates"] = any("renames" in n for n in plan.get("notes", []))
        res["not_validated"] = [n for n in plan.get("notes", []) if n.startswith("not validated")]
        res["statements"] = len(stmts)
        res["hazards"] = sorted({h["code"] for s in stmts for h in s["hazards"]})
        sql = "".join(s["sql"] + "\n;\n" for s in stmts)
        (out / "plan.sql").write_text(sql)
        ap = psql(a, "-f", str(out / "plan.sql"))
        if ap.returncode:
            res["status"] = "apply-failed"
            res["why"] = ap.stderr.strip().splitlines()[-2:]
        else:
            da, db = dump(a), dump(b)
            if da == db:
                res["status"] = "pass"
            elif without_column_order(da) == without_column_order(db):
                res["status"] = "pass-column-order"
            else:
                res["status"] = "diverged"
                sa, sb = set(da), set(db)
                res["why"] = [("-" + x.replace("\n", " ")) for x in da if x not in sb][:3] + [("+" + x.replace("\n", " ")) for x in db if x not in sa][:3]
            again = run([pgspec, "diff", db_url(a), str(path / "b.sql")])
            res["rediff_empty"] = again.returncode == 0 and again.stdout.strip() == ""
            if res["status"].startswith("pass") and not res["rediff_empty"]:
                res["status"] = "rediff-not-empty"
                res["why"] = (again.stdout.strip().splitlines() + again.stderr.strip().splitlines())[:4]
    if meta.get("expected_hazards") is not None or suite == "pg-schema-diff":
        res["expected_hazards"] = meta.get("expected_hazards", [])
    results.append(res)
    print(cid, res["status"], *(res.get("why") or [])[:2], file=sys.stderr)
drop(f"pgspec_peer_a_{os.getpid()}"); drop(f"pgspec_peer_b_{os.getpid()}")

with open(out / "results.jsonl", "w") as f:
    for r in results:
        f.write(json.dumps(r) + "\n")

def load_text(start):
    end = os.getloadavg()
    return f"load average {start[0]:.1f} at the start, {end[0]:.1f} at the end"

print(f"\n{load_text(load_at_start)} of the peer cases")
COLS = ["pass", "pass-column-order", "refused", "apply-failed", "diverged", "rediff-not-empty", "crash", "setup-error"]
for suite in suites:
    rows = [r for r in results if r["suite"] == suite]
    if not rows:
        continue
    print(f"\n### {suite}\n")
    print("| group | cases | " + " | ".join(COLS) + " |")
    print("|---|---:|" + "---:|" * len(COLS))
    groups = defaultdict(list)
    for r in rows:
        groups[r["group"]].append(r)
    for g in sorted(groups) + ["**all**"]:
        rs = rows if g == "**all**" else groups[g]
        counts = [sum(1 for r in rs if r["status"] == c) for c in COLS]
        print(f"| {g} | {len(rs)} | " + " | ".join(str(c) for c in counts) + " |")
    plan_cases = [r for r in rows if not r["expects_error"] and r["status"] != "setup-error"]
    strict = sum(1 for r in plan_cases if r["status"] == "pass")
    loose = sum(1 for r in plan_cases if r["status"] in ("pass", "pass-column-order"))
    if plan_cases:
        print(f"\ncases that expect a plan: {len(plan_cases)}; strict pass {strict} "
              f"({100 * strict / len(plan_cases):.1f}%); column order aside {loose} "
              f"({100 * loose / len(plan_cases):.1f}%); refused {sum(1 for r in plan_cases if r['status'] == 'refused')}; "
              f"diverged without a refusal {sum(1 for r in plan_cases if r['status'] in ('diverged', 'rediff-not-empty', 'apply-failed'))}")
    err_cases = [r for r in rows if r["expects_error"]]
    if err_cases:
        ok = sum(1 for r in err_cases if r["status"] in ("refused", "pass", "pass-column-order"))
        print(f"cases that expect an error: {len(err_cases)}; refused or correct {ok}")
    secs = [r["seconds"] for r in rows if "seconds" in r]
    if secs:
        print(f"median `pgspec diff` time per case (validation included): {statistics.median(secs):.2f} s")
    both = [r for r in rows if r.get("migra_seconds") is not None and "seconds" in r]
    if both:
        print(f"same cases beside migra ({len(both)} where migra ran, alternating order): pgspec median "
              f"{statistics.median(r['seconds'] for r in both):.2f} s, migra median "
              f"{statistics.median(r['migra_seconds'] for r in both):.2f} s")
    if suite == "pg-schema-diff":
        tp = fp = fn = 0
        for r in rows:
            if r["status"] not in ("pass", "pass-column-order") or "expected_hazards" not in r:
                continue
            ours = set(r.get("hazards", []))
            for h in r["expected_hazards"]:
                if h not in HAZARDS:
                    continue
                if HAZARDS[h] & ours:
                    tp += 1
                else:
                    fn += 1
            mapped = set().union(*[HAZARDS[h] for h in r["expected_hazards"] if h in HAZARDS]) if r["expected_hazards"] else set()
            fp += len(ours - mapped)
        if tp + fp and tp + fn:
            print(f"hazards on passing cases (expected classes pgspec has a code for): precision {100 * tp / (tp + fp):.0f}% "
                  f"({tp}/{tp + fp}), recall {100 * tp / (tp + fn):.0f}% ({tp}/{tp + fn})")

# Generated pairs (SPEED=1): N tables with a key, a foreign key to the previous table and an
# index; B adds a column to every table, an index to every third and drops a column of every
# fifth. Each tool runs RUNS times on the same A and B, alternating which goes first: pgspec
# given A's URL and b.sql (B applied as a document), pgspec given both URLs (as migra is), migra.
if speed:
    def generated(n, changed):
        out = []
        for i in range(n):
            fk = f", prev_id bigint REFERENCES t{i - 1} (id)" if i else ""
            extra = f", added_{i} text" if changed else ""
            note = "" if changed and i % 5 == 0 else ", note text"
            out.append(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, "
                       f"created_at timestamptz DEFAULT now(){note}{fk}{extra});")
            out.append(f"CREATE INDEX t{i}_name ON t{i} (name);")
            if changed and i % 3 == 0:
                out.append(f"CREATE INDEX t{i}_created ON t{i} (created_at);")
        return "\n".join(out) + "\n"
    runs = int(os.environ.get("RUNS", "5"))
    generated_start = os.getloadavg()
    print("\n### generated pairs beside migra\n")
    print(f"| pair | pgspec, A's URL and b.sql: median of {runs} | pgspec, two URLs | migra, two URLs | ratio (b.sql) | ratio (URLs) |")
    print("|---|---:|---:|---:|---:|---:|")
    for n_tables in (30, 300):
        d = out / "generated" / str(n_tables)
        d.mkdir(parents=True, exist_ok=True)
        (d / "a.sql").write_text(generated(n_tables, False))
        (d / "b.sql").write_text(generated(n_tables, True))
        a, b = f"pgspec_gen_a_{os.getpid()}", f"pgspec_gen_b_{os.getpid()}"
        recreate(a); recreate(b)
        psql(a, "-f", str(d / "a.sql")); psql(b, "-f", str(d / "b.sql"))
        ours, urls, theirs = [], [], []
        for i in range(runs):
            order = ["pgspec", "urls", "migra"] if i % 2 == 0 else ["migra", "urls", "pgspec"]
            for tool in order:
                if tool == "pgspec":
                    r, secs = timed([pgspec, "diff", "--format", "json", RENAMES, db_url(a), str(d / "b.sql")])
                    if r.returncode == 0:
                        ours.append(secs)
                elif tool == "urls":
                    r, secs = timed([pgspec, "diff", "--format", "json", RENAMES, db_url(a), db_url(b)])
                    if r.returncode == 0:
                        urls.append(secs)
                else:
                    secs = time_migra(a, b)
                    if secs is not None:
                        theirs.append(secs)
        drop(a); drop(b)
        med = lambda xs: f"{statistics.median(xs):.2f} s" if xs else "failed"
        ratio = lambda xs: f"{statistics.median(xs) / statistics.median(theirs):.2f}" if xs and theirs else ""
        print(f"| {n_tables} tables | {med(ours)} | {med(urls)} | {med(theirs)} | {ratio(ours)} | {ratio(urls)} |")
    print(f"\n{load_text(generated_start)} of the generated pairs")
PY
