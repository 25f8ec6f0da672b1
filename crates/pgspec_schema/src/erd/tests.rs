use super::*;
use proptest::prelude::*;

fn text(code: &str, r: TextRange) -> &str {
    &code[r.as_usize()]
}

const ALL: &str = r#"---
title: Shop
---
%% a comment
erDiagram
    direction LR
    CUSTOMER ||--o{ ORDER : places
    ORDER ||--|{ LINE_ITEM : contains
    CUSTOMER }|..|{ DELIVERY_ADDRESS : "uses for delivery"
    PRODUCT |o--o| PRICE : has
    ORDER }o--|| STORE : "sold at"
    CAR 1 to zero or more NAMED-DRIVER : allows
    PERSON only one optionally to one or more CAR : drives
    p[Person] {
        string firstName
    }
    a["Customer Account"] {
        string email UK
    }
    CUSTOMER {
        string name "the full name"
        string custNumber PK, FK "from CRM"
        int age
        decimal(10,2) limit
    }
    ORDER {
        int orderNumber PK
        string deliveryAddress FK,UK
    }
    LINE_ITEM { string productCode int quantity }
    style CUSTOMER fill:#f9f
"#;

#[test]
fn reads_every_cardinality_alias_and_attribute_form() {
    let (entities, rels, errors) = parse_erd(ALL);
    assert!(errors.is_empty(), "{errors:#?}");
    let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "CUSTOMER",
            "ORDER",
            "LINE_ITEM",
            "DELIVERY_ADDRESS",
            "PRODUCT",
            "PRICE",
            "STORE",
            "CAR",
            "NAMED-DRIVER",
            "PERSON",
            "p",
            "a"
        ]
    );
    use Cardinality::*;
    let cards: Vec<(Cardinality, Cardinality, bool)> = rels
        .iter()
        .map(|r| (r.left_card, r.right_card, r.identifying))
        .collect();
    assert_eq!(
        cards,
        [
            (ExactlyOne, ZeroOrMore, true),
            (ExactlyOne, OneOrMore, true),
            (OneOrMore, OneOrMore, false),
            (ZeroOrOne, ZeroOrOne, true),
            (ZeroOrMore, ExactlyOne, true),
            (ExactlyOne, ZeroOrMore, true),
            (ExactlyOne, OneOrMore, false),
        ]
    );
    let labels: Vec<&str> = rels.iter().filter_map(|r| r.label.as_deref()).collect();
    assert_eq!(
        labels,
        [
            "places",
            "contains",
            "uses for delivery",
            "has",
            "sold at",
            "allows",
            "drives"
        ]
    );
    // Spans are exact.
    for r in &rels {
        assert_eq!(text(ALL, r.left_span), r.left);
        assert_eq!(text(ALL, r.right_span), r.right);
        if let (Some(l), Some(s)) = (&r.label, r.label_span) {
            assert_eq!(text(ALL, s), l);
        }
    }
    assert_eq!(text(ALL, rels[2].left_card_span), "}|");
    assert_eq!(text(ALL, rels[2].line_span), "..");
    assert_eq!(text(ALL, rels[2].right_card_span), "|{");
    assert_eq!(text(ALL, rels[5].right_card_span), "zero or more");
    assert_eq!(text(ALL, rels[6].line_span), "optionally to");
    assert!(text(ALL, rels[0].span).starts_with("CUSTOMER ||--o{ ORDER : places"));

    let p = &entities[10];
    assert_eq!(p.alias.as_deref(), Some("Person"));
    assert_eq!(text(ALL, p.alias_span.expect("alias span")), "Person");
    let a = &entities[11];
    assert_eq!(a.alias.as_deref(), Some("Customer Account"));
    assert_eq!(a.attributes[0].keys[0].kind, KeyKind::Unique);

    let customer = &entities[0];
    // The name span is the declaration with the block, not the first mention.
    assert!(
        text(
            ALL,
            TextRange::new(customer.name_span.start, customer.name_span.end + 2)
        ) == "CUSTOMER {"
    );
    assert_eq!(customer.mentions.len(), 3);
    let attrs = &customer.attributes;
    assert_eq!(attrs.len(), 4);
    assert_eq!(attrs[0].comment.as_deref(), Some("the full name"));
    assert_eq!(
        text(ALL, attrs[0].comment_span.expect("comment")),
        "the full name"
    );
    let kinds: Vec<KeyKind> = attrs[1].keys.iter().map(|k| k.kind).collect();
    assert_eq!(kinds, [KeyKind::Primary, KeyKind::Foreign]);
    assert_eq!(text(ALL, attrs[1].keys[1].span), "FK");
    assert_eq!(attrs[3].ty, "decimal(10,2)");
    assert_eq!(text(ALL, attrs[3].ty_span), "decimal(10,2)");
    for e in &entities {
        for at in &e.attributes {
            assert_eq!(text(ALL, at.name_span), at.name);
            assert_eq!(text(ALL, at.ty_span), at.ty);
        }
    }
    let order = &entities[1];
    let kinds: Vec<KeyKind> = order.attributes[1].keys.iter().map(|k| k.kind).collect();
    assert_eq!(kinds, [KeyKind::Foreign, KeyKind::Unique]);
    // Two attributes on one line, and the block closed on the same line.
    let li = &entities[2];
    assert_eq!(li.attributes.len(), 2);
    assert_eq!(li.attributes[1].name, "quantity");
    assert!(li.block.is_some());
    // Only mentioned entities have no block.
    assert!(entities[3].block.is_none());
}

#[test]
fn problems_are_reported_and_the_rest_is_read() {
    let code = "erDiagram
    USERS ||--o{ ORDERS : places order
    USERS ||--o{ PAYMENTS
    this is garbage !!
    USERS ~~ ORDERS : x
    ORDERS {
        timestamp with time zone created_at
        uuid id PK FK
        decimal(10, 2) total
        orphan
        string note \"unclosed
    }
    ITEMS {
        int id PK

    SHIPMENTS ||--o{ ITEMS : ships
    ITEMS {
        int sku
";
    let (entities, rels, errors) = parse_erd(code);
    let messages: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (text(code, e.range), e.message.as_str()))
        .collect();
    let has = |needle: &str, at: &str| messages.iter().any(|(t, m)| m.contains(needle) && *t == at);
    assert!(has("must be quoted", "places order"), "{messages:#?}");
    assert!(has("needs a label", "PAYMENTS"), "{messages:#?}");
    assert!(
        has("expected a relationship", "is garbage !!"),
        "{messages:#?}"
    );
    assert!(
        has("expected a relationship", "~~ ORDERS : x"),
        "{messages:#?}"
    );
    assert!(
        has("only `timestamp`", "timestamp with time zone"),
        "{messages:#?}"
    );
    assert!(has("separated by commas", "FK"), "{messages:#?}");
    assert!(
        has("space inside parentheses", "decimal(10, 2)"),
        "{messages:#?}"
    );
    assert!(has("needs a type and a name", "orphan"), "{messages:#?}");
    assert!(has("unclosed", "\"unclosed"), "{messages:#?}");
    assert!(
        messages
            .iter()
            .filter(|(t, m)| m.contains("never closed") && *t == "{")
            .count()
            == 2,
        "{messages:#?}"
    );
    assert_eq!(rels.len(), 3);
    assert_eq!(rels[0].label.as_deref(), Some("places order"));
    assert_eq!(rels[1].label, None);
    let orders = entities
        .iter()
        .find(|e| e.name == "ORDERS")
        .expect("ORDERS");
    let attrs: Vec<(&str, &str)> = orders
        .attributes
        .iter()
        .map(|a| (a.ty.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        attrs,
        [
            ("timestamp with time zone", "created_at"),
            ("uuid", "id"),
            ("decimal(10, 2)", "total"),
            ("string", "note")
        ]
    );
    let items = entities.iter().find(|e| e.name == "ITEMS").expect("ITEMS");
    assert_eq!(items.attributes.len(), 2);
}

#[test]
fn not_an_er_diagram() {
    let (e, r, errors) = parse_erd("graph TD\n  A --> B\n");
    assert!(e.is_empty() && r.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].range, TextRange::new(0, 8));
    let (_, _, errors) = parse_erd("");
    assert_eq!(errors.len(), 1);
}

#[test]
fn header_may_share_its_line_with_a_statement_and_crlf_is_fine() {
    let code = "erDiagram A ||--o{ B : has\r\n  B {\r\n    int id PK\r\n  }\r\n";
    let (entities, rels, errors) = parse_erd(code);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rels.len(), 1);
    assert_eq!(entities[1].attributes[0].name, "id");
    assert_eq!(text(code, entities[1].attributes[0].name_span), "id");
}

#[test]
fn schema_view_lowercases_normalises_and_infers_targets() {
    let code = "erDiagram
    USERS ||--o{ ORDER_ITEMS : has
    GENERATION_JOBS ||--o{ ORDER_ITEMS : makes
    USERS {
        uuid id PK
        string email UK
        timestamp created_at
        enum role \"one of admin, member\"
    }
    ORDER_ITEMS {
        uuid user_id FK
        uuid job_id FK
        uuid other_id FK \"references products(id)\"
        string? note
    }
";
    let (entities, rels, errors) = parse_erd(code);
    assert!(errors.is_empty(), "{errors:?}");
    let (tables, rels) = to_schema(&entities, &rels);
    let mut schema = crate::DocSchema {
        tables,
        relationships: rels,
        indexes: Vec::new(),
        enums: Vec::new(),
    };
    assert_eq!(schema.tables[1].columns[0].references, None);
    crate::infer_references(&mut schema, &[]);
    let crate::DocSchema {
        tables,
        relationships: rels,
        ..
    } = schema;
    assert_eq!(tables[0].name, "users");
    assert_eq!(tables[1].name, "order_items");
    assert!(tables[0].defined && !tables[2].defined);
    let users = &tables[0].columns;
    assert_eq!(users[0].pg_type.as_deref(), Some("uuid"));
    assert!(users[0].primary_key);
    assert_eq!(users[1].pg_type.as_deref(), Some("text"));
    assert!(users[1].unique);
    assert_eq!(
        users[2].pg_type.as_deref(),
        Some("timestamp without time zone")
    );
    assert_eq!(users[3].pg_type, None);
    assert_eq!(users[3].enum_values, ["admin", "member"]);
    let items = &tables[1].columns;
    assert_eq!(items[0].references, Some(("users".into(), None)));
    assert_eq!(items[1].references, Some(("generation_jobs".into(), None)));
    assert_eq!(
        items[2].references,
        Some(("products".into(), Some("id".into())))
    );
    assert_eq!(items[3].not_null, Some(false));
    assert_eq!(items[3].pg_type.as_deref(), Some("text"));
    assert_eq!(rels[0].left, "users");
    assert_eq!(rels[0].right, "order_items");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_spans_are_in_bounds(code in any::<String>()) {
        check_spans(&code);
    }

    #[test]
    fn never_panics_on_erd_like_input(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "erDiagram", "A ||--o{ B : x", "A {", "}", "string name PK, FK \"c\"",
                "A[\"x\"] {", "\"", "[", "|o..o|", "uuid", "decimal(1, 2) x", ":::", "%%",
                "one or more", "A to B", "B }| .. |{ C : \"y", "한글 ||--|| 엔티티 : 관계",
                "`a b` c", "{ }", "accDescr {", "---", "x,y PK,", "()",
            ]),
            0..20,
        ),
        prefix in "[ \t]{0,3}",
    ) {
        let code: String = lines.iter().map(|l| format!("{prefix}{l}\n")).collect();
        check_spans(&code);
    }
}

fn check_spans(code: &str) {
    let (entities, rels, errors) = parse_erd(code);
    let ok = |r: TextRange| {
        r.start <= r.end
            && (r.end as usize) <= code.len()
            && code.is_char_boundary(r.start as usize)
            && code.is_char_boundary(r.end as usize)
    };
    for e in &entities {
        assert!(ok(e.name_span));
        assert!(e.mentions.iter().all(|m| ok(*m)));
        assert!(e.alias_span.is_none_or(ok) && e.block.is_none_or(ok));
        for a in &e.attributes {
            assert!(ok(a.ty_span) && ok(a.name_span) && ok(a.span));
            assert!(a.comment_span.is_none_or(ok));
            assert!(a.keys.iter().all(|k| ok(k.span)));
        }
    }
    for r in &rels {
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
    let _ = to_schema(&entities, &rels);
}
