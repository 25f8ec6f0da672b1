//! Column tables copied from psql's `\d` grid into Markdown: its defaults are SQL as psql
//! prints it (`nextval('…'::regclass)`, `'active'::text`).

use super::*;
use crate::document::read;

#[test]
fn a_sequence_default_is_a_serial_column() {
    let text = "# Users\n\n### users\n\n| Column | Type | Collation | Nullable | Default |\n|---|---|---|---|---|\n| id | bigint | | not null | nextval('users_id_seq'::regclass) |\n| status | text | | not null | 'active'::text |\n";
    let (doc, _) = read(text.as_bytes());
    let reading = from_document(&doc);
    let users = &reading.tables[0];
    let id = &users.columns[0];
    assert_eq!(id.pg_type.as_deref(), Some("bigserial"));
    assert_eq!(id.default, None);
    assert_eq!(id.not_null, Some(true));
    assert_eq!(users.columns[1].default.as_deref(), Some("'active'::text"));
}
