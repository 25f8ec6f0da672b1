//! Data survives a migration: each seed document edited, migrated with its rows in place, and walked back.

use super::*;

pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(crate) fn catalog(database: &str) -> Catalog {
    let server = Server::Url(shared_cluster().url("postgres"));
    Catalog::load_database(&server, database).expect("read the catalog")
}

/// What differs between the schemas of two databases of the shared cluster, as the script that
/// would bring `database` to `reference` (empty: the same), or the refusals. Owners aside (a
/// scratch build has another), and pgspec's migration history.
pub(crate) fn schema_differences(database: &str, reference: &str) -> String {
    let (migrated, built) = (catalog(database), catalog(reference));
    let mut owners: Vec<String> = [&migrated, &built]
        .iter()
        .flat_map(|c| c.tables.iter().map(|t| t.owner.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    let options = Options {
        exclude_schemas: vec!["pgspec_migrate".into()],
        ignore_grantees: owners,
        ..Options::default()
    };
    match diff::plan(&migrated, &built, &options) {
        Ok(rest) => rest.script(),
        Err(refusals) => refusals
            .iter()
            .map(|r| format!("refused: {}: {}", r.object, r.message))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// An edit of a seed document: a CHECK changed in place, and a block that adds a column, an
/// index and a table.
struct Edit {
    seed: &'static str,
    check_from: &'static str,
    check_to: &'static str,
    later: &'static str,
    /// The new table, `schema.name`.
    new_table: &'static str,
    /// Pieces the written migration holds.
    pieces: &'static [&'static str],
}

/// A seed of the repaired corpus: `migrate new` on the document writes the first migration,
/// `up` + `seed` fill the database (the migration is recorded as its baseline); the document
/// gains a column, a changed CHECK, an index and a table; `migrate new` + `migrate apply`
/// bring the database along, every row stays, and the catalog equals a fresh `up` of the
/// edited document. `migrate down` then refuses to lose the new table's data unless allowed,
/// and the rows are still there after it.
fn data_survives(edit: &Edit) {
    let _guard = crate::check::seed_lock();
    let work = tempfile::tempdir().expect("tempdir");
    let doc = work.path().join("schema.md");
    let original = std::fs::read_to_string(crate::seed_file("repaired", edit.seed)).expect("seed");
    std::fs::write(&doc, &original).expect("write doc");
    let doc_s = doc.display().to_string();
    let database = pgspec::up::database_name_for(&doc_s);
    let fresh = unique("fresh");
    struct Down<'a>(&'a str, &'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = pgspec(&["down", self.0]);
            let _ = pgspec(&["down", self.0, "--name", self.1]);
        }
    }
    let _down = Down(&doc_s, &fresh);

    let out = pgspec(&["migrate", "new", &doc_s, "--name", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(work.path().join("migrations/0001_init.sql").exists());
    assert!(work.path().join("migrations/pgspec.sum").exists());
    let out = pgspec(&["up", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = pgspec(&["seed", &doc_s, "--rows", "200"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (before, columns) = snapshot(&database, None);
    assert!(
        before.values().map(|(n, _)| n).sum::<i64>() > 0,
        "the seed loaded no rows: {before:?}"
    );

    assert!(
        original.contains(edit.check_from),
        "seed {} changed; adjust the edit",
        edit.seed
    );
    let edited = original.replace(edit.check_from, edit.check_to)
        + "\n\n## Later changes\n\n```sql\n"
        + edit.later
        + "\n```\n";
    std::fs::write(&doc, edited).expect("edit doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "edit"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(work.path().join("migrations/0002_edit.sql"))
        .unwrap_or_else(|e| panic!("0002_edit.sql: {e}\n{}", text(&out)));
    for piece in edit.pieces {
        assert!(written.contains(piece), "{piece} missing from:\n{written}");
    }
    let out = pgspec(&["migrate", "apply", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0001_init.sql baseline") && stdout.contains("0002_edit.sql applied"),
        "{}",
        text(&out)
    );

    let (after, _) = snapshot(&database, Some(&columns));
    for (table, sum) in &before {
        assert_eq!(after.get(table), Some(sum), "rows of {table} changed");
    }
    assert_eq!(after.get(edit.new_table).map(|s| s.0), Some(0));

    let out = pgspec(&["up", &doc_s, "--name", &fresh]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rest = schema_differences(&database, &fresh);
    assert!(
        rest.is_empty(),
        "the migrated database differs from a fresh up:\n{rest}"
    );

    // The way back drops the new table and column: refused, then allowed.
    let out = pgspec(&["migrate", "down", &doc_s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("loses data"), "{}", text(&out));
    let out = pgspec(&[
        "migrate",
        "down",
        &doc_s,
        "1",
        "--allow-hazards",
        "data-loss",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (back, _) = snapshot(&database, Some(&columns));
    for (table, sum) in &before {
        assert_eq!(
            back.get(table),
            Some(sum),
            "rows of {table} changed on the way back"
        );
    }
    assert!(!back.contains_key(edit.new_table));
    let out = pgspec(&["migrate", "status", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.starts_with("0002_edit.sql") && l.contains("pending")));
}

#[test]
fn migrate_data_survives_an_edited_seed_001() {
    data_survives(&Edit {
        seed: "001",
        check_from: "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 150)",
        check_to: "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 300)",
        later: "ALTER TABLE prod_pingvas.users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX images_format_idx ON prod_pingvas.images (format);\n\
                CREATE TABLE prod_pingvas.tags (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    label TEXT NOT NULL UNIQUE\n);",
        new_table: "prod_pingvas.tags",
        pieces: &[
            "ADD COLUMN nickname",
            "steps <= 300",
            "images_format_idx",
            "CREATE TABLE prod_pingvas.tags",
        ],
    });
}

/// Seed 002 has a partitioned table (with the partitions `up` adds for today).
#[test]
fn migrate_data_survives_an_edited_seed_002() {
    data_survives(&Edit {
        seed: "002",
        check_from: "CHECK (version > 0);",
        check_to: "CHECK (version >= 1);",
        later: "ALTER TABLE settlement_periods ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_settlement_periods_note ON settlement_periods (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "version >= 1",
            "idx_settlement_periods_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// Seed 000: partitions, pg_cron, an untrusted extension, roles it only grants to.
#[test]
fn migrate_data_survives_an_edited_seed_000() {
    data_survives(&Edit {
        seed: "000",
        check_from: "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee)",
        check_to: "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee OR fee IS NULL)",
        later: "ALTER TABLE payments ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_payments_note ON payments (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "fee IS NULL",
            "idx_payments_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// Seed 003 is a Supabase document: the platform layer's default privileges are the database
/// owner's, and the owner of a scratch build is another role than the target's.
#[test]
fn migrate_data_survives_an_edited_seed_003() {
    data_survives(&Edit {
        seed: "003",
        check_from: "feedback_type IN ('like', 'dislike', 'not_interested', 'report')",
        check_to: "feedback_type IN ('like', 'dislike', 'not_interested', 'report', 'spam')",
        later: "ALTER TABLE user_feedback ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_user_feedback_note ON user_feedback (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "'spam'",
            "idx_user_feedback_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// A Supabase document that grants to the platform's roles gets the layer's default
/// privileges, whose grantor is the database's owner: another role in each scratch build than
/// in the database `up` made. The migrations are written, applied and walked back all the same.
#[test]
fn migrate_a_supabase_document_with_default_privileges_migrates_and_walks_back() {
    let work = tempfile::tempdir().expect("tempdir");
    let doc = work.path().join("profiles.md");
    let doc_s = doc.display().to_string();
    let revision = |extra: &str| {
        format!(
            "# profiles\n\n```sql\nCREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), name text{extra});\n\
             ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY own ON profiles FOR SELECT TO authenticated USING (auth.uid() = id);\n\
             GRANT SELECT ON profiles TO authenticated;\n```\n"
        )
    };
    let database = pgspec::up::database_name_for(&doc_s);
    let fresh = unique("supa_fresh");
    struct Down<'a>(&'a str, &'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = pgspec(&["down", self.0]);
            let _ = pgspec(&["down", self.0, "--name", self.1]);
        }
    }
    let _down = Down(&doc_s, &fresh);
    // The platform's roles are cluster-wide.
    let _roles = crate::postgres::role_lock();

    std::fs::write(&doc, revision("")).expect("write doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out)
            .contains("its down section keeps what pgspec cannot plan yet: default privileges"),
        "{}",
        text(&out)
    );
    let out = pgspec(&["up", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    client(&database)
        .batch_execute(
            "INSERT INTO auth.users (id) SELECT gen_random_uuid() FROM generate_series(1, 5);\n\
             INSERT INTO public.profiles (id, name) SELECT id, 'n' FROM auth.users",
        )
        .expect("rows");

    std::fs::write(&doc, revision(", bio text")).expect("edit doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "bio"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = pgspec(&["migrate", "apply", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0002_bio.sql applied"),
        "{}",
        text(&out)
    );
    let count = |db: &str| -> i64 {
        client(db)
            .query_one("SELECT count(*) FROM public.profiles", &[])
            .expect("count")
            .get(0)
    };
    assert_eq!(count(&database), 5);
    let out = pgspec(&["migrate", "status", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = pgspec(&["up", &doc_s, "--name", &fresh]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rest = schema_differences(&database, &fresh);
    assert!(
        rest.is_empty(),
        "the migrated database differs from a fresh up:\n{rest}"
    );

    let out = pgspec(&["migrate", "down", &doc_s, "--allow-hazards", "data-loss"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(count(&database), 5);
}

/// Seed 004 has partitions made by its own maintenance function, pg_cron and an untrusted
/// extension (the first file's script creates them through pgspec's privileged path).
#[test]
fn migrate_data_survives_an_edited_seed_004() {
    data_survives(&Edit {
        seed: "004",
        // Not an IN-list on a varchar: diff on main writes those back as a text that
        // PostgreSQL deparses differently, and the trial run refuses the plan.
        check_from: "CONSTRAINT check_email CHECK (email ~* ",
        check_to: "CONSTRAINT check_email CHECK (length(email) < 320 AND email ~* ",
        later: "ALTER TABLE users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX idx_users_nickname ON users (nickname);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN nickname",
            "length((email)::text) < 320",
            "idx_users_nickname",
            "CREATE TABLE public.tags",
        ],
    });
}
