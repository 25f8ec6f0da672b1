use super::names::{derive_template, NameTemplate};
use super::*;

fn point(literal: &str, epoch: f64) -> Point {
    Point {
        literal: literal.to_string(),
        epoch,
    }
}

fn interval(lo: f64, hi: f64) -> Interval {
    Interval {
        lo,
        hi,
        lo_literal: lo.is_finite().then(|| format!("L{lo}")),
        hi_literal: hi.is_finite().then(|| format!("L{hi}")),
        partition: format!("p{lo}"),
    }
}

#[test]
fn parses_range_bounds() {
    assert_eq!(
        parse_bound("FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00')"),
        PartBound::Range {
            from: vec![BoundValue::Literal("2025-01-01 00:00:00+00".into())],
            to: vec![BoundValue::Literal("2025-02-01 00:00:00+00".into())],
        }
    );
    assert_eq!(
        parse_bound("FOR VALUES FROM (MINVALUE) TO ('2025-01-01')"),
        PartBound::Range {
            from: vec![BoundValue::MinValue],
            to: vec![BoundValue::Literal("2025-01-01".into())],
        }
    );
    assert_eq!(
        parse_bound("FOR VALUES FROM ('a''b', 5) TO (MAXVALUE, MAXVALUE)"),
        PartBound::Range {
            from: vec![
                BoundValue::Literal("a'b".into()),
                BoundValue::Literal("5".into())
            ],
            to: vec![BoundValue::MaxValue, BoundValue::MaxValue],
        }
    );
    assert_eq!(parse_bound("DEFAULT"), PartBound::Default);
    assert_eq!(parse_bound("FOR VALUES IN ('kr', 'jp')"), PartBound::Other);
    assert_eq!(
        parse_bound("FOR VALUES WITH (modulus 4, remainder 0)"),
        PartBound::Other
    );
    assert_eq!(parse_bound("FOR VALUES FROM ('x"), PartBound::Other);
}

#[test]
fn gaps_subtract_existing_ranges() {
    let start = point("S", 0.0);
    let end = point("E", 100.0);
    // Nothing: the whole window.
    assert_eq!(gaps(&start, &end, &[]), vec![(start.clone(), end.clone())]);
    // Fully covered by a larger range.
    assert!(gaps(&start, &end, &[interval(-50.0, 150.0)]).is_empty());
    assert!(gaps(&start, &end, &[interval(f64::NEG_INFINITY, f64::INFINITY)]).is_empty());
    // Covered exactly by two adjacent ranges.
    assert!(gaps(&start, &end, &[interval(50.0, 100.0), interval(0.0, 50.0)]).is_empty());
    // A hole in the middle reuses the neighbours' literals.
    assert_eq!(
        gaps(&start, &end, &[interval(0.0, 30.0), interval(60.0, 200.0)]),
        vec![(point("L30", 30.0), point("L60", 60.0))]
    );
    // Partly covered at the start, and from MINVALUE.
    assert_eq!(
        gaps(&start, &end, &[interval(f64::NEG_INFINITY, 40.0)]),
        vec![(point("L40", 40.0), end.clone())]
    );
    // Partly covered at the end.
    assert_eq!(
        gaps(&start, &end, &[interval(70.0, f64::INFINITY)]),
        vec![(start.clone(), point("L70", 70.0))]
    );
    // Ranges outside the window do not matter.
    assert_eq!(
        gaps(
            &start,
            &end,
            &[interval(-20.0, 0.0), interval(100.0, 120.0)]
        ),
        vec![(start.clone(), end.clone())]
    );
}

#[test]
fn naming_patterns() {
    let t = derive_template("events_2025_01", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2026, 11), ""), "events_2026_11");
    let t = derive_template("events_202501", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2027, 2), ""), "events_202702");
    let t = derive_template("events_p20250101", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2026, 12), ""), "events_p20261201");
    let t = derive_template("events_y2025m01", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2026, 3), ""), "events_y2026m03");
    let t = derive_template("log2025_01_old", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2026, 3), ""), "log2026_03_old");
    // A table name with digits: the year is found after them.
    let t = derive_template("t2025_events_2025_01", (2025, 1)).expect("pattern");
    assert_eq!(t.render((2026, 3), ""), "t2025_events_2026_03");
    assert_eq!(derive_template("events_2025", (2025, 1)), None);
    assert_eq!(derive_template("events_jan", (2025, 1)), None);
    assert_eq!(derive_template("events_2025_011", (2025, 1)), None);
    assert_eq!(
        NameTemplate::default_for("events").render((2026, 11), ""),
        "events_y2026m11"
    );
    // The latest monthly partition decides.
    let monthly = vec![
        (2025, 1, "ev_202501".to_string()),
        (2025, 2, "ev_2025_02".to_string()),
    ];
    assert_eq!(
        choose_template("ev", &monthly).render((2026, 1), ""),
        "ev_2026_01"
    );
    assert_eq!(
        choose_template("ev", &[]).render((2026, 1), ""),
        "ev_y2026m01"
    );
}

#[test]
fn long_names_keep_their_distinctive_end() {
    let long = "a".repeat(70);
    let name = NameTemplate::default_for(&long).render((2026, 11), "_rest");
    assert_eq!(name.len(), 63);
    assert!(name.ends_with("_y2026m11_rest") || name.ends_with("2026m11_rest"));
    assert!(name.ends_with("2026m11_rest"));
    let multibyte = "é".repeat(40);
    let name = fit_identifier(&multibyte, "_default");
    assert!(name.len() <= 63 && name.ends_with("_default"));
    let taken: BTreeSet<String> = ["x".to_string(), "x_2".to_string()].into();
    assert_eq!(unused_name("x", &taken), "x_3");
    assert_eq!(unused_name("y", &taken), "y");
}

#[test]
fn month_starts_are_recognized() {
    assert_eq!(month_start("2025-01-01"), Some((2025, 1)));
    assert_eq!(month_start("2025-12-01 00:00:00"), Some((2025, 12)));
    assert_eq!(month_start("2025-02-01 00:00:00+00"), Some((2025, 2)));
    assert_eq!(month_start("2025-02-01 00:00:00+05:30"), Some((2025, 2)));
    assert_eq!(month_start("2025-02-15"), None);
    assert_eq!(month_start("2025-01-31 19:00:00-05"), None);
    assert_eq!(month_start("infinity"), None);
    assert_eq!(month_start("2025-02-01 00:00:00.000000"), Some((2025, 2)));
    assert_eq!(month_start("2025-02-01 00:00:00.5"), None);
    assert_eq!(month_start("Wed Jan 01 00:00:00 2025 UTC"), None);
}

#[test]
fn month_arithmetic_and_calendar() {
    assert_eq!(
        month_window((2026, 11), 3),
        vec![(2026, 11), (2026, 12), (2027, 1), (2027, 2)]
    );
    assert_eq!(month_window((2026, 1), 0), vec![(2026, 1)]);
    assert_eq!(add_months((2026, 12), 1), (2027, 1));
    assert_eq!(add_months((2026, 1), 24), (2028, 1));
    let (y, m, d) = today_utc();
    assert!(y >= 2024 && (1..=12).contains(&m) && (1..=31).contains(&d));
    assert_eq!(parse_epoch("Infinity"), Some(f64::INFINITY));
    assert_eq!(parse_epoch("-Infinity"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_epoch("1735689600.000000"), Some(1_735_689_600.0));
}
