//! plpgsql_check through the session: pgspec's copy of the extension, the findings per
//! function, and what happens beside a function it cannot check.

use super::*;

/// A function plpgsql_check cannot check (not PL/pgSQL: it raises instead of reporting) has no
/// entry, the others keep their findings whatever the order, and pgspec's copy of the
/// extension is gone afterwards.
#[test]
fn plpgsql_check_keeps_the_findings_beside_a_function_it_cannot_check() {
    use pgspec::postgres::plpgsql_check::{plpgsql_check, Target};
    let target = |function: u32| Target {
        function,
        relid: 0,
        old_table: None,
        new_table: None,
    };
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    for sql in [
        "CREATE TABLE t (id int)",
        "CREATE FUNCTION bad() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT nosuch FROM t); END $$",
        "CREATE FUNCTION good() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
        "CREATE FUNCTION plain() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
    ] {
        applied(s.apply(sql).expect("apply"));
    }
    let mut oid = |name: &str| -> u32 {
        let rows = s
            .query_as_document(&format!("SELECT '{name}'::regproc::oid::text"))
            .expect("oid");
        rows[0][0]
            .as_deref()
            .expect("an oid")
            .parse()
            .expect("a number")
    };
    let (bad, good, plain) = (oid("bad"), oid("good"), oid("plain"));
    let together = plpgsql_check(&mut s, &[target(bad), target(good)])
        .expect("plpgsql_check runs")
        .expect("plpgsql_check is installed (scripts/setup.sh)");
    assert_eq!(together.len(), 2, "{together:?}");
    assert_eq!(together[0].0, bad);
    let sqlstates: Vec<_> = together[0]
        .1
        .iter()
        .map(|f| f.sqlstate.as_deref())
        .collect();
    assert_eq!(sqlstates, vec![Some("42703")], "{together:?}");
    assert_eq!(together[1], (good, Vec::new()));
    // `plain` is not PL/pgSQL: plpgsql_check raises for it.
    let apart = plpgsql_check(&mut s, &[target(bad), target(plain), target(good)])
        .expect("plpgsql_check runs")
        .expect("installed");
    assert_eq!(apart, together);
    let left = s
        .query_as_document("SELECT count(*) FROM pg_extension WHERE extname = 'plpgsql_check'")
        .expect("query");
    assert_eq!(left, vec![vec![Some("0".to_string())]]);
}
