//! Extensions Debian packages for PostgreSQL 15 that `scripts/setup.sh` installs, used the way
//! design documents use them: pgTAP tests are claims `verify` judges by their TAP lines.

use pgspec::pipeline;
use pgspec::postgres::Server;
use pgspec::verify::Status;

use crate::postgres::shared_cluster;

const TAP_DOCUMENT: &str = "# Members

```sql
CREATE TABLE members (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    age int CHECK (age >= 18)
);
CREATE EXTENSION IF NOT EXISTS pgtap;
```

The tests:

```sql
BEGIN;
SELECT plan(4);
SELECT has_table('members');
SELECT col_not_null('members', 'age');
SELECT throws_ok($$INSERT INTO members (email, age) VALUES ('a@b.c', 12)$$, '23514');
SELECT is((SELECT count(*)::int FROM members WHERE age < 18), 0, 'no minors');
SELECT * FROM finish();
ROLLBACK;
```
";

/// A test that holds passes, one that does not (`age` is nullable) fails with its `not ok`
/// line, and `plan()`/`finish()` are skipped as the bookkeeping of a whole run.
#[test]
fn pgtap_tests_are_claims_judged_by_their_tap_lines() {
    assert!(
        std::path::Path::new("/usr/share/postgresql/15/extension/pgtap.control").exists(),
        "pgTAP is not installed: scripts/setup.sh installs it"
    );
    let database = "pgspec_extensions_tap";
    let server = Server::Url(shared_cluster().url("postgres"));
    {
        let _guard = crate::check::seed_lock();
        pgspec::up::up(
            pipeline::extract(TAP_DOCUMENT.as_bytes()),
            TAP_DOCUMENT.as_bytes(),
            &server,
            database,
            true,
        )
        .unwrap_or_else(|e| panic!("up: {e}"));
    }
    let extracted = pipeline::extract(TAP_DOCUMENT.as_bytes());
    let report = pgspec::verify::verify(
        &extracted.document,
        &extracted.statements,
        &server,
        database,
    )
    .expect("verify runs");
    let status = |needle: &str| {
        let claim = report
            .claims
            .iter()
            .find(|c| c.title.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {:#?}", report.claims));
        (claim.status, claim.reason.clone().unwrap_or_default())
    };
    assert_eq!(status("has_table").0, Status::Pass);
    assert_eq!(status("throws_ok").0, Status::Pass);
    assert_eq!(status("no minors").0, Status::Pass);
    let (nullable, why) = status("col_not_null");
    assert_eq!(nullable, Status::Fail, "{why}");
    assert!(
        why.starts_with("not ok 1 - Column members.age should be NOT NULL"),
        "{why}"
    );
    assert_eq!(status("plan(4)").0, Status::Skipped);
    assert_eq!(status("finish()").0, Status::Skipped);
    pgspec::up::down(&server, database).expect("down");
}
