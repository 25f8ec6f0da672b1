//! Constraints that are hard to satisfy, read from the catalog: columns a CHECK counts
//! (`num_nonnulls`), JSON keys a CHECK requires, a trigger that rejects some rows; and the
//! claims `verify` proves on them (domain CHECKs, keys beside fresh valid values, uniqueness
//! whatever the case).

use super::*;

const HARD: &str = r"
CREATE DOMAIN amount AS numeric(10,2) CHECK (VALUE >= 0);

CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE companies (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);

CREATE TABLE holds (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id bigint REFERENCES people (id),
    company_id bigint REFERENCES companies (id),
    note text,
    code text,
    deposit amount NOT NULL,
    CHECK (num_nonnulls(person_id, company_id) = 1),
    CHECK (coalesce(note, code) IS NOT NULL)
);

CREATE TABLE readings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vitals jsonb NOT NULL CHECK (jsonb_typeof(vitals) = 'object' AND vitals ? 'bp'),
    limits jsonb NOT NULL CHECK (limits ?& ARRAY['seats', 'plan']
                                 AND jsonb_typeof(limits -> 'seats') = 'number')
);

-- A key pgspec must duplicate while keeping the other unique column fresh and valid.
CREATE TABLE items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku varchar(10) NOT NULL UNIQUE CHECK (sku ~ '^SKU-[0-9]{6}$')
);

-- Emails are unique whatever their case.
CREATE TABLE members (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(200) NOT NULL CHECK (email ~ '^[^@]+@[^@]+$')
);
CREATE UNIQUE INDEX members_email_ci ON members (lower(email));

-- Odd days are refused by a trigger whose message names the row.
CREATE TABLE visits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day date NOT NULL
);
CREATE FUNCTION visits_even() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF extract(day FROM NEW.day)::int % 2 = 1 THEN
        RAISE EXCEPTION 'odd day refused: %', NEW.day;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER visits_even BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION visits_even();
";

#[test]
fn hard_constraints_are_met_by_construction_and_rejections_are_grouped() {
    let text = doc(HARD);
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 300,
            ..SeedOptions::default()
        },
    );
    let table = |n: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == n)
            .unwrap_or_else(|| panic!("{n} in {:?}", report.tables))
    };
    // Exactly one holder, one of note/code, JSON with its keys: no row the server refused.
    for n in ["holds", "readings"] {
        let t = table(n);
        assert_eq!(t.rows, 300, "{t:?}");
        assert!(t.rejected.is_empty(), "{t:?}");
    }
    assert!(count(&server, &name, "SELECT count(person_id) FROM holds") > 50);
    assert!(count(&server, &name, "SELECT count(company_id) FROM holds") > 50);
    // The trigger's refusals count under the trigger function, once, whatever the messages.
    let visits = table("visits");
    assert_eq!(visits.rows, 300, "{visits:?}");
    assert_eq!(
        visits.rejected.keys().collect::<Vec<_>>(),
        vec!["visits_even()"],
        "{visits:?}"
    );
    let findings: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ConstraintNotSatisfied)
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");

    // The domain's CHECK rejects a negative deposit: verify proves it under the domain's name.
    let verified = run_verify(&server, &name, &text);
    let domain = verified
        .claims
        .iter()
        .find(|c| c.title.contains("domain check on deposit"))
        .expect("a claim for the domain check");
    assert_eq!(domain.status, Status::Pass, "{domain:?}");
    // The duplicate id goes in with a fresh sku that fits varchar(10) and the regex, so the
    // primary key is what rejects it.
    let key = verified
        .claims
        .iter()
        .find(|c| c.title.contains("`items_pkey`"))
        .expect("a claim for items_pkey");
    assert_eq!(key.status, Status::Pass, "{key:?}");
    // The case-insensitive index is proven with a duplicate in another case, not the same value.
    let ci = verified
        .claims
        .iter()
        .find(|c| c.title.contains("`members_email_ci`"))
        .expect("a claim for members_email_ci");
    assert_eq!(ci.status, Status::Pass, "{ci:?}");
    assert!(ci.title.contains("in another case"), "{ci:?}");
    assert!(
        ci.evidence["statement"]
            .as_str()
            .is_some_and(|s| s.contains("upper(left(email, 1))")),
        "{ci:?}"
    );
    drop_db(&server, &name);
}
