//! Provisioning against the real server: partition coverage and the Supabase shim, each test
//! in its own scratch database on the shared cluster.

use pgspec::postgres::{ApplySession, Outcome, ScratchDatabase, Server};
use pgspec::provision::{partitions, supabase, ActionKind, ProvisionAction};

use crate::postgres::shared_cluster;

fn scratch() -> ScratchDatabase {
    let server = Server::Url(shared_cluster().url("postgres"));
    ScratchDatabase::create(&server, "pgspec_test")
        .unwrap_or_else(|e| panic!("scratch database: {e}"))
}

fn session(db: &ScratchDatabase) -> ApplySession {
    db.session().unwrap_or_else(|e| panic!("session: {e}"))
}

/// Run as the app role; it must apply.
fn apply(session: &mut ApplySession, sql: &str) {
    match session.apply(sql).expect("apply") {
        Outcome::Applied { .. } => {}
        Outcome::Failed { error, .. } => panic!("expected `{sql}` to apply, got {error:?}"),
    }
}

/// Run as the app role; it must fail. Returns the SQLSTATE.
fn apply_fails(session: &mut ApplySession, sql: &str) -> String {
    match session.apply(sql).expect("apply") {
        Outcome::Applied { .. } => panic!("expected `{sql}` to fail"),
        Outcome::Failed { error, .. } => error.sqlstate,
    }
}

fn strings(session: &mut ApplySession, sql: &str) -> Vec<Vec<Option<String>>> {
    session
        .query_as_document(sql)
        .unwrap_or_else(|e| panic!("query `{sql}`: {e}"))
}

/// The first column of every row.
fn column(session: &mut ApplySession, sql: &str) -> Vec<String> {
    strings(session, sql)
        .into_iter()
        .map(|r| r.into_iter().next().flatten().unwrap_or_default())
        .collect()
}

fn value(session: &mut ApplySession, sql: &str) -> Option<String> {
    strings(session, sql)
        .into_iter()
        .last()
        .and_then(|r| r.into_iter().next().flatten())
}

fn partitions_of(session: &mut ApplySession, table: &str) -> Vec<String> {
    column(
        session,
        &format!(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = '{table}'::regclass ORDER BY 1"
        ),
    )
}

/// The partition a row with this key lands in (inserted as the app role, then looked up).
fn routed_to(session: &mut ApplySession, table: &str, id: i64, key: &str) -> String {
    apply(
        session,
        &format!("INSERT INTO {table} (id, created_at) VALUES ({id}, '{key}')"),
    );
    value(
        session,
        &format!("SELECT tableoid::regclass::text FROM {table} WHERE id = {id}"),
    )
    .unwrap_or_default()
}

fn created(actions: &[ProvisionAction]) -> Vec<(ActionKind, String)> {
    actions
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ActionKind::PartitionCreated | ActionKind::DefaultPartitionCreated
            )
        })
        .map(|a| (a.kind, a.object.clone()))
        .collect()
}

fn monthly_2025(session: &mut ApplySession, table: &str, name: impl Fn(u32) -> String) {
    for m in 1..=12u32 {
        let (ny, nm) = if m == 12 { (2026, 1) } else { (2025, m + 1) };
        apply(
            session,
            &format!(
                "CREATE TABLE {} PARTITION OF {table} FOR VALUES FROM ('2025-{m:02}-01') TO ('{ny}-{nm:02}-01')",
                name(m)
            ),
        );
    }
}

#[test]
fn monthly_partitions_follow_the_existing_pattern_and_are_idempotent() {
    let db = scratch();
    let mut s = session(&db);
    apply(
        &mut s,
        "CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, payload text, \
         PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)",
    );
    monthly_2025(&mut s, "events", |m| format!("events_2025_{m:02}"));

    // Before: a row dated in the window has nowhere to go.
    assert_eq!(
        partitions::uncovered_today(&mut s, (2026, 11, 23)).expect("uncovered"),
        vec!["public.events".to_string()]
    );
    assert_eq!(
        apply_fails(
            &mut s,
            "INSERT INTO events (id, created_at) VALUES (0, '2026-11-23')"
        ),
        "23514"
    );

    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 3, true).expect("coverage");
    assert_eq!(
        created(&actions),
        vec![
            (ActionKind::PartitionCreated, "public.events_2026_11".into()),
            (ActionKind::PartitionCreated, "public.events_2026_12".into()),
            (ActionKind::PartitionCreated, "public.events_2027_01".into()),
            (ActionKind::PartitionCreated, "public.events_2027_02".into()),
            (
                ActionKind::DefaultPartitionCreated,
                "public.events_default".into()
            ),
        ],
        "{actions:#?}"
    );
    assert!(actions.iter().all(|a| a.sql.starts_with("CREATE TABLE")));
    // JSON shape for the CLI.
    let json = serde_json::to_value(&actions[0]).expect("json");
    assert_eq!(json["kind"], "partition-created");
    assert_eq!(json["object"], "public.events_2026_11");

    assert_eq!(
        routed_to(&mut s, "events", 1, "2026-11-23 12:00:00+00"),
        "events_2026_11"
    );
    assert_eq!(
        routed_to(&mut s, "events", 2, "2027-02-10"),
        "events_2027_02"
    );
    // Outside the window, the DEFAULT partition takes the row.
    assert_eq!(
        routed_to(&mut s, "events", 3, "2026-05-05"),
        "events_default"
    );
    // The partitions carry the parent's primary key.
    assert_eq!(
        apply_fails(
            &mut s,
            "INSERT INTO events (id, created_at) VALUES (1, '2026-11-23 12:00:00+00')"
        ),
        "23505"
    );
    // The app role owns what it created (no superuser fallback was needed).
    assert_eq!(
        value(
            &mut s,
            "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE relname = 'events_2026_11'"
        ),
        value(
            &mut s,
            "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE relname = 'events'"
        )
    );
    assert!(partitions::uncovered_today(&mut s, (2026, 11, 23))
        .expect("uncovered")
        .is_empty());

    let before = partitions_of(&mut s, "events");
    let again = partitions::ensure_coverage(&mut s, (2026, 11), 3, true).expect("coverage");
    assert!(created(&again).is_empty(), "{again:#?}");
    assert_eq!(partitions_of(&mut s, "events"), before);
}

#[test]
fn a_yearly_partition_covers_its_months() {
    let db = scratch();
    let mut s = session(&db);
    apply(
        &mut s,
        "CREATE TABLE metrics (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)",
    );
    apply(
        &mut s,
        "CREATE TABLE metrics_2026 PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 3, false).expect("coverage");
    // No monthly pattern to follow: pgspec's own names.
    assert_eq!(
        created(&actions),
        vec![
            (
                ActionKind::PartitionCreated,
                "public.metrics_y2027m01".into()
            ),
            (
                ActionKind::PartitionCreated,
                "public.metrics_y2027m02".into()
            ),
        ],
        "{actions:#?}"
    );
    assert_eq!(
        partitions_of(&mut s, "metrics"),
        vec!["metrics_2026", "metrics_y2027m01", "metrics_y2027m02"]
    );
    assert_eq!(
        routed_to(&mut s, "metrics", 1, "2027-01-31 23:59:59+00"),
        "metrics_y2027m01"
    );
}

#[test]
fn partly_covered_months_get_only_the_rest() {
    let db = scratch();
    let mut s = session(&db);
    apply(
        &mut s,
        "CREATE TABLE readings (id bigint, created_at timestamp NOT NULL) PARTITION BY RANGE (created_at)",
    );
    // Everything before 2026-11-15, and an arbitrary range in January.
    apply(
        &mut s,
        "CREATE TABLE readings_old PARTITION OF readings FOR VALUES FROM (MINVALUE) TO ('2026-11-15')",
    );
    apply(
        &mut s,
        "CREATE TABLE readings_jan PARTITION OF readings FOR VALUES FROM ('2027-01-10') TO ('2027-01-20 12:00')",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 2, false).expect("coverage");
    assert_eq!(
        created(&actions),
        vec![
            (
                ActionKind::PartitionCreated,
                "public.readings_y2026m11_rest".into()
            ),
            (
                ActionKind::PartitionCreated,
                "public.readings_y2026m12".into()
            ),
            (
                ActionKind::PartitionCreated,
                "public.readings_y2027m01_rest".into()
            ),
            (
                ActionKind::PartitionCreated,
                "public.readings_y2027m01_rest_2".into()
            ),
        ],
        "{actions:#?}"
    );
    assert!(
        actions[0].note.contains("readings_old"),
        "{}",
        actions[0].note
    );
    let bounds = column(
        &mut s,
        "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1",
    );
    assert!(bounds.contains(
        &"readings_y2026m11_rest FOR VALUES FROM ('2026-11-15 00:00:00') TO ('2026-12-01 00:00:00')"
            .to_string()
    ), "{bounds:#?}");
    assert!(bounds.contains(
        &"readings_y2027m01_rest_2 FOR VALUES FROM ('2027-01-20 12:00:00') TO ('2027-02-01 00:00:00')"
            .to_string()
    ), "{bounds:#?}");
    // A range up to MAXVALUE covers everything after it.
    apply(
        &mut s,
        "CREATE TABLE open_ended (id bigint, created_at date NOT NULL) PARTITION BY RANGE (created_at)",
    );
    apply(
        &mut s,
        "CREATE TABLE open_ended_all PARTITION OF open_ended FOR VALUES FROM ('2020-01-01') TO (MAXVALUE)",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 2, false).expect("coverage");
    assert!(
        !created(&actions)
            .iter()
            .any(|(_, o)| o.starts_with("public.open_ended")),
        "{actions:#?}"
    );
}

#[test]
fn list_and_hash_partitioned_tables_are_left_alone() {
    let db = scratch();
    let mut s = session(&db);
    apply(
        &mut s,
        "CREATE TABLE by_region (id bigint, region text NOT NULL) PARTITION BY LIST (region)",
    );
    apply(
        &mut s,
        "CREATE TABLE by_region_kr PARTITION OF by_region FOR VALUES IN ('kr')",
    );
    apply(
        &mut s,
        "CREATE TABLE by_hash (id bigint NOT NULL) PARTITION BY HASH (id)",
    );
    apply(
        &mut s,
        "CREATE TABLE by_id (id bigint NOT NULL) PARTITION BY RANGE (id)",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 3, true).expect("coverage");
    assert!(created(&actions).is_empty(), "{actions:#?}");
    let skipped: Vec<(&str, &str)> = actions
        .iter()
        .filter(|a| a.kind == ActionKind::Skipped)
        .map(|a| (a.object.as_str(), a.note.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:#?}");
    assert!(skipped
        .iter()
        .any(|(o, n)| *o == "public.by_region" && n.starts_with("LIST-partitioned")));
    assert!(skipped
        .iter()
        .any(|(o, n)| *o == "public.by_hash" && n.starts_with("HASH-partitioned")));
    assert!(skipped
        .iter()
        .any(|(o, n)| *o == "public.by_id" && n.contains("bigint")));
    assert_eq!(partitions_of(&mut s, "by_region"), vec!["by_region_kr"]);
}

#[test]
fn date_keys_with_a_composite_primary_key() {
    let db = scratch();
    let mut s = session(&db);
    apply(
        &mut s,
        "CREATE TABLE orders (id bigint NOT NULL, created_at date NOT NULL, total numeric, \
         PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 12), 1, false).expect("coverage");
    assert_eq!(
        created(&actions),
        vec![
            (
                ActionKind::PartitionCreated,
                "public.orders_y2026m12".into()
            ),
            (
                ActionKind::PartitionCreated,
                "public.orders_y2027m01".into()
            ),
        ]
    );
    assert_eq!(
        actions[0].sql,
        "CREATE TABLE public.orders_y2026m12 PARTITION OF public.orders FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')"
    );
    assert_eq!(
        routed_to(&mut s, "orders", 7, "2026-12-31"),
        "orders_y2026m12"
    );
    assert_eq!(
        apply_fails(
            &mut s,
            "INSERT INTO orders (id, created_at) VALUES (7, '2026-12-31')"
        ),
        "23505"
    );
    let pk_on_partition = value(
        &mut s,
        "SELECT count(*)::text FROM pg_index WHERE indrelid = 'orders_y2027m01'::regclass AND indisprimary",
    );
    assert_eq!(pk_on_partition.as_deref(), Some("1"));
    assert_eq!(
        partitions::uncovered_today(&mut s, (2027, 2, 1)).expect("uncovered"),
        vec!["public.orders".to_string()]
    );
    assert!(partitions::uncovered_today(&mut s, (2027, 1, 31))
        .expect("uncovered")
        .is_empty());
}

#[test]
fn sub_partitioned_tables() {
    let db = scratch();
    let mut s = session(&db);
    // LIST on top, RANGE on a time column below: the RANGE level is provisioned.
    apply(
        &mut s,
        "CREATE TABLE logs (id bigint, region text NOT NULL, logged_at timestamptz NOT NULL) \
         PARTITION BY LIST (region)",
    );
    apply(
        &mut s,
        "CREATE TABLE logs_kr PARTITION OF logs FOR VALUES IN ('kr') PARTITION BY RANGE (logged_at)",
    );
    // RANGE on top with sub-partitioned monthly partitions: the top level is provisioned, its
    // partitions (ranged on the same column by their bound) are not.
    apply(
        &mut s,
        "CREATE TABLE visits (id bigint NOT NULL, created_at timestamptz NOT NULL) \
         PARTITION BY RANGE (created_at)",
    );
    apply(
        &mut s,
        "CREATE TABLE visits_202610 PARTITION OF visits FOR VALUES FROM ('2026-10-01') TO ('2026-11-01') \
         PARTITION BY RANGE (created_at)",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 0, false).expect("coverage");
    assert_eq!(
        created(&actions),
        vec![
            (
                ActionKind::PartitionCreated,
                "public.logs_kr_y2026m11".into()
            ),
            (ActionKind::PartitionCreated, "public.visits_202611".into()),
        ],
        "{actions:#?}"
    );
    assert!(actions
        .iter()
        .any(|a| a.object == "public.logs" && a.kind == ActionKind::Skipped));
    let visits = actions
        .iter()
        .find(|a| a.object == "public.visits_202611")
        .expect("visits action");
    assert!(visits.note.contains("sub-partitioned"), "{}", visits.note);
    assert_eq!(partitions_of(&mut s, "visits_202610"), Vec::<String>::new());
}

#[test]
fn timestamptz_month_boundaries_follow_the_existing_partitions_time_zone() {
    let db = scratch();
    let mut s = session(&db);
    match s
        .apply_as_superuser(&format!(
            "ALTER DATABASE \"{}\" SET timezone = 'Asia/Seoul'",
            db.name
        ))
        .expect("alter database")
    {
        Outcome::Applied { .. } => {}
        Outcome::Failed { error, .. } => panic!("{error:?}"),
    }
    drop(s);
    // New connections (app and admin) are in Seoul time.
    let mut s = session(&db);
    for table in ["local_months", "utc_months"] {
        apply(
            &mut s,
            &format!(
                "CREATE TABLE {table} (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)"
            ),
        );
    }
    // Written as local dates: month boundaries in Seoul.
    apply(
        &mut s,
        "CREATE TABLE local_months_2026_10 PARTITION OF local_months FOR VALUES FROM ('2026-10-01') TO ('2026-11-01')",
    );
    // Written in UTC: month boundaries in UTC.
    apply(
        &mut s,
        "CREATE TABLE utc_months_2026_10 PARTITION OF utc_months FOR VALUES FROM ('2026-10-01 00:00+00') TO ('2026-11-01 00:00+00')",
    );
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 0, false).expect("coverage");
    let sql_of = |object: &str| {
        actions
            .iter()
            .find(|a| a.object == object)
            .map(|a| (a.sql.clone(), a.note.clone()))
            .unwrap_or_else(|| panic!("no action for {object}: {actions:#?}"))
    };
    let (local_sql, local_note) = sql_of("public.local_months_2026_11");
    assert!(
        local_sql.ends_with("FROM ('2026-11-01 00:00:00+09') TO ('2026-12-01 00:00:00+09')"),
        "{local_sql}"
    );
    assert!(local_note.contains("TimeZone"), "{local_note}");
    let (utc_sql, utc_note) = sql_of("public.utc_months_2026_11");
    assert!(
        utc_sql.ends_with("FROM ('2026-11-01 09:00:00+09') TO ('2026-12-01 09:00:00+09')"),
        "{utc_sql}"
    );
    assert!(utc_note.contains("UTC"), "{utc_note}");
}

#[test]
fn tables_the_app_role_does_not_own_get_partitions_as_superuser() {
    let db = scratch();
    let mut s = session(&db);
    match s
        .apply_as_superuser(
            "CREATE TABLE public.admin_events (id bigint, created_at date NOT NULL) PARTITION BY RANGE (created_at)",
        )
        .expect("create as superuser")
    {
        Outcome::Applied { .. } => {}
        Outcome::Failed { error, .. } => panic!("{error:?}"),
    }
    let actions = partitions::ensure_coverage(&mut s, (2026, 11), 0, true).expect("coverage");
    assert_eq!(
        created(&actions),
        vec![
            (
                ActionKind::PartitionCreated,
                "public.admin_events_y2026m11".into()
            ),
            (
                ActionKind::DefaultPartitionCreated,
                "public.admin_events_default".into()
            ),
        ],
        "{actions:#?}"
    );
    assert!(
        actions[0].note.contains("created as superuser"),
        "{}",
        actions[0].note
    );
    assert_eq!(
        column(
            &mut s,
            "SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class \
             WHERE relname LIKE 'admin\\_events%'"
        )
        .len(),
        1
    );
}

#[test]
fn the_schema_script_performs_a_cron_schedule_from_its_tree() {
    // `SELECT ALL …`: the call starts where the tree says, not six bytes in.
    let doc = "# Jobs\n\n```sql\nCREATE TABLE jobs (id int PRIMARY KEY);\nSELECT ALL cron.schedule('tidy', '0 3 * * *', $$VACUUM jobs$$);\n```\n";
    let server = Server::Url(shared_cluster().url("postgres"));
    let built = {
        let _guard = crate::check::seed_lock();
        pgspec::up::build_in_scratch(&pgspec::pipeline::extract(doc.as_bytes()), &server)
            .unwrap_or_else(|e| panic!("builds: {e}"))
    };
    let script = pgspec::up::system_script("jobs.md", &built);
    assert!(
        script.contains("PERFORM cron.schedule('tidy', '0 3 * * *', $$VACUUM jobs$$)"),
        "{script}"
    );
}

mod shim;
