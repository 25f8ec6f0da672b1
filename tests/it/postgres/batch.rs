//! Statements sent together in one round trip, judged as if each ran alone.

use super::bounds::STUBBORN_TRIGGER;
use super::*;

#[test]
fn only_statements_that_behave_the_same_in_a_block_are_batched() {
    let statements = statements_of(
        "CREATE TABLE t (id int PRIMARY KEY);\n\
         CREATE INDEX t_id ON t (id);\n\
         INSERT INTO t VALUES (1);\n\
         SET search_path = public;\n\
         SET LOCAL search_path = public;\n\
         SET client_min_messages = error;\n\
         CREATE INDEX CONCURRENTLY t_id2 ON t (id);\n\
         VACUUM t;\n\
         BEGIN;\n\
         DO $$ BEGIN COMMIT; END $$;\n\
         SELECT set_config('search_path', '', true);\n\
         COPY t FROM STDIN;\n\
         INSERT INTO t VALUES (2) -- a comment at the end\n;\n\
         COMMENT ON TABLE t IS 'a\\b';\n\
         CREATE TABLE a_name_of_more_than_sixty_three_bytes_that_postgres_truncates_xyz (x int);\n\
         CREATE TEMPORARY TABLE tmp (x int);",
    );
    let batchable: Vec<bool> = statements.iter().map(pgspec::postgres::batchable).collect();
    assert_eq!(
        batchable,
        [
            true, true, true, true, false, false, false, false, false, false, false, false, true,
            false, false, false
        ],
        "{:?}",
        statements.iter().map(|s| &s.text).collect::<Vec<_>>()
    );
}

#[test]
fn a_batch_applies_a_run_and_gives_each_statement_its_own_notices() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE a (x int);\n\
         DROP TABLE IF EXISTS nosuch;\n\
         INSERT INTO a VALUES (1) -- ends in a comment\n;\n\
         CREATE INDEX a_x ON a (x);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    let notices: Vec<Vec<pgspec::postgres::Notice>> = outcomes.into_iter().map(applied).collect();
    assert!(notices[0].is_empty() && notices[2].is_empty() && notices[3].is_empty());
    assert_eq!(notices[1].len(), 1, "{notices:?}");
    assert_eq!(
        notices[1][0].message,
        "table \"nosuch\" does not exist, skipping"
    );
    // Committed: another connection sees the row.
    let rows = s
        .query_strings("SELECT count(*)::text FROM public.a")
        .expect("query");
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
}

#[test]
fn a_batch_keeps_what_applied_before_a_failure_and_judges_a_failure_about_the_statement() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE a (x int);\n\
         INSERT INTO a VALUES (1);\n\
         INSERT INTO a VALUES ('not a number');\n\
         CREATE TABLE b (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    // The failure reports its own position, in its own text.
    let error = failed(outcomes.pop().expect("third"));
    assert_eq!(error.sqlstate, "22P02");
    assert_eq!(error.position, Some(23), "{error:?}");
    outcomes.into_iter().for_each(|o| drop(applied(o)));
    let tables = |s: &mut pgspec::postgres::ApplySession| {
        s.query_strings(
            "SELECT string_agg(relname::text, ',' ORDER BY relname) FROM pg_class \
             WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'",
        )
        .expect("query")
    };
    assert_eq!(tables(&mut s), vec![vec![Some("a".to_string())]]);
    // Run alone, it reports the same.
    let alone = failed(s.apply_statement(&statements[2]).expect("apply"));
    assert_eq!(alone, error);
    let rest = s.apply_batch(&statements[3..]).expect("batch");
    assert!(rest.is_empty(), "one statement goes alone: {rest:?}");
    applied(s.apply_statement(&statements[3]).expect("apply"));
    assert_eq!(tables(&mut s), vec![vec![Some("a,b".to_string())]]);
}

#[test]
fn a_batch_leaves_a_failure_that_may_depend_on_its_block_to_run_alone() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    // A function's own error may depend on the transaction it runs in.
    applied(
        s.apply(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'refused'; END $$",
        )
        .expect("apply"),
    );
    applied(
        s.apply("CREATE TRIGGER refuse BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION refuse()")
            .expect("apply"),
    );
    let statements = statements_of(
        "CREATE TABLE before_it (x int);\n\
         INSERT INTO t VALUES (1);\n\
         CREATE TABLE after_it (x int);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    applied(outcomes.into_iter().next().expect("first"));
    let error = failed(s.apply_statement(&statements[1]).expect("apply"));
    assert_eq!(error.sqlstate, "P0001", "{error:?}");
}

#[test]
fn a_batch_whose_markers_do_not_add_up_keeps_nothing_and_batching_stops() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE a (x int)").expect("apply"));
    // A trigger that sends what looks like a batch marker.
    applied(
        s.apply(
            "CREATE FUNCTION fake() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE WARNING USING ERRCODE = '25001', \
             MESSAGE = 'there is already a transaction in progress'; RETURN NEW; END $$",
        )
        .expect("apply"),
    );
    applied(
        s.apply("CREATE TRIGGER fake BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION fake()")
            .expect("apply"),
    );
    // One marker too many before a failure: the savepoint named by the count does not exist.
    let statements = statements_of(
        "INSERT INTO a VALUES (1);\n\
         CREATE TABLE b (x int);\n\
         INSERT INTO nosuch VALUES (1);\n\
         CREATE TABLE c (x int);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert!(outcomes.is_empty(), "{outcomes:?}");
    let rows = s
        .query_strings(
            "SELECT (SELECT count(*) FROM public.a)::text, to_regclass('public.b') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![Some("0".to_string()), Some("t".to_string())]]
    );
    // From now on every statement goes alone, even a run that would have added up.
    let plain = statements_of("CREATE TABLE d (x int);\nCREATE TABLE e (x int);");
    assert!(s.apply_batch(&plain).expect("batch").is_empty());
}

#[test]
fn a_batch_keeps_the_verdict_of_a_statement_stopped_for_time() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(300);
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE n (x bigint);\n\
         INSERT INTO n SELECT g FROM generate_series(1, 1000000000000) AS g;\n\
         CREATE TABLE m (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("second"));
    assert_eq!(error.sqlstate, "57014");
    assert_eq!(
        error.message,
        "canceling statement due to statement timeout"
    );
    applied(outcomes.pop().expect("first"));
    let rows = s
        .query_strings(
            "SELECT to_regclass('public.n') IS NOT NULL, to_regclass('public.m') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![Some("t".to_string()), Some("t".to_string())]]
    );
}

#[test]
fn a_batch_checks_deferred_constraints_with_the_statement_that_broke_them() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE p (id int PRIMARY KEY);\n\
         CREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\n\
         INSERT INTO c VALUES (1);\n\
         CREATE TABLE z (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("third"));
    assert_eq!(error.sqlstate, "23503", "{error:?}");
    // Alone, the row is refused at the statement's own commit, as in the batch.
    let alone = failed(s.apply_statement(&statements[2]).expect("apply"));
    assert_eq!(alone, error);
    // The session still batches.
    let outcomes = s.apply_batch(&statements_of(
        "INSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1);",
    ));
    assert_eq!(outcomes.expect("batch").len(), 2);
}

/// Waits out one short statement bound and the terminate grace (about 2.5 s), like
/// `the_session_terminates_a_statement_that_ignores_cancel`.
#[test]
fn a_batch_statement_that_ignores_cancel_ends_like_one_run_alone() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(300);
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    applied(s.apply(STUBBORN_TRIGGER).expect("apply"));
    applied(
        s.apply("CREATE TRIGGER spin BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION spin()")
            .expect("apply"),
    );
    applied(s.apply("SET search_path = nowhere, public").expect("apply"));
    let statements = statements_of(
        "CREATE TABLE before_it (x int);\n\
         INSERT INTO t VALUES (1);\n\
         CREATE TABLE after_it (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("second"));
    assert_eq!(error.sqlstate, "57014");
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("terminated")),
        "{error:?}"
    );
    applied(outcomes.pop().expect("first"));
    // The statement before it is there (its batch's transaction died with the backend, so it
    // ran again); the one after it never ran; the session is a fresh one, as after a
    // statement terminated alone (the search_path set before is gone).
    let rows = s
        .query_as_document(
            "SELECT pg_catalog.current_setting('search_path'), \
             to_regclass('public.before_it') IS NOT NULL, to_regclass('public.after_it') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![
            Some("\"$user\", public".to_string()),
            Some("t".to_string()),
            Some("t".to_string())
        ]]
    );
}

/// The statements of a document made of one SQL block.
pub(super) fn statements_of(sql: &str) -> Vec<pgspec::sql::Statement> {
    let (doc, _) = pgspec::document::read(format!("```sql\n{sql}\n```\n").as_bytes());
    pgspec::sql::extract(&doc).0
}
