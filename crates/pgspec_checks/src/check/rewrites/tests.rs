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
fn a_predicate_whose_removal_duplicates_a_key_removes_the_index() {
    let (_, table) =
        stmt("CREATE TABLE sessions (id bigint PRIMARY KEY, token text, UNIQUE (token));");
    let keys = crate::check::fixes::FixContext::plain_indexes(&[table]);
    let key_columns: Vec<&[String]> = keys.iter().map(|(_, _, k)| k.as_slice()).collect();
    assert_eq!(key_columns, [["id".to_string()], ["token".to_string()]]);
    let (doc, s) = stmt("CREATE INDEX live ON sessions (id) WHERE expires_at > now();");
    let e = err("functions in index predicate must be marked IMMUTABLE");
    let plan = drop_index_predicate(&doc, &s, &e, &keys).expect("a plan");
    assert_eq!(plan.replacement.as_deref(), Some(""));
}

#[test]
fn a_unique_index_keeps_its_predicate_and_is_left_out() {
    let (doc, s) = stmt("CREATE UNIQUE INDEX live ON sessions (user_id) WHERE expires_at > now();");
    let e = err("functions in index predicate must be marked IMMUTABLE");
    let plan = drop_index_predicate(&doc, &s, &e, &[]).expect("a plan");
    assert!(
        plan.fix.title.starts_with("leave this unique index out"),
        "{}",
        plan.fix.title
    );
    assert_eq!(plan.fix.applicability, Applicability::DisplayOnly);
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
fn an_exclusion_constraint_of_a_partitioned_table_is_left_out_with_its_comma() {
    let (doc, s) = stmt(
        "CREATE TABLE a (id bigint, vet int, slot tstzrange, st text,\n  CONSTRAINT no_overlap EXCLUDE USING gist (vet WITH =, slot WITH &&) WHERE (st <> 'x'),\n  PRIMARY KEY (id)\n) PARTITION BY RANGE (id);",
    );
    assert_eq!(
        fixed(exclusion_left_out(&doc, &s)),
        "CREATE TABLE a (id bigint, vet int, slot tstzrange, st text,\n  PRIMARY KEY (id)\n) PARTITION BY RANGE (id);"
    );
    let (doc, s) = stmt(
        "CREATE TABLE a (id bigint, slot tstzrange, EXCLUDE USING gist (slot WITH &&)) PARTITION BY RANGE (id);",
    );
    assert_eq!(
        fixed(exclusion_left_out(&doc, &s)),
        "CREATE TABLE a (id bigint, slot tstzrange) PARTITION BY RANGE (id);"
    );
    let (doc, s) = stmt(
        "CREATE TABLE a (EXCLUDE USING gist (slot WITH &&), id bigint, slot tstzrange) PARTITION BY RANGE (id);",
    );
    assert_eq!(
        fixed(exclusion_left_out(&doc, &s)),
        "CREATE TABLE a (id bigint, slot tstzrange) PARTITION BY RANGE (id);"
    );
    let (doc, s) = stmt("CREATE TABLE a (id bigint PRIMARY KEY) PARTITION BY RANGE (id);");
    assert!(exclusion_left_out(&doc, &s).is_none());
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
fn a_view_replaced_with_other_columns_is_dropped_first() {
    let (doc, s) = stmt("CREATE OR REPLACE VIEW app.active_users AS SELECT id, email FROM users;");
    let e = PgDetails {
        sqlstate: "42P16".into(),
        message: "cannot drop columns from view".into(),
        ..PgDetails::default()
    };
    let plan = drop_view_to_redefine(&doc, &s, &e, false).expect("a fix");
    assert_eq!(plan.before, ["DROP VIEW app.active_users"]);
    assert_eq!(
        plan.replacement, None,
        "the statement runs again as written"
    );
    assert_eq!(plan.fix.applicability, Applicability::Safe);
    assert_eq!(plan.fix.edits.len(), 1);
    assert_eq!(
        plan.fix.edits[0].replacement,
        "DROP VIEW app.active_users;\n"
    );
    assert_eq!(plan.fix.edits[0].range, TextRange::empty(0));
    // Used before (granted, commented on): the drop would take that along.
    let used = drop_view_to_redefine(&doc, &s, &e, true).expect("a fix");
    assert_eq!(used.fix.applicability, Applicability::Unsafe);
    // A plain CREATE VIEW, or another error, is not this fix's.
    let (doc, plain) = stmt("CREATE VIEW v AS SELECT 1 AS a;");
    assert!(drop_view_to_redefine(&doc, &plain, &e, false).is_none());
    let (doc, s) = stmt("CREATE OR REPLACE VIEW v AS SELECT 1 AS a;");
    assert!(drop_view_to_redefine(&doc, &s, &err("syntax error"), false).is_none());
}

#[test]
fn integer_defaults_of_a_boolean_become_false_and_true() {
    let e = PgDetails {
        sqlstate: "42804".into(),
        message: "column \"active\" is of type boolean but default expression is of type integer"
            .into(),
        ..PgDetails::default()
    };
    for (sql, expected) in [
        (
            "CREATE TABLE m (id int DEFAULT 0, active boolean NOT NULL DEFAULT 1, vip boolean DEFAULT 0);",
            "CREATE TABLE m (id int DEFAULT 0, active boolean NOT NULL DEFAULT true, vip boolean DEFAULT false);",
        ),
        (
            "ALTER TABLE m ALTER COLUMN active SET DEFAULT 0;",
            "ALTER TABLE m ALTER COLUMN active SET DEFAULT false;",
        ),
        (
            "ALTER TABLE m ADD COLUMN active boolean DEFAULT 1 NOT NULL;",
            "ALTER TABLE m ADD COLUMN active boolean DEFAULT true NOT NULL;",
        ),
    ] {
        let (doc, s) = stmt(sql);
        let plan = boolean_default_from_integer(&doc, &s, &e).expect("a fix");
        assert_eq!(plan.replacement.as_deref(), Some(expected));
        assert_eq!(plan.fix.applicability, Applicability::Safe);
    }
    // Another integer is not a boolean's spelling: no fix.
    let (doc, s) = stmt("CREATE TABLE m (active boolean DEFAULT 2);");
    assert!(boolean_default_from_integer(&doc, &s, &e).is_none());
}

#[test]
fn integer_values_inserted_into_a_boolean_become_false_and_true() {
    let e = PgDetails {
        sqlstate: "42804".into(),
        message: "column \"active\" is of type boolean but expression is of type integer".into(),
        ..PgDetails::default()
    };
    let (_, table) = stmt("CREATE TABLE m (name text, active boolean, beta bool, score int)");
    let declared = declared_boolean_columns(&[table]);
    let (doc, s) = stmt(
        "INSERT INTO m (name, active, score, beta) VALUES ('a', 1, 1, 0), ('b', 0, 10, 1), ('c', true, 0, false);",
    );
    let plan = boolean_values_from_integers(&doc, &s, &e, &declared).expect("a fix");
    assert_eq!(
        plan.replacement.as_deref(),
        Some("INSERT INTO m (name, active, score, beta) VALUES ('a', true, 1, false), ('b', false, 10, true), ('c', true, 0, false);")
    );
    // Only the column the error names when the document declares none.
    let plan = boolean_values_from_integers(&doc, &s, &e, &std::collections::HashMap::new())
        .expect("a fix");
    assert_eq!(
        plan.replacement.as_deref(),
        Some("INSERT INTO m (name, active, score, beta) VALUES ('a', true, 1, 0), ('b', false, 10, 1), ('c', true, 0, false);")
    );
    // No column list: the column's place is the table's, not known here.
    let (doc, s) = stmt("INSERT INTO m VALUES ('a', 1);");
    assert!(boolean_values_from_integers(&doc, &s, &e, &declared).is_none());
}

#[test]
fn a_cast_json_key_gets_its_path_in_parentheses() {
    let e = PgDetails {
        sqlstate: "22P02".into(),
        message: "invalid input syntax for type numeric: \"price\"".into(),
        ..PgDetails::default()
    };
    let (doc, s) = stmt(
        "CREATE VIEW cheap AS SELECT id FROM p WHERE data->>'price'::numeric < 10 AND meta->'a'->>'n'::int > 1;",
    );
    let plan = parenthesize_json_key_casts(&doc, &s, &e).expect("a fix");
    assert_eq!(
        plan.replacement.as_deref(),
        Some("CREATE VIEW cheap AS SELECT id FROM p WHERE (data->>'price')::numeric < 10 AND (meta->'a'->>'n')::int > 1;")
    );
    assert_eq!(plan.fix.applicability, Applicability::Safe);
    // Another value refused: not this fix's.
    let other = PgDetails {
        message: "invalid input syntax for type integer: \"abc\"".into(),
        ..e
    };
    assert!(parenthesize_json_key_casts(&doc, &s, &other).is_none());
}

#[test]
fn strings_in_double_quotes_become_string_literals_where_only_a_value_can_stand() {
    let fixed_text = |sql: &str, e: PgDetails| {
        let (doc, s) = stmt(sql);
        double_quoted_strings(&doc, &s, &e).and_then(|p| p.replacement)
    };
    let default = PgDetails {
        sqlstate: "0A000".into(),
        message: "cannot use column reference in DEFAULT expression".into(),
        ..PgDetails::default()
    };
    assert_eq!(
        fixed_text(
            "CREATE TABLE o (id int, status text DEFAULT \"it's \"\"new\"\"\");",
            default.clone()
        )
        .as_deref(),
        Some("CREATE TABLE o (id int, status text DEFAULT 'it''s \"new\"');")
    );
    let missing = PgDetails {
        sqlstate: "42703".into(),
        message: "column \"paid\" does not exist".into(),
        ..PgDetails::default()
    };
    assert_eq!(
        fixed_text(
            "INSERT INTO o (id, status, note) VALUES (1, \"paid\", lower(\"A\")), (2, (SELECT \"status\" FROM o LIMIT 1), NULL);",
            missing.clone()
        )
        .as_deref(),
        Some("INSERT INTO o (id, status, note) VALUES (1, 'paid', lower('A')), (2, (SELECT \"status\" FROM o LIMIT 1), NULL);")
    );
    // A name in a query is a name; a bare word is not a string in quotes.
    assert_eq!(
        fixed_text("INSERT INTO o SELECT \"id\" FROM p;", missing.clone()),
        None
    );
    assert_eq!(fixed_text("INSERT INTO o VALUES (paid);", missing), None);
    let syntax = PgDetails {
        sqlstate: "42601".into(),
        message: "syntax error at or near \"\"Customer orders\"\"".into(),
        position: Some(28),
        ..PgDetails::default()
    };
    assert_eq!(
        fixed_text("COMMENT ON TABLE orders IS \"Customer orders\";", syntax).as_deref(),
        Some("COMMENT ON TABLE orders IS 'Customer orders';")
    );
}

#[test]
fn an_empty_array_is_written_as_a_literal_its_column_types() {
    let e = PgDetails {
        sqlstate: "42P18".into(),
        message: "cannot determine type of empty array".into(),
        ..PgDetails::default()
    };
    let (doc, s) = stmt(
        "CREATE TABLE a (tags text[] NOT NULL DEFAULT ARRAY [ ], ok int[] DEFAULT ARRAY[]::int[]);",
    );
    let plan = empty_array_literals(&doc, &s, &e).expect("a fix");
    assert_eq!(
        plan.replacement.as_deref(),
        Some(
            "CREATE TABLE a (tags text[] NOT NULL DEFAULT '{}', ok int[] DEFAULT ARRAY[]::int[]);"
        )
    );
    assert_eq!(plan.fix.applicability, Applicability::Safe);
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

#[test]
fn a_unique_constraint_over_an_expression_becomes_a_unique_index() {
    let (doc, s) =
        stmt("ALTER TABLE orders ADD CONSTRAINT orders_email_lower UNIQUE (lower(email));");
    assert_eq!(
        fixed(unique_expression_as_index(&doc, &s)),
        "CREATE UNIQUE INDEX orders_email_lower ON orders (lower(email));"
    );
    let (doc, s) = stmt("alter table only app.members add unique (tenant_id, lower(email))");
    assert_eq!(
        fixed(unique_expression_as_index(&doc, &s)),
        "CREATE UNIQUE INDEX ON app.members (tenant_id, lower(email))"
    );
    // Plain columns are a constraint PostgreSQL takes; options after the list are not ours.
    let (doc, s) = stmt("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a, b);");
    assert!(unique_expression_as_index(&doc, &s).is_none());
    let (doc, s) = stmt("ALTER TABLE t ADD CONSTRAINT u UNIQUE (lower(a)) DEFERRABLE;");
    assert!(unique_expression_as_index(&doc, &s).is_none());
}

#[test]
fn unique_elements_only_an_index_can_be_move_out_of_create_table() {
    let (doc, s) = stmt(
        "CREATE TABLE m (\n  id int PRIMARY KEY,\n  email text,\n  nick text,\n  gone timestamptz,\n  UNIQUE (lower(email)),\n  CONSTRAINT m_nick UNIQUE (nick) WHERE gone IS NULL,\n  UNIQUE (nick, email)\n);",
    );
    let plan = unique_elements_as_indexes(&doc, &s).expect("a plan");
    assert_eq!(
        plan.replacement.as_deref(),
        Some("CREATE TABLE m (\n  id int PRIMARY KEY,\n  email text,\n  nick text,\n  gone timestamptz,\n  UNIQUE (nick, email)\n);")
    );
    assert_eq!(
        plan.after,
        [
            "CREATE UNIQUE INDEX ON m (lower(email))",
            "CREATE UNIQUE INDEX m_nick ON m (nick) WHERE gone IS NULL",
        ]
    );
    assert_eq!(plan.fix.applicability, Applicability::Safe);
    // A list of plain columns is a constraint PostgreSQL takes.
    let (doc, s) = stmt("CREATE TABLE m (a int, b int, UNIQUE (a, b));");
    assert!(unique_elements_as_indexes(&doc, &s).is_none());
}
