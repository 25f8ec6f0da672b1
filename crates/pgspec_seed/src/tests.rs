use super::*;
use plan::{ColType, Column, ForeignKey};

fn table(oid: i64, name: &str, fks: Vec<(i64, bool)>) -> Table {
    Table {
        oid,
        schema: "public".into(),
        name: name.into(),
        columns: vec![Column {
            attnum: 1,
            name: "x".into(),
            ty: ColType::Int4,
            type_sql: "integer".into(),
            not_null: false,
            has_default: false,
            identity: false,
            generated: false,
            sequence: None,
            default_expr: None,
        }],
        checks: Vec::new(),
        uniques: Vec::new(),
        fks: fks
            .into_iter()
            .enumerate()
            .map(|(i, (r, _))| ForeignKey {
                name: format!("{name}_fk{i}"),
                columns: vec![0],
                ref_table: r,
                ref_attnums: vec![1],
                deferrable: false,
            })
            .collect(),
        disjoint: Vec::new(),
        partition_key: None,
        partitions: Vec::new(),
        force_rls: false,
        owner: "pgspec_owner_test".into(),
    }
}

#[test]
fn a_table_written_in_another_dialect_is_located_at_its_statement() {
    let text =
        "# Shop\n\n```sql\nCREATE TABLE `orders` (\n  `id` int NOT NULL AUTO_INCREMENT\n);\n```\n";
    let (doc, _) = document::read(text.as_bytes());
    let (statements, _) = sql::extract(&doc);
    let range = locate_table(&statements, &table(1, "orders", Vec::new()));
    assert_eq!(doc.line_index.line(range.start), 4);
    let range = locate_table(&statements, &table(2, "other", Vec::new()));
    assert_eq!(range, TextRange::empty(0));
}

#[test]
fn parents_come_first_and_cycles_are_deferred() {
    let tables = vec![
        table(3, "c", vec![(2, true)]),
        table(2, "b", vec![(1, true)]),
        table(1, "a", vec![(1, true)]),
    ];
    let (order, deferred) = plan_order(&tables);
    assert_eq!(order, vec![2, 1, 0]);
    assert!(deferred.is_empty());
    let cyclic = vec![
        table(1, "a", vec![(2, true)]),
        table(2, "b", vec![(1, true)]),
    ];
    let (order, deferred) = plan_order(&cyclic);
    assert_eq!(order.len(), 2);
    assert_eq!(deferred.len(), 1);
}

/// Columns `a`, `b`, `c` (nullable integers) under `checks` (pg_get_constraintdef text).
fn counted_table(checks: &[&str]) -> Table {
    let mut t = table(9, "holders", Vec::new());
    t.columns = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, n)| Column {
            attnum: i16::try_from(i + 1).expect("small"),
            name: (*n).into(),
            ..t.columns[0].clone()
        })
        .collect();
    let lookup = |n: &str| ["a", "b", "c"].iter().position(|x| *x == n);
    t.checks = checks
        .iter()
        .enumerate()
        .map(|(i, d)| plan::Check {
            name: format!("holders_check{i}"),
            reported_as: format!("holders_check{i}"),
            definition: (*d).into(),
            expr: expr::parse_check(d, &lookup),
        })
        .collect();
    t
}

#[test]
fn columns_a_check_counts_are_set_as_many_as_it_allows() {
    for (check, allowed) in [
        ("CHECK ((num_nonnulls(a, b, c) = 1))", 1..=1),
        ("CHECK ((num_nulls(a, b, c) >= 2))", 0..=1),
        ("CHECK ((COALESCE(a, b) IS NOT NULL))", 1..=3),
        ("CHECK (((a IS NOT NULL) OR (c IS NOT NULL)))", 1..=3),
    ] {
        let t = counted_table(&[check]);
        let mut g = gen::Generator::new(&t, 7, false, 0, &[]);
        let pools = gen::KeyPools::new();
        for _ in 0..300 {
            let row = g.next_row(&pools).expect("a row");
            let set = |cols: &[usize]| cols.iter().filter(|c| !row[**c].is_null()).count();
            let n = if check.contains("COALESCE") {
                set(&[0, 1])
            } else if check.contains("OR") {
                set(&[0, 2])
            } else {
                set(&[0, 1, 2])
            };
            assert!(allowed.contains(&n), "{check}: {row:?}");
        }
        // Nothing was rejected on the way: the rows were made to fit, not filtered.
        assert!(
            g.check_failures.is_empty(),
            "{check}: {:?}",
            g.check_failures
        );
        if check.contains("= 1") {
            // Each column takes its turn as the one that is set.
            for ci in 0..3 {
                let mut g = gen::Generator::new(&t, 7, false, 0, &[]);
                assert!((0..300).any(|_| !g.next_row(&pools).expect("row")[ci].is_null()));
            }
        }
    }
}

#[test]
fn columns_null_together_are_made_to_agree() {
    let t = counted_table(&[
        "CHECK ((num_nonnulls(a, b) = 1))",
        "CHECK (((a IS NULL) = (c IS NULL)))",
    ]);
    let mut g = gen::Generator::new(&t, 11, false, 0, &[]);
    let pools = gen::KeyPools::new();
    let mut with_a = 0;
    for _ in 0..300 {
        let row = g.next_row(&pools).expect("a row");
        assert_eq!(row[0].is_null(), row[2].is_null(), "{row:?}");
        assert_ne!(row[0].is_null(), row[1].is_null(), "{row:?}");
        with_a += usize::from(!row[0].is_null());
    }
    assert!(with_a > 50 && with_a < 250, "{with_a}");
    // Made to fit, not filtered.
    assert!(g.check_failures.is_empty(), "{:?}", g.check_failures);
}

#[test]
fn a_check_comparing_columns_to_a_value_gets_rows_with_that_value() {
    // A ledger line is a debit or a credit, never both: random amounts are almost never 0.
    for check in [
        "CHECK (((a = (0)::numeric) <> (b = (0)::numeric)))",
        "CHECK (((a = 0) OR (b = 0)))",
        "CHECK ((((a > 0) AND (b = 0)) OR ((a = 0) AND (b > 0))))",
    ] {
        let mut t = counted_table(&[check]);
        for c in &mut t.columns {
            c.not_null = true;
        }
        let mut g = gen::Generator::new(&t, 5, false, 0, &[]);
        let pools = gen::KeyPools::new();
        for _ in 0..100 {
            let row = g.next_row(&pools).expect("a row");
            let zero = |v: &Value| v.as_f64() == Some(0.0);
            assert!(zero(&row[0]) || zero(&row[1]), "{check}: {row:?}");
        }
        assert!(
            g.check_failures.len() <= 1 && g.check_failures.values().all(|n| *n < 20),
            "{check}: {:?}",
            g.check_failures
        );
    }
}

#[test]
fn a_unique_index_on_an_expression_compares_its_values_not_its_columns() {
    // `CREATE UNIQUE INDEX one_root ON t ((a IS NULL)) WHERE a IS NULL`: one row with `a`
    // NULL at most, though NULL columns never collide in a plain unique set.
    let mut t = counted_table(&[]);
    let lookup = |n: &str| ["a", "b", "c"].iter().position(|x| *x == n);
    let key = expr::parse_expr("(a IS NULL)", &lookup).expect("parses");
    t.uniques = vec![plan::UniqueSet {
        name: "one_root".into(),
        columns: vec![0],
        predicate: Some(key.clone()),
        primary: false,
        keys: vec![key],
    }];
    let mut g = gen::Generator::new(&t, 3, false, 0, &[]);
    let pools = gen::KeyPools::new();
    let rows: Vec<Vec<Value>> = (0..200).filter_map(|_| g.next_row(&pools)).collect();
    assert!(rows.len() > 150, "{}", rows.len());
    assert!(rows.iter().filter(|r| r[0].is_null()).count() <= 1);
    // A row the table already held counts too.
    let mut g = gen::Generator::new(&t, 3, false, 0, &[]);
    g.preload_unique(0, &[Value::Null]);
    assert!((0..200)
        .filter_map(|_| g.next_row(&pools))
        .all(|r| !r[0].is_null()));
}
