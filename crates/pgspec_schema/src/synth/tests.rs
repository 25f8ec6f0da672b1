use super::columns::default_expression;
use super::*;
use crate::diagnostics::Code;
use crate::document;
use crate::sql;

/// Extract `text` the way the pipeline does and synthesize.
fn run(text: &str) -> (Document, Vec<Statement>, Synthesis, Vec<Diagnostic>) {
    let (doc, _) = document::read(text.as_bytes());
    let (statements, _) = sql::extract(&doc);
    let (mut schema, _) = super::super::from_document(&doc);
    let known: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.facts.creates)
        .map(|o| o.name.clone())
        .collect();
    super::super::infer_references(&mut schema, &known);
    let (out, synthesis, diagnostics) = synthesize(&doc, &schema, statements);
    (doc, out, synthesis, diagnostics)
}

fn texts(statements: &[Statement]) -> Vec<String> {
    statements
        .iter()
        .map(|s| match s.generated() {
            Some(g) => format!("[{} {}] {}", g.source_kind, g.line, s.text),
            None => s.text.clone(),
        })
        .collect()
}

const DOC: &str = "# App

```mermaid
erDiagram
    TEAMS ||--o{ MEMBERS : has
    TEAMS {
        bigint id PK
        string name UK
        vector embedding
    }
```

### members
| Column | Type | Notes |
| --- | --- | --- |
| id | uuid | PK |
| team_id | bigint | FK -> teams, not null |
| role | varchar(10) | `owner` or `guest`, default guest |
| order | int | default 0 |
| mentor_id | uuid | FK -> members.id |
| account_id | uuid | FK -> accounts |

```sql
CREATE INDEX members_team_idx ON members (team_id);
CREATE TABLE accounts (id uuid PRIMARY KEY);
```
";

#[test]
fn tables_are_generated_targets_first_before_their_first_use() {
    let (doc, statements, synthesis, diagnostics) = run(DOC);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
            texts(&statements),
            [
                "[erd 6] CREATE TABLE teams (\n    id bigint PRIMARY KEY,\n    name text UNIQUE\n);",
                "[column-table 13] CREATE TABLE members (\n    id uuid PRIMARY KEY,\n    team_id bigint NOT NULL REFERENCES teams (id),\n    role character varying(10) DEFAULT 'guest' CHECK (role IN ('owner', 'guest')),\n    \"order\" integer DEFAULT 0,\n    mentor_id uuid REFERENCES members (id),\n    account_id uuid\n);",
                // An extension's type waits for the tables in its own statement.
                "[erd 9] ALTER TABLE teams ADD COLUMN embedding vector;",
                "CREATE INDEX members_team_idx ON members (team_id);",
                "CREATE TABLE accounts (id uuid PRIMARY KEY);",
                "[column-table 21] ALTER TABLE members ADD FOREIGN KEY (account_id) REFERENCES accounts;",
            ]
        );
    for (i, s) in statements.iter().enumerate() {
        assert_eq!(s.index, i);
        if s.generated().is_some() {
            assert!(s.facts.parses, "{}", s.text);
            assert_eq!(s.kind, StatementKind::Schema);
        }
    }
    // Ranges point at the sources: the entity name, the heading word, the column name.
    let at = |i: usize| &doc.text[statements[i].range.as_usize()];
    assert_eq!(at(0), "TEAMS");
    assert_eq!(at(1), "members");
    assert_eq!(at(2), "embedding");
    assert_eq!(at(5), "account_id");
    assert_eq!(
        synthesis.generated_tables.keys().collect::<Vec<_>>(),
        ["members", "teams"]
    );
}

#[test]
fn fragments_are_completed_only_when_elided_or_used() {
    let erd = "```mermaid
erDiagram
    EVENTS {
        uuid id PK
        text kind
        int score
    }
```
";
    // Used elsewhere: `kind` is indexed.
    let (_, statements, synthesis, diagnostics) = run(&format!(
        "{erd}\n```sql\nCREATE TABLE events (score int);\nCREATE INDEX ON events (kind);\n```\n"
    ));
    assert_eq!(
            texts(&statements)[1],
            "[erd 3] ALTER TABLE events\n    ADD COLUMN IF NOT EXISTS id uuid PRIMARY KEY,\n    ADD COLUMN IF NOT EXISTS kind text;"
        );
    assert_eq!(synthesis.added_columns["events"], ["id", "kind"]);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::FragmentMerged);
    assert!(diagnostics[0].primary.message.as_deref() == Some("other statements use `kind`"));
    // Elided: a comment says columns are left out.
    let (_, statements, _, diagnostics) = run(&format!(
        "{erd}\n```sql\nCREATE TABLE events (\n  score int\n  -- ...\n);\n```\n"
    ));
    assert_eq!(statements.len(), 2);
    assert_eq!(
        diagnostics[0].primary.message.as_deref(),
        Some("it elides columns")
    );
    // A name another table of the statement has is no evidence.
    let (_, statements, _, diagnostics) = run(&format!(
            "{erd}\n```sql\nCREATE TABLE kinds (kind text);\nCREATE TABLE events (score int);\nCREATE VIEW v AS SELECT k.kind FROM events e JOIN kinds k ON true;\n```\n"
        ));
    assert_eq!(statements.len(), 3);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    // A complete table that simply lacks a column is drift, not a fragment.
    let (_, statements, synthesis, diagnostics) = run(&format!(
        "{erd}\n```sql\nCREATE TABLE events (id uuid PRIMARY KEY, score int);\n```\n"
    ));
    assert_eq!(statements.len(), 1);
    assert!(synthesis.added_columns.is_empty() && diagnostics.is_empty());
}

#[test]
fn identifiers_and_defaults_are_written_as_sql() {
    assert_eq!(quote("users"), "users");
    assert_eq!(quote("user"), "\"user\"");
    assert_eq!(quote("app.Order"), "app.\"Order\"");
    assert_eq!(quote_part("a.b"), "\"a.b\"");
    assert_eq!(quote_part("사용자"), "\"사용자\"");
    let text = "text";
    assert_eq!(default_expression("now()", text).as_deref(), Some("now()"));
    assert_eq!(default_expression("`0`", "integer").as_deref(), Some("0"));
    assert_eq!(
        default_expression("'pending'", text).as_deref(),
        Some("'pending'")
    );
    assert_eq!(
        default_expression("true.", "boolean").as_deref(),
        Some("true")
    );
    assert_eq!(
        default_expression("Asia/Seoul", "character varying(40)").as_deref(),
        Some("'Asia/Seoul'")
    );
    assert_eq!(
        default_expression("O'Brien", text).as_deref(),
        Some("'O''Brien'")
    );
    // psql's and pg_dump's spelling: the literal and its cast, as written.
    assert_eq!(
        default_expression("'active'::text", text).as_deref(),
        Some("'active'::text")
    );
    assert_eq!(
        default_expression("'{}'::jsonb", "jsonb").as_deref(),
        Some("'{}'::jsonb")
    );
    assert_eq!(default_expression("'a'::text || 'b'", "integer"), None);
    assert_eq!(default_expression("next week", "date"), None);
    assert_eq!(default_expression("", text), None);
    assert!(has_elision(
        "CREATE TABLE t (\n  a int\n  -- 기타 컬럼들...\n)"
    ));
    assert!(!has_elision("CREATE TABLE t (a int)"));
    assert!(has_word("create index on t (kind)", "kind"));
    assert!(!has_word("create index on t (kinds)", "kind"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Whatever ERD, column-table and SQL pieces a document holds, synthesis keeps the
    /// document's statements in order, numbers all statements, points every generated one
    /// at a range inside the text, and writes SQL that parses.
    #[test]
    fn synthesis_spans_cover_the_input_and_sql_parses(pieces in proptest::collection::vec(
        proptest::prelude::prop_oneof![
            proptest::prelude::Just("```mermaid\nerDiagram\n"),
            proptest::prelude::Just("    A ||--o{ B : has\n"),
            proptest::prelude::Just("    A {\n        uuid id PK\n        string name UK\n    }\n"),
            proptest::prelude::Just("    B {\n        uuid id PK\n        uuid a_id FK\n        enum \"x\"\n    }\n"),
            proptest::prelude::Just("    \"C d\" {\n        int[] v\n    }\n"),
            proptest::prelude::Just("```\n"),
            proptest::prelude::Just("\n### b\n| Column | Type | Notes |\n| --- | --- | --- |\n"),
            proptest::prelude::Just("| c | varchar(3) | `x` or `y`, default x |\n"),
            proptest::prelude::Just("| a_id | uuid | FK -> a |\n"),
            proptest::prelude::Just("| 이름 | text | 기본값: '' |\n"),
            proptest::prelude::Just("\n### a\nColumns: `id`, `order`.\n"),
            proptest::prelude::Just("```sql\nCREATE TABLE a (name text);\nCREATE INDEX ON a (id);\nSELECT * FROM b;\n```\n"),
            proptest::prelude::Just("```sql\nCREATE TABLE b (x int -- ...\n);\n```\n"),
            proptest::prelude::Just("é\n"),
        ],
        0..16,
    )) {
        let text = pieces.concat();
        let (doc, statements, _, diagnostics) = run(&text);
        let (originals, _) = sql::extract(&doc);
        let kept: Vec<&str> = statements
            .iter()
            .filter(|s| s.generated().is_none())
            .map(|s| s.text.as_str())
            .collect();
        let expected: Vec<&str> = originals.iter().map(|s| s.text.as_str()).collect();
        proptest::prop_assert_eq!(kept, expected);
        for (i, s) in statements.iter().enumerate() {
            proptest::prop_assert_eq!(s.index, i);
            proptest::prop_assert!(doc.text.get(s.range.as_usize()).is_some());
            if s.generated().is_some() {
                proptest::prop_assert!(s.facts.parses, "{}", s.text);
            }
        }
        // Drift over the same document (the statements' own tables as the SQL side).
        let (schema, _) = super::super::from_document(&doc);
        let (_, synthesis, _) = synthesize(&doc, &schema, statements.iter().filter(|s| s.generated().is_none()).cloned().collect());
        let catalog = super::super::drift::SqlSide::from_statements(&statements);
        let drift = super::super::drift::drift(&doc, &schema, &synthesis, &statements, &catalog, None);
        for d in diagnostics.iter().chain(&drift) {
            proptest::prop_assert!(doc.text.get(d.primary.range.as_usize()).is_some());
            for l in &d.secondary {
                proptest::prop_assert!(doc.text.get(l.range.as_usize()).is_some());
            }
        }
    }
}

#[test]
fn facts_one_source_leaves_unstated_come_from_another() {
    // The ERD (the richer source) names the columns; the list says which are required.
    let (_, out, _, _) = run("# Shop

```mermaid
erDiagram
    CLIENTS {
        bigint id PK
        text name
        text phone UK
        text email \"NOT NULL\"
    }
```

### clients

- `id` (bigint, primary key)
- `name` (text, required)
- `phone` (text, not null, default '')
- `email` (text, nullable)
- `note` (text)
");
    let texts = texts(&out);
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert!(texts[0].contains("name text NOT NULL,"), "{}", texts[0]);
    assert!(
        texts[0].contains("phone text NOT NULL UNIQUE DEFAULT '',"),
        "{}",
        texts[0]
    );
    // What the richer source states stays.
    assert!(texts[0].contains("email text NOT NULL,"), "{}", texts[0]);
    assert!(texts[0].contains("note text"), "{}", texts[0]);
}

#[test]
fn listed_values_make_no_second_check_when_the_sql_adds_one() {
    let (_, out, _, _) = run("# School

### students
| Column | Type | Notes |
| --- | --- | --- |
| id | bigint | PK |
| gender | char(1) | `M` or `F` |
| level | text | `low` or `high` |

```sql
ALTER TABLE students ADD CONSTRAINT students_gender_ck CHECK (gender IN ('M', 'F'));
```
");
    let create = out
        .iter()
        .find(|s| s.text.starts_with("CREATE TABLE students"))
        .expect("generated table");
    // The document's own CHECK covers `gender`; `level` keeps the one its values make.
    assert!(!create.text.contains("gender IN"), "{}", create.text);
    assert!(
        create.text.contains("level IN ('low', 'high')"),
        "{}",
        create.text
    );
}

#[test]
fn a_stated_reference_without_a_key_or_a_table_is_reported_not_dropped() {
    let text = "# Shop\n\n## customers\n\n| Column | Type | Notes |\n|---|---|---|\n\
| code | text | not null |\n| tag | text | |\n\n## orders\n\n| Column | Type | Notes |\n|---|---|---|\n\
| id | bigint | primary key |\n| customer_code | text | references customers(code) |\n\
| customer_tag | text | references customers(label) |\n| shop_id | bigint | references shops(id) |\n\
| note_id | bigint | references notes(id) |\n\n```sql\nCREATE TABLE notes (id bigint PRIMARY KEY);\n```\n";
    let (doc, out, _, diagnostics) = run(text);
    let found: Vec<(u32, &str)> = diagnostics
        .iter()
        .filter(|d| d.code == Code::ReferenceNotBuilt)
        .map(|d| {
            (
                doc.line_index.line(d.primary.range.start),
                d.message.as_str(),
            )
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].0, 15);
    assert!(
        found[0]
            .1
            .contains("`customers.code` is neither the primary key"),
        "{}",
        found[0].1
    );
    assert_eq!(found[1].0, 16);
    assert!(
        found[1].1.contains("`customers` has no column `label`"),
        "{}",
        found[1].1
    );
    assert_eq!(found[2].0, 17);
    assert!(found[2].1.contains("no table `shops`"), "{}", found[2].1);
    // The reference to a table the SQL creates is built (and judged by the server).
    assert!(
        texts(&out).iter().any(|t| t.contains("REFERENCES notes")),
        "{:#?}",
        texts(&out)
    );
    assert!(!texts(&out)
        .iter()
        .any(|t| t.contains("REFERENCES customers")));
}

#[test]
fn a_stated_index_is_built_only_when_no_index_or_key_of_the_sql_serves_it() {
    let text = "# Shop\n\n\
- `users.email` is unique.\n\
- Unique constraint on `(order_id, code)` in `pickups`.\n\
- Composite index on `orders (shop_id, placed_at)` for listings.\n\
- A GIN index on `orders (tags)`.\n\
- Unique `orders (shop_id, number)`.\n\
- There is no index on `orders (note)`.\n\n\
```sql\n\
CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n\
CREATE TABLE pickups (id bigint PRIMARY KEY, order_id bigint, code text);\n\
CREATE TABLE orders (id bigint PRIMARY KEY, shop_id bigint, number int, placed_at timestamptz, tags text[], note text, UNIQUE (number));\n\
CREATE INDEX orders_listing ON orders (shop_id, placed_at DESC, id);\n\
CREATE INDEX orders_tags ON orders (tags);\n\
```\n";
    let (doc, out, _, diagnostics) = run(text);
    let stated: Vec<u32> = diagnostics
        .iter()
        .filter(|d| d.code == Code::StatedIndexNotInSql)
        .map(|d| doc.line_index.line(d.primary.range.start))
        .collect();
    // users.email: the added UNIQUE; orders (shop_id, placed_at): a longer index; orders
    // (shop_id, number): UNIQUE (number) implies it. Not served: the pickups pair, and the
    // GIN index (the SQL's is a btree).
    assert_eq!(stated, [4, 6], "{diagnostics:#?}");
    let built: Vec<String> = texts(&out)
        .into_iter()
        .filter(|t| t.starts_with("[sentence"))
        .collect();
    assert_eq!(
        built,
        [
            "[sentence 4] CREATE UNIQUE INDEX ON pickups (order_id, code);",
            "[sentence 6] CREATE INDEX ON orders USING gin (tags);"
        ]
    );
}
