//! Decide what a statement is for ([`StatementKind`]): from pg_query's tree when the statement
//! parses, from its first keywords when it does not (a statement that starts like SQL keeps a
//! SQL kind even with a syntax error, so the server can report the error with a position).

use crate::ast::pb as protobuf;
use crate::ast::NodeEnum;

use super::lexer::{tokenize, Token, TokenKind};
use super::split::{is_statement_keyword, Shape};
use super::{Facts, ObjectKind, ObjectName, StatementKind};

/// Classify a statement. `sql` is its SQL text (without inline COPY data), `stmt` its parsed
/// top-level node if it parsed.
pub(crate) fn classify(
    shape: Shape,
    sql: &str,
    stmt: Option<&NodeEnum>,
    facts: &Facts,
) -> StatementKind {
    if shape == Shape::Meta || other_systems_setting(sql).is_some() {
        return StatementKind::NotSql;
    }
    let all_tokens = tokenize(sql);
    let tokens: Vec<Token> = all_tokens
        .iter()
        .filter(|t| !t.is_trivia())
        .copied()
        .collect();
    let example_values = facts.param_count > 0 || has_placeholder(sql, &tokens);
    match stmt {
        Some(node) => by_tree(node, facts, example_values),
        None if shape == Shape::Foreign => StatementKind::NotSql,
        // `CREATE TABLE users (...);`, a body ending in `-- ... the rest`, `CREATE INDEX name;`:
        // an outline of SQL, not SQL a server could run.
        None if elides(sql, &all_tokens) || is_name_only(sql, &tokens) => StatementKind::NotSql,
        None => by_keywords(sql, &tokens, example_values),
    }
}

/// Which system's session statement `sql` is, when it is another system's and builds nothing:
/// SQLite's `PRAGMA`, MySQL's and SQL Server's `USE db`, the MySQL client's `DELIMITER`,
/// MySQL's `SET FOREIGN_KEY_CHECKS = 0` (and mysqldump's `SET @OLD_…`), SQL Server's
/// `SET ANSI_NULLS ON`. Scripts ported from those systems are full of them.
pub(crate) fn other_systems_setting(sql: &str) -> Option<&'static str> {
    let text = sql.trim().trim_end_matches(';').trim();
    let mut words = text.split_whitespace();
    let first = words.next()?.to_ascii_uppercase();
    let second = words.next().map(str::to_ascii_uppercase);
    let rest = words.count();
    let setting = |name: &str| {
        let name = name.split('=').next().unwrap_or(name);
        name.trim_start_matches('@').to_string()
    };
    match (first.as_str(), second.as_deref()) {
        ("PRAGMA", Some(_)) => Some("SQLite"),
        ("USE", Some(_)) if rest == 0 => Some("MySQL and SQL Server"),
        ("DELIMITER", Some(_)) if rest == 0 => Some("the MySQL client"),
        ("SET", Some(name)) if name.starts_with('@') => Some("MySQL"),
        ("SET", Some(name)) => match setting(name).as_str() {
            "FOREIGN_KEY_CHECKS"
            | "UNIQUE_CHECKS"
            | "SQL_MODE"
            | "SQL_SAFE_UPDATES"
            | "TIME_ZONE"
            | "CHARACTER_SET_CLIENT"
            | "CHARACTER_SET_RESULTS"
            | "COLLATION_CONNECTION"
            | "SQL_NOTES"
            | "AUTOCOMMIT" => Some("MySQL"),
            "ANSI_NULLS"
            | "ANSI_PADDING"
            | "ANSI_WARNINGS"
            | "ARITHABORT"
            | "CONCAT_NULL_YIELDS_NULL"
            | "NUMERIC_ROUNDABORT"
            | "QUOTED_IDENTIFIER"
            | "NOCOUNT"
            | "XACT_ABORT"
            | "IDENTITY_INSERT"
            | "IMPLICIT_TRANSACTIONS"
            | "DATEFORMAT" => Some("SQL Server"),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a statement that does not parse leaves part of itself out: `...` / `…` in the code
/// or in a comment inside it.
fn elides(sql: &str, all_tokens: &[Token]) -> bool {
    let dots_in_code = all_tokens.windows(2).any(|w| {
        w[0].end == w[1].start
            && &sql[w[0].start..w[0].end] == "."
            && &sql[w[1].start..w[1].end] == "."
    });
    dots_in_code
        || all_tokens.iter().any(|t| {
            let text = &sql[t.start..t.end];
            matches!(
                t.kind,
                TokenKind::LineComment | TokenKind::BlockComment | TokenKind::Other
            ) && (text.contains("...") || text.contains('…'))
        })
}

/// `CREATE INDEX idx_users_email;`: a keyword pair and a name, the way naming conventions are
/// written down.
fn is_name_only(sql: &str, tokens: &[Token]) -> bool {
    let words: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Semicolon)
        .collect();
    words.len() <= 3
        && words.iter().all(|t| t.kind == TokenKind::Word)
        && words
            .first()
            .is_some_and(|t| sql[t.start..t.end].eq_ignore_ascii_case("create"))
}

fn by_tree(node: &NodeEnum, facts: &Facts, example_values: bool) -> StatementKind {
    use StatementKind as K;
    match node {
        // Detaching a partition archives data: maintenance, not part of the schema.
        NodeEnum::AlterTableStmt(s)
            if s.cmds.iter().any(|c| {
                matches!(&c.node, Some(NodeEnum::AlterTableCmd(cmd))
                if cmd.subtype == protobuf::AlterTableType::AtDetachPartition as i32
                    || cmd.subtype == protobuf::AlterTableType::AtDetachPartitionFinalize as i32)
            }) =>
        {
            K::Operation
        }
        NodeEnum::InsertStmt(_) if example_values => K::Example,
        NodeEnum::InsertStmt(_) => K::Data,
        NodeEnum::SelectStmt(s) => select_kind(s, facts, example_values),
        NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
        | NodeEnum::ExplainStmt(_)
        | NodeEnum::PrepareStmt(_)
        | NodeEnum::ExecuteStmt(_)
        | NodeEnum::DeallocateStmt(_)
        | NodeEnum::DeclareCursorStmt(_)
        | NodeEnum::FetchStmt(_)
        | NodeEnum::ClosePortalStmt(_) => K::Example,
        NodeEnum::CopyStmt(c) if c.is_from && !c.is_program && c.filename.is_empty() => K::Data,
        NodeEnum::CopyStmt(_) => K::Operation,
        NodeEnum::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("search_path") => K::Schema,
        NodeEnum::VariableSetStmt(_)
        | NodeEnum::VariableShowStmt(_)
        | NodeEnum::TransactionStmt(_)
        | NodeEnum::VacuumStmt(_)
        | NodeEnum::ReindexStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::CheckPointStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::ListenStmt(_)
        | NodeEnum::NotifyStmt(_)
        | NodeEnum::UnlistenStmt(_)
        | NodeEnum::CallStmt(_)
        | NodeEnum::LoadStmt(_)
        | NodeEnum::DiscardStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::TruncateStmt(_)
        | NodeEnum::AlterSystemStmt(_)
        | NodeEnum::ConstraintsSetStmt(_) => K::Operation,
        // CREATE / ALTER / DROP / COMMENT / GRANT / REVOKE / DO / SECURITY LABEL / policies,
        // triggers, rules, …: definitions.
        _ => K::Schema,
    }
}

fn select_kind(s: &protobuf::SelectStmt, facts: &Facts, example_values: bool) -> StatementKind {
    use StatementKind as K;
    if s.into_clause.is_some() {
        // SELECT … INTO new_table creates a table.
        return K::Schema;
    }
    if example_values {
        return K::Example;
    }
    if s.target_list.iter().any(is_search_path_config) {
        return K::Schema;
    }
    let relations: Vec<&ObjectName> = facts
        .references
        .iter()
        .filter(|r| r.kind == ObjectKind::Relation)
        .collect();
    if !relations.is_empty() {
        // Monitoring queries read only catalogs and statistics views.
        return if relations.iter().all(|r| is_system_relation(r)) {
            K::Operation
        } else {
            K::Example
        };
    }
    let simple = s.with_clause.is_none() && s.larg.is_none() && s.values_lists.is_empty();
    if simple && s.from_clause.is_empty() && !s.target_list.is_empty() {
        // `SELECT create_monthly_partitions();`, `SELECT cron.schedule(…)`,
        // `SELECT pg_size_pretty(…)`: calls made for their effect or to inspect the server.
        if s.target_list.iter().all(is_function_call_target) {
            return K::Operation;
        }
        return K::Example;
    }
    // FROM only set-returning functions: an operation if they are all server functions.
    let functions: Vec<&ObjectName> = facts
        .references
        .iter()
        .filter(|r| r.kind == ObjectKind::Function)
        .collect();
    if simple
        && !s.from_clause.is_empty()
        && s.from_clause
            .iter()
            .all(|f| matches!(f.node, Some(NodeEnum::RangeFunction(_))))
        && functions.iter().all(|f| is_system_function(f))
    {
        return K::Operation;
    }
    K::Example
}

/// `SELECT set_config('search_path', …)`.
fn is_search_path_config(target: &protobuf::Node) -> bool {
    let Some(NodeEnum::ResTarget(t)) = &target.node else {
        return false;
    };
    let Some(NodeEnum::FuncCall(call)) = t.val.as_ref().and_then(|v| v.node.as_ref()) else {
        return false;
    };
    let name_is_set_config = call
        .funcname
        .last()
        .is_some_and(|n| matches!(&n.node, Some(NodeEnum::String(s)) if s.sval == "set_config"));
    let first_arg_is_search_path = call.args.first().is_some_and(|a| {
        matches!(&a.node, Some(NodeEnum::AConst(c))
            if matches!(&c.val, Some(protobuf::a_const::Val::Sval(s)) if s.sval.eq_ignore_ascii_case("search_path")))
    });
    name_is_set_config && first_arg_is_search_path
}

fn is_function_call_target(target: &protobuf::Node) -> bool {
    matches!(&target.node, Some(NodeEnum::ResTarget(t))
        if matches!(t.val.as_ref().and_then(|v| v.node.as_ref()), Some(NodeEnum::FuncCall(_))))
}

/// Schemas whose tables are the server's or a maintenance extension's, not the document's.
const SYSTEM_SCHEMAS: &[&str] = &["pg_catalog", "information_schema", "cron", "partman"];

fn is_system_relation(r: &ObjectName) -> bool {
    match r.schema.as_deref() {
        Some(schema) => {
            SYSTEM_SCHEMAS.contains(&schema) || (schema == "public" && r.name.starts_with("pg_"))
        }
        None => r.name.starts_with("pg_"),
    }
}

fn is_system_function(f: &ObjectName) -> bool {
    is_system_relation(f)
}

/// Classification without a tree, from the first keywords.
fn by_keywords(sql: &str, tokens: &[Token], example_values: bool) -> StatementKind {
    use StatementKind as K;
    let word = |i: usize| -> String {
        tokens
            .get(i)
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| sql[t.start..t.end].to_ascii_lowercase())
            .unwrap_or_default()
    };
    let first = word(0);
    match first.as_str() {
        "alter" if word(1) == "system" => K::Operation,
        "alter" if sql.to_ascii_lowercase().contains("detach partition") => K::Operation,
        "create" | "alter" | "drop" | "comment" | "grant" | "revoke" | "do" | "security"
        | "import" | "reassign" => K::Schema,
        "insert" if example_values => K::Example,
        "insert" => K::Data,
        // MySQL's upsert: SQL that PostgreSQL does not have (check says what to write).
        "replace" if word(1) == "into" => K::Data,
        "copy" => {
            let from_stdin = tokens.windows(2).any(|w| {
                let a = &sql[w[0].start..w[0].end];
                let b = &sql[w[1].start..w[1].end];
                a.eq_ignore_ascii_case("from") && b.eq_ignore_ascii_case("stdin")
            });
            if from_stdin {
                K::Data
            } else {
                K::Operation
            }
        }
        "select" => {
            if example_values {
                return K::Example;
            }
            let lower = sql.to_ascii_lowercase();
            if lower.contains("set_config") && lower.contains("'search_path'") {
                return K::Schema;
            }
            let schema = word(1);
            let dotted = tokens.get(2).is_some_and(|t| &sql[t.start..t.end] == ".");
            if dotted && SYSTEM_SCHEMAS.contains(&schema.as_str()) {
                return K::Operation;
            }
            K::Example
        }
        "set" => {
            let target = if matches!(word(1).as_str(), "local" | "session") {
                word(2)
            } else {
                word(1)
            };
            if target == "search_path" {
                K::Schema
            } else {
                K::Operation
            }
        }
        "with" | "update" | "delete" | "merge" | "explain" | "table" | "values" | "prepare"
        | "execute" | "declare" | "fetch" | "move" | "close" | "deallocate" => K::Example,
        "" if tokens
            .first()
            .is_some_and(|t| t.kind == TokenKind::OpenParen) =>
        {
            K::Example
        }
        w if is_statement_keyword(w) => K::Operation,
        _ => K::NotSql,
    }
}

/// Whether a string literal is a stand-in for a value (`'uuid'`, `':id'`, `'<user_id>'`,
/// `'...'`, `'xxx'`, `'{id}'`, `'user-id'`), which marks the statement as an illustration.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_lowercase();
    if v.contains("...") || v.contains('…') || v.contains("{{") || v.contains("${") {
        return true;
    }
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
    };
    if let Some(rest) = v.strip_prefix(':') {
        if ident(rest) {
            return true;
        }
    }
    if let Some(inner) = v.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
        if !inner.is_empty() && !inner.contains(['<', '>']) {
            return true;
        }
    }
    if let Some(inner) = v.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if ident(inner) {
            return true;
        }
    }
    // '[USER_ID]', '[project ref]' (not a JSON array: words, no quotes or digits alone).
    if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let words = inner.replace(' ', "_");
        if ident(&words) && inner.chars().any(char::is_alphabetic) {
            return true;
        }
    }
    // 'xxx', 'XXXX', 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'.
    let xs = lower.chars().filter(|&c| c == 'x').count();
    if xs >= 3 && lower.chars().all(|c| c == 'x' || c == '-') {
        return true;
    }
    if matches!(
        lower.as_str(),
        "uuid" | "some-uuid" | "some_uuid" | "the-uuid" | "?" | "todo" | "tbd" | "placeholder"
    ) {
        return true;
    }
    // 'user-id', 'order-uuid', 'your-api-key', 'your_tenant'.
    let letters_and_dashes = lower
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_');
    letters_and_dashes
        && (lower.ends_with("-id")
            || lower.ends_with("-uuid")
            || lower.starts_with("your-")
            || lower.starts_with("your_"))
}

/// `sql` with each placeholder string literal (`'[USER_ID]'`, `'<uuid>'`) replaced by `NULL`,
/// padded with spaces to the literal's length so that the server's error positions still point
/// into the original text: an example is prepared for what it shows, not for its stand-ins
/// (`'[USER_ID]'` is no uuid, and saying so would blame the author for an illustration).
/// Literals shorter than `NULL` stay. Named placeholders (`:user_id`, `@tenant`) become `$n`
/// parameters first ([`crate::numbered_placeholders`]).
pub fn without_placeholders(sql: &str) -> std::borrow::Cow<'_, str> {
    match crate::numbered_placeholders(sql) {
        std::borrow::Cow::Borrowed(_) => literals_as_null(sql),
        std::borrow::Cow::Owned(numbered) => {
            std::borrow::Cow::Owned(literals_as_null(&numbered).into_owned())
        }
    }
}

/// `sql` with its placeholder literals (`'<email>'`) as `NULL`, padded to their width.
fn literals_as_null(sql: &str) -> std::borrow::Cow<'_, str> {
    let literals: Vec<Token> = tokenize(sql)
        .into_iter()
        .filter(|t| t.kind == TokenKind::String)
        .filter(|t| t.end - t.start >= 4 && is_placeholder(&string_value(&sql[t.start..t.end])))
        .collect();
    if literals.is_empty() {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for t in literals {
        out.push_str(&sql[at..t.start]);
        out.push_str("NULL");
        let width = sql[t.start..t.end].chars().count();
        out.extend(std::iter::repeat_n(' ', width - 4));
        at = t.end;
    }
    out.push_str(&sql[at..]);
    std::borrow::Cow::Owned(out)
}

fn has_placeholder(sql: &str, tokens: &[Token]) -> bool {
    tokens
        .iter()
        .filter(|t| t.kind == TokenKind::String)
        .any(|t| is_placeholder(&string_value(&sql[t.start..t.end])))
}

/// The value of a string literal token, roughly (prefix and quotes removed, `''` undoubled).
fn string_value(token: &str) -> String {
    let body = token.find('\'').map_or(token, |i| &token[i + 1..]);
    let body = body.strip_suffix('\'').unwrap_or(body);
    body.replace("''", "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::analyze;
    use crate::split::split;
    use StatementKind::*;

    fn kind_of(sql: &str) -> StatementKind {
        let sp = split(sql);
        assert_eq!(sp.statements.len(), 1, "{sql}");
        let raw = &sp.statements[0];
        let text = &sql[raw.start..raw.sql_end];
        let parsed = analyze(text, raw.max_param);
        classify(raw.shape, text, parsed.first(), &parsed.facts)
    }

    #[test]
    fn classification_table() {
        let cases: &[(&str, StatementKind)] = &[
            // Schema
            ("CREATE TABLE t (id int PRIMARY KEY);", Schema),
            // An outline of a statement is not SQL (`...` in the code or in a comment inside).
            ("CREATE TABLE t (id int, ...);", NotSql),
            ("CREATE TABLE t (\n  id int,\n  -- ... the rest\n);", NotSql),
            ("CREATE INDEX idx_users_email;", NotSql),
            ("create index concurrently i on t (a);", Schema),
            ("ALTER TABLE orders ENABLE ROW LEVEL SECURITY;", Schema),
            ("ALTER TABLE orders_2025_11 DETACH PARTITION;", Operation),
            (
                "ALTER TABLE orders DETACH PARTITION orders_2025_11;",
                Operation,
            ),
            (
                "ALTER TABLE orders ATTACH PARTITION orders_2025_11 DEFAULT;",
                Schema,
            ),
            ("DROP TABLE IF EXISTS t CASCADE;", Schema),
            ("COMMENT ON TABLE t IS '설명';", Schema),
            ("GRANT SELECT ON t TO app;", Schema),
            ("REVOKE ALL ON t FROM public;", Schema),
            ("DO $$ BEGIN RAISE NOTICE 'x'; END $$;", Schema),
            ("CREATE POLICY p ON t USING (owner = current_user);", Schema),
            (
                "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();",
                Schema,
            ),
            (
                "CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING;",
                Schema,
            ),
            ("SECURITY LABEL FOR selinux ON TABLE t IS 'x';", Schema),
            ("SET search_path TO app, public;", Schema),
            ("SET LOCAL search_path = app", Schema),
            ("SELECT set_config('search_path', 'app', false);", Schema),
            ("CREATE EXTENSION IF NOT EXISTS pg_cron;", Schema),
            // Data
            ("INSERT INTO roles (name) VALUES ('admin'), ('user');", Data),
            (
                "INSERT INTO t (id, at) VALUES (1, now()) ON CONFLICT (id) DO NOTHING;",
                Data,
            ),
            ("INSERT INTO t SELECT id FROM s WHERE active;", Data),
            ("COPY t (a, b) FROM STDIN;", Data),
            ("REPLACE INTO t (id, sku) VALUES (3, 'A-3');", Data),
            ("INSERT INTO t VALUES (1, 'a', ...);", NotSql),
            // Example
            ("SELECT * FROM orders WHERE id = $1;", Example),
            ("SELECT * FROM orders WHERE user_id = 'user-id';", Example),
            ("SELECT * FROM orders WHERE id = ':id';", Example),
            ("SELECT * FROM orders WHERE id = '<order_id>';", Example),
            ("SELECT * FROM orders WHERE branch = 'xxx';", Example),
            ("SELECT * FROM orders WHERE id = '...';", Example),
            (
                "SELECT * FROM orders WHERE deleted_at IS NULL AND ...;",
                NotSql,
            ),
            ("INSERT INTO t (a) VALUES ($1) RETURNING id;", Example),
            ("INSERT INTO t (a) VALUES ('uuid');", Example),
            (
                "UPDATE orders SET status = 'DONE' WHERE id = $1 AND version = $2;",
                Example,
            ),
            ("DELETE FROM sessions WHERE expires_at < now();", Example),
            (
                "WITH x AS (SELECT 1) SELECT * FROM x JOIN t ON true;",
                Example,
            ),
            ("EXPLAIN ANALYZE SELECT * FROM orders;", Example),
            (
                "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;",
                Example,
            ),
            ("TABLE orders;", Example),
            ("VALUES (1), (2);", Example),
            ("SELECT count(*) FROM orders;", Example),
            ("SELECT * FROM get_orders(10);", Example),
            (
                "UPDATE orders SET a = b WHERE a IS NULL LIMIT 1000;",
                Example,
            ),
            // Operation
            (
                "SELECT cron.schedule('nightly', '0 3 * * *', $$VACUUM t$$);",
                Operation,
            ),
            ("SELECT cron.unschedule('nightly');", Operation),
            (
                "SELECT partman.create_parent('public.orders', 'created_at', '1 month');",
                Operation,
            ),
            ("SELECT create_monthly_partitions();", Operation),
            (
                "SELECT pg_size_pretty(pg_total_relation_size('orders'));",
                Operation,
            ),
            (
                "SELECT relname, n_dead_tup FROM pg_stat_user_tables ORDER BY 2 DESC;",
                Operation,
            ),
            (
                "SELECT * FROM pg_catalog.pg_indexes WHERE tablename = 'orders';",
                Operation,
            ),
            (
                "SELECT table_name FROM information_schema.tables;",
                Operation,
            ),
            (
                "SELECT a.x FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid;",
                Operation,
            ),
            ("SELECT * FROM cron.job;", Operation),
            ("ANALYZE orders;", Operation),
            ("VACUUM (ANALYZE) orders;", Operation),
            ("REINDEX INDEX CONCURRENTLY i;", Operation),
            ("CLUSTER orders USING i;", Operation),
            ("CHECKPOINT;", Operation),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv;", Operation),
            ("SET statement_timeout = '5s';", Operation),
            ("RESET ALL;", Operation),
            ("SHOW work_mem;", Operation),
            ("BEGIN;", Operation),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE;", Operation),
            ("COMMIT;", Operation),
            ("ROLLBACK;", Operation),
            ("SAVEPOINT s1;", Operation),
            ("END;", Operation),
            ("LISTEN events;", Operation),
            ("NOTIFY events, 'x';", Operation),
            ("CALL archive_old_orders();", Operation),
            ("COPY orders TO '/tmp/o.csv';", Operation),
            ("TRUNCATE audit_logs;", Operation),
            (
                "SELECT cron.schedule('x', '* * * * *', 'SELECT 1' ...);",
                NotSql,
            ),
            // NotSql
            ("psql -f schema.sql", NotSql),
            ("pg_dump -t orders > backup.sql", NotSql),
            ("$ psql -U postgres", NotSql),
            ("redis-cli SET key value", NotSql),
            ("...", NotSql),
            ("…", NotSql),
            ("→ 결과: 10 rows", NotSql),
            ("주문 테이블을 먼저 만든다", NotSql),
            ("Create the users table before anything else", NotSql),
            ("Select 1;", Example),
            ("\\c mydb", NotSql),
            ("\\i schema.sql", NotSql),
        ];
        let mut wrong = Vec::new();
        for (sql, expected) in cases {
            let got = kind_of(sql);
            if got != *expected {
                wrong.push(format!("{sql:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(cases.len() >= 30);
    }

    #[test]
    fn placeholders_become_null_of_the_same_width() {
        let sql = "INSERT INTO m (id, org) VALUES ('[USER_ID]', 'acme');";
        let out = without_placeholders(sql);
        assert_eq!(out, "INSERT INTO m (id, org) VALUES (NULL       , 'acme');");
        assert!(matches!(
            without_placeholders("SELECT 'a';"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn placeholders() {
        for p in [
            "uuid",
            "user-id",
            "...",
            "…",
            ":id",
            "<user_id>",
            "xxx",
            "XXXX",
            "{id}",
            "${id}",
            "{{name}}",
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            "your-api-key",
            "order-uuid",
            "[USER_ID]",
            "[project ref]",
            "your-project-ref",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in [
            "admin",
            "",
            "{}",
            "[]",
            "2025-01-01",
            "ACTIVE",
            "default_v1",
            "kms-dek-pii-v1-2025",
            "a@example.com",
            "{\"a\": 1}",
            "x",
            "box",
            "korean",
            "[1, 2]",
            "[\"a\"]",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
