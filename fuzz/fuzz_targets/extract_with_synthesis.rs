//! Fuzz the whole extraction, DDL synthesis included, on arbitrary documents, then drift and the
//! merged model against the statements' own tables (no server): nothing may panic, every
//! statement's range (generated ones point at their ERD or table source) and every diagnostic
//! span must lie inside the document on character boundaries, and generated statements must
//! parse.
//! Run with `cargo fuzz run -s none extract_with_synthesis`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extracted = pgspec::pipeline::extract(data);
    let text = &extracted.document.text;
    for s in &extracted.statements {
        assert!(s.range.start <= s.range.end && (s.range.end as usize) <= text.len());
        assert!(text.is_char_boundary(s.range.start as usize));
        assert!(text.is_char_boundary(s.range.end as usize));
        if s.generated.is_some() {
            assert!(s.facts.parses, "generated SQL does not parse: {}", s.text);
        }
    }
    let ok = |r: pgspec::text::TextRange| {
        r.start <= r.end
            && (r.end as usize) <= text.len()
            && text.is_char_boundary(r.start as usize)
            && text.is_char_boundary(r.end as usize)
    };
    let catalog = pgspec::schema::drift::Catalog::from_statements(&extracted.statements);
    let drift = pgspec::schema::drift::drift(
        &extracted.document,
        &extracted.schema,
        &extracted.synthesis,
        &extracted.statements,
        &catalog,
        None,
    );
    for d in drift.iter().chain(&extracted.diagnostics) {
        assert!(ok(d.primary.range), "{d:?}");
        assert!(d.secondary.iter().all(|l| ok(l.range)), "{d:?}");
    }
    let _ = pgspec::schema::merged::build(
        &extracted.document,
        &extracted.schema,
        &extracted.synthesis,
        &extracted.statements,
        &catalog,
    );
});
