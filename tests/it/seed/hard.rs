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

const INVOICES: &str = r"
CREATE TYPE method AS ENUM ('transfer', 'card', 'cash', 'direct_debit');

CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    methods method[] NOT NULL,
    preferred method NOT NULL,
    CHECK (preferred = ANY (methods))
);

-- The series code is a char(4): `~` sees it padded, so 'A12' does not match.
CREATE TABLE series (
    code char(4) PRIMARY KEY CHECK (code ~ '^[A-Z]{1,2}[0-9]{2}$' OR code ~ '^[A-Z]{4}$')
);

CREATE TABLE warehouses (id smallint PRIMARY KEY CHECK (id BETWEEN 1 AND 9));

CREATE TABLE invoices (
    id bigint GENERATED ALWAYS AS IDENTITY,
    series char(4) NOT NULL REFERENCES series (code),
    customer_id bigint NOT NULL REFERENCES customers (id),
    issued_on date NOT NULL,
    due_on date NOT NULL,
    CHECK (due_on >= issued_on AND due_on <= issued_on + 60),
    PRIMARY KEY (id, issued_on)
) PARTITION BY RANGE (issued_on);
CREATE TABLE invoices_old PARTITION OF invoices FOR VALUES FROM ('2000-01-01') TO ('2026-01-01');
CREATE TABLE invoices_rest PARTITION OF invoices DEFAULT;

-- A composite foreign key to the partitioned table; line numbers bounded by a CHECK.
CREATE TABLE invoice_lines (
    invoice_id bigint NOT NULL,
    issued_on date NOT NULL,
    line smallint NOT NULL CHECK (line BETWEEN 1 AND 99),
    PRIMARY KEY (invoice_id, issued_on, line),
    FOREIGN KEY (invoice_id, issued_on) REFERENCES invoices (id, issued_on)
);
";

#[test]
fn keys_dates_and_array_members_that_checks_tie_together_are_filled() {
    let (server, name, report) = up_and_seed(
        &doc(INVOICES),
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
            .clone()
    };
    for n in ["customers", "series", "invoices", "invoice_lines"] {
        let t = table(n);
        assert_eq!(t.rows, 300, "{t:?}");
        assert!(t.rejected.is_empty(), "{t:?}");
    }
    // The key a CHECK bounds to nine values holds nine rows, and the report says why.
    let w = table("warehouses");
    assert_eq!(w.rows, 9, "{w:?}");
    assert!(
        w.stopped
            .as_deref()
            .is_some_and(|s| s.contains("at most 9 distinct values")),
        "{w:?}"
    );
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM invoices WHERE due_on - issued_on > 60"
        ),
        0
    );
    drop_db(&server, &name);
}

/// A diagram that says every order has at least one item; the SQL cannot say it.
const ONE_OR_MORE: &str = r"
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL);
CREATE TABLE order_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    quantity integer NOT NULL CHECK (quantity > 0)
);
```

Every order has at least one item:

```mermaid
erDiagram
    ORDERS ||--|{ ORDER_ITEMS : contains
```

```sql
SELECT count(*) FROM order_items WHERE order_id = 1;
";

#[test]
fn a_diagrams_one_or_more_is_seeded_and_verified() {
    let text = doc(ONE_OR_MORE);
    let claim = |report: &VerifyReport| {
        report
            .claims
            .iter()
            .find(|c| {
                c.title
                    .starts_with("every orders row has at least one order_items row")
            })
            .cloned()
            .unwrap_or_else(|| panic!("no claim: {:#?}", report.claims))
    };
    // As many items as orders: each order gets exactly one, none is left without.
    let mut tables = std::collections::BTreeMap::new();
    tables.insert("orders".to_string(), 300);
    tables.insert("order_items".to_string(), 300);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            tables,
            ..SeedOptions::default()
        },
    );
    let verified = run_verify(&server, &name, &text);
    let held = claim(&verified);
    assert_eq!(held.status, Status::Pass, "{held:?}");
    // The claim is judged on the rows: an order without items fails it.
    count(
        &server,
        &name,
        "WITH o AS (INSERT INTO orders (placed_at) VALUES (now()) RETURNING id) SELECT count(*) FROM o",
    );
    let broken = claim(&run_verify(&server, &name, &text));
    assert_eq!(broken.status, Status::Fail, "{broken:?}");
    assert!(
        broken
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("1 orders rows")),
        "{broken:?}"
    );
    drop_db(&server, &name);
}

/// Two NOT NULL foreign keys that point at each other, checked at COMMIT.
const NOT_NULL_CYCLE: &str = r"
CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE,
    owner_user_id bigint NOT NULL
);
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) DEFERRABLE INITIALLY DEFERRED,
    email text NOT NULL
);
ALTER TABLE tenants ADD CONSTRAINT tenants_owner_fk
    FOREIGN KEY (owner_user_id) REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id)
);
";

#[test]
fn a_cycle_of_not_null_deferrable_keys_is_filled_in_one_transaction() {
    let (server, name, report) = up_and_seed(
        &doc(NOT_NULL_CYCLE),
        &SeedOptions {
            rows: 200,
            ..SeedOptions::default()
        },
    );
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::TableNotSeeded),
        "{:#?}",
        report.diagnostics
    );
    // What the report counts is what the database holds.
    for t in ["tenants", "users", "projects"] {
        assert_eq!(
            count(&server, &name, &format!("SELECT count(*) FROM {t}")),
            200,
            "{t}: {:?}",
            report.tables
        );
    }
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.owner_user_id)"
        ),
        0
    );
    drop_db(&server, &name);
}

#[test]
fn a_table_with_forced_row_level_security_is_filled_and_stays_forced() {
    let (server, name, report) = up_and_seed(
        &doc("CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region text NOT NULL,
    body text NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_region ON notes USING (region = current_setting('app.region', true));"),
        &SeedOptions {
            rows: 100,
            ..SeedOptions::default()
        },
    );
    let notes = &report.tables[0];
    assert_eq!(notes.rows, 100, "{notes:?} {:#?}", report.diagnostics);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    // FORCE was lifted for the load only.
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM pg_class WHERE relname = 'notes' AND relforcerowsecurity"
        ),
        1
    );
    drop_db(&server, &name);
}

/// Keys a year of random days cannot fill: a date alone, beside a boolean, beside an integer
/// a CHECK bounds to three values, and a date a CHECK bounds to one month beside a boolean.
const DAY_KEYS: &str = r"
CREATE TABLE holidays (day date PRIMARY KEY, name text NOT NULL);
CREATE TABLE daily_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    is_weekend boolean NOT NULL,
    day date NOT NULL,
    UNIQUE (is_weekend, day)
);
CREATE TABLE sensor_days (
    sensor integer NOT NULL CHECK (sensor BETWEEN 1 AND 3),
    taken_on date NOT NULL,
    value numeric(8,2) NOT NULL,
    PRIMARY KEY (sensor, taken_on)
);
CREATE TABLE march_shifts (
    night boolean NOT NULL,
    day date NOT NULL CHECK (day >= DATE '2025-03-01' AND day < DATE '2025-04-01'),
    PRIMARY KEY (night, day)
);
-- Not a key: a day after the first of March, and not in April.
CREATE TABLE march_visits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day date NOT NULL CHECK (day > DATE '2025-03-01' AND day <= DATE '2025-03-31')
);
";

#[test]
fn keys_of_dates_take_a_day_per_row() {
    let (server, name, report) = up_and_seed(
        &doc(DAY_KEYS),
        &SeedOptions {
            rows: 1500,
            ..SeedOptions::default()
        },
    );
    for t in &report.tables {
        let expected = if t.table == "march_shifts" { 62 } else { 1500 };
        assert_eq!(t.rows, expected, "{t:?}");
    }
    // Two nights by 31 days of March, and the report says so.
    let march = report.tables.iter().find(|t| t.table == "march_shifts");
    assert!(
        march.is_some_and(|t| t
            .stopped
            .as_deref()
            .is_some_and(|s| s.contains("at most 62 distinct values"))),
        "{march:?}"
    );
    assert_eq!(
        count(&server, &name, "SELECT count(DISTINCT day) FROM holidays"),
        1500
    );
    // Random days spread over the month the CHECK allows, not its last day or two.
    assert!(
        count(
            &server,
            &name,
            "SELECT count(DISTINCT day) FROM march_visits"
        ) >= 25,
        "march_visits"
    );
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM march_shifts WHERE day BETWEEN '2025-03-01' AND '2025-03-31'"
        ),
        62
    );
    drop_db(&server, &name);
}
