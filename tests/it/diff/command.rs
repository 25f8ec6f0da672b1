//! The `pgspec diff` command itself: its plan, exit codes, refusals, sides, owners, renames.

use super::*;

#[test]
fn the_command_prints_a_validated_plan_and_follows_the_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.sql",
        "CREATE TABLE t (id int PRIMARY KEY, note text);\n",
    );
    let b = write(
        dir.path(),
        "b.md",
        "# Design\n\n```sql\nCREATE TABLE t (id bigint PRIMARY KEY);\n```\n",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a, &b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ALTER TABLE public.t DROP COLUMN note;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-- hazard DIF001 migration-drops-data:"),
        "{stdout}"
    );
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    // Nothing but SQL and comments on stdout.
    assert!(stdout
        .lines()
        .all(|l| l.starts_with("--") || !l.starts_with("pgspec")));

    let out = pgspec(&["diff", "--db", &url, "--exit-code", &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    let out = pgspec(&["diff", "--db", &url, "--exit-code", &a, &a]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = pgspec(&["diff", "--db", &url, "--format", "json", &a, &b]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["command"], "diff");
    assert_eq!(json["status"], "changes");
    let statements = json["statements"].as_array().expect("statements");
    let drop = statements
        .iter()
        .find(|s| s["sql"].as_str().is_some_and(|q| q.contains("DROP COLUMN")))
        .expect("the drop");
    assert_eq!(drop["hazards"][0]["code"], "DIF001");
    assert!(drop["hazards"][0]["message"].as_str().is_some());
}

#[test]
fn the_command_refuses_what_it_cannot_express_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.sql", "CREATE DOMAIN m AS integer;\n");
    let b = write(dir.path(), "b.sql", "CREATE DOMAIN m AS text;\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, "--format", "json", &a, &b]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["status"], "refused");
    assert_eq!(json["refusals"][0]["code"], "DIF008");
    assert_eq!(json["refusals"][0]["object"], "public.m");

    // A document that does not apply is refused too, naming its line.
    let broken = write(
        dir.path(),
        "broken.sql",
        "CREATE TABLE t (id int);\nCREATE TABLE u (x nosuchtype);\n",
    );
    let out = pgspec(&["diff", "--db", &url, &a, &broken]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not apply cleanly") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_live_database_is_a_side_too() {
    let a = Db::new("live");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(dir.path(), "a.sql", "CREATE TABLE t (id int);\n");
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(dir.path(), "b.sql", "CREATE TABLE t (id int, v text);\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "ALTER TABLE public.t ADD COLUMN v text;");
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_relation_another_role_owns_on_one_side_changes_owner_and_the_round_trip_holds() {
    // A's table belongs to a role other than A's database owner; TO (a document) leaves it
    // to whoever runs it. The plan gives it back to A's database owner, validated on a copy
    // where a role of the run stands in for the other owner.
    let role = unique("owner");
    admin()
        .batch_execute(&format!("CREATE ROLE {role}"))
        .expect("create the role");
    let a = Db::new("owned");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(
        dir.path(),
        "a.sql",
        &format!("CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t OWNER TO {role};\n"),
    );
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        "CREATE TABLE t (id int PRIMARY KEY, v text);\n",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let owner: String = admin()
        .query_one(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
            &[&a.name],
        )
        .expect("database owner")
        .get(0);
    assert!(
        stdout.contains(&format!("ALTER TABLE public.t OWNER TO {owner};")),
        "{stdout}"
    );
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);
    assert!(a.catalog().tables.iter().all(|t| t.owner == owner));
    drop(a);
    let _ = admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
}

#[test]
fn a_database_with_an_invalid_partitioned_index_is_copied_and_the_plan_validated() {
    // A's partitioned index was made ON ONLY and one partition's index is not attached yet:
    // the copy of A must be made the same way for the plan to be tried on it.
    let parts = "CREATE TABLE m (k text NOT NULL) PARTITION BY LIST (k);
CREATE TABLE m1 PARTITION OF m FOR VALUES IN ('1');
CREATE TABLE m2 PARTITION OF m FOR VALUES IN ('2');
CREATE INDEX m_k ON ONLY m (k);
CREATE INDEX m1_k ON m1 (k);
ALTER INDEX m_k ATTACH PARTITION m1_k;
CREATE INDEX m2_k ON m2 (k);
";
    let a = Db::new("invalid");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(dir.path(), "a.sql", parts);
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        &format!("{parts}ALTER INDEX m_k ATTACH PARTITION m2_k;\n"),
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    assert_eq!(
        stdout.trim(),
        "ALTER INDEX public.m_k ATTACH PARTITION public.m2_k;"
    );
}

fn out_text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const RENAME_FROM: &str =
    "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, nick text);
CREATE INDEX users_nick_idx ON users (nick);
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id), body text);
CREATE VIEW recent AS SELECT p.id, u.email FROM posts p JOIN users u ON u.id = p.author;
";

const RENAME_TO: &str =
    "CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, nick text);
CREATE INDEX people_nick_idx ON people (nick);
CREATE TABLE posts (id int PRIMARY KEY, writer int REFERENCES people (id), body text);
CREATE VIEW recent AS SELECT p.id, u.email FROM posts p JOIN people u ON u.id = p.writer;
";

#[test]
fn sqldef_cases_are_read_from_their_yaml() {
    let text = "First:\n  current: |\n    CREATE TABLE a (x int);\n\n    CREATE INDEX ON a (x);\n  desired: \"\"\n  up: |\n    DROP TABLE a;\nSecond:\n  desired: |\n      CREATE TABLE b ();\n";
    assert_eq!(
        sqldef_case(text, "First"),
        Some((
            "CREATE TABLE a (x int);\n\nCREATE INDEX ON a (x);\n".to_string(),
            String::new()
        ))
    );
    assert_eq!(
        sqldef_case(text, "Second"),
        Some((String::new(), "CREATE TABLE b ();\n".to_string()))
    );
    assert_eq!(sqldef_case(text, "Third"), None);
}

#[test]
fn a_table_or_column_that_looks_renamed_is_offered_never_dropped_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Db::new("rename");
    let a_sql = write(dir.path(), "a.sql", RENAME_FROM);
    a.run_file(Path::new(&a_sql)).expect("build A");
    let b = write(dir.path(), "b.sql", RENAME_TO);
    let url = shared_cluster().url("postgres");

    // Offered by name, no plan.
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("table public.users → public.people looks like a rename")
            && stderr.contains("column public.posts.author → writer looks like a rename")
            && stderr.contains("--renames"),
        "{stderr}"
    );

    // --no-renames: drop and add, said on stderr.
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("DROP TABLE public.users;"), "{stdout}");
    assert!(stderr.contains("not renamed (--no-renames)"), "{stderr}");

    // --renames: renamed with what is named after them; the rows stay.
    a.run_file(Path::new(&write(
        dir.path(),
        "rows.sql",
        "INSERT INTO users (email) VALUES ('a@example.com');\nINSERT INTO posts VALUES (1, 1, 'hi');\n",
    )))
    .expect("rows");
    let out = pgspec(&["diff", "--db", &url, "--renames", &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for want in [
        "ALTER TABLE public.users RENAME TO people;",
        "ALTER TABLE public.posts RENAME COLUMN author TO writer;",
        "RENAME CONSTRAINT users_pkey TO people_pkey;",
        "ALTER SEQUENCE public.users_id_seq RENAME TO people_id_seq;",
        "ALTER INDEX public.users_nick_idx RENAME TO people_nick_idx;",
        "-- hazard DIF007",
    ] {
        assert!(stdout.contains(want), "{want} not in\n{stdout}");
    }
    assert!(!stdout.contains("DROP"), "{stdout}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    a.run_file(Path::new(&write(dir.path(), "plan.sql", &stdout)))
        .expect("apply the plan");
    let want = Db::new("rename_b");
    want.run_file(Path::new(&b)).expect("build B");
    assert_eq!(a.dump(), want.dump());
    let mut client = ::postgres::Client::connect(&a.url(), ::postgres::NoTls).expect("connect");
    let row = client
        .query_one(
            "SELECT p.writer, u.email FROM posts p JOIN people u ON u.id = p.writer",
            &[],
        )
        .expect("the rows are there");
    assert_eq!(row.get::<_, String>(1), "a@example.com");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_rename_the_evidence_cannot_pin_down_is_refused_even_with_renames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.sql",
        "CREATE TABLE t (id int, x text, y text);\n",
    );
    let b = write(dir.path(), "b.sql", "CREATE TABLE t (id int, z text);\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, "--renames", &a, &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("column public.t.x → z may be a rename")
            && stderr.contains("column public.t.y → z may be a rename"),
        "{stderr}"
    );
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &a, &b]);
    let (stdout, _) = out_text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("DROP COLUMN x;") && stdout.contains("ADD COLUMN z text;"));
    // Not alike (another type): no candidate, the plan is a drop and an add as asked.
    let c = write(dir.path(), "c.sql", "CREATE TABLE t (id int, z integer);\n");
    let d = write(dir.path(), "d.sql", "CREATE TABLE t (id int, x text);\n");
    let out = pgspec(&["diff", "--db", &url, &d, &c]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out).1);
}

#[test]
fn one_document_is_diffed_against_the_database_up_made_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = shared_cluster().url("postgres");
    let doc = write(
        dir.path(),
        "shop.md",
        "# Shop\n\n```sql\nCREATE TABLE items (id int PRIMARY KEY, name text);\n```\n",
    );
    // Before `up`: a clear refusal that says what to do.
    let out = pgspec(&["diff", "--db", &url, &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("there is no database that `pgspec up` made for")
            && stderr.contains("pgspec up"),
        "{stderr}"
    );
    let up = pgspec(&["up", "--db", &url, &doc]);
    assert_eq!(up.status.code(), Some(0), "{}", out_text(&up).1);
    let out = pgspec(&["diff", "--db", &url, "--exit-code", &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    // The document moves on: the plan brings the database to it, and applies.
    std::fs::write(
        &doc,
        "# Shop\n\n```sql\nCREATE TABLE items (id int PRIMARY KEY, name text, price numeric NOT NULL DEFAULT 0);\n```\n",
    )
    .expect("edit");
    let out = pgspec(&["diff", "--db", &url, "--format", "json", &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let database = pgspec::up::database_name_for(&doc);
    assert!(
        json["from"].as_str().is_some_and(|f| f.contains(&database)),
        "{json}"
    );
    assert_eq!(json["to"], doc.as_str());
    let sql: Vec<&str> = json["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s["sql"].as_str())
        .collect();
    assert_eq!(
        sql,
        ["ALTER TABLE public.items ADD COLUMN price numeric DEFAULT 0 NOT NULL"]
    );
    let down = pgspec(&["down", "--db", &url, &doc]);
    assert_eq!(down.status.code(), Some(0), "{}", out_text(&down).1);
    // A URL alone is no document.
    let out = pgspec(&["diff", "--db", &url, &url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out_text(&out).1.contains("give a document"));
}

#[test]
fn a_database_from_is_copied_from_tos_scratch_database_when_to_only_defines_objects() {
    // TO's scratch database, brought back to A by the reverse plan and read back equal to A,
    // is where the plan is tried: the round trip holds as with a copy built from nothing.
    let a = Db::new("reverse");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(
        dir.path(),
        "a.sql",
        "CREATE TYPE e AS ENUM ('a');
CREATE TABLE t (id int PRIMARY KEY, note text, k e DEFAULT 'a');
CREATE INDEX t_note ON t (note);
CREATE VIEW tv AS SELECT id FROM t;
COMMENT ON TABLE t IS 'things';
",
    );
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        "CREATE TYPE e AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, v int, k e DEFAULT 'b');
CREATE TABLE u (id int REFERENCES t);
CREATE INDEX u_id ON u (id);
CREATE VIEW tv AS SELECT id, v FROM t;
",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM, made from TO's by the reverse plan"),
        "{stderr}"
    );
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0), "{}", out_text(&again).1);
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);

    // A document that runs code (which may leave rows or settings behind) is not a base: the
    // copy is built from nothing, and the plan still validated.
    let runs_code = write(
        dir.path(),
        "runs_code.sql",
        "CREATE TYPE e AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, v int, k e DEFAULT 'b');
DO $$BEGIN CREATE TABLE w (x int); END$$;
",
    );
    let out = pgspec(&["diff", "--db", &url, &a.url(), &runs_code]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM") && !stderr.contains("reverse plan"),
        "{stderr}"
    );
    assert!(stdout.contains("CREATE TABLE public.w"), "{stdout}");

    // Brought back from TO, the child's own `e` must become inherited only, as A's is: the
    // reverse plan moves its values into the column the parent gains (a copy that still
    // carried a local-and-inherited column would not be used; the copy is then built from
    // nothing). Either way the plan is validated and holds.
    let parent = Db::new("inherit");
    let sql = write(
        dir.path(),
        "parent_a.sql",
        "CREATE TABLE base (created_at timestamp DEFAULT now(), e integer);
CREATE TABLE child (a1 integer, a2 integer) INHERITS (base);
",
    );
    parent.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "parent_b.sql",
        "CREATE TABLE base (created_at timestamp DEFAULT now());
CREATE TABLE child (a1 integer, e integer) INHERITS (base);
",
    );
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &parent.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    let plan = write(dir.path(), "parent_plan.sql", &stdout);
    parent.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &parent.url(), &b]);
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);

    // A's identity sequence stands at -200, below TO's new minimum: the change of bounds does
    // not apply to A. A copy brought back from TO keeps TO's position unless it is restarted,
    // so the validation must still refuse the plan, never print it.
    let identity = Db::new("identity");
    let sql = write(
        dir.path(),
        "identity_a.sql",
        "CREATE TABLE v (x int GENERATED BY DEFAULT AS IDENTITY (START WITH -200 INCREMENT BY 10 MINVALUE -200 MAXVALUE 200));\n",
    );
    identity.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "identity_b.sql",
        "CREATE TABLE v (x int GENERATED BY DEFAULT AS IDENTITY (START WITH -100 INCREMENT BY 5 MINVALUE -100 MAXVALUE 100));\n",
    );
    let out = pgspec(&["diff", "--db", &url, &identity.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("does not apply to a copy of FROM"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}
