//! What a pasted `pg_dump` needs: `COPY … FROM STDIN` rows applied (and a bad row found at its
//! line), `ALTER … OWNER TO` a role of the document, and a query after the dump's
//! `set_config('search_path', '', false)` told why it does not see the dump's tables.

use pgspec::check::StatementStatus;
use pgspec::diagnostics::{Category, Code, Severity};

use crate::check::check_bytes;

fn doc(sql: &str) -> String {
    format!("# Dump\n\n```sql\n{sql}\n```\n")
}

fn line_of(text: &str, needle: &str) -> u32 {
    let at = text.find(needle).expect("needle");
    u32::try_from(text[..at].matches('\n').count() + 1).expect("small")
}

#[test]
fn copy_from_stdin_rows_are_applied_and_a_bad_row_is_found_at_its_line() {
    let text = doc("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);\n\
         COPY t (id, name) FROM stdin;\n\
         1\tone\n\
         2\t\\N\n\
         \\.\n\
         COPY public.t (id, name) FROM stdin;\n\
         3\tthree\n\
         x\tfour\n\
         \\.\n\
         CREATE TABLE u (id int PRIMARY KEY REFERENCES t);\n\
         COPY u FROM stdin;\n\
         1\n\
         \\.\n\
         SELECT count(*) FROM u;");
    let (document, report) = check_bytes(text.as_bytes());
    let status: Vec<StatementStatus> = report.statements.iter().map(|s| s.status).collect();
    // The NULL of row 2 breaks NOT NULL: the first COPY fails at that row's line; the second at
    // `x`. The third one's row references a row of the failed first COPY: a cascade of it.
    let errors: Vec<(Code, u32)> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code, document.line_index.line(d.primary.range.start)))
        .collect();
    assert_eq!(
        errors,
        [
            (Code::StatementRejected, line_of(&text, "2\t\\N")),
            (Code::StatementRejected, line_of(&text, "x\tfour")),
        ],
        "{status:?}\n{:#?}",
        report.diagnostics
    );
    let bad = &report.diagnostics[1];
    assert_eq!(bad.category, Category::DatatypeMismatch);
    let copy_u = report
        .statements
        .iter()
        .find(|s| s.line == line_of(&text, "COPY u"))
        .expect("COPY u");
    assert_eq!(copy_u.status, StatementStatus::Cascade, "{copy_u:?}");
    assert_eq!(copy_u.root_line, Some(line_of(&text, "COPY t (id")));
}

#[test]
fn copy_from_stdin_rows_that_fit_apply() {
    let text = doc("CREATE TABLE g (id int PRIMARY KEY, nome text NOT NULL);\n\
         COPY public.g (id, nome) FROM stdin;\n\
         1\tNarrativa\n\
         2\tSaggistica; con punto e virgola\n\
         \\.\n\
         INSERT INTO g SELECT 3, 'x' WHERE (SELECT count(*) FROM g) = 2;");
    let (_, report) = check_bytes(text.as_bytes());
    let status: Vec<StatementStatus> = report.statements.iter().map(|s| s.status).collect();
    assert_eq!(
        status,
        [StatementStatus::Applied; 3],
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn objects_are_given_to_a_role_the_document_creates() {
    let text = doc("CREATE ROLE dump_owner NOLOGIN;\n\
         CREATE SEQUENCE public.t_id_seq;\n\
         ALTER TABLE public.t_id_seq OWNER TO dump_owner;\n\
         CREATE TABLE public.t (id int NOT NULL);\n\
         ALTER TABLE public.t OWNER TO dump_owner;\n\
         ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\
         CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n\
         ALTER FUNCTION public.f() OWNER TO dump_owner;\n\
         ALTER TABLE public.t OWNER TO pg_monitor;");
    let (_, report) = check_bytes(text.as_bytes());
    let failed: Vec<u32> = report
        .statements
        .iter()
        .filter(|s| s.status != StatementStatus::Applied)
        .map(|s| s.line)
        .collect();
    // A role that existed before the run is never joined: that statement keeps its error.
    assert_eq!(
        failed,
        [line_of(&text, "OWNER TO pg_monitor")],
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn a_table_out_of_the_dumps_search_path_is_explained() {
    let text = "# Dump\n\n```sql\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.prestiti (id int);\n```\n\nQuery:\n\n```sql\nSELECT count(*) FROM prestiti;\n```\n";
    let (_, report) = check_bytes(text.as_bytes());
    let finding = report
        .diagnostics
        .iter()
        .find(|d| d.category == Category::UndefinedTable)
        .expect("the query fails");
    let help = finding.help.clone().unwrap_or_default();
    assert!(
        help.contains("line 5 creates `public.prestiti`") && help.contains("search_path"),
        "{help}"
    );
}

#[test]
fn the_index_a_fix_adds_to_a_dump_is_named_as_the_dump_names_its_table() {
    let _guard = crate::check::seed_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dump.md");
    std::fs::write(
        &path,
        doc("SELECT pg_catalog.set_config('search_path', '', false);\n\
             CREATE TABLE public.a (id int PRIMARY KEY);\n\
             CREATE TABLE public.b (id int PRIMARY KEY, a_id int);\n\
             ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_a_fkey FOREIGN KEY (a_id) REFERENCES public.a(id);"),
    )
    .expect("write");
    let path = path.to_str().expect("utf-8");
    let url = crate::postgres::shared_cluster().url("postgres");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run pgspec")
    };
    let fixed = run(&["fix", "--unsafe", "--db", &url, path]);
    assert_eq!(fixed.status.code(), Some(0), "{fixed:?}");
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains("CREATE INDEX ON public.b (a_id);"), "{text}");
    let checked = run(&["check", "--db", &url, path]);
    assert_eq!(checked.status.code(), Some(0), "{checked:?}\n{text}");
}

/// A GUI export's `CREATE SCHEMA s AUTHORIZATION owner`, the owner missing: one finding with
/// its safe fix (create the role), and the schema is then given to it as `ALTER SCHEMA … OWNER
/// TO` would be, so the tables in the schema apply instead of failing behind it.
#[test]
fn a_schema_created_for_a_missing_owner_is_one_finding() {
    let text = doc("CREATE SCHEMA contract AUTHORIZATION export_owner;\n\
         CREATE TABLE contract.klant (id int PRIMARY KEY);\n\
         ALTER TABLE contract.klant OWNER TO export_owner;");
    let (_, report) = check_bytes(text.as_bytes());
    let errors: Vec<(Code, String)> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code, d.message.clone()))
        .collect();
    assert_eq!(
        errors,
        [(
            Code::StatementRejected,
            "role \"export_owner\" does not exist".to_string()
        )],
        "{:#?}",
        report.diagnostics
    );
    let cascades = report
        .statements
        .iter()
        .filter(|s| s.status == StatementStatus::Cascade)
        .count();
    assert_eq!(cascades, 0, "{:#?}", report.statements);
}
