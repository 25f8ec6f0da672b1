//! The one catalog (`pgspec::postgres::catalog::Catalog`), read from a real database holding
//! one object of every kind, and the rule that no catalog SQL lives outside the postgres
//! module.

use pgspec::postgres::catalog::{
    Catalog, ConstraintKind, ForeignKeyAction, FunctionKind, Identity, PartitionStrategy,
    PolicyCommand, TableKind, TriggerTiming, TypeKind, Volatility,
};
use pgspec::postgres::{ScratchDatabase, Server};

use crate::postgres::shared_cluster;

const EVERY_KIND: &str = r#"
SET search_path = public;
CREATE EXTENSION citext;
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application';
CREATE TYPE app.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN app.qty AS integer NOT NULL DEFAULT 1 CONSTRAINT qty_positive CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text);
CREATE TYPE app.floatrange AS RANGE (subtype = float8);
CREATE ROLE catalog_reader_test NOLOGIN;
CREATE TABLE app.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    name varchar(80) COLLATE "C" NOT NULL,
    code text,
    lower_name text GENERATED ALWAYS AS (lower(name)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.customers IS 'who buys';
COMMENT ON COLUMN app.customers.email IS 'login';
CREATE TABLE app.orders (
    id serial,
    customer_id bigint NOT NULL,
    status app.status NOT NULL DEFAULT 'new',
    qty app.qty,
    tags text[],
    placed_at timestamptz NOT NULL,
    PRIMARY KEY (id, placed_at),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id)
        ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT orders_qty_small CHECK (qty < 1000)
) PARTITION BY RANGE (placed_at);
CREATE TABLE app.orders_2026 PARTITION OF app.orders
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE app.orders_default PARTITION OF app.orders DEFAULT;
CREATE EXTENSION btree_gist;
CREATE TABLE app.bookings (
    room int NOT NULL,
    during tstzrange NOT NULL,
    CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
ALTER TABLE app.customers ADD CONSTRAINT code_short CHECK (length(code) < 10) NOT VALID;
CREATE INDEX customers_code_idx ON app.customers (lower(code), id) INCLUDE (name) WHERE code IS NOT NULL;
CREATE UNIQUE INDEX customers_name_key ON app.customers (name);
CREATE SEQUENCE app.invoice_no AS integer START 100 INCREMENT 5;
CREATE VIEW app.paid_orders AS SELECT id, customer_id FROM app.orders WHERE status = 'paid';
CREATE MATERIALIZED VIEW app.order_totals AS SELECT customer_id, count(*) AS n FROM app.orders GROUP BY customer_id WITH NO DATA;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, app AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
COMMENT ON FUNCTION app.touch() IS 'stamps rows';
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
    AS 'SELECT a + b';
CREATE PROCEDURE app.noop() LANGUAGE sql AS 'SELECT 1';
CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE ON app.customers
    FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.customers AS RESTRICTIVE FOR UPDATE TO catalog_reader_test
    USING (email = current_user) WITH CHECK (code IS NULL);
CREATE POLICY read_all ON app.customers FOR SELECT USING (true);
GRANT SELECT, INSERT ON app.customers TO catalog_reader_test WITH GRANT OPTION;
GRANT UPDATE (code) ON app.customers TO catalog_reader_test;
RESET search_path;
"#;

fn loaded() -> (Catalog, Catalog) {
    // EVERY_KIND creates a role (cluster-wide): one such test at a time on a cluster.
    let _roles = crate::postgres::role_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let db = ScratchDatabase::create(&server, "pgspec_catalog")
        .unwrap_or_else(|e| panic!("scratch database: {e}"));
    let mut admin = server.admin_client(&db.name).expect("admin");
    admin
        .batch_execute(EVERY_KIND)
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let direct = Catalog::load(&mut admin).expect("catalog");
    let mut session = db.session().expect("session");
    let through_session = session.catalog().expect("catalog through the session");
    drop(session);
    drop_every_kind(&server, admin, db);
    (direct, through_session)
}

/// Drop the database that holds [`EVERY_KIND`] and the role it created (cluster-wide).
fn drop_every_kind(server: &Server, mut admin: ::postgres::Client, db: ScratchDatabase) {
    admin
        .batch_execute("DROP OWNED BY catalog_reader_test")
        .expect("drop grants");
    drop(admin);
    drop(db);
    let mut admin = server.admin_client("postgres").expect("admin");
    let _ = admin.batch_execute("DROP ROLE IF EXISTS catalog_reader_test");
}

#[test]
fn the_catalog_holds_every_kind_of_object_typed() {
    let (c, via_session) = loaded();
    assert_eq!(c, via_session, "both connections read the same catalog");

    // Schemas and extensions (citext's and btree_gist's objects are not the user's).
    let app = c
        .schemas
        .iter()
        .find(|s| s.name == "app")
        .expect("schema app");
    assert_eq!(app.comment.as_deref(), Some("the application"));
    assert!(c.schemas.iter().any(|s| s.name == "public"));
    assert!(!c
        .schemas
        .iter()
        .any(|s| s.name.starts_with("pg_") || s.name == "information_schema"));
    assert!(c
        .extensions
        .iter()
        .any(|e| e.name == "citext" && e.schema == "public"));
    assert!(!c.functions.iter().any(|f| f.name.starts_with("citext")));
    assert!(!c.types.iter().any(|t| t.name == "citext"));
    assert!(!c.functions.iter().any(|f| f.name.starts_with("gbt_")));

    // Types.
    let ty = |name: &str| &c.types.iter().find(|t| t.name == name).expect(name).kind;
    assert_eq!(
        ty("status"),
        &TypeKind::Enum {
            labels: vec!["new".into(), "paid".into(), "shipped".into()]
        }
    );
    let TypeKind::Domain {
        base,
        not_null,
        default,
        checks,
    } = ty("qty")
    else {
        panic!("qty is a domain")
    };
    assert_eq!(
        (base.as_str(), *not_null, default.as_deref()),
        ("integer", true, Some("1"))
    );
    assert_eq!(checks[0].name, "qty_positive");
    assert_eq!(checks[0].definition, "CHECK ((VALUE > 0))");
    assert_eq!(
        ty("pair"),
        &TypeKind::Composite {
            attributes: vec![("a".into(), "integer".into()), ("b".into(), "text".into())]
        }
    );
    assert_eq!(
        ty("floatrange"),
        &TypeKind::Range {
            subtype: "double precision".into()
        }
    );
    assert!(
        !c.types.iter().any(|t| t.name == "customers"),
        "a table's row type is not listed"
    );

    // Sequences: the serial's, the identity's, and a free one.
    let seq = |name: &str| c.sequences.iter().find(|s| s.name == name).expect(name);
    let invoice = seq("invoice_no");
    assert_eq!(
        (invoice.data_type.as_str(), invoice.start, invoice.increment),
        ("integer", 100, 5)
    );
    assert!(invoice.owned_by.is_none());
    let serial = seq("orders_id_seq").owned_by.as_ref().expect("owned");
    assert_eq!(
        (
            serial.table.as_str(),
            serial.column.as_str(),
            serial.identity
        ),
        ("orders", "id", false)
    );
    assert!(
        seq("customers_id_seq")
            .owned_by
            .as_ref()
            .expect("owned")
            .identity
    );

    // Tables, partitions, RLS, columns.
    let customers = c.table("app", "customers").expect("customers");
    assert_eq!(customers.kind, TableKind::Ordinary);
    assert!(customers.rls_enabled && customers.rls_forced);
    assert_eq!(customers.comment.as_deref(), Some("who buys"));
    assert_eq!(
        c.find_table("app.customers").map(|t| t.oid),
        Some(customers.oid)
    );
    let col = |name: &str| customers.column(name).expect(name);
    assert_eq!(col("id").identity, Some(Identity::Always));
    assert!(col("id").not_null && col("id").has_default() && col("id").default.is_none());
    assert_eq!(col("email").type_name, "public.citext");
    assert_eq!(col("email").comment.as_deref(), Some("login"));
    assert_eq!(col("name").type_name, "character varying(80)");
    assert_eq!(col("name").max_len(), Some(80));
    assert_eq!(col("name").collation.as_deref(), Some("C"));
    assert_eq!(col("code").collation, None);
    assert!(!col("code").not_null && !col("code").has_default());
    assert_eq!(
        col("lower_name").generated.as_deref(),
        Some("lower((name)::text)")
    );
    assert_eq!(col("lower_name").default, None);
    assert_eq!(col("created_at").type_name, "timestamp with time zone");
    assert_eq!(col("created_at").default.as_deref(), Some("now()"));
    assert_eq!(
        customers
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["id", "email", "name", "code", "lower_name", "created_at"]
    );

    let orders = c.table("app", "orders").expect("orders");
    assert_eq!(orders.kind, TableKind::Partitioned);
    let p = orders.partitioning.as_ref().expect("partitioned");
    assert_eq!(p.strategy, PartitionStrategy::Range);
    assert_eq!(p.key, "RANGE (placed_at)");
    assert_eq!(p.columns, ["placed_at"]);
    let id = orders.column("id").expect("id");
    assert_eq!(id.sequence.as_deref(), Some("app.orders_id_seq"));
    assert_eq!(
        id.default.as_deref(),
        Some("nextval('app.orders_id_seq'::regclass)")
    );
    assert_eq!(
        orders.column("qty").map(|c| c.type_name.as_str()),
        Some("app.qty")
    );
    assert_eq!(
        orders.column("tags").map(|c| c.type_name.as_str()),
        Some("text[]")
    );
    let mut parts: Vec<(&str, &str)> = c
        .partitions_of(orders.oid)
        .map(|t| {
            (
                t.name.as_str(),
                t.partition_of.as_ref().map_or("", |p| p.bound.as_str()),
            )
        })
        .collect();
    parts.sort_unstable();
    assert_eq!(
        parts,
        [
            (
                "orders_2026",
                "FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')"
            ),
            ("orders_default", "DEFAULT"),
        ]
    );
    let part = c.table("app", "orders_2026").expect("partition");
    assert_eq!(
        part.partition_of.as_ref().map(|p| p.parent_name.as_str()),
        Some("orders")
    );
    assert!(part.partitioning.is_none());

    // Column types resolve through domains, arrays and ranges, built-in ones included.
    let qty = &c.column_types[&orders.column("qty").expect("qty").type_oid];
    assert_eq!(qty.typtype, 'd');
    assert_eq!(c.column_types[&qty.base].sql, "integer");
    assert_eq!(qty.domain_checks, ["CHECK ((VALUE > 0))"]);
    let tags = &c.column_types[&orders.column("tags").expect("tags").type_oid];
    assert_eq!(
        (tags.category, c.column_types[&tags.element].sql.as_str()),
        ('A', "text")
    );
    let status = &c.column_types[&orders.column("status").expect("status").type_oid];
    assert_eq!(status.enum_labels, ["new", "paid", "shipped"]);
    let during = c
        .table("app", "bookings")
        .and_then(|t| t.column("during"))
        .expect("during");
    let range = &c.column_types[&during.type_oid];
    assert_eq!(
        c.column_types[&range.range_subtype].sql,
        "timestamp with time zone"
    );

    // Constraints.
    let con = |name: &str| {
        c.constraints
            .iter()
            .find(|k| k.name == name && !k.on_partition)
            .expect(name)
    };
    let pk = con("orders_pkey");
    assert_eq!(pk.kind, ConstraintKind::PrimaryKey);
    assert_eq!(pk.columns, ["id", "placed_at"]);
    assert_eq!(pk.index.as_deref(), Some("orders_pkey"));
    let fk = con("orders_customer_fk");
    assert_eq!(fk.kind, ConstraintKind::ForeignKey);
    assert!(fk.deferrable && fk.initially_deferred && fk.validated);
    let r = fk.references.as_ref().expect("references");
    assert_eq!((r.schema.as_str(), r.table.as_str()), ("app", "customers"));
    assert_eq!(r.columns, ["id"]);
    assert_eq!(
        (r.on_delete, r.on_update),
        (ForeignKeyAction::Cascade, ForeignKeyAction::Restrict)
    );
    let check = con("orders_qty_small");
    assert_eq!(check.kind, ConstraintKind::Check);
    assert!(check.validated);
    assert_eq!(check.check.as_deref(), Some("qty::integer < 1000"));
    assert_eq!(check.definition, "CHECK (((qty)::integer < 1000))");
    let not_valid = con("code_short");
    assert!(!not_valid.validated, "NOT VALID");
    assert_eq!(not_valid.check.as_deref(), Some("length(code) < 10"));
    assert_eq!(con("customers_email_key").kind, ConstraintKind::Unique);
    let exclusion = con("no_overlap");
    assert_eq!(exclusion.kind, ConstraintKind::Exclusion);
    assert_eq!(exclusion.columns, ["room", "during"]);
    assert!(c.constraints.iter().any(|k| k.table == "orders_2026"
        && k.on_partition
        && k.inherited
        && k.kind == ConstraintKind::ForeignKey));

    // Indexes.
    let idx = |name: &str| c.indexes.iter().find(|i| i.name == name).expect(name);
    let partial = idx("customers_code_idx");
    assert_eq!(partial.keys, ["lower(code)", "id"]);
    assert_eq!(partial.attnums, [0, 1]);
    assert_eq!(partial.include, ["name"]);
    assert_eq!(partial.predicate.as_deref(), Some("code IS NOT NULL"));
    assert_eq!(partial.method, "btree");
    assert!(!partial.unique && partial.constraint.is_none());
    assert!(partial
        .definition
        .starts_with("CREATE INDEX customers_code_idx ON app.customers USING btree"));
    assert!(idx("customers_name_key").unique && idx("customers_name_key").constraint.is_none());
    assert!(idx("customers_pkey").primary);
    assert_eq!(
        idx("customers_pkey").constraint.as_deref(),
        Some("customers_pkey")
    );
    assert_eq!(idx("no_overlap").method, "gist");

    // Views and materialized views.
    let view = c
        .views
        .iter()
        .find(|v| v.name == "paid_orders")
        .expect("view");
    assert!(
        !view.materialized
            && view
                .definition
                .contains("WHERE orders.status = 'paid'::app.status")
    );
    assert_eq!(view.columns.len(), 2);
    let matview = c
        .views
        .iter()
        .find(|v| v.name == "order_totals")
        .expect("matview");
    assert!(matview.materialized && !matview.populated);

    // Functions.
    let f = |name: &str| c.functions.iter().find(|f| f.name == name).expect(name);
    let touch = f("touch");
    assert!(touch.returns_trigger && touch.security_definer && touch.sets_search_path());
    assert_eq!(touch.config, ["search_path=pg_catalog, app"]);
    assert_eq!(touch.language, "plpgsql");
    assert!(touch.body.contains("NEW.created_at := now()"));
    assert_eq!(touch.comment.as_deref(), Some("stamps rows"));
    let add = f("add");
    assert_eq!(add.arguments, "a integer, b integer");
    assert_eq!(add.argument_types, ["integer", "integer"]);
    assert_eq!(add.argument_names, ["a", "b"]);
    assert_eq!(add.result.as_deref(), Some("integer"));
    assert_eq!(
        (add.volatility, add.strict, add.kind),
        (Volatility::Immutable, true, FunctionKind::Function)
    );
    assert_eq!(
        (f("noop").kind, f("noop").result.as_deref()),
        (FunctionKind::Procedure, None)
    );

    // Triggers.
    let t = c
        .triggers
        .iter()
        .find(|t| t.name == "customers_touch")
        .expect("trigger");
    assert_eq!((t.timing, t.for_each_row), (TriggerTiming::Before, true));
    assert!(t.events.insert && t.events.update && !t.events.delete && !t.events.truncate);
    assert_eq!(
        (t.function_schema.as_str(), t.function_name.as_str()),
        ("app", "touch")
    );
    assert_eq!(t.function_oid, touch.oid);

    // Policies.
    let own = c
        .policies
        .iter()
        .find(|p| p.name == "own_rows")
        .expect("policy");
    assert_eq!(
        (own.command, own.permissive),
        (PolicyCommand::Update, false)
    );
    assert_eq!(own.roles, ["catalog_reader_test"]);
    assert_eq!(own.using.as_deref(), Some("email::text = CURRENT_USER"));
    assert_eq!(own.with_check.as_deref(), Some("code IS NULL"));
    let read = c
        .policies
        .iter()
        .find(|p| p.name == "read_all")
        .expect("policy");
    assert_eq!(
        (read.command, read.permissive, read.roles.as_slice()),
        (PolicyCommand::Select, true, &["public".to_owned()][..])
    );

    // Privileges, table and column, with the grant option.
    let granted: Vec<(Option<&str>, &str, bool)> = c
        .privileges
        .iter()
        .filter(|p| p.grantee == "catalog_reader_test")
        .map(|p| (p.column.as_deref(), p.privilege.as_str(), p.grantable))
        .collect();
    assert_eq!(
        granted,
        [
            (None, "INSERT", true),
            (None, "SELECT", true),
            (Some("code"), "UPDATE", false)
        ]
    );
    assert!(c
        .privileges
        .iter()
        .any(|p| p.relation == "customers" && p.to_owner && p.column.is_none()));

    assert_eq!(c.today.len(), 10, "YYYY-MM-DD: {}", c.today);
}

/// Catalog relations whose reading belongs to the postgres module.
const CATALOG_RELATIONS: &str = "pg_class|pg_namespace|pg_attribute|pg_attrdef|pg_constraint|pg_index|pg_indexes|pg_proc|pg_type|pg_enum|pg_range|pg_policy|pg_policies|pg_trigger|pg_roles|pg_authid|pg_user|pg_extension|pg_available_extensions|pg_depend|pg_inherits|pg_partitioned_table|pg_database|pg_tables|pg_views|pg_matviews|pg_sequence|pg_sequences|pg_description|pg_prepared_statements|pg_language|pg_am|pg_collation|pg_publication";

/// Catalog SQL allowed outside the postgres module: (file, relation, why). Not reads of
/// pgspec's: SQL text it writes for the database to run.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "pgspec_checks/src/platform/supabase.sql",
        "",
        "the Supabase shim: a provisioning script pgspec applies (its DO blocks look roles up)",
    ),
    (
        "pgspec_provision/src/up/script.rs",
        "pg_roles",
        "the `pgspec sql` script's DO block that creates a role only if it does not exist",
    ),
];

/// The catalog read on a connection whose queries were prepared and run before the document
/// created anything (what `check` does while the document applies) is the catalog a fresh
/// connection reads: the plans made on an empty database see every object made after them.
#[test]
fn a_catalog_warmed_before_the_document_applies_reads_what_a_fresh_one_reads() {
    let _roles = crate::postgres::role_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let db = ScratchDatabase::create(&server, "pgspec_catalog").expect("scratch");
    let mut session = db.session().expect("session");
    session.will_read_catalog();
    session.expect_extensions(Vec::new());
    assert!(session.wait_for_catalog_warm_up(), "the warm-up ran");
    let mut admin = server.admin_client(&db.name).expect("admin");
    admin
        .batch_execute(EVERY_KIND)
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let warm = session.modelled_catalog().expect("warm read");
    let mut fresh = Catalog::load(&mut admin).expect("fresh read");
    fresh.unmodelled.clear();
    assert_eq!(warm.tables.len(), 5, "{:?}", warm.tables);
    assert_eq!(warm, fresh);
    drop(session);
    drop_every_kind(&server, admin, db);
}

/// `text` without its `#[cfg(test)]` module (tests may hold catalog SQL as document text).
/// The routines named like the calls asked about, system ones included; only those.
#[test]
fn routine_names_are_read_for_the_names_asked() {
    let server = Server::Url(shared_cluster().url("postgres"));
    let db = ScratchDatabase::create(&server, "pgspec_catalog").expect("scratch");
    let mut session = db.session().expect("session");
    let applied = session
        .apply("CREATE FUNCTION \"it's\"() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        .expect("apply");
    assert!(
        matches!(applied, pgspec::postgres::Outcome::Applied { .. }),
        "{applied:?}"
    );
    let names: Vec<String> = ["now", "it's", "no_such_routine"]
        .into_iter()
        .map(String::from)
        .collect();
    let found = pgspec::postgres::catalog::routine_names(&mut session, &names).expect("read");
    let expected: std::collections::BTreeSet<(String, String)> =
        [("pg_catalog", "now"), ("public", "it's")]
            .into_iter()
            .map(|(s, n)| (s.to_owned(), n.to_owned()))
            .collect();
    assert_eq!(found, expected);
    assert!(pgspec::postgres::catalog::routine_names(&mut session, &[])
        .expect("nothing asked")
        .is_empty());
}

fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

/// The string literals of Rust source `text` (plain and raw), escapes left as written.
fn string_literals(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('"', '\'') or a lifetime: skip the quoted char only.
                if bytes.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') {
                    i += 4;
                } else {
                    i += 1;
                }
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                let start = i + 2 + hashes;
                if bytes.get(start - 1) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[start..].find(&close).map_or(text.len(), |e| start + e);
                out.push(text[start..end].to_owned());
                i = end + close.len();
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                out.push(text[start..j.min(text.len())].to_owned());
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Catalog queries in `sql`: a FROM or JOIN of a catalog relation or of information_schema.
fn catalog_reads(sql: &str) -> Vec<String> {
    let lower = sql.to_lowercase();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let relations: Vec<&str> = CATALOG_RELATIONS.split('|').collect();
    let mut found = Vec::new();
    for keyword in ["from", "join"] {
        for (at, _) in lower.match_indices(keyword) {
            let before = lower[..at].chars().next_back();
            let rest = &lower[at + keyword.len()..];
            if before.is_some_and(word) || !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let rest = rest.trim_start();
            let rest = rest
                .strip_prefix("pg_catalog")
                .map(|r| r.trim_start())
                .and_then(|r| r.strip_prefix('.'))
                .map_or(rest, str::trim_start);
            let name: String = rest.chars().take_while(|c| word(*c)).collect();
            if name == "information_schema" {
                let after = rest[name.len()..].trim_start();
                if let Some(view) = after.strip_prefix('.') {
                    let view: String = view.trim_start().chars().take_while(|c| word(*c)).collect();
                    found.push((at, format!("information_schema.{view}")));
                }
            } else if relations.contains(&name.as_str()) {
                found.push((at, name));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, name)| name).collect()
}

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !matches!(name, "tests" | "target" | "postgres" | "pgspec_postgres") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
            out.push(path);
        }
    }
}

#[test]
fn no_catalog_sql_outside_the_postgres_module() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("crates"), &mut files);
    assert!(files.len() > 20, "the scan sees the sources");
    let mut found = Vec::new();
    for path in files {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        if ALLOWED
            .iter()
            .any(|(f, r, _)| shown.ends_with(f) && r.is_empty())
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let reads: Vec<String> = if shown.ends_with(".sql") {
            catalog_reads(&text)
        } else {
            string_literals(without_tests(&text))
                .iter()
                .flat_map(|s| catalog_reads(s))
                .collect()
        };
        let reads: Vec<String> = reads
            .into_iter()
            .filter(|r| !ALLOWED.iter().any(|(f, a, _)| shown.ends_with(f) && a == r))
            .collect();
        if !reads.is_empty() {
            found.push(format!("{shown}: {}", reads.join(", ")));
        }
    }
    assert!(
        found.is_empty(),
        "catalog SQL outside the postgres module (move it to a function there):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_catalog_sql_in_string_literals() {
    let rust = r##"let a = "SELECT 1 FROM pg_catalog.pg_class c"; let b = r#"x JOIN pg_roles r"#; let c = '"'; let d = "FROM information_schema.tables";"##;
    let reads: Vec<String> = string_literals(rust)
        .iter()
        .flat_map(|s| catalog_reads(s))
        .collect();
    assert_eq!(reads, ["pg_class", "pg_roles", "information_schema.tables"]);
    assert!(catalog_reads("SELECT relname FROM orders -- pg_class").is_empty());
    assert!(
        catalog_reads("pg_class, pg_namespace").is_empty(),
        "names alone are not queries"
    );
}

/// A table whose CREATE TABLE the server refused is not in the catalog; lint still sees it
/// from the statement (typed, through pgspec_sql), with its columns spelled as PostgreSQL
/// spells types.
#[test]
fn lint_sees_a_refused_table_from_its_statement() {
    let text = "# Events\n\n```sql\nCREATE TABLE events (\n    id bigint PRIMARY KEY,\n    happened_at timestamp NOT NULL,\n    kind no_such_type\n);\n```\n";
    let (doc, diagnostics) =
        crate::lint::lint_bytes(text.as_bytes(), &pgspec::lint::LintConfig::default());
    let flagged: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "LNT404")
        .map(|d| &doc.text[d.primary.range.start as usize..d.primary.range.end as usize])
        .collect();
    assert_eq!(flagged, ["happened_at"], "{diagnostics:#?}");
}
