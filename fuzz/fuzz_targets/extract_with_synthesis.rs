//! Fuzz the whole extraction, DDL synthesis included, on arbitrary documents: it must never
//! panic, every statement's range (generated ones point at their ERD or table source) must lie
//! inside the document on character boundaries, and generated statements must parse.
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
});
