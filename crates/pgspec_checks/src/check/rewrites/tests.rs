use super::*;

/// A one-statement document whose statement is all of `sql` (fixes' unit tests).
pub(in crate::check) fn stmt(sql: &str) -> (Document, Statement) {
    let doc = crate::document::read(sql.as_bytes()).0;
    let stmt = Statement::new(
        0,
        crate::sql::Origin::Document {
            block: 0,
            code_range: TextRange::new(0, u32::try_from(sql.len()).expect("small")),
            continued: None,
        },
        sql.to_string(),
        TextRange::new(0, u32::try_from(sql.len()).expect("small")),
        crate::sql::StatementKind::Schema,
    );
    (doc, stmt)
}

fn err(message: &str) -> PgDetails {
    PgDetails {
        message: message.into(),
        ..PgDetails::default()
    }
}

fn fixed(plan: Option<FixPlan>) -> String {
    plan.expect("a plan").replacement.expect("text")
}

#[test]
fn references_to_a_partitioned_table_are_dropped() {
    let partitioned = ["orders".to_string()].into_iter().collect();
    let e =
        err("there is no unique constraint matching given keys for referenced table \"orders\"");
    let (doc, s) = stmt("CREATE TABLE h (\n    id uuid PRIMARY KEY,\n    order_id UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,\n    user_id uuid REFERENCES users(id)\n);");
    assert_eq!(
        fixed(drop_partitioned_reference(&doc, &s, &e, &partitioned)),
        "CREATE TABLE h (\n    id uuid PRIMARY KEY,\n    order_id UUID NOT NULL,\n    user_id uuid REFERENCES users(id)\n);"
    );
    let (doc, s) = stmt("CREATE TABLE p (id int, order_id uuid, CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES public.orders (id) DEFERRABLE INITIALLY DEFERRED)");
    assert_eq!(
        fixed(drop_partitioned_reference(&doc, &s, &e, &partitioned)),
        "CREATE TABLE p (id int, order_id uuid)"
    );
    // Not partitioned: a human decides.
    let none = std::collections::HashSet::new();
    assert!(drop_partitioned_reference(&doc, &s, &e, &none).is_none());
}

#[test]
fn unnamed_targets_are_found_in_the_statement() {
    let partitioned = ["orders".to_string()].into_iter().collect();
    let e = err("number of referencing and referenced columns for foreign key disagree");
    let (doc, s) = stmt("ALTER TABLE lines ADD FOREIGN KEY (order_id) REFERENCES orders;");
    assert_eq!(
        fixed(drop_partitioned_reference(&doc, &s, &e, &partitioned)),
        ""
    );
    let (doc, s) = stmt("ALTER TABLE lines ADD FOREIGN KEY (branch_id) REFERENCES branches;");
    assert!(drop_partitioned_reference(&doc, &s, &e, &partitioned).is_none());
}

#[test]
fn korean_text_search_becomes_simple_outside_comments() {
    let (doc, s) =
        stmt("-- 'korean' parser\nCREATE INDEX i ON r USING GIN (to_tsvector('korean', name));");
    let e = err("text search configuration \"korean\" does not exist");
    assert_eq!(
        fixed(simple_ts_config(&doc, &s, &e)),
        "-- 'korean' parser\nCREATE INDEX i ON r USING GIN (to_tsvector('simple', name));"
    );
}

#[test]
fn non_immutable_predicates_are_dropped() {
    let (doc, s) = stmt("CREATE INDEX i ON jobs(created_at DESC)\n    WHERE created_at > CURRENT_DATE - INTERVAL '7 days';");
    let e = err("functions in index predicate must be marked IMMUTABLE");
    assert_eq!(
        fixed(drop_index_predicate(&doc, &s, &e, &[])),
        "CREATE INDEX i ON jobs(created_at DESC);"
    );
    let e = err("functions in index expression must be marked IMMUTABLE");
    assert!(drop_index_predicate(&doc, &s, &e, &[]).is_none());
}

#[test]
fn a_predicate_whose_removal_duplicates_an_index_removes_the_index() {
    let (doc, s) = stmt("CREATE INDEX i ON jobs(created_at) WHERE created_at > CURRENT_DATE;");
    // A plain index elsewhere in the document.
    let plain = TextRange::new(500, 530);
    let plain_indexes = [(plain, "jobs".to_string(), vec!["created_at".to_string()])];
    let e = err("functions in index predicate must be marked IMMUTABLE");
    let plan = drop_index_predicate(&doc, &s, &e, &plain_indexes).expect("a plan");
    assert_eq!(plan.replacement.as_deref(), Some(""));
    assert!(
        plan.fix.title.starts_with("remove this index"),
        "{}",
        plan.fix.title
    );
    assert_eq!(plan.fix.applicability, Applicability::Unsafe);
    // Another table's index, or other columns: the predicate goes as before.
    let elsewhere = [(plain, "runs".to_string(), vec!["created_at".to_string()])];
    assert_eq!(
        fixed(drop_index_predicate(&doc, &s, &e, &elsewhere)),
        "CREATE INDEX i ON jobs(created_at);"
    );
}

#[test]
fn update_limit_becomes_a_ctid_subquery() {
    let (doc, s) = stmt("UPDATE orders SET a = b WHERE a IS NULL LIMIT 1000;");
    assert_eq!(
        fixed(update_limit(&doc, &s)),
        "UPDATE orders SET a = b WHERE ctid IN (SELECT ctid FROM orders WHERE a IS NULL LIMIT 1000);"
    );
}

#[test]
fn with_check_leaves_select_policies() {
    let (doc, s) =
        stmt("CREATE POLICY p ON t FOR SELECT USING (true) WITH CHECK (owner = auth.uid());");
    assert_eq!(
        fixed(drop_meaningless_with_check(&doc, &s)),
        "CREATE POLICY p ON t FOR SELECT USING (true);"
    );
}

#[test]
fn stat_views_get_their_column_names() {
    let (doc, s) = stmt("SELECT schemaname, tablename, indexname, idx_scan FROM pg_stat_user_indexes ORDER BY tablename");
    let e = err("column \"tablename\" does not exist");
    assert_eq!(
        fixed(stat_view_columns(&doc, &s, &e)),
        "SELECT schemaname, relname, indexrelname, idx_scan FROM pg_stat_user_indexes ORDER BY relname"
    );
}

#[test]
fn detach_names_parent_and_partition() {
    let partitioned = ["orders".to_string(), "order".to_string()]
        .into_iter()
        .collect();
    let (doc, s) = stmt("ALTER TABLE orders_2025_11 DETACH PARTITION;");
    assert_eq!(
        fixed(detach_partition_syntax(&doc, &s, &partitioned)),
        "ALTER TABLE orders DETACH PARTITION orders_2025_11;"
    );
    let (doc, s) = stmt("ALTER TABLE orders DETACH PARTITION orders_2025_11;");
    assert!(detach_partition_syntax(&doc, &s, &partitioned).is_none());
}

#[test]
fn only_identical_duplicates_are_removed() {
    let (doc, a) = stmt("CREATE INDEX i ON t(a);");
    let (_, mut b) = stmt("create index i\n  ON t(a) -- again\n;");
    b.range = a.range;
    assert_eq!(fixed(drop_identical_duplicate(&doc, &b, &a)), "");
    let (_, c) = stmt("CREATE INDEX i ON t(b);");
    assert!(drop_identical_duplicate(&doc, &c, &a).is_none());
}

#[test]
fn predicate_after_include_is_dropped() {
    let (doc, s) = stmt("CREATE INDEX idx_trend_time_score ON trending_keywords(\n  time_slot,\n  trend_score DESC\n) INCLUDE (keyword, category)\nWHERE valid_until > NOW();");
    let e = err("functions in index predicate must be marked IMMUTABLE");
    assert_eq!(
        fixed(drop_index_predicate(&doc, &s, &e, &[])),
        "CREATE INDEX idx_trend_time_score ON trending_keywords(\n  time_slot,\n  trend_score DESC\n) INCLUDE (keyword, category);"
    );
}

#[test]
fn ids_given_for_an_identity_always_column_override_it_and_move_it_past() {
    let (doc, s) = stmt("INSERT INTO shop.plans (id, code) VALUES (1, 'free'), (2, 'pro');");
    let e = PgDetails {
        sqlstate: "428C9".into(),
        message: "cannot insert a non-DEFAULT value into column \"id\"".into(),
        ..PgDetails::default()
    };
    let plan = identity_override(&doc, &s, &e).expect("a fix");
    assert_eq!(
        plan.replacement.as_deref(),
        Some("INSERT INTO shop.plans (id, code) OVERRIDING SYSTEM VALUE VALUES (1, 'free'), (2, 'pro');")
    );
    assert_eq!(
        plan.after,
        ["SELECT setval(pg_get_serial_sequence('shop.plans', 'id'), (SELECT max(id) FROM shop.plans))"]
    );
    let (doc, s) = stmt("INSERT INTO plans (id) OVERRIDING USER VALUE VALUES (1);");
    assert!(identity_override(&doc, &s, &e).is_none());
}

#[test]
fn if_not_exists_where_postgresql_has_none_goes() {
    let e = err("syntax error at or near \"NOT\"");
    let (doc, s) = stmt("CREATE TYPE IF NOT EXISTS mood AS ENUM ('sad', 'ok');");
    assert_eq!(
        fixed(unsupported_if_not_exists(&doc, &s, &e)),
        "CREATE TYPE mood AS ENUM ('sad', 'ok');"
    );
    let (doc, s) = stmt("ALTER TABLE t ADD CONSTRAINT IF NOT EXISTS c CHECK (x > 0);");
    assert_eq!(
        fixed(unsupported_if_not_exists(&doc, &s, &e)),
        "ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);"
    );
    let (doc, s) = stmt(
        "CREATE TRIGGER IF NOT EXISTS t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f();",
    );
    assert_eq!(
        fixed(unsupported_if_not_exists(&doc, &s, &e)),
        "CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f();"
    );
    // Another syntax error, or a clause PostgreSQL has: nothing.
    let (doc, s) = stmt("CREATE TABLE IF NOT EXISTS t (a int NOT NUL);");
    assert!(unsupported_if_not_exists(&doc, &s, &err("syntax error at or near \"NUL\"")).is_none());
}

#[test]
fn a_check_with_a_subquery_is_left_out_with_its_comma() {
    let (doc, s) = stmt(
        "CREATE TABLE o (id int, qty int CHECK (qty <= (SELECT 5)), n int, CONSTRAINT c CHECK (n > (SELECT count(*) FROM p)), CHECK (n > 0));",
    );
    assert_eq!(
        fixed(check_with_subquery_left_out(&doc, &s)),
        "CREATE TABLE o (id int, qty int, n int, CHECK (n > 0));"
    );
    let (doc, s) = stmt("CREATE TABLE o (n int CHECK (n > 0));");
    assert!(check_with_subquery_left_out(&doc, &s).is_none());
}

#[test]
fn an_insert_policys_using_becomes_with_check_or_goes() {
    let (doc, s) = stmt("create policy \"book\" on public.bookings\n  for insert to authenticated\n  using (customer_id = (select auth.uid()));");
    assert_eq!(
        fixed(insert_policy_using(&doc, &s)),
        "create policy \"book\" on public.bookings\n  for insert to authenticated\n  WITH CHECK (customer_id = (select auth.uid()));"
    );
    let (doc, s) =
        stmt("CREATE POLICY p ON t FOR INSERT USING (a > (1)) WITH CHECK (owner = current_user);");
    assert_eq!(
        fixed(insert_policy_using(&doc, &s)),
        "CREATE POLICY p ON t FOR INSERT WITH CHECK (owner = current_user);"
    );
    // Another command, or no USING: not this fix.
    let (doc, s) = stmt("CREATE POLICY p ON t FOR UPDATE USING (a > 1);");
    assert!(insert_policy_using(&doc, &s).is_none());
    let (doc, s) = stmt("CREATE POLICY p ON t FOR INSERT WITH CHECK (a > 1);");
    assert!(insert_policy_using(&doc, &s).is_none());
}
