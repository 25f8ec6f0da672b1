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
