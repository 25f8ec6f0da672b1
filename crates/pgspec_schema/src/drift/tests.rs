//! Drift's unit tests: type agreement, the SQL side without a server, and the text readers.

use crate::diagnostics::Code;

use super::super::synth::Synthesis;
use super::compare::{missing_column, missing_column_of, types_agree};
use super::{drift, written_table_name, SqlSide};

#[test]
fn types_agree_up_to_what_the_description_says() {
    let agree = |raw: &str, sql: &str| {
        let doc = super::super::normalize_type(raw).expect("a type");
        types_agree(raw, &doc, sql)
    };
    assert!(agree("timestamptz", "timestamp with time zone"));
    assert!(!agree("timestamp", "timestamp with time zone"));
    assert!(agree("varchar", "character varying(64)"));
    assert!(!agree("varchar(32)", "character varying(64)"));
    assert!(agree("string", "character varying(50)"));
    assert!(agree("string", "text"));
    assert!(!agree("text", "integer"));
    assert!(agree("decimal", "numeric(10,2)"));
    assert!(agree("serial", "integer"));
    assert!(agree("vector", "vector(1536)"));
    assert!(!agree("text[]", "text"));
    assert!(agree("string[]", "text[]"));
    assert!(!agree("int", "bigint"));
    // An extension's type, named with its schema by the catalog.
    assert!(agree("string", "public.citext"));
    assert!(agree("citext", "public.citext"));
    assert!(!agree("text", "public.citext"));
}

#[test]
fn without_a_server_the_create_table_texts_are_the_sql_side() {
    let text = "```mermaid
erDiagram
    A ||--o{ B : has
    A {
        int id PK
        timestamp at
    }
    B {
        int id PK
        int a_id FK
    }
```

```sql
CREATE TABLE a (id int PRIMARY KEY, at timestamptz, extra text);
CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a);
CREATE TABLE c (id int);
```
";
    let (doc, _) = crate::document::read(text.as_bytes());
    let (statements, _) = crate::sql::extract(&doc);
    let (schema, _) = super::super::from_document(&doc);
    let catalog = SqlSide::from_statements(&statements);
    assert!(!catalog.live);
    assert_eq!(catalog.tables["b"].foreign_keys[0].target, "a");
    let found: Vec<(Code, String, String)> = drift(
        &doc,
        &schema,
        &Synthesis::default(),
        &statements,
        &catalog,
        None,
    )
    .iter()
    .map(|d| {
        (
            d.code,
            doc.text[d.primary.range.as_usize()].to_string(),
            doc.text[d.secondary[0].range.as_usize()].to_string(),
        )
    })
    .collect();
    assert_eq!(
        found,
        [
            (Code::TypeMismatch, "timestamp".into(), "at".into()),
            (Code::ColumnNotInErd, "extra".into(), "A".into()),
            (
                Code::TableNotInErd,
                "CREATE TABLE c (id int);".into(),
                "```mermaid".into()
            ),
        ]
    );
}

#[test]
fn written_table_name_reads_unparsable_statements() {
    assert_eq!(
        written_table_name("-- c\nCREATE TABLE IF NOT EXISTS app.\"T\"(id int, INDEX i (id))")
            .as_deref(),
        Some("t")
    );
    assert_eq!(
        written_table_name("create unlogged table s (x int").as_deref(),
        Some("s")
    );
    assert_eq!(written_table_name("CREATE INDEX x ON t (a)"), None);
    assert_eq!(written_table_name(""), None);
}

#[test]
fn missing_column_reads_server_messages() {
    assert_eq!(
        missing_column("column \"created_at\" does not exist").as_deref(),
        Some("created_at")
    );
    assert_eq!(
        missing_column("column v.score does not exist").as_deref(),
        Some("score")
    );
    assert_eq!(
        missing_column("column \"created_at\" named in partition key does not exist").as_deref(),
        Some("created_at")
    );
    assert_eq!(missing_column("relation \"x\" does not exist"), None);
    assert_eq!(
        missing_column_of("column users.subscription_end does not exist"),
        Some((Some("users".into()), "subscription_end".into()))
    );
}

#[test]
fn a_relationship_from_a_generated_table_to_an_sql_table_needs_the_sql_tables_key() {
    let text = "```mermaid
erDiagram
    CLIENTS ||--o{ BOOKINGS : makes
    BOOKINGS ||--o{ NOTES : has
    CLIENTS {
        bigint id PK
    }
    BOOKINGS {
        bigint id PK
        bigint client_id FK
    }
    NOTES {
        bigint id PK
        bigint booking_id FK
    }
```

```sql
CREATE TABLE bookings (id bigint PRIMARY KEY, client_id bigint);
```
";
    let (doc, _) = crate::document::read(text.as_bytes());
    let (statements, _) = crate::sql::extract(&doc);
    let (schema, _) = super::super::from_document(&doc);
    let mut catalog = SqlSide::from_statements(&statements);
    let mut synthesis = Synthesis::default();
    // `clients` and `notes` are generated (and in the database after the check); `notes`
    // holds its generated key.
    for (name, fk) in [("clients", None), ("notes", Some("bookings"))] {
        let span = schema
            .tables
            .iter()
            .find(|t| t.name == name)
            .expect("described")
            .span;
        synthesis
            .generated_tables
            .insert(name.to_owned(), (crate::SourceKind::Erd, span));
        catalog.tables.insert(
            name.to_owned(),
            super::sql_side::SqlSideTable {
                in_database: true,
                foreign_keys: fk
                    .map(|t| crate::sql::tables::SqlForeignKey {
                        columns: vec!["booking_id".into()],
                        target: t.into(),
                        target_columns: vec!["id".into()],
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
        );
    }
    let found: Vec<(Code, String)> = drift(&doc, &schema, &synthesis, &statements, &catalog, None)
        .iter()
        .filter(|d| d.code == Code::RelationshipWithoutForeignKey)
        .map(|d| (d.code, doc.text[d.primary.range.as_usize()].to_string()))
        .collect();
    assert_eq!(
        found,
        [(
            Code::RelationshipWithoutForeignKey,
            "CLIENTS ||--o{ BOOKINGS : makes".into()
        )]
    );
}

#[test]
fn a_column_an_alter_table_adds_is_found_at_its_definition() {
    let text = "```mermaid
erDiagram
    A {
        int id PK
    }
```

```sql
CREATE TABLE a (id int PRIMARY KEY);
ALTER TABLE a ADD COLUMN later text;
```
";
    let (doc, _) = crate::document::read(text.as_bytes());
    let (statements, _) = crate::sql::extract(&doc);
    let (schema, _) = super::super::from_document(&doc);
    let mut catalog = SqlSide::from_statements(&statements);
    if !catalog.tables["a"]
        .columns
        .iter()
        .any(|c| c.name == "later")
    {
        // Without a server the SQL side is the CREATE TABLE texts: the column as a live
        // catalog has it.
        let mut later = catalog.tables["a"].columns[0].clone();
        later.name = "later".into();
        later.pg_type = "text".into();
        catalog.tables.get_mut("a").expect("a").columns.push(later);
    }
    let found: Vec<(Code, String)> = drift(
        &doc,
        &schema,
        &Synthesis::default(),
        &statements,
        &catalog,
        None,
    )
    .iter()
    .map(|d| (d.code, doc.text[d.primary.range.as_usize()].to_string()))
    .collect();
    assert_eq!(found, [(Code::ColumnNotInErd, "later".into())]);
}

/// A column table under one table's heading explains that table; it does not promise that
/// every other table of the SQL is described. Column tables for at least half the tables (a
/// data dictionary) do.
#[test]
fn a_column_table_for_one_table_asks_no_other_table_to_be_described() {
    let table_not_in_erd = |text: &str| -> Vec<String> {
        let (doc, _) = crate::document::read(text.as_bytes());
        let (statements, _) = crate::sql::extract(&doc);
        let (schema, _) = super::super::from_document(&doc);
        let catalog = SqlSide::from_statements(&statements);
        drift(
            &doc,
            &schema,
            &Synthesis::default(),
            &statements,
            &catalog,
            None,
        )
        .iter()
        .filter(|d| d.code == Code::TableNotInErd)
        .map(|d| d.message.split('`').nth(1).unwrap_or_default().to_string())
        .collect()
    };
    let column_table = |name: &str| {
        format!("### {name}\n\n| Column | Type | Notes |\n|---|---|---|\n| id | int | PK |\n\n")
    };
    let sql =
        "```sql\nCREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY);\n\
               CREATE TABLE c (id int PRIMARY KEY);\nCREATE TABLE d (id int PRIMARY KEY);\n```\n";
    let one = format!("{}{sql}", column_table("a"));
    assert_eq!(table_not_in_erd(&one), Vec::<String>::new());
    let dictionary = format!("{}{}{sql}", column_table("a"), column_table("b"));
    assert_eq!(table_not_in_erd(&dictionary), ["c", "d"]);
}
