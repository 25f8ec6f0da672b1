//! Names across sources (issue 13): ERD and column-table entities match SQL tables in any
//! schema, and the DDL pgspec generates from them names the table the SQL made.

use pgspec::check::StatementStatus;

fn check(doc: &str) -> (Vec<String>, pgspec::check::CheckReport) {
    let (_, report) = crate::check::check_bytes(doc.as_bytes());
    let generated = report.schema_sql.iter().map(|e| e.sql.clone()).collect();
    (generated, report)
}

fn failed(report: &pgspec::check::CheckReport) -> Vec<(u32, String)> {
    report
        .statements
        .iter()
        .filter(|s| matches!(s.status, StatementStatus::Failed | StatementStatus::Cascade))
        .map(|s| (s.line, format!("{:?}", s.status)))
        .collect()
}

const ERD: &str = "```mermaid\nerDiagram\n    orders ||--o{ invoices : billed\n    \
    orders {\n        bigint id PK\n        bigint customer_id\n    }\n    \
    invoices {\n        bigint id PK\n        bigint order_id FK\n        numeric amount\n    }\n```\n";

/// The SQL creates `shop.orders`; the ERD's `invoices` (described only there) gets a foreign
/// key to `shop.orders`, not to a `public.orders` that does not exist.
#[test]
fn a_generated_foreign_key_names_the_sql_tables_schema() {
    let doc = format!(
        "# Shop\n\n{ERD}\n```sql\nCREATE SCHEMA shop;\n\
         CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer_id bigint);\n```\n"
    );
    let (sql, report) = check(&doc);
    assert!(failed(&report).is_empty(), "{:#?}", report.statements);
    assert!(
        sql.iter()
            .any(|s| s.contains("ADD FOREIGN KEY (order_id) REFERENCES shop.orders")),
        "{sql:#?}"
    );
}

/// A described table the SQL uses only as `shop.customers` (its CREATE is an outline with
/// `...`) is generated in schema `shop`, after `CREATE SCHEMA shop`, so the index applies.
#[test]
fn a_table_used_schema_qualified_is_generated_in_that_schema() {
    let doc = "# Shop\n\n### customers\n\n| column | type | notes |\n|---|---|---|\n\
        | id | bigint | PK |\n| email | text | |\n| loyalty_tier | text | |\n\n\
        ```sql\nCREATE SCHEMA shop;\n\
        CREATE TABLE shop.customers (id bigint PRIMARY KEY, email text NOT NULL, ...);\n\
        CREATE INDEX customers_tier_idx ON shop.customers (loyalty_tier);\n```\n";
    let (sql, report) = check(doc);
    assert!(failed(&report).is_empty(), "{:#?}", report.statements);
    let create = sql
        .iter()
        .position(|s| s.starts_with("CREATE TABLE shop.customers ("))
        .unwrap_or_else(|| panic!("{sql:#?}"));
    let schema = sql
        .iter()
        .position(|s| s.starts_with("CREATE SCHEMA shop"))
        .expect("schema");
    assert!(schema < create, "{sql:#?}");
}
