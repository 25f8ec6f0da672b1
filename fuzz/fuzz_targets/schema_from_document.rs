//! Fuzz the whole non-SQL schema reader (column tables, prose lists, ERDs) on arbitrary
//! documents: it must never panic and every span must lie inside the document text on character
//! boundaries. Run with `cargo fuzz run -s none schema_from_document`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgspec::text::TextRange;

fuzz_target!(|data: &[u8]| {
    let (doc, _) = pgspec::document::read(data);
    let (schema, diagnostics) = pgspec::schema::from_document(&doc);
    let text = &doc.text;
    let ok = |r: TextRange| {
        r.start <= r.end
            && (r.end as usize) <= text.len()
            && text.is_char_boundary(r.start as usize)
            && text.is_char_boundary(r.end as usize)
    };
    for t in &schema.tables {
        assert!(ok(t.span));
        for c in &t.columns {
            assert!(ok(c.span) && ok(c.type_span));
        }
    }
    assert!(schema.relationships.iter().all(|r| ok(r.span)));
    for d in &diagnostics {
        assert!(ok(d.primary.range) && d.secondary.iter().all(|l| ok(l.range)));
    }
});
