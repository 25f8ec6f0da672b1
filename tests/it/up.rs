//! `up` on the seed documents: every system comes up, what is left needs a person, the summary
//! is the catalog's, the documents' own functions run, and `sql | psql` builds the same catalog.

use std::process::Command;

use pgspec::check::StatementStatus;
use pgspec::postgres::Server;
use pgspec::sql::StatementKind;
use pgspec::{pipeline, up};

use crate::postgres::shared_cluster;

const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

fn seed_bytes(prefix: &str) -> (String, Vec<u8>) {
    let path = crate::seed_file("original", prefix);
    let bytes = std::fs::read(&path).expect("read seed");
    (path.display().to_string(), bytes)
}

fn server() -> Server {
    Server::Url(shared_cluster().url("postgres"))
}

fn client(database: &str) -> postgres::Client {
    crate::data_client(&server(), database)
}

/// Bring a seed up as `pgspec_uptest_<seed>` (recreated) and return the report.
fn bring_up(seed: &str) -> (String, up::UpReport) {
    let (_, bytes) = seed_bytes(seed);
    let name = format!("pgspec_uptest_{seed}");
    let report = up::up(pipeline::extract(&bytes), &bytes, &server(), &name, true)
        .unwrap_or_else(|e| panic!("up {seed}: {e}"));
    (name, report)
}

fn count(client: &mut postgres::Client, sql: &str) -> u64 {
    let n: i64 = client
        .query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0);
    u64::try_from(n).expect("count")
}

/// Counts by kind read from the catalog views (pg_tables, pg_indexes, pg_policies, …), not from
/// the query `up` uses.
fn catalog_counts(client: &mut postgres::Client) -> Vec<(&'static str, u64)> {
    const USER: &str = "NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
    let not_ext = "NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e')";
    vec![
        ("tables", count(client, &format!(
            "SELECT count(*) FROM pg_tables t JOIN pg_class c ON c.relname = t.tablename \
             AND c.relnamespace = t.schemaname::regnamespace \
             WHERE t.schemaname {USER} AND NOT c.relispartition AND c.oid {not_ext}"))),
        ("partitions", count(client, &format!(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE c.relispartition AND c.relkind IN ('r', 'p') AND c.relnamespace::regnamespace::text {USER}"))),
        ("indexes", count(client, &format!(
            "SELECT count(*) FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname \
             AND c.relnamespace = i.schemaname::regnamespace WHERE i.schemaname {USER} AND c.oid {not_ext}"))),
        ("views", count(client, &format!(
            "SELECT count(*) FROM pg_views WHERE schemaname {USER} \
             AND format('%I.%I', schemaname, viewname)::regclass::oid {not_ext}"))),
        ("materialized_views", count(client, &format!("SELECT count(*) FROM pg_matviews WHERE schemaname {USER}"))),
        ("policies", count(client, &format!("SELECT count(*) FROM pg_policies WHERE schemaname {USER}"))),
        ("functions", count(client, &format!(
            "SELECT count(*) FROM information_schema.routines r JOIN pg_proc p \
             ON r.specific_name = p.proname || '_' || p.oid WHERE r.routine_schema {USER} AND p.oid {not_ext}"))),
        ("triggers", count(client, &format!(
            "SELECT count(DISTINCT (t.event_object_schema, t.event_object_table, t.trigger_name)) \
             FROM information_schema.triggers t JOIN pg_class c ON c.relname = t.event_object_table \
             AND c.relnamespace = t.event_object_schema::regnamespace \
             WHERE t.event_object_schema {USER} AND NOT c.relispartition"))),
    ]
}

#[test]
fn every_seed_comes_up_leaving_only_human_decisions_and_its_counts_are_the_catalogs() {
    let _guard = crate::check::seed_lock();
    for seed in SEEDS {
        let (name, report) = bring_up(seed);
        let (_, check) = report.check.as_ref().expect("applied");
        for s in &check.statements {
            if !matches!(s.kind, StatementKind::Schema | StatementKind::Data) {
                continue;
            }
            if s.status == StatementStatus::Failed {
                let decision = s.decision.as_deref().unwrap_or("");
                assert!(
                    decision.len() > 20,
                    "seed {seed} line {}: failed without a human decision: {s:?}",
                    s.line
                );
            }
        }
        if matches!(seed, "000" | "001" | "004") {
            let failed: Vec<_> = check
                .statements
                .iter()
                .filter(|s| matches!(s.kind, StatementKind::Schema | StatementKind::Data))
                .filter(|s| matches!(s.status, StatementStatus::Failed | StatementStatus::Cascade))
                .map(|s| (s.line, s.category))
                .collect();
            assert_eq!(failed, vec![], "seed {seed}");
            // Seed 004's partitions of tables declared unpartitioned need a person's decision:
            // `up` assumes them tables of their own, and says so.
            if seed == "004" {
                let assumed: Vec<u32> = check
                    .statements
                    .iter()
                    .filter(|s| s.status == StatementStatus::Assumed)
                    .map(|s| s.line)
                    .collect();
                assert_eq!(assumed, vec![140, 216], "seed {seed}");
            }
        }
        let mut db = client(&name);
        for (kind, in_catalog) in catalog_counts(&mut db) {
            let reported = report
                .objects
                .iter()
                .find(|o| o.kind == kind)
                .unwrap_or_else(|| panic!("seed {seed}: no {kind} in the summary"));
            assert_eq!(
                reported.in_database, in_catalog,
                "seed {seed}: {kind} in the summary vs the catalog"
            );
        }
        assert!(up::down(&server(), &name).expect("down"));
    }
}

/// Every partitioned table has a partition (not the DEFAULT one) whose partition constraint
/// admits `now()` for its key.
fn today_is_covered(db: &mut postgres::Client) -> Vec<String> {
    let rows = db
        .query(
            "SELECT p.oid::regclass::text, c.oid::regclass::text, pg_get_partition_constraintdef(c.oid), \
                    pg_get_partkeydef(p.oid) \
             FROM pg_partitioned_table pt JOIN pg_class p ON p.oid = pt.partrelid \
             JOIN pg_inherits i ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE NOT p.relispartition AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'",
            &[],
        )
        .expect("partitions");
    let mut covered = std::collections::BTreeMap::<String, bool>::new();
    for row in rows {
        let parent: String = row.get(0);
        let constraint: Option<String> = row.get(2);
        let key: String = row.get(3);
        // RANGE (created_at): evaluate the constraint with the key column set to now().
        let column = key
            .trim_start_matches("RANGE (")
            .trim_end_matches(')')
            .to_string();
        let entry = covered.entry(parent).or_insert(false);
        if !key.starts_with("RANGE (") || column.contains(',') || column.contains('(') {
            *entry = true; // not a single-column time range: nothing to check here
            continue;
        }
        let Some(constraint) = constraint else {
            continue;
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM (SELECT now() AS {column}) s WHERE {constraint})"
        );
        // A key column of another type (date, bigint) makes the comparison fail: cast to it.
        let ok = db
            .query_one(&sql, &[])
            .map(|r| r.get::<_, bool>(0))
            .or_else(|_| {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM (SELECT now()::date AS {column}) s WHERE {constraint})");
                db.query_one(&sql, &[]).map(|r| r.get::<_, bool>(0))
            })
            .unwrap_or(false);
        *entry |= ok;
    }
    covered
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn the_documents_functions_run_after_up_and_today_has_a_partition() {
    let _guard = crate::check::seed_lock();
    let (name, _) = bring_up("000");
    let mut db = client(&name);
    assert_eq!(today_is_covered(&mut db), Vec::<String>::new());
    let mut tx = db.transaction().expect("tx");
    let row = tx
        .query_one(
            "SELECT old_group_id, new_group_id FROM rotate_encryption_keys()",
            &[],
        )
        .expect("rotate_encryption_keys() runs");
    let old: Option<String> = row.get::<_, Option<uuid_text::Uuid>>(0).map(|u| u.0);
    let new: Option<String> = row.get::<_, Option<uuid_text::Uuid>>(1).map(|u| u.0);
    assert!(new.is_some(), "a new key group is created");
    tx.query(
        "SELECT * FROM reencrypt_table_batch('users', $1::text::uuid, $2::text::uuid, 100)",
        &[&old, &new],
    )
    .expect("reencrypt_table_batch() runs");
    tx.execute("SELECT create_monthly_partitions()", &[])
        .expect("the document's partition maintenance runs next to pgspec's partitions");
    // The document's own bug: finalize_key_rotation() writes an audit row its CHECK and column
    // types forbid. It must fail, not be hidden.
    tx.execute("SAVEPOINT finalize", &[]).expect("savepoint");
    let err = tx
        .execute(
            "SELECT finalize_key_rotation($1::text::uuid, $2::text::uuid)",
            &[&old, &new],
        )
        .expect_err("finalize_key_rotation() violates the document's own constraints");
    let code = err.code().map(|c| c.code().to_string()).unwrap_or_default();
    assert!(
        ["23514", "22001", "23502"].contains(&code.as_str()),
        "unexpected failure of finalize_key_rotation(): {err}"
    );
    tx.rollback().expect("rollback");
    drop(db);
    assert!(up::down(&server(), &name).expect("down"));

    let (name, _) = bring_up("004");
    let mut db = client(&name);
    assert_eq!(today_is_covered(&mut db), Vec::<String>::new());
    db.execute("SELECT create_monthly_partition()", &[])
        .expect("004's create_monthly_partition() runs after up");
    drop(db);
    assert!(up::down(&server(), &name).expect("down"));
}

/// Text form of a uuid, read as text (no uuid feature on the postgres crate).
mod uuid_text {
    pub struct Uuid(pub String);
    impl<'a> postgres::types::FromSql<'a> for Uuid {
        fn from_sql(
            _: &postgres::types::Type,
            raw: &'a [u8],
        ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            Ok(Uuid(format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )))
        }
        fn accepts(ty: &postgres::types::Type) -> bool {
            *ty == postgres::types::Type::UUID
        }
    }
}

/// Every object of the user's schemas, by kind and name (constraints with their definition).
const CATALOG_SIGNATURE: &str = "
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
            AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'),
ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
SELECT 'relation ' || c.relkind::text || ' ' || c.oid::regclass::text FROM pg_class c
  WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.oid NOT IN (SELECT objid FROM ext)
UNION ALL SELECT 'constraint ' || k.conrelid::regclass::text || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
  FROM pg_constraint k WHERE k.connamespace IN (SELECT oid FROM ns) AND k.conrelid <> 0
UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
  WHERE p.pronamespace IN (SELECT oid FROM ns) AND p.oid NOT IN (SELECT objid FROM ext)
UNION ALL SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname FROM pg_trigger t WHERE NOT t.tgisinternal
UNION ALL SELECT 'policy ' || pol.polrelid::regclass::text || ' ' || pol.polname FROM pg_policy pol
UNION ALL SELECT 'extension ' || extname FROM pg_extension
ORDER BY 1";

fn signature(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(CATALOG_SIGNATURE, &[])
        .expect("signature")
        .into_iter()
        .map(|r| r.get(0))
        .collect()
}

fn sql_piped_into_psql_builds_the_catalog_that_up_builds(seed: &str) {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql_file = dir.path().join("system.sql");
    let psql = shared_cluster().bins.bin_dir.join("psql");
    let (path, _) = seed_bytes(seed);
    let out = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args([
            "sql",
            "--db",
            &url,
            "-o",
            &sql_file.display().to_string(),
            &path,
        ])
        .output()
        .expect("pgspec sql");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A cluster of its own: the script creates cluster-wide roles, which `up` runs of
    // other tests may have created already in the shared one.
    let target_cluster =
        pgspec::postgres::Cluster::temporary(&shared_cluster().bins).expect("temporary cluster");
    let target_url = target_cluster.url("postgres");
    let out = Command::new(&psql)
        .args([
            &target_url,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-f",
            &sql_file.display().to_string(),
        ])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "seed {seed}: `pgspec sql` output does not apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (name, _) = bring_up(seed);
    let mut target = Server::Url(target_url.clone())
        .admin_client("postgres")
        .expect("connect to the psql target");
    // pg_cron's own objects aside: the psql target is its cluster's cron database, where the
    // script's `CREATE EXTENSION pg_cron` creates them; `up`'s database is served from the
    // cron database and holds none.
    let from_psql: Vec<String> = signature(&mut target)
        .into_iter()
        .filter(|s| s != "extension pg_cron" && !s.contains(" cron."))
        .collect();
    let from_up = signature(
        &mut server()
            .admin_client(&name)
            .expect("connect to the up database"),
    );
    let only_psql: Vec<&String> = from_psql.iter().filter(|s| !from_up.contains(s)).collect();
    let only_up: Vec<&String> = from_up.iter().filter(|s| !from_psql.contains(s)).collect();
    assert!(
        only_psql.is_empty() && only_up.is_empty(),
        "seed {seed}: only after psql: {only_psql:#?}\nonly after up: {only_up:#?}"
    );
    assert!(up::down(&server(), &name).expect("down"));
}

// One test per seed: each starts a cluster of its own for psql, and they run side by side.
#[test]
fn sql_piped_into_psql_builds_the_catalog_that_up_builds_000() {
    sql_piped_into_psql_builds_the_catalog_that_up_builds("000");
}

#[test]
fn sql_piped_into_psql_builds_the_catalog_that_up_builds_001() {
    sql_piped_into_psql_builds_the_catalog_that_up_builds("001");
}

#[test]
fn sql_piped_into_psql_builds_the_catalog_that_up_builds_002() {
    sql_piped_into_psql_builds_the_catalog_that_up_builds("002");
}

#[test]
fn sql_piped_into_psql_builds_the_catalog_that_up_builds_003() {
    sql_piped_into_psql_builds_the_catalog_that_up_builds("003");
}

#[test]
fn sql_piped_into_psql_builds_the_catalog_that_up_builds_004() {
    sql_piped_into_psql_builds_the_catalog_that_up_builds("004");
}

/// `up`, `seed` and `verify` on a seed (one test per seed, run side by side): each table `up` created gets rows (or a SEED
/// diagnostic names why not), the claims the issue names are checked, and rows dated now land
/// in a partition of their own (an UPDATE of the partition key moves a seeded row there).
fn is_seeded_and_its_claims_are_verified(prefix: &str) {
    use pgspec::seed::{self, SeedOptions};
    use pgspec::verify::{self, ClaimKind, Status};
    // Held throughout: `down` drops roles that another seed's `up` on this cluster may share.
    let _guard = crate::check::seed_lock();
    let c = shared_cluster();
    let server = Server::Embedded(
        pgspec::postgres::Cluster::ensure(&c.root, &c.bins).expect("the shared cluster runs"),
    );
    let (_, bytes) = seed_bytes(prefix);
    let name = format!("pgspec_seedtest_{prefix}");
    up::up(pipeline::extract(&bytes), &bytes, &server, &name, true)
        .unwrap_or_else(|e| panic!("up {prefix}: {e}"));
    let extracted = pipeline::extract(&bytes);
    let options = SeedOptions {
        rows: 300,
        ..SeedOptions::default()
    };
    let report = seed::seed(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &options,
        &mut pgspec::seed::NoProgress,
    )
    .unwrap_or_else(|e| panic!("seed {prefix}: {e}"));
    for table in &report.tables {
        let explained = report.diagnostics.iter().any(|d| {
            d.message
                .contains(table.table.rsplit('.').next().unwrap_or(""))
        });
        assert!(
            table.rows > 0 || explained,
            "seed {prefix}: {} received no rows and no diagnostic says why",
            table.table
        );
    }
    // Rows dated now have a partition of their own in every time-partitioned table.
    let mut db = crate::data_client(&server, &name);
    let tables = db
        .query(
            "SELECT p.oid::regclass::text, a.attname FROM pg_partitioned_table pt \
             JOIN pg_class p ON p.oid = pt.partrelid \
             JOIN pg_attribute a ON a.attrelid = p.oid AND a.attnum = pt.partattrs[0] \
             WHERE pt.partstrat = 'r' AND pt.partnatts = 1 AND NOT p.relispartition \
             AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) \
             AND NOT a.attgenerated <> ''",
            &[],
        )
        .expect("partitioned tables");
    for row in tables {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        let mut tx = db.transaction().expect("tx");
        let moved = tx.query_opt(
            &format!(
                "UPDATE {table} SET {column} = now() WHERE (tableoid, ctid) = \
                 (SELECT tableoid, ctid FROM {table} LIMIT 1) RETURNING tableoid::regclass::text"
            ),
            &[],
        );
        // The row reached a partition: it is in it, or that partition's CHECK (a rule of
        // the document relating the date to other columns) refused the moved row.
        let partition = match moved {
            Ok(Some(r)) => Some(r.get::<_, String>(0)),
            Ok(None) => None,
            Err(e) if e.code() == Some(&postgres::error::SqlState::CHECK_VIOLATION) => {
                e.as_db_error().and_then(|d| d.table()).map(str::to_string)
            }
            Err(e) => panic!("seed {prefix}: a row of {table} dated now: {e:?}"),
        };
        if let Some(partition) = partition {
            assert!(
                !partition.ends_with("_default"),
                "seed {prefix}: a row of {table} dated now lands in {partition}"
            );
        }
        tx.rollback().expect("rollback");
    }
    drop(db);

    let verified = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .unwrap_or_else(|e| panic!("verify {prefix}: {e}"));
    let claims = |kind: ClaimKind| verified.claims.iter().filter(move |c| c.kind == kind);
    match prefix {
        "000" | "001" => {
            let rls: Vec<_> = claims(ClaimKind::Rls).collect();
            assert!(!rls.is_empty(), "seed {prefix}: no RLS claim");
            assert!(
                rls.iter().all(|c| c.status == Status::Pass),
                "seed {prefix}: {rls:#?}"
            );
        }
        _ => {}
    }
    if prefix == "000" {
        for f in [
            "rotate_encryption_keys",
            "reencrypt_table_batch",
            "finalize_key_rotation",
        ] {
            assert!(
                claims(ClaimKind::Function).any(|c| c.title.contains(f)),
                "seed 000: no claim for {f}"
            );
        }
        // The document's own bug is a failed claim, not a hidden one.
        assert!(claims(ClaimKind::Function)
            .any(|c| c.title.contains("finalize_key_rotation") && c.status == Status::Fail));
    }
    if prefix == "002" {
        assert!(
            claims(ClaimKind::Explain).any(|c| c.evidence.get("chosen").is_some()),
            "seed 002: no covering-index claim with usable/chosen evidence"
        );
    }
    if prefix == "004" {
        assert!(
            claims(ClaimKind::Explain).any(|c| c.title.to_lowercase().contains("jobs")),
            "seed 004: the keyset pagination claim is missing"
        );
    }
    assert!(up::down(&server, &name).expect("down"));
}

#[test]
fn seed_000_is_seeded_and_its_claims_are_verified() {
    is_seeded_and_its_claims_are_verified("000");
}

#[test]
fn seed_001_is_seeded_and_its_claims_are_verified() {
    is_seeded_and_its_claims_are_verified("001");
}

#[test]
fn seed_002_is_seeded_and_its_claims_are_verified() {
    is_seeded_and_its_claims_are_verified("002");
}

#[test]
fn seed_003_is_seeded_and_its_claims_are_verified() {
    is_seeded_and_its_claims_are_verified("003");
}

#[test]
fn seed_004_is_seeded_and_its_claims_are_verified() {
    is_seeded_and_its_claims_are_verified("004");
}
