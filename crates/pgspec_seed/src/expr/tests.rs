use super::*;

fn cols(names: &'static [&'static str]) -> impl Fn(&str) -> Option<usize> {
    move |n| names.iter().position(|x| *x == n)
}

#[test]
fn in_lists_and_comparisons_become_hints() {
    let l = cols(&["status", "total", "subtotal", "discount", "tax", "steps"]);
    let a = parse_check(
        "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))",
        &l,
    )
    .expect("parses");
    let b = parse_check("CHECK ((total = ((subtotal - discount) + tax)))", &l).expect("parses");
    let c = parse_check("CHECK (((steps > 0) AND (steps <= 150)))", &l).expect("parses");
    let h = hints(&[&a, &b, &c], 6);
    assert_eq!(
        h[0].choices,
        Some(vec![V::Str("a".into()), V::Str("b".into())])
    );
    assert!(h[1].equals.is_some());
    assert_eq!(h[5].min, Some((0.0, true)));
    assert_eq!(h[5].max, Some((150.0, false)));
    let row = vec![
        Value::Text("a".into()),
        Value::I32(12),
        Value::I32(10),
        Value::I32(1),
        Value::I32(3),
        Value::I32(5),
    ];
    assert_eq!(eval(&a, &row), V::Bool(true));
    assert_eq!(eval(&b, &row), V::Bool(true));
    assert_eq!(eval(&c, &row), V::Bool(true));
}

#[test]
fn regexes_and_conditional_orderings() {
    let l = cols(&["email", "created_at", "started_at"]);
    let e = parse_check(
        "CHECK (((email)::text ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$'::text))",
        &l,
    )
    .expect("parses");
    let o = parse_check(
        "CHECK (((started_at IS NULL) OR (started_at >= created_at)))",
        &l,
    )
    .expect("parses");
    let h = hints(&[&e, &o], 3);
    assert_eq!(h[0].regexes.len(), 1);
    assert_eq!(h[2].ge, vec![(1, false)]);
    let row = vec![
        Value::Text("kim.minji@example.com".into()),
        Value::Timestamp(10),
        Value::Null,
    ];
    assert_eq!(eval(&e, &row), V::Bool(true));
    assert_eq!(eval(&o, &row), V::Bool(true));
}

#[test]
fn json_key_checks_become_hints_and_are_evaluated() {
    let l = cols(&["vitals", "limits"]);
    let a = parse_check(
        "CHECK (((jsonb_typeof(vitals) = 'object'::text) AND (vitals ? 'bp'::text)))",
        &l,
    )
    .expect("parses");
    let b = parse_check(
        "CHECK (((limits ?& ARRAY['seats'::text, 'plan'::text]) AND (jsonb_typeof((limits -> 'seats'::text)) = 'number'::text)))",
        &l,
    )
    .expect("parses");
    let h = hints(&[&a, &b], 2);
    assert_eq!(h[0].json_kind.as_deref(), Some("object"));
    assert_eq!(h[0].json_keys, vec![("bp".to_string(), None)]);
    assert_eq!(
        h[1].json_keys,
        vec![
            ("seats".to_string(), Some("number".to_string())),
            ("plan".to_string(), None)
        ]
    );
    let row = |v: &str, l: &str| vec![Value::Jsonb(v.into()), Value::Jsonb(l.into())];
    let good = row(r#"{"bp": "120/80"}"#, r#"{"seats": 5, "plan": "pro"}"#);
    assert_eq!(eval(&a, &good), V::Bool(true));
    assert_eq!(eval(&b, &good), V::Bool(true));
    let bad = row(r#"{"n": 1}"#, r#"{"seats": "5", "plan": "pro"}"#);
    assert_eq!(eval(&a, &bad), V::Bool(false));
    assert_eq!(eval(&b, &bad), V::Bool(false));
}

#[test]
fn unsupported_functions_are_unknown() {
    let l = cols(&["x"]);
    let e = parse_check("CHECK ((my_func(x) > 0))", &l).expect("parses");
    assert_eq!(eval(&e, &[Value::I32(1)]), V::Unknown);
}
