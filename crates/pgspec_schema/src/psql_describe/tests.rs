use super::*;

const ORDERS: &str = "                 Table \"public.zamowienia\"
  Column   |     Type      | Collation | Nullable |               Default
-----------+---------------+-----------+----------+--------------------------------------
 id        | bigint        |           | not null | nextval('zamowienia_id_seq'::regclass)
 klient_id | bigint        |           | not null |
 kwota     | numeric(10,2) |           | not null | 0
 status    | text          |           | not null | 'nowe'::text
 kod       | text          |           |          |
 suma      | numeric       |           |          | generated always as (kwota * 2) stored
Indexes:
    \"zamowienia_pkey\" PRIMARY KEY, btree (id)
    \"zamowienia_kod_key\" UNIQUE CONSTRAINT, btree (kod)
    \"zamowienia_klient_status_key\" UNIQUE CONSTRAINT, btree (klient_id, status)
    \"zamowienia_klient_idx\" btree (klient_id)
    \"zamowienia_lower_kod_idx\" UNIQUE, btree (lower(kod))
    \"zamowienia_open_idx\" btree (klient_id) WHERE status = 'nowe'::text
Check constraints:
    \"zamowienia_kwota_check\" CHECK (kwota >= 0::numeric)
Foreign-key constraints:
    \"zamowienia_klient_id_fkey\" FOREIGN KEY (klient_id) REFERENCES klienci(id) ON DELETE CASCADE
    \"zamowienia_pair_fkey\" FOREIGN KEY (klient_id, status) REFERENCES pary(a, b)
Referenced by:
    TABLE \"pozycje\" CONSTRAINT \"pozycje_zamowienie_id_fkey\" FOREIGN KEY (zamowienie_id) REFERENCES zamowienia(id)
";

fn at(code: &str, r: TextRange) -> &str {
    &code[r.as_usize()]
}

#[test]
fn a_describe_output_is_a_table_with_its_keys_indexes_checks_and_references() {
    let reading = read(ORDERS);
    let t = &reading.tables[0];
    assert_eq!(t.name, "zamowienia");
    assert_eq!(at(ORDERS, t.span), "public.zamowienia");
    let cols: Vec<(&str, Option<&str>, Option<bool>)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref(), c.not_null))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", Some("bigserial"), Some(true)),
            ("klient_id", Some("bigint"), Some(true)),
            ("kwota", Some("numeric(10,2)"), Some(true)),
            ("status", Some("text"), Some(true)),
            ("kod", Some("text"), Some(false)),
            ("suma", Some("numeric"), Some(false)),
        ]
    );
    assert_eq!(at(ORDERS, t.columns[2].span), "kwota");
    assert_eq!(at(ORDERS, t.columns[2].type_span), "numeric(10,2)");
    assert!(t.columns[0].primary_key);
    assert_eq!(t.columns[0].default, None);
    assert_eq!(t.columns[2].default.as_deref(), Some("0"));
    assert_eq!(t.columns[3].default.as_deref(), Some("'nowe'"));
    assert!(t.columns[4].unique);
    assert_eq!(t.columns[2].checks, ["kwota >= 0::numeric"]);
    let fk = &t.columns[1];
    assert!(fk.foreign_key);
    assert_eq!(fk.references, Some(("klienci".into(), Some("id".into()))));
    assert_eq!(fk.on_delete.as_deref(), Some("CASCADE"));
    assert_eq!(t.keys.len(), 1);
    assert_eq!(t.keys[0].columns, ["klient_id", "status"]);
    assert!(!t.keys[0].primary && !t.keys[0].index);
    let indexes: Vec<(Option<&str>, &[String], bool)> = reading
        .indexes
        .iter()
        .map(|i| (i.name.as_deref(), i.columns.as_slice(), i.unique))
        .collect();
    assert_eq!(
        indexes,
        [
            (
                Some("zamowienia_klient_idx"),
                &["klient_id".to_string()][..],
                false
            ),
            (
                Some("zamowienia_lower_kod_idx"),
                &["lower(kod)".to_string()][..],
                true
            ),
        ]
    );
    let problems: Vec<&str> = reading
        .problems
        .iter()
        .map(|p| at(ORDERS, p.range))
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].starts_with("suma"));
    assert!(problems[1].contains("zamowienia_open_idx"));
    assert!(problems[2].contains("zamowienia_pair_fkey"));
}

#[test]
fn old_psql_modifiers_and_describe_plus_columns_are_read() {
    let old = "   Table \"shop.items\"\n Column |  Type   |                     Modifiers\n--------+---------+----------------------------------------------------\n id     | integer | not null default nextval('items_id_seq'::regclass)\n sku    | text    | not null\n qty    | integer | default 1\n";
    let t = &read(old).tables[0];
    assert_eq!(t.name, "shop.items");
    assert_eq!(t.columns[0].pg_type.as_deref(), Some("serial"));
    assert_eq!(t.columns[1].not_null, Some(true));
    assert_eq!(t.columns[2].not_null, Some(false));
    assert_eq!(t.columns[2].default.as_deref(), Some("1"));
    let plus = "Table \"public.t\"\n Column | Type | Collation | Nullable | Default | Storage  | Compression | Stats target | Description\n--------+------+-----------+----------+---------+----------+-------------+--------------+-------------\n a      | text |           | not null |         | extended |             |              | the a\n";
    let t = &read(plus).tables[0];
    assert_eq!(t.columns[0].name, "a");
    assert_eq!(t.columns[0].not_null, Some(true));
    assert_eq!(t.columns[0].default, None);
}

#[test]
fn other_blocks_are_not_descriptions_and_odd_input_never_panics() {
    assert!(read("Table \"x\" is big\nColumn | Type\n")
        .tables
        .is_empty());
    assert!(read("Column | Type | Nullable\n").tables.is_empty());
    for text in [
        "Table \"\nColumn | Type | X\n",
        "Table \"a\"\nColumn | Type | Nullable\n x | \nIndexes:\n    \"p\n    \"q\" PRIMARY KEY, btree (\nCheck constraints:\n    \"c\" CHECK (\nForeign-key constraints:\n    \"f\" FOREIGN KEY (x) REFERENCES\n",
        "Table \"é\"\nColumn | Type | Nullable\n é | ü | not null\nIndexes:\n    \"é\" é (é)\n",
    ] {
        let _ = read(text);
    }
}

#[test]
fn casts_after_literals_are_dropped_and_expression_defaults_are_problems() {
    let code = "Table \"public.t\"\n Column | Type | Collation | Nullable | Default\n--------+------+-----------+----------+---------\n a | jsonb | | | '{}'::jsonb\n b | text | | | 'it''s'::text\n c | timestamptz | | | (now() + '1 day'::interval)\n d | text | | | 'a'::text || 'b'::text\n";
    let reading = read(code);
    let defaults: Vec<Option<&str>> = reading.tables[0]
        .columns
        .iter()
        .map(|c| c.default.as_deref())
        .collect();
    assert_eq!(defaults, [Some("'{}'"), None, None, None]);
    let lines: Vec<&str> = reading
        .problems
        .iter()
        .map(|p| at(code, p.range).split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(lines, ["b", "c", "d"]);
}

#[test]
fn a_describe_answer_inside_a_psql_transcript_is_read_at_its_document_lines() {
    let text = "# S\n\n```psql\napp=# \\d orders\n              Table \"public.orders\"\n Column  |  Type  | Collation | Nullable | Default\n---------+--------+-----------+----------+---------\n id      | bigint |           | not null |\n user_id | bigint |           |          |\nIndexes:\n    \"orders_pkey\" PRIMARY KEY, btree (id)\n\napp=# SELECT 1;\n ?column?\n----------\n        1\n(1 row)\n```\n";
    let (doc, _) = crate::document::read(text.as_bytes());
    assert!(doc.blocks[0].transcript);
    let reading = from_document(&doc);
    let t = &reading.tables[0];
    assert_eq!(t.name, "orders");
    assert_eq!(at(text, t.span), "public.orders");
    assert_eq!(at(text, t.columns[1].span), "user_id");
    assert!(t.columns[0].primary_key);
    assert_eq!(doc.line_index.line(t.columns[1].span.start), 9);
}

#[test]
fn a_describe_output_pasted_without_a_fence_is_read() {
    let text = "# U\n\nProduction:\n\n                 Table \"public.users\"\n Column |  Type  | Collation | Nullable | Default\n--------+--------+-----------+----------+---------\n id     | bigint |           | not null |\n email  | text   |           | not null |\nIndexes:\n    \"users_pkey\" PRIMARY KEY, btree (id)\n\nNot a description: Table \"x\" is big.\n";
    let (doc, _) = crate::document::read(text.as_bytes());
    let reading = from_document(&doc);
    assert_eq!(reading.tables.len(), 1);
    let t = &reading.tables[0];
    assert_eq!(at(text, t.span), "public.users");
    assert_eq!(at(text, t.columns[1].span), "email");
    assert!(t.columns[0].primary_key);
}
