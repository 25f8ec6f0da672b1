use super::*;
use crate::document::read;

fn read_tables(text: &str) -> (Vec<DocTable>, Vec<Diagnostic>, String) {
    let (doc, _) = read(text.as_bytes());
    let reading = from_document(&doc);
    (reading.tables, reading.diagnostics, doc.text)
}

fn at(text: &str, r: TextRange) -> &str {
    &text[r.as_usize()]
}

const ENGLISH: &str = "# Schema

### users
| Column | Type | Notes |
| --- | --- | --- |
| id | uuid PK | |
| username | varchar(64) unique | VPN-synchronized. |
| `locale` | varchar(5) | `ko` or `en`. |
| branch_id | uuid FK -> branches | nullable for HQ users. |
| is_active | boolean default true | |
| status | varchar(10) | OPEN / LOCKED. |
| kind | text | 'A', 'B', 'C' |
| owner_id | uuid | FK → users.id, NOT NULL |
| group_id | uuid | references groups(id) |
| created_at | timestamp with time zone | default now() |
| ... | | |
| the user's score | int | |

#### `waste_pickups` table
| Field | Data Type | Description |
|-------|-----------|-------------|
| id | bigint | PK |

**order_lines**
| Name | Type | Constraints |
|:-----|:----:|------------:|
| qty | int | NOT NULL |

### Indexes
| Name | Type | Columns |
| --- | --- | --- |
| idx_a | btree | a |
";

#[test]
fn english_column_tables_with_notes() {
    let (tables, diagnostics, text) = read_tables(ENGLISH);
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["users", "waste_pickups", "order_lines"]);
    assert!(tables.iter().all(|t| t.source == SourceKind::ColumnTable));
    assert_eq!(at(&text, tables[0].span), "users");
    assert_eq!(at(&text, tables[1].span), "waste_pickups");
    assert_eq!(at(&text, tables[2].span), "order_lines");
    let u = &tables[0].columns;
    let col = |n: &str| {
        u.iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert!(col("id").primary_key);
    assert_eq!(col("id").pg_type.as_deref(), Some("uuid"));
    assert_eq!(at(&text, col("id").type_span), "uuid");
    assert!(col("username").unique);
    assert_eq!(
        col("username").pg_type.as_deref(),
        Some("character varying(64)")
    );
    assert_eq!(
        col("username").comment.as_deref(),
        Some("VPN-synchronized.")
    );
    assert_eq!(col("locale").enum_values, ["ko", "en"]);
    assert_eq!(at(&text, col("locale").span), "locale");
    let b = col("branch_id");
    assert!(b.foreign_key);
    assert_eq!(b.references, Some(("branches".into(), None)));
    assert_eq!(b.not_null, Some(false));
    assert_eq!(col("is_active").default.as_deref(), Some("true"));
    assert_eq!(col("status").enum_values, ["OPEN", "LOCKED"]);
    assert_eq!(col("kind").enum_values, ["A", "B", "C"]);
    let o = col("owner_id");
    assert_eq!(o.references, Some(("users".into(), Some("id".into()))));
    assert_eq!(o.not_null, Some(true));
    assert_eq!(
        col("group_id").references,
        Some(("groups".into(), Some("id".into())))
    );
    let c = col("created_at");
    assert_eq!(c.pg_type.as_deref(), Some("timestamp with time zone"));
    assert_eq!(at(&text, c.type_span), "timestamp with time zone");
    assert_eq!(c.default.as_deref(), Some("now()"));
    assert_eq!(u.len(), 10);
    // The elision row is skipped; the sentence row is reported.
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].code, Code::ColumnTableUnreadable);
    assert_eq!(at(&text, diagnostics[0].primary.range), "the user's score");
    assert_eq!(tables[1].columns[0].pg_type.as_deref(), Some("bigint"));
    assert!(tables[1].columns[0].primary_key);
    assert_eq!(tables[2].columns[0].not_null, Some(true));
}

const KOREAN: &str = "## 테이블 정의

### 1. orders (주문)
| 컬럼명 | 데이터 타입 | 제약조건 | 설명 |
|---|---|---|---|
| id | BIGSERIAL | PK | 주문 ID |
| user_id | BIGINT | FK(users), NOT NULL | 사용자 |
| status | VARCHAR(20) | 기본값 'pending' | 'pending', 'paid', 'shipped' 중 하나 |

### 2.1 사용자 테이블 (users)
| 필드 | 타입 | NULL 허용 | 기본값 | 비고 |
|---|---|---|---|---|
| email | TEXT | N | - | 중복 불가 |
| nickname | varchar(30) | Y | `'anon'` | |

### 3. 결제
컬럼: `id`, `order_id` (uuid), `method` (CARD/BANK), `paid_at`

```sql
-- | Column | Type |
```

```markdown
### not_a_table
| Column | Type |
| --- | --- |
| x | int |
```
";

#[test]
fn korean_column_tables() {
    let (tables, diagnostics, text) = read_tables(KOREAN);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "users"]);
    assert_eq!(at(&text, tables[0].span), "orders");
    assert_eq!(at(&text, tables[1].span), "users");
    let o = &tables[0].columns;
    assert_eq!(o[0].pg_type.as_deref(), Some("bigserial"));
    assert!(o[0].primary_key);
    assert_eq!(o[0].comment.as_deref(), Some("PK; 주문 ID"));
    assert_eq!(o[1].references, Some(("users".into(), None)));
    assert_eq!(o[1].not_null, Some(true));
    assert_eq!(o[2].default.as_deref(), Some("'pending'"));
    assert_eq!(o[2].enum_values, ["pending", "paid", "shipped"]);
    let u = &tables[1].columns;
    assert_eq!(u[0].not_null, Some(true));
    assert!(u[0].unique);
    assert_eq!(u[0].default, None);
    assert_eq!(u[1].not_null, Some(false));
    assert_eq!(u[1].default.as_deref(), Some("'anon'"));
}

#[test]
fn prose_lists_under_table_headings() {
    let text = "### appointments
Track changes. Columns: `id`, `order_id`, `old_date`, `changed_by`.

### notifications
Stores alerts with `id`, `user_id`, `payload` (jsonb), `status` (UNREAD/READ), timestamps.

### exports
Columns: id, type, created_by

### roles & user_roles
Columns: `a`, `b`, `c`

### reports
Mentions `a` and `b` only.

### 주문 (orders)
컬럼: `id`, `total`
";
    let (tables, diagnostics, doc) = read_tables(text);
    assert!(diagnostics.is_empty());
    let summary: Vec<(&str, Vec<&str>)> = tables
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.columns.iter().map(|c| c.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "appointments",
                vec!["id", "order_id", "old_date", "changed_by"]
            ),
            ("notifications", vec!["id", "user_id", "payload", "status"]),
            ("exports", vec!["id", "type", "created_by"]),
            ("orders", vec!["id", "total"]),
        ]
    );
    assert!(tables.iter().all(|t| t.source == SourceKind::Prose));
    let n = &tables[1].columns;
    assert_eq!(n[2].pg_type.as_deref(), Some("jsonb"));
    assert_eq!(at(&doc, n[2].type_span), "jsonb");
    assert_eq!(n[3].enum_values, ["UNREAD", "READ"]);
    assert_eq!(at(&doc, n[1].span), "user_id");
    assert_eq!(at(&doc, tables[3].span), "orders");
}

#[test]
fn a_column_table_wins_over_prose_and_unnamed_tables_are_reported() {
    let text = "### users
Columns: `id`, `email`, `name`.
| Column | Type |
| --- | --- |
| id | uuid |

Some text.

| Column | Type |
| --- | --- |
| x | int |
";
    let (tables, diagnostics, _) = read_tables(text);
    // The second table sits in the same section: it takes the heading's name too.
    assert_eq!(tables.len(), 2);
    assert!(tables.iter().all(|t| t.source == SourceKind::ColumnTable));
    assert!(diagnostics.is_empty());

    let text = "Intro.

| Column | Type |
| --- | --- |
| x | int |
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(tables.is_empty());
    assert_eq!(diagnostics.len(), 1);
    assert!(diagnostics[0].message.contains("without a table name"));
}

#[test]
fn rows_cut_off_from_their_table_are_reattached() {
    let text = "### history
| Column | Type | Notes |
| --- | --- | --- |
| id | uuid PK | |

```ts
let x = 1;
| previous_status | varchar(20) | |
| changed_by | uuid FK -> users | |

### next
| a | b |
";
    let (tables, diagnostics, doc) = read_tables(text);
    let names: Vec<&str> = tables[0].columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "previous_status", "changed_by"]);
    assert_eq!(
        tables[0].columns[2].references,
        Some(("users".into(), None))
    );
    let orphan = diagnostics
        .iter()
        .find(|d| d.message.contains("separated from their header"))
        .expect("orphan diagnostic");
    assert!(at(&doc, orphan.primary.range).starts_with("| previous_status"));
    assert_eq!(orphan.secondary.len(), 1);
}

#[test]
fn heading_names() {
    let name = |t: &str| {
        heading_table_name(Line { start: 0, text: t }).map(|(n, r)| (n, at(t, r).to_string()))
    };
    let some = |n: &str, s: &str| Some((n.to_string(), s.to_string()));
    assert_eq!(name("### orders"), some("orders", "orders"));
    assert_eq!(name("### 1. orders (주문)"), some("orders", "orders"));
    assert_eq!(
        name("#### `waste_pickups` table"),
        some("waste_pickups", "waste_pickups")
    );
    assert_eq!(name("### 2. Sessions Table"), some("sessions", "Sessions"));
    assert_eq!(
        name("### Table: public.users"),
        some("public.users", "public.users")
    );
    assert_eq!(
        name("### 4.1.2 사용자 테이블 (users)"),
        some("users", "users")
    );
    assert_eq!(name("### 📦 **orders**"), some("orders", "orders"));
    assert_eq!(name("### users 테이블"), some("users", "users"));
    assert_eq!(
        name("### Tabelle `lagerorte`"),
        some("lagerorte", "lagerorte")
    );
    assert_eq!(name("### Tabla \"clientes\""), some("clientes", "clientes"));
    assert_eq!(
        name("### Таблица `клиенты` (clients)"),
        some("clients", "clients")
    );
    assert_eq!(name("### Tabelle Artikel"), None);
    assert_eq!(name("## Tabla: productos"), some("productos", "productos"));
    assert_eq!(name("## Table : commandes"), some("commandes", "commandes"));
    assert_eq!(
        name("## Таблица: склады (warehouses)"),
        some("warehouses", "warehouses")
    );
    assert_eq!(name("### Tabla"), None);
    assert_eq!(name("### Table Definitions"), None);
    assert_eq!(name("### roles & user_roles"), None);
    assert_eq!(name("### Backup Schedule"), None);
    assert_eq!(name("### Indexes"), None);
    assert_eq!(name("### Covering Index (복합 인덱스)"), None);
    assert_eq!(name("### B. 네이밍 컨벤션"), None);
    let bold = |t: &str| bold_table_name(Line { start: 0, text: t }).map(|(n, _)| n);
    assert_eq!(bold("**orders**"), Some("orders".into()));
    assert_eq!(bold("**`orders`** (주문)"), Some("orders".into()));
    assert_eq!(bold("**Table: orders**"), Some("orders".into()));
    assert_eq!(bold("Table: `orders`"), Some("orders".into()));
    assert_eq!(bold("**Columns**"), None);
    assert_eq!(bold("**목적**: 대량 데이터"), None);
    assert_eq!(bold("**orders** are stored here"), None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

    /// Table-shaped noise: never panics, every span is inside the text on boundaries.
    #[test]
    fn never_panics_and_spans_are_in_bounds(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "### users", "### 1. 주문 (orders)", "**orders**", "| Column | Type | Notes |",
                "| 컬럼명 | 타입 | 비고 |", "|---|---|---|", "| --- | :-: |", "| id | uuid PK | |",
                "| `x` | varchar(1 | FK → |", "| é | 한 | `a` or `b` |", "|", "||", "```", "```sql",
                "~~~", "Columns: `a`, `b` (", "컬럼: `가`, `b`", "", "> | a | b |", "| \\| | x |",
                "- `a`, `b`, `c`", "| ... | | |", "| a | int default | default |",
            ]),
            0..24,
        ),
    ) {
        let text = lines.join("\n");
        let (tables, diagnostics, doc) = read_tables(&text);
        let ok = |r: TextRange| {
            r.start <= r.end
                && (r.end as usize) <= doc.len()
                && doc.is_char_boundary(r.start as usize)
                && doc.is_char_boundary(r.end as usize)
        };
        for t in &tables {
            proptest::prop_assert!(ok(t.span));
            for c in &t.columns {
                proptest::prop_assert!(ok(c.span) && ok(c.type_span));
            }
        }
        for d in &diagnostics {
            proptest::prop_assert!(ok(d.primary.range));
        }
    }
}

#[test]
fn odd_input_never_panics() {
    for text in [
        "|",
        "||",
        "|-|",
        "| a |\n|---|",
        "### x\n| Column | Type |\n|---|---|\n| `x | y |",
        "### x\n| Column | Type |\n|---|---|\n|",
        "### 한\n컬럼: `",
        "### x\nColumns: `a` (",
        "**",
        "**x",
        "### `",
        "### (",
        "### x\n| Column | Type |\n|---|---|\n| \\| | \\",
        "| x | int |\n| y | text |",
    ] {
        let _ = read_tables(text);
    }
}

#[test]
fn japanese_and_chinese_column_tables_and_headings() {
    let text = "# 設計書

### 2.1. users テーブル

| カラム名 | データ型 | 制約 | 説明 |
|---|---|---|---|
| id | BIGSERIAL | PRIMARY KEY | ユーザーID |
| email | VARCHAR(255) | NOT NULL, UNIQUE | メール |
| team_id | BIGINT | NULL不可、teams.idを参照 | |
| score | INTEGER | デフォルト値：0 | |

### 2.2 用户表（accounts）

| 字段名 | 数据类型 | 是否为空 | 默认值 | 说明 |
|---|---|---|---|---|
| id | uuid | 否 | gen_random_uuid() | 主键 |
| owner_id | uuid | 否 | | 外键，关联 users.id |
| note | text | 是 | | |

**テーブル名：logs**

| 列名 | 型 | 備考 |
|---|---|---|
| id | bigint | 主キー |
";
    let (tables, diagnostics, doc) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["users", "accounts", "logs"]);
    assert_eq!(at(&doc, tables[1].span), "accounts");
    let col = |t: usize, n: &str| {
        tables[t]
            .columns
            .iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{n}"))
            .clone()
    };
    assert!(col(0, "id").primary_key);
    assert_eq!(
        col(0, "email").pg_type.as_deref(),
        Some("character varying(255)")
    );
    assert!(col(0, "email").unique);
    assert_eq!(col(0, "email").not_null, Some(true));
    assert_eq!(col(0, "team_id").not_null, Some(true));
    assert_eq!(
        col(0, "team_id").references,
        Some(("teams".into(), Some("id".into())))
    );
    assert_eq!(col(0, "score").default.as_deref(), Some("0"));
    assert!(col(1, "id").primary_key);
    assert_eq!(col(1, "id").not_null, Some(true));
    assert_eq!(col(1, "id").default.as_deref(), Some("gen_random_uuid()"));
    assert_eq!(
        col(1, "owner_id").references,
        Some(("users".into(), Some("id".into())))
    );
    assert_eq!(col(1, "note").not_null, Some(false));
    assert!(col(2, "id").primary_key);
}

#[test]
fn bullet_lists_of_columns_with_types_and_keys_in_parentheses() {
    let text = "# API

## posts
- `id` (uuid, PK)
- `user_id` (FK -> users.id)
- `status` (text): `draft` | `published`
- `score`: numeric(10, 2), default 0
- The post must have a title.
- `note` is free text

**tags**
- **id**: bigint, primary key
- **label** — varchar(40), unique
* post_id uuid FK → posts.id

## comments
Columns: `id` (bigint, PK), `body` (text)
";
    let (tables, diagnostics, doc) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["posts", "tags", "comments"]);
    let cols = |t: usize| -> Vec<(String, Option<String>)> {
        tables[t]
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.pg_type.clone()))
            .collect()
    };
    let s = |n: &str, t: Option<&str>| (n.to_string(), t.map(str::to_string));
    assert_eq!(
        cols(0),
        [
            s("id", Some("uuid")),
            s("user_id", None),
            s("status", Some("text")),
            s("score", Some("numeric(10,2)"))
        ]
    );
    let posts = &tables[0].columns;
    assert!(posts[0].primary_key);
    assert_eq!(at(&doc, posts[0].type_span), "uuid");
    assert_eq!(
        posts[1].references,
        Some(("users".into(), Some("id".into())))
    );
    assert_eq!(posts[2].enum_values, ["draft", "published"]);
    assert_eq!(posts[3].default.as_deref(), Some("0"));
    assert_eq!(
        cols(1),
        [
            s("id", Some("bigint")),
            s("label", Some("character varying(40)")),
            s("post_id", Some("uuid"))
        ]
    );
    assert!(tables[1].columns[1].unique);
    assert_eq!(
        tables[1].columns[2].references,
        Some(("posts".into(), Some("id".into())))
    );
    // ``Columns: `id` (bigint, PK)`` keeps the type before the key.
    assert_eq!(cols(2), [s("id", Some("bigint")), s("body", Some("text"))]);
    assert!(tables[2].columns[0].primary_key);
}

#[test]
fn enum_type_with_values_in_the_notes() {
    let text = "### memberships
| Column | Type | Notes |
| --- | --- | --- |
| role | ENUM | admin \\| member |
| kind | enum('a', 'b') | |
| tone | ENUM | the user's tone |
";
    let (tables, _, _) = read_tables(text);
    let c = &tables[0].columns;
    assert_eq!(c[0].enum_values, ["admin", "member"]);
    assert_eq!(c[1].enum_values, ["a", "b"]);
    assert!(c[2].enum_values.is_empty());
}

#[test]
fn keys_stated_under_a_table_or_list_belong_to_it() {
    let text = "### memberships
| Column | Type | Notes |
| --- | --- | --- |
| org_id | uuid | |
| user_id | uuid | |

**Unique Constraint:** (org_id, user_id)

### order_lines
- `order_id` (uuid, FK -> orders.id)
- `line_no` (int)
- Primary key: (order_id, line_no)
- UNIQUE (`order_id`, `sku`)
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let keys = |t: usize| -> Vec<(bool, Vec<String>)> {
        tables[t]
            .keys
            .iter()
            .map(|k| (k.primary, k.columns.clone()))
            .collect()
    };
    let v = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(keys(0), [(false, v(&["org_id", "user_id"]))]);
    assert_eq!(tables[1].columns.len(), 2);
    assert_eq!(
        keys(1),
        [
            (true, v(&["order_id", "line_no"])),
            (false, v(&["order_id", "sku"]))
        ]
    );
}

#[test]
fn spanish_and_german_headers_are_column_tables() {
    let text = "# Diseño

### socio

| Columna | Tipo | Restricciones | Descripción |
|---|---|---|---|
| id | BIGSERIAL | PK | |
| correo | VARCHAR(200) | NOT NULL, UNIQUE | correo electrónico |

### bestellung

| Spaltenname | Datentyp | Standardwert | Beschreibung |
|---|---|---|---|
| id | bigint | | Primärschlüssel |
| menge | integer | 1 | |
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["socio", "bestellung"]);
    let correo = &tables[0].columns[1];
    assert_eq!(correo.pg_type.as_deref(), Some("character varying(200)"));
    assert!(correo.unique);
    assert_eq!(correo.not_null, Some(true));
    assert!(tables[0].columns[0].primary_key);
    assert_eq!(tables[1].columns[1].default.as_deref(), Some("1"));
}

#[test]
fn mysql_describe_output_and_yes_no_cells_in_other_languages() {
    let text = "# Shop

### orders

| Field | Type | Null | Key | Default | Extra |
|---|---|---|---|---|---|
| id | bigint | NO | PRI | NULL | auto_increment |
| code | varchar(20) | NO | UNI | NULL | |
| customer_id | int | YES | MUL | NULL | |

### Tabelle `regale`

| Feld | Typ | Pflicht | Schlüssel |
|---|---|---|---|
| id | bigint | ja | PK |
| kommentar | text | nein | |

### Tabla `autores`

| Campo | Tipo | Nulo |
|---|---|---|
| nombre | text | No |
| pais | char(2) | Sí |
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let orders = &tables[0];
    assert!(orders.columns[0].primary_key);
    assert_eq!(orders.columns[0].pg_type.as_deref(), Some("bigserial"));
    assert_eq!(orders.columns[0].not_null, Some(true));
    assert!(orders.columns[1].unique && !orders.columns[1].primary_key);
    assert!(!orders.columns[2].unique);
    assert_eq!(orders.columns[2].not_null, Some(false));
    let regale = &tables[1];
    assert_eq!(regale.columns[0].not_null, Some(true));
    assert_eq!(regale.columns[1].not_null, Some(false));
    let autores = &tables[2];
    assert_eq!(autores.columns[0].not_null, Some(true));
    assert_eq!(autores.columns[1].not_null, Some(false));
}

#[test]
fn a_data_dictionary_lists_the_columns_of_several_tables() {
    let text = "# Data dictionary

| Table | Column | Type | Nullable | Description |
|---|---|---|---|---|
| users | id | bigint | NO | primary key |
| | email | varchar(255) | NO | unique |
| `posts` | id | bigint | NO | primary key |
| posts | user_id | bigint | NO | FK → users.id |
| users | created_at | timestamptz | YES | |

Primary key of `posts`: (id, user_id)

### links

| Column | Type | Table |
|---|---|---|
| post_id | bigint | posts |
";
    let (tables, diagnostics, text) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let summary: Vec<(&str, Vec<&str>)> = tables
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.columns.iter().map(|c| c.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("users", vec!["id", "email", "created_at"]),
            ("posts", vec!["id", "user_id"]),
            ("links", vec!["post_id"]),
        ]
    );
    assert_eq!(at(&text, tables[1].span), "posts");
    let keys: Vec<(bool, &[String])> = tables[1]
        .keys
        .iter()
        .map(|k| (k.primary, k.columns.as_slice()))
        .collect();
    assert_eq!(
        keys,
        [(true, &["id".to_string(), "user_id".to_string()][..])]
    );
    assert!(tables[0].keys.is_empty());
    assert!(tables[0].columns[1].unique);
    assert_eq!(
        tables[1].columns[1].references,
        Some(("users".into(), Some("id".into())))
    );
}

#[test]
fn a_header_in_words_pgspec_does_not_know_is_read_from_its_cells() {
    // Greek headers: the cells still name columns, PostgreSQL types and constraints.
    let text = "# Σχήμα

### πελάτης (customers)

| Στήλη | Τύπος | Περιορισμοί | Σχόλια |
|---|---|---|---|
| id | bigint | PRIMARY KEY | αναγνωριστικό |
| email | text | NOT NULL UNIQUE | |
| created_at | timestamptz | DEFAULT now() | |
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert_eq!(tables[0].name, "customers");
    let cols: Vec<(&str, Option<&str>)> = tables[0]
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", Some("bigint")),
            ("email", Some("text")),
            ("created_at", Some("timestamp with time zone"))
        ]
    );
    assert!(tables[0].columns[0].primary_key);
    assert!(tables[0].columns[1].unique);
    assert_eq!(tables[0].columns[1].not_null, Some(true));
    assert_eq!(tables[0].columns[2].default.as_deref(), Some("now()"));
}

#[test]
fn a_table_of_settings_in_unknown_words_is_not_a_column_table() {
    // Names and numbers, but no column of PostgreSQL types: not a table description.
    let text = "# Betrieb

### Parameter

| Einstellung | Wert |
|---|---|
| max_connections | 200 |
| work_mem | 64MB |
| shared_buffers | 4GB |
";
    let (tables, _, _) = read_tables(text);
    assert!(tables.is_empty(), "{tables:?}");
}

#[test]
fn a_type_mapping_table_is_not_a_column_table() {
    // A known type header, but what sits beside it repeats: a mapping, not column names.
    let text = "# Appendix

| PostgreSQL Type | TypeScript Type | Use |
|---|---|---|
| UUID | string | keys |
| VARCHAR | string | text |
| INTEGER | number | counts |
";
    let (tables, diagnostics, _) = read_tables(text);
    assert!(tables.is_empty(), "{tables:?}");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn html_tables_are_read_like_markdown_ones_at_their_cells() {
    let text = "# Skema\n\n## Tabel `pasien`\n\n<table>\n  <thead>\n    <tr><th>Kolom</th><th>Tipe Data</th><th>Wajib</th><th>Keterangan</th></tr>\n  </thead>\n  <tbody>\n    <tr><td><code>id</code></td><td>bigserial</td><td>Ya</td><td>Kunci utama</td></tr>\n    <tr><td>kelamin</td><td>char(1)</td><td>Ya</td><td>L atau P</td></tr>\n    <tr>\n      <td>dokter_id</td>\n      <td>integer</td>\n      <td>Tidak</td>\n      <td>FK → dokter.id, on delete set null</td>\n    </tr>\n    <tr><td>catatan<td>text<td>Tidak<td>\n  </tbody>\n</table>\n\n<TABLE border=1>\n<tr><th>Column<th>Type\n<tr><td>never closed<td>int\n";
    let (tables, diagnostics, text) = read_tables(text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(tables.len(), 1, "{tables:#?}");
    let t = &tables[0];
    assert_eq!(t.name, "pasien");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "kelamin", "dokter_id", "catatan"]);
    let id = &t.columns[0];
    assert!(id.primary_key);
    assert_eq!(at(&text, id.span), "id");
    assert_eq!(at(&text, id.type_span), "bigserial");
    assert_eq!(t.columns[1].not_null, Some(true));
    assert_eq!(t.columns[1].enum_values, ["L", "P"]);
    let dokter = &t.columns[2];
    assert_eq!(dokter.not_null, Some(false));
    assert_eq!(
        dokter.references,
        Some(("dokter".into(), Some("id".into())))
    );
    assert_eq!(dokter.on_delete.as_deref(), Some("SET NULL"));
    assert_eq!(at(&text, dokter.span), "dokter_id");
    // Closing tags left out, as HTML allows.
    assert_eq!(t.columns[3].pg_type.as_deref(), Some("text"));
}
