//! `pgspec verify` on seeded databases: progress claim by claim, index claims, row level security, keys that checks and policies meet.

use super::*;

pub(super) const INDEXED: &str = "
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('a', 'b', 'c')),
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_events_account ON events (account_id, created_at DESC);
```

The account timeline uses `idx_events_account` (Index Scan, 200ms → 5ms):

```sql
SELECT id, created_at FROM events WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20;
```

Searching by kind also uses idx_events_account (Index Scan):

```sql
SELECT id FROM events WHERE kind = $1 AND id > 10;
";

/// What a progress sink heard: the groups announced, then each claim with its running count.
#[derive(Default)]
pub(super) struct HeardClaims {
    events: Vec<String>,
}

impl verify::VerifyProgress for HeardClaims {
    fn group(&mut self, kind: ClaimKind) {
        self.events.push(format!("group {}", kind.as_str()));
    }

    fn claim(&mut self, claim: &verify::Claim, judged: usize) {
        self.events
            .push(format!("{judged} {} {}", claim.kind.as_str(), claim.title));
    }
}

#[test]
fn verify_tells_its_progress_claim_by_claim() {
    let text = doc(INDEXED);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 200,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let mut heard = HeardClaims::default();
    let report = verify::verify_with_progress(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &mut heard,
    )
    .expect("verify runs");
    drop_db(&server, &name);
    assert!(report.claims.len() >= 2, "{:#?}", report.claims);
    // Each claim was told as it was judged, numbered 1, 2, …, inside the group it belongs to.
    let told: Vec<&String> = heard
        .events
        .iter()
        .filter(|e| !e.starts_with("group "))
        .collect();
    assert_eq!(told.len(), report.claims.len(), "{:#?}", heard.events);
    for (i, event) in told.iter().enumerate() {
        assert!(event.starts_with(&format!("{} ", i + 1)), "{event}");
    }
    let first_query_group = heard
        .events
        .iter()
        .position(|e| e == "group query")
        .expect("the query group is announced");
    let first_claim = heard
        .events
        .iter()
        .position(|e| !e.starts_with("group "))
        .expect("a claim");
    assert!(first_query_group < first_claim, "{:#?}", heard.events);
    for claim in &report.claims {
        assert!(
            told.iter().any(|e| e.ends_with(&claim.title)),
            "{} was not told: {:#?}",
            claim.title,
            heard.events
        );
    }
}

#[test]
fn verify_passes_a_servable_index_claim_and_fails_one_the_index_cannot_serve() {
    let text = doc(INDEXED);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 5000,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let explains: Vec<_> = report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Explain)
        .collect();
    assert_eq!(explains.len(), 2, "{:#?}", report.claims);
    let timeline = explains[0];
    assert_eq!(timeline.status, Status::Pass, "{timeline:#?}");
    assert_eq!(timeline.evidence["usable"], true);
    assert_eq!(timeline.evidence["claimed_ms"], 5.0);
    assert!(timeline.evidence["measured_ms"].is_number());
    let by_kind = explains[1];
    assert_eq!(by_kind.status, Status::Fail, "{by_kind:#?}");
    assert_eq!(by_kind.evidence["usable"], false);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code == Code::ClaimFailed && d.severity == Severity::Error));
    // Constraint claims: the CHECK IN-list and the primary key reject what they should.
    assert!(report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Constraint)
        .all(|c| c.status == Status::Pass));
    drop_db(&server, &name);
}

pub(super) fn rls_doc(update_policy: &str) -> String {
    doc(&format!(
        "CREATE TABLE notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    body text NOT NULL,
    is_public boolean NOT NULL DEFAULT false
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_select_own ON notes FOR SELECT
    USING (user_id = current_setting('app.current_user_id')::uuid);
CREATE POLICY notes_select_public ON notes FOR SELECT USING (is_public);
CREATE POLICY notes_insert_own ON notes FOR INSERT
    WITH CHECK (user_id = current_setting('app.current_user_id')::uuid);
{update_policy}
CREATE FUNCTION note_count(p_user_id uuid) RETURNS bigint LANGUAGE sql AS
    $$ SELECT count(*) FROM notes WHERE user_id = p_user_id $$;
SELECT cron.schedule('purge', '0 3 * * *', $$DELETE FROM notes WHERE body = 'x'$$);"
    ))
}

#[test]
fn verify_proves_rls_isolation_and_catches_a_leak() {
    let opts = SeedOptions {
        rows: 300,
        ..SeedOptions::default()
    };
    let isolated = rls_doc(
        "CREATE POLICY notes_update_own ON notes FOR UPDATE USING (user_id = current_setting('app.current_user_id')::uuid);",
    );
    let (server, name, _) = up_and_seed(&isolated, &opts);
    let report = run_verify(&server, &name, &isolated);
    let rls: Vec<_> = report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Rls)
        .collect();
    assert_eq!(rls.len(), 1, "{:#?}", report.claims);
    assert_eq!(rls[0].status, Status::Pass, "{:#?}", rls[0]);
    assert_eq!(rls[0].evidence["as"][0]["insert_for_other"], "denied");
    let function = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Function)
        .expect("function claim");
    assert_eq!(function.status, Status::Pass, "{function:#?}");
    let schedule = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Schedule)
        .expect("schedule claim");
    assert_eq!(schedule.status, Status::Pass, "{schedule:#?}");
    // Claims ran in rolled-back transactions: the data is unchanged.
    assert_eq!(count(&server, &name, "SELECT count(*) FROM notes"), 300);
    drop_db(&server, &name);

    // Everyone reads every note on purpose (a SELECT policy `USING (true)`); the writes stay
    // each user's own: isolation holds, the other users' rows are explained.
    let open_reads = rls_doc(
        "CREATE POLICY notes_update_own ON notes FOR UPDATE USING (user_id = current_setting('app.current_user_id')::uuid);\nCREATE POLICY notes_read_all ON notes FOR SELECT USING (true);",
    );
    let (server, name, _) = up_and_seed(&open_reads, &opts);
    let report = run_verify(&server, &name, &open_reads);
    let rls = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Rls)
        .expect("rls claim");
    assert_eq!(rls.status, Status::Pass, "{rls:#?}");
    assert!(
        rls.evidence["as"][0]["explained_rows_visible"]
            .as_i64()
            .is_some_and(|n| n > 0),
        "{rls:#?}"
    );
    drop_db(&server, &name);

    // An UPDATE policy that forgets the user lets anyone change anyone's notes.
    let leaky = rls_doc("CREATE POLICY notes_update_any ON notes FOR UPDATE USING (true);");
    let (server, name, _) = up_and_seed(&leaky, &opts);
    let report = run_verify(&server, &name, &leaky);
    let rls = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Rls)
        .expect("rls claim");
    assert_eq!(rls.status, Status::Fail, "{rls:#?}");
    assert!(
        rls.reason.as_deref().is_some_and(|r| r.contains("UPDATE")),
        "{rls:#?}"
    );
    drop_db(&server, &name);
}

#[test]
fn verify_proves_a_key_whose_duplicate_row_breaks_a_check_and_a_policy_on_a_cast_column() {
    // The INSERT of a copy needs a fresh `isbn`, which the CHECK tying it to `code` refuses
    // (a fresh value keeps the column's own pattern, not another column's): the primary key
    // is proven by giving one row another's id instead. The policy compares a varchar column
    // with a text setting, which pg_policies prints with a cast on the column.
    let text = doc("CREATE TABLE book (
    id bigint PRIMARY KEY,
    code varchar(12) NOT NULL CHECK (code ~ '^[0-9]{9,12}$'),
    isbn varchar(17) NOT NULL UNIQUE CHECK (isbn ~ '^[0-9-]{10,17}$'),
    owner_email varchar(200) NOT NULL,
    CHECK (isbn = code || '-0')
);
ALTER TABLE book ENABLE ROW LEVEL SECURITY;
CREATE POLICY book_own ON book USING (owner_email = current_setting('app.email', true));");
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 50,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let claim = |kind: ClaimKind, part: &str| {
        report
            .claims
            .iter()
            .find(|c| c.kind == kind && c.title.contains(part))
            .unwrap_or_else(|| panic!("no claim {part}: {:#?}", report.claims))
    };
    let pkey = claim(ClaimKind::Constraint, "book_pkey");
    assert_eq!(pkey.status, Status::Pass, "{pkey:#?}");
    assert!(
        pkey.evidence["statement"]
            .as_str()
            .is_some_and(|s| s.starts_with("UPDATE")),
        "{pkey:#?}"
    );
    let rls = claim(ClaimKind::Rls, "book");
    assert_eq!(rls.status, Status::Pass, "{rls:#?}");
    assert_eq!(count(&server, &name, "SELECT count(*) FROM book"), 50);
    drop_db(&server, &name);
}

#[test]
fn a_query_claim_runs_with_the_search_path_the_document_set_before_it() {
    let text = doc("CREATE SCHEMA core;\n\
         SET search_path = core, public;\n\
         CREATE TABLE windows (id bigint PRIMARY KEY, during tstzrange NOT NULL);\n\
         SELECT id FROM windows WHERE during @> now();\n\
         RESET search_path;\n\
         SELECT id FROM core.windows;");
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 20,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .expect("verify runs");
    drop_db(&server, &name);
    let queries: Vec<(&str, Status)> = report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Query)
        .map(|c| (c.title.as_str(), c.status))
        .collect();
    assert_eq!(
        queries,
        [
            ("SELECT id FROM windows WHERE during @> now()", Status::Pass),
            ("SELECT id FROM core.windows", Status::Pass),
        ],
        "{:#?}",
        report.claims
    );
}

#[test]
fn a_domains_check_is_verified_by_the_domains_own_error() {
    let text = doc(
        "CREATE DOMAIN positive_km AS numeric(10,1) CHECK (VALUE >= 0);\n\
         CREATE TABLE trips (id bigint PRIMARY KEY, km positive_km NOT NULL);",
    );
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 20,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .expect("verify runs");
    drop_db(&server, &name);
    let domain = report
        .claims
        .iter()
        .find(|c| c.title.contains("domain check on km"))
        .expect("the domain's check is a claim");
    assert_eq!(domain.status, Status::Pass, "{domain:#?}");
}

/// An exclusion constraint over ranges (one vehicle, no two overlapping bookings) is a claim
/// like a unique key: a copy of a booking overlaps it and is rejected.
#[test]
fn verify_proves_an_exclusion_constraint_rejects_an_overlap() {
    let text = doc("CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE vehicle (id int PRIMARY KEY);
CREATE TABLE booking (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id int NOT NULL REFERENCES vehicle (id),
    during tstzrange NOT NULL,
    EXCLUDE USING gist (vehicle_id WITH =, during WITH &&)
);");
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 40,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let claim = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Constraint && c.title.contains("_excl"))
        .unwrap_or_else(|| panic!("no exclusion claim: {:#?}", report.claims));
    assert_eq!(claim.status, Status::Pass, "{claim:#?}");
    assert_eq!(count(&server, &name, "SELECT count(*) FROM booking"), 40);
    drop_db(&server, &name);
}

/// CHECKs that order two columns are claims too: each rejects a row whose column is put on
/// the wrong side of the other, and each claim is at its CHECK's own line.
const ORDERED: &str = "
CREATE TABLE bookings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    guests integer NOT NULL,
    max_guests integer NOT NULL,
    CONSTRAINT booking_period CHECK (ends_at > starts_at),
    CONSTRAINT booking_capacity CHECK (guests <= max_guests)
);
CREATE TABLE stays (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_in date NOT NULL,
    check_out date,
    booked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stay_dates CHECK (check_out >= check_in),
    CONSTRAINT stay_booked CHECK (check_in >= booked_at::date)
);
";

#[test]
fn checks_that_order_two_columns_are_claimed_at_their_lines() {
    let text = doc(ORDERED);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 30,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .expect("verify runs");
    drop_db(&server, &name);
    for (constraint, words) in [
        ("booking_period", "ends_at equal to starts_at"),
        ("booking_capacity", "guests above max_guests"),
        ("stay_dates", "check_out below check_in"),
        // A date against a timestamp's date: the step is the timestamp's (a day), the value
        // is cast to the date on assignment.
        ("stay_booked", "check_in below booked_at"),
    ] {
        let claim = report
            .claims
            .iter()
            .find(|c| c.title.contains(constraint))
            .unwrap_or_else(|| panic!("no claim for {constraint}: {:#?}", report.claims));
        assert_eq!(claim.status, verify::Status::Pass, "{claim:#?}");
        assert!(claim.title.contains(words), "{claim:#?}");
        let written = text
            .lines()
            .position(|l| l.contains(&format!("CONSTRAINT {constraint}")))
            .expect("in the document");
        assert_eq!(claim.line as usize, written + 1, "{claim:#?}");
    }
}

/// An index of a partitioned table serves a query through its partitions' own indexes (named
/// after each partition): the claim that the query uses it holds.
const PARTITIONED_INDEX: &str = "
CREATE TABLE visits (
    id bigint NOT NULL,
    vet_id integer NOT NULL,
    made_on date NOT NULL,
    status text NOT NULL CHECK (status IN ('booked', 'done')),
    PRIMARY KEY (id, made_on)
) PARTITION BY RANGE (made_on);
CREATE TABLE visits_old PARTITION OF visits FOR VALUES FROM ('2000-01-01') TO ('2025-06-01');
CREATE TABLE visits_new PARTITION OF visits FOR VALUES FROM ('2025-06-01') TO ('2100-01-01');
CREATE INDEX idx_visits_booked ON visits (vet_id, made_on) WHERE status = 'booked';
```

A vet's booked visits use `idx_visits_booked`:

```sql
SELECT id, made_on FROM visits WHERE vet_id = 7 AND status = 'booked' ORDER BY made_on LIMIT 20;
";

#[test]
fn an_index_of_a_partitioned_table_is_used_through_its_partitions() {
    let text = doc(PARTITIONED_INDEX);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 400,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .expect("verify runs");
    drop_db(&server, &name);
    let claim = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Explain)
        .unwrap_or_else(|| panic!("no index claim: {:#?}", report.claims));
    assert_eq!(claim.status, verify::Status::Pass, "{claim:#?}");
}

/// A query written with named placeholders (psql's `:account`, a template's `{kind}`) is the
/// query with `$n` parameters: check prepares it (no PG004), and verify binds sampled values
/// and judges its index claim.
#[test]
fn a_query_with_named_placeholders_is_prepared_and_its_index_claim_judged() {
    let text = doc("CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_events_account ON events (account_id, created_at DESC);
```

The account timeline uses `idx_events_account` (Index Scan):

```sql
SELECT id, created_at FROM events
WHERE account_id = :account AND kind <> {kind} AND created_at > :since
ORDER BY created_at DESC LIMIT 20;");
    let (_, checked) = crate::check::check_bytes(text.as_bytes());
    assert!(
        !checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ExampleQueryRejected || d.code == Code::StatementRejected),
        "{:#?}",
        checked.diagnostics
    );
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 3000,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let explain = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Explain)
        .expect("an explain claim");
    assert_eq!(explain.status, Status::Pass, "{explain:#?}");
    assert!(
        explain.evidence["parameters"]["$1"].is_string(),
        "{explain:#?}"
    );
    drop_db(&server, &name);
}
