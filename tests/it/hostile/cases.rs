//! The cases, one test each, grouped by what they attack.

use super::*;

// ---------------------------------------------------------------------------------------------
// The eleven escapes of issue 10 ("Why")
// ---------------------------------------------------------------------------------------------

/// `GRANT U&"\0070g_execute_server_program" TO pgspec_apply` then a DO block's
/// `COPY … TO PROGRAM`, from `check` alone.
#[test]
fn escape_01_unicode_grant_then_copy_program() {
    isolated_case("escape_01_unicode_grant_then_copy_program");
}

/// A view named `pg_class` in a schema the database's `search_path` puts first: pgspec's
/// privileged catalog queries must never read it (up, seed, verify).
#[test]
fn escape_02_pg_class_view_database_search_path() {
    shared_case("escape_02_pg_class_view_database_search_path");
}

/// `ALTER ROLE pgspec_apply NOLOGIN`: seed and verify must not fall back to the superuser and
/// fire the document's trigger and functions; nor with `--db` and a superuser URL.
#[test]
fn escape_03_apply_role_nologin_fallback() {
    let name = "escape_03_apply_role_nologin_fallback";
    let mut case = Case::isolated(name).with_user_server();
    case.pipeline(name);
    let (doc, text) = case.doc(name);
    let url = case.user_env().superuser_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// A table name with a line break and `\! touch …`: `pgspec sql DOC | psql` must not run it.
#[test]
fn escape_04_newline_identifier_psql_shell() {
    shared_case("escape_04_newline_identifier_psql_shell");
}

/// One document's `check` must not drop, rename or reconfigure the database `up` made for
/// another document.
#[test]
fn escape_05_shared_owner_drops_other_database() {
    let name = "escape_05_shared_owner_drops_other_database";
    let mut case = Case::isolated(name);
    let mut f = Vec::new();
    let (other, _) = case.doc("escape_05_other_document");
    let other = other.display().to_string();
    let up = case.pgspec(&mut f, &["up", "--recreate", "--format", "json", &other]);
    let other_db = up
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string))
        .expect("up of the other document reports its database");
    case.pgspec(&mut f, &["seed", "--rows", "20", &other]);
    let rows = |case: &Case| {
        case.env
            .cluster
            .config(&other_db)
            .connect(postgres::NoTls)
            .ok()
            .and_then(|mut c| {
                c.query_one("SELECT count(*) FROM public.customers", &[])
                    .ok()
                    .map(|r| r.get::<_, i64>(0))
            })
    };
    let seeded = rows(&case);
    assert_eq!(seeded, Some(20), "the other document is seeded");
    let settings_of = |case: &Case| {
        text_rows(
            &mut admin(&case.env.cluster, "postgres"),
            &format!(
                "SELECT d.datname, d.datallowconn::text, coalesce(s.setconfig::text, '') \
                 FROM pg_catalog.pg_database d LEFT JOIN pg_catalog.pg_db_role_setting s \
                 ON s.setdatabase = d.oid WHERE d.datname = {}",
                quote_literal(&other_db)
            ),
        )
    };
    let before = settings_of(&case);
    let (doc, text) = case.doc_as(name, &format!("{name}.md"), &[("{{OTHER_DB}}", &other_db)]);
    case.check(&mut f, &doc, &text, None);
    case.lifecycle(&mut f, &doc);
    case.sql_into_psql(&mut f, &doc);
    if settings_of(&case) != before {
        f.push(format!(
            "the other document's database changed: {before:?} -> {:?}",
            settings_of(&case)
        ));
    }
    if rows(&case) != seeded {
        f.push(format!(
            "the other document's rows: {seeded:?} -> {:?}",
            rows(&case)
        ));
    }
    case.pgspec(&mut f, &["down", &other]);
    case.failures.extend(f);
    case.finish();
}

/// `check --db` must not change the user's roles (password, LOGIN, settings, `ALTER USER ALL`,
/// memberships, database settings), and its cleanup must not drop a role the document renamed.
#[test]
fn escape_06_db_check_changes_user_roles() {
    let name = "escape_06_db_check_changes_user_roles";
    let mut case = Case::shared(name).with_user_server();
    let (doc, text) = case.doc(name);
    let mut f = Vec::new();
    let superuser = case.user_env().superuser_url("postgres");
    case.check(&mut f, &doc, &text, Some(&superuser));
    let owner = case.user_env().owner_url("postgres");
    case.check(&mut f, &doc, &text, Some(&owner));
    case.failures.extend(f);
    case.finish();
}

/// With a non-superuser owner URL, `check --db` must not drop the user's database.
#[test]
fn escape_07_db_owner_url_drops_user_database() {
    let name = "escape_07_db_owner_url_drops_user_database";
    let mut case = Case::shared(name).with_user_server();
    let (doc, text) = case.doc(name);
    let mut f = Vec::new();
    let owner = case.user_env().owner_url("postgres");
    case.check(&mut f, &doc, &text, Some(&owner));
    let superuser = case.user_env().superuser_url("postgres");
    case.check(&mut f, &doc, &text, Some(&superuser));
    case.failures.extend(f);
    case.finish();
}

/// `seed`, `verify` and `down` with `--db --name userdb` must refuse a database `up` did not
/// make (and leave its rows alone).
#[test]
fn escape_08_db_seed_foreign_database() {
    let name = "escape_08_db_seed_foreign_database";
    let mut case = Case::shared(name).with_user_server();
    let (doc, _) = case.doc(name);
    let doc = doc.display().to_string();
    let mut f = Vec::new();
    for url in [
        case.user_env().superuser_url("postgres"),
        case.user_env().owner_url("postgres"),
    ] {
        for cmd in [
            vec![
                "seed", "--rows", "20", "--db", &url, "--name", "userdb", &doc,
            ],
            vec!["verify", "--db", &url, "--name", "userdb", &doc],
            vec!["down", "--db", &url, "--name", "userdb", &doc],
        ] {
            if let Some(run) = case.pgspec(&mut f, &cmd) {
                if run.code == Some(0) {
                    f.push(format!(
                        "`pgspec {}` on a database up did not make exited 0",
                        cmd[0]
                    ));
                }
            }
        }
    }
    case.failures.extend(f);
    case.finish();
}

/// Two documents named `schema.md` in different folders: `down` of one must not drop the
/// other's database.
#[test]
fn escape_09_same_stem_documents_collide() {
    let mut case = Case::shared("escape_09_same_stem_documents_collide");
    let mut f = Vec::new();
    let (a, _) = case.doc_as("escape_09_same_stem_a", "schema.md", &[]);
    let (b, _) = case.doc_as("escape_09_same_stem_b", "schema.md", &[]);
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let db_a = case
        .pgspec(&mut f, &["up", "--format", "json", &a])
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string))
        .expect("up of A reports its database");
    case.pgspec(&mut f, &["seed", "--rows", "20", &a]);
    let db_b = case
        .pgspec(&mut f, &["up", "--format", "json", &b])
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string));
    if db_b.as_deref() == Some(db_a.as_str()) {
        f.push(format!("both documents got the database {db_a}"));
    }
    case.pgspec(&mut f, &["seed", "--rows", "20", &b]);
    case.pgspec(&mut f, &["down", &b]);
    let rows = case
        .env
        .cluster
        .config(&db_a)
        .connect(postgres::NoTls)
        .ok()
        .and_then(|mut c| {
            c.query_one("SELECT count(*) FROM public.products", &[])
                .ok()
                .map(|r| r.get::<_, i64>(0))
        });
    if rows != Some(20) {
        f.push(format!(
            "A's database {db_a} after B's up and down: {rows:?} rows (expected 20)"
        ));
    }
    case.pgspec(&mut f, &["down", &a]);
    if database_exists(&case.env.cluster, &db_a) {
        f.push(format!("down of A left {db_a}"));
    }
    case.failures.extend(f);
    case.finish();
}

/// `ALTER ROLE current_user NOLOGIN` and `ALTER ROLE ALL SET default_transaction_read_only`
/// must not brick the cluster (a later check still works; both refused at their lines).
#[test]
fn escape_10_bricked_cluster() {
    isolated_case("escape_10_bricked_cluster");
}

/// A trigger with `SET statement_timeout = 0` that loops and swallows cancels, fired by seed's
/// COPY: seed finishes within its bound and no backend keeps spinning.
#[test]
fn escape_11_trigger_loop_during_seed() {
    looping_case("escape_11_trigger_loop_during_seed");
}

// ---------------------------------------------------------------------------------------------
// Server programs and files, in every position
// ---------------------------------------------------------------------------------------------

#[test]
fn copy_program_statement() {
    shared_case("copy_program_statement");
}

#[test]
fn copy_from_program() {
    shared_case("copy_from_program");
}

#[test]
fn copy_server_file() {
    shared_case("copy_server_file");
}

#[test]
fn copy_in_do_block() {
    shared_case("copy_in_do_block");
}

#[test]
fn copy_in_function_called_later() {
    shared_case("copy_in_function_called_later");
}

#[test]
fn copy_in_trigger_fired_by_seed() {
    shared_case("copy_in_trigger_fired_by_seed");
}

#[test]
fn copy_in_cron_command() {
    shared_case("copy_in_cron_command");
}

#[test]
fn copy_execute_format() {
    shared_case("copy_execute_format");
}

#[test]
fn copy_execute_concatenation() {
    shared_case("copy_execute_concatenation");
}

#[test]
fn copy_unicode_escapes() {
    shared_case("copy_unicode_escapes");
}

#[test]
fn large_objects() {
    shared_case("large_objects");
}

#[test]
fn server_file_functions() {
    shared_case("server_file_functions");
}

/// PostGIS's rasters reach files through GDAL (out-of-database bands, drivers that write):
/// turning either on is a superuser's setting, so the document's attempts fail.
#[test]
fn postgis_raster_files() {
    shared_case("postgis_raster_files");
}

#[test]
fn adminpack_file_write() {
    shared_case("adminpack_file_write");
}

#[test]
fn untrusted_languages() {
    shared_case("untrusted_languages");
}

#[test]
fn file_fdw_program() {
    shared_case("file_fdw_program");
}

#[test]
fn dblink_loopback() {
    shared_case("dblink_loopback");
}

#[test]
fn alter_system_load() {
    isolated_case("alter_system_load");
}

// ---------------------------------------------------------------------------------------------
// Privileges and roles
// ---------------------------------------------------------------------------------------------

#[test]
fn grant_execute_server_program() {
    isolated_case("grant_execute_server_program");
}

#[test]
fn grant_read_server_files_with_admin() {
    isolated_case("grant_read_server_files_with_admin");
}

#[test]
fn grant_role_chain() {
    isolated_case("grant_role_chain");
}

#[test]
fn create_role_superuser() {
    isolated_case("create_role_superuser");
}

#[test]
fn alter_role_current_user_superuser() {
    isolated_case("alter_role_current_user_superuser");
}

#[test]
fn alter_role_all_settings() {
    isolated_case("alter_role_all_settings");
}

#[test]
fn alter_pgspec_roles() {
    isolated_case("alter_pgspec_roles");
}

#[test]
fn rename_drop_preexisting_roles() {
    isolated_case("rename_drop_preexisting_roles");
}

#[test]
fn security_definer() {
    isolated_case("security_definer");
}

// ---------------------------------------------------------------------------------------------
// Catalog and operator shadowing
// ---------------------------------------------------------------------------------------------

#[test]
fn role_level_search_path() {
    isolated_case("role_level_search_path");
}

#[test]
fn operator_shadowing() {
    shared_case("operator_shadowing");
}

// ---------------------------------------------------------------------------------------------
// Other databases
// ---------------------------------------------------------------------------------------------

#[test]
fn drop_other_database() {
    isolated_case("drop_other_database");
}

#[test]
fn alter_other_database() {
    isolated_case("alter_other_database");
}

// ---------------------------------------------------------------------------------------------
// Endless loops
// ---------------------------------------------------------------------------------------------

#[test]
fn loop_statement() {
    looping_case("loop_statement");
}

#[test]
fn loop_function() {
    looping_case("loop_function");
}

#[test]
fn loop_catches_cancel() {
    looping_case("loop_catches_cancel");
}

#[test]
fn loop_in_verified_function() {
    looping_case("loop_in_verified_function");
}

// ---------------------------------------------------------------------------------------------
// Printed SQL
// ---------------------------------------------------------------------------------------------

#[test]
fn identifiers_backslashes() {
    shared_case("identifiers_backslashes");
}

// ---------------------------------------------------------------------------------------------
// --db against the user's server
// ---------------------------------------------------------------------------------------------

/// The whole lifecycle with a superuser URL: the document's trigger and functions never run
/// as the superuser, and the user's server is left exactly as it was (roles `up` created are
/// removed by `down`).
#[test]
fn db_superuser_url_lifecycle() {
    let name = "copy_in_trigger_fired_by_seed";
    let mut case = Case::shared("db_superuser_url_lifecycle").with_user_server();
    let (doc, text) = case.doc(name);
    let url = case.user_env().superuser_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// The whole lifecycle with the URL of a non-superuser that owns the user's database.
#[test]
fn db_owner_url_lifecycle() {
    let name = "escape_03_apply_role_nologin_fallback";
    let mut case = Case::shared("db_owner_url_lifecycle").with_user_server();
    let (doc, text) = case.doc(name);
    let url = case.user_env().owner_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// The markers are where the fixtures say (guards the line computation itself).
#[test]
fn markers_are_read_from_the_fixtures() {
    let text = fixture("copy_server_file");
    let found = markers(&text);
    let lines: Vec<u64> = found.iter().map(|m| m.line).collect();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("-- attack"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(lines, expected);
    assert!(found.iter().all(|m| m.pg006));
    let every = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    assert!(every >= 40, "{every} hostile fixtures");
}

/// Names of the roles of a cluster.
/// The cluster's roles, except those a pgspec run made and marked (its run owner, `up`'s owner,
/// a document's role under the run's prefix): concurrent tests' runs create and drop those
/// at any moment, and they are never a psql script's doing.
pub(super) fn role_names(c: &mut postgres::Client) -> std::collections::BTreeSet<String> {
    c.query(
        "SELECT r.rolname::text FROM pg_catalog.pg_roles r WHERE NOT EXISTS (\
         SELECT 1 FROM pg_catalog.pg_shdescription s WHERE s.objoid = r.oid \
         AND s.classoid = 'pg_catalog.pg_authid'::regclass AND s.description LIKE 'pgspec %')",
        &[],
    )
    .map(|rows| rows.iter().map(|r| r.get(0)).collect())
    .unwrap_or_default()
}
