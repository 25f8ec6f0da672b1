//! Fuzz the mermaid erDiagram reader: it must never panic, and every range it returns must lie
//! inside the input on character boundaries. Run with `cargo fuzz run -s none parse_erd`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgspec::schema::erd::{parse_erd, to_schema};
use pgspec::text::TextRange;

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else {
        return;
    };
    // Most random inputs lack the header; prefixing it keeps the fuzzer in the statement grammar
    // half the time.
    let owned;
    let code = if data.first().is_some_and(|b| b & 1 == 1) {
        owned = format!("erDiagram\n{code}");
        owned.as_str()
    } else {
        code
    };
    let (entities, relationships, errors) = parse_erd(code);
    let ok = |r: TextRange| {
        r.start <= r.end
            && (r.end as usize) <= code.len()
            && code.is_char_boundary(r.start as usize)
            && code.is_char_boundary(r.end as usize)
    };
    for e in &entities {
        assert!(ok(e.name_span) && e.mentions.iter().all(|m| ok(*m)));
        assert!(e.alias_span.is_none_or(ok) && e.block.is_none_or(ok));
        for a in &e.attributes {
            assert!(ok(a.ty_span) && ok(a.name_span) && ok(a.span));
            assert!(a.comment_span.is_none_or(ok) && a.keys.iter().all(|k| ok(k.span)));
        }
    }
    for r in &relationships {
        for s in [
            r.left_span,
            r.right_span,
            r.left_card_span,
            r.right_card_span,
            r.line_span,
            r.span,
        ] {
            assert!(ok(s));
        }
        assert!(r.label_span.is_none_or(ok));
    }
    assert!(errors.iter().all(|e| ok(e.range)));
    let _ = to_schema(&entities, &relationships);
});
