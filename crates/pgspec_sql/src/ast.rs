//! The parse tree PostgreSQL's own parser (pg_query) gives for a text, kept once per statement
//! ([`crate::Statement::ast`]), and the typed helpers the rest of pgspec reads it with.
//!
//! This is the one place that calls the parser: [`parse`] for text that is not a statement of
//! the document (a catalog expression, a query found in prose, a cron job's command, a
//! function body), and the statement extraction for the document's statements. The tree types
//! are pg_query's protobuf types, re-exported here ([`pb`], [`NodeEnum`]) so that no other crate
//! depends on pg_query.

use std::cell::Cell;
use std::sync::Arc;

pub use crate::visit::{called_functions, children, walk, NodeRef};
pub use pg_query::protobuf as pb;
pub use pg_query::NodeEnum;

/// The tree of one text: its top-level statements (`stmts`), each with its node.
pub type ParseTree = pb::ParseResult;

thread_local! {
    /// How many texts this thread gave the parser (see [`parse_count`]).
    static PARSES: Cell<usize> = const { Cell::new(0) };
}

/// How many texts the current thread has given PostgreSQL's parser so far. Tests use it to
/// show that a statement is parsed once and its tree reused (a count per thread, so tests
/// running in parallel do not see each other's parses).
pub fn parse_count() -> usize {
    PARSES.with(Cell::get)
}

/// Parse `sql` (any number of statements), or the parser's message. Never panics.
pub(crate) fn parse_tree(sql: &str) -> Result<ParseTree, String> {
    PARSES.with(|n| n.set(n.get() + 1));
    // pg_query post-processes the tree in Rust with a few `panic!`s on shapes PostgreSQL never
    // produces; a panic must still not take the whole run down.
    match std::panic::catch_unwind(|| pg_query::parse(sql, 0)) {
        Ok(Ok(parsed)) => Ok(parsed.protobuf),
        Ok(Err(pg_query::Error::Parse(message))) => Err(message),
        Ok(Err(other)) => Err(other.to_string()),
        Err(_) => Err("the SQL parser failed on this statement".to_owned()),
    }
}

/// The tree of a text that is not one of the document's statements (those keep theirs);
/// `None` if it does not parse.
pub fn parse(sql: &str) -> Option<Arc<ParseTree>> {
    parse_tree(sql).ok().map(Arc::new)
}

/// The top-level statement nodes of a tree, in order.
pub fn top_nodes(tree: &ParseTree) -> impl Iterator<Item = &NodeEnum> {
    tree.stmts
        .iter()
        .filter_map(|raw| raw.stmt.as_ref().and_then(|node| node.node.as_ref()))
}

/// The top-level statement nodes of a tree with the byte offset each starts at in the text.
pub fn top_nodes_at(tree: &ParseTree) -> impl Iterator<Item = (&NodeEnum, usize)> {
    tree.stmts.iter().filter_map(|raw| {
        let node = raw.stmt.as_ref()?.node.as_ref()?;
        Some((node, usize::try_from(raw.stmt_location).unwrap_or(0)))
    })
}

/// Every node of a tree (all its statements), pre-order: [`walk`] from each top node.
pub fn all_nodes(tree: &ParseTree) -> impl Iterator<Item = NodeRef<'_>> {
    top_nodes(tree).flat_map(|top| walk(top.to_ref()))
}

/// A node's byte offset in the parsed text (`location`), when the parser recorded one.
pub fn offset(location: i32) -> Option<usize> {
    usize::try_from(location).ok()
}

/// The first top-level statement node of a tree.
pub fn first(tree: &ParseTree) -> Option<&NodeEnum> {
    top_nodes(tree).next()
}

/// The node inside a `Node` wrapper.
pub fn node(n: &pb::Node) -> Option<&NodeEnum> {
    n.node.as_ref()
}

/// The `sval`s of a list of `String` nodes (a qualified name, `["public", "users"]`).
pub fn names(nodes: &[pb::Node]) -> Vec<&str> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// The last name of a list of `String` nodes (`users` of `public.users`).
pub fn last_name(nodes: &[pb::Node]) -> Option<&str> {
    names(nodes).pop()
}

/// The node without its type casts: `'x'::text` → `'x'`.
pub fn strip_casts(mut n: &NodeEnum) -> &NodeEnum {
    while let NodeEnum::TypeCast(cast) = n {
        match cast.arg.as_deref().and_then(node) {
            Some(inner) => n = inner,
            None => break,
        }
    }
    n
}

/// The text of a (possibly cast) string literal.
pub fn string_constant(n: &NodeEnum) -> Option<&str> {
    match strip_casts(n) {
        NodeEnum::AConst(c) if !c.isnull => match c.val.as_ref()? {
            pb::a_const::Val::Sval(s) => Some(s.sval.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The text of a (possibly cast) string or number literal (`'a'`, `42`, `1.5`), with the
/// literal's byte offset in the parsed text.
pub fn constant(n: &NodeEnum) -> Option<(String, usize)> {
    let NodeEnum::AConst(c) = strip_casts(n) else {
        return None;
    };
    if c.isnull {
        return None;
    }
    let text = match c.val.as_ref()? {
        pb::a_const::Val::Sval(s) => s.sval.clone(),
        pb::a_const::Val::Ival(i) => i.ival.to_string(),
        pb::a_const::Val::Fval(f) => f.fval.clone(),
        _ => return None,
    };
    Some((text, offset(c.location).unwrap_or(0)))
}

/// A (possibly cast) string literal's text with its byte offset in the parsed text.
pub fn string_constant_at(n: &NodeEnum) -> Option<(&str, usize)> {
    let NodeEnum::AConst(c) = strip_casts(n) else {
        return None;
    };
    Some((string_constant(n)?, offset(c.location).unwrap_or(0)))
}

/// The column a (possibly cast) column reference names (its last name part).
pub fn column_ref(n: &NodeEnum) -> Option<&str> {
    match strip_casts(n) {
        NodeEnum::ColumnRef(c) => last_name(&c.fields),
        _ => None,
    }
}

/// The transition tables a `CREATE TRIGGER … REFERENCING OLD TABLE AS o NEW TABLE AS n`
/// names (as `pg_get_triggerdef` prints a trigger): `(old, new)`.
pub fn trigger_transition_tables(sql: &str) -> (Option<String>, Option<String>) {
    let mut out = (None, None);
    let Some(tree) = parse(sql) else { return out };
    if let Some(NodeEnum::CreateTrigStmt(t)) = first(&tree) {
        for rel in &t.transition_rels {
            if let Some(NodeEnum::TriggerTransition(tt)) = node(rel) {
                if tt.is_table {
                    let slot = if tt.is_new { &mut out.1 } else { &mut out.0 };
                    *slot = Some(tt.name.clone());
                }
            }
        }
    }
    out
}

/// A function call's name, lowercased, with its schema when it is written (`cron.schedule`).
pub fn function_name(call: &pb::FuncCall) -> Vec<String> {
    names(&call.funcname)
        .into_iter()
        .map(str::to_lowercase)
        .collect()
}

/// What a statement does, as far as deciding how to run or validate it needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// SELECT / VALUES / TABLE, with or without WITH.
    Select,
    /// INSERT / UPDATE / DELETE / MERGE.
    Modify,
    /// REFRESH MATERIALIZED VIEW.
    Refresh,
    /// VACUUM or ANALYZE.
    Vacuum,
    /// REINDEX or CLUSTER.
    Reindex,
    /// CALL of a procedure.
    Call,
    /// Anything else.
    Other,
}

/// The [`Command`] of a top-level node.
pub fn command(stmt: &NodeEnum) -> Command {
    match stmt {
        NodeEnum::SelectStmt(_) => Command::Select,
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_) => Command::Modify,
        NodeEnum::RefreshMatViewStmt(_) => Command::Refresh,
        NodeEnum::VacuumStmt(_) => Command::Vacuum,
        NodeEnum::ReindexStmt(_) | NodeEnum::ClusterStmt(_) => Command::Reindex,
        NodeEnum::CallStmt(_) => Command::Call,
        _ => Command::Other,
    }
}

/// The object a maintenance or CALL statement names: the materialized view REFRESH refreshes,
/// the first relation VACUUM/ANALYZE names, the procedure CALL calls: its name as
/// `regclass`/`regproc` input (each part quoted where it needs it, schema as written).
/// `None` when it names none (`VACUUM;`).
pub fn maintenance_target(stmt: &NodeEnum) -> Option<String> {
    use crate::quote::quote_ident;
    let qualified = |schema: &str, name: &str| {
        if schema.is_empty() {
            quote_ident(name)
        } else {
            format!("{}.{}", quote_ident(schema), quote_ident(name))
        }
    };
    match stmt {
        NodeEnum::RefreshMatViewStmt(r) => r
            .relation
            .as_ref()
            .map(|rv| qualified(&rv.schemaname, &rv.relname)),
        NodeEnum::VacuumStmt(v) => v.rels.iter().find_map(|r| match node(r)? {
            NodeEnum::VacuumRelation(vr) => vr
                .relation
                .as_ref()
                .map(|rv| qualified(&rv.schemaname, &rv.relname)),
            _ => None,
        }),
        NodeEnum::CallStmt(c) => c.funccall.as_ref().map(|f| {
            names(&f.funcname)
                .into_iter()
                .map(quote_ident)
                .collect::<Vec<_>>()
                .join(".")
        }),
        _ => None,
    }
}

/// The SQL statements a PL/pgSQL function body runs (not its expressions such as `x > 0`),
/// each with the line of the PL/pgSQL statement it belongs to (1 = the body's first line) and
/// its tree; `None` when the body does not compile.
///
/// pg_query gives a PL/pgSQL function only as JSON (it has no typed form for it), so this is
/// the one walk over JSON by key names; what each embedded query is comes from its own tree.
pub fn plpgsql_queries(body: &str) -> Option<Vec<(usize, String, Arc<ParseTree>)>> {
    let wrapped = format!(
        "CREATE FUNCTION pgspec_lint_body() RETURNS void AS $pgspec_lint$\n{body}\n$pgspec_lint$ LANGUAGE plpgsql"
    );
    PARSES.with(|n| n.set(n.get() + 1));
    let json = std::panic::catch_unwind(|| pg_query::parse_plpgsql(&wrapped))
        .ok()?
        .ok()?;
    let mut texts = Vec::new();
    collect_plpgsql_queries(&json, 0, &mut texts);
    texts.sort_by_key(|(line, _)| *line);
    Some(
        texts
            .into_iter()
            .filter_map(|(line, text)| {
                let tree = parse(&text)?;
                let runs = matches!(
                    first(&tree).map(command),
                    Some(Command::Select | Command::Modify | Command::Refresh)
                );
                // The wrapper's opening line is line 1, the body's first line line 2.
                runs.then(|| (line.saturating_sub(1), text, tree))
            })
            .collect(),
    )
}

/// Every expression and statement of a PL/pgSQL body as a tree (`x := f(y)` as `SELECT f(y)`,
/// `IF a > b` as `SELECT a > b`), for walks that look for calls anywhere in a body; empty when
/// the body does not compile.
pub fn plpgsql_expressions(body: &str) -> Vec<Arc<ParseTree>> {
    // PL/pgSQL checks RETURN against the return type: `RETURN;` needs void, `RETURN NEW` a
    // value (not `trigger`: pg_query writes broken JSON for it), `RETURN NEXT` a set.
    // A trigger's NEW, OLD and TG_* are declared in an outer block around the body.
    let body = body.trim_end().trim_end_matches(';');
    let Some(json) = ["void", "record", "SETOF record"].iter().find_map(|returns| {
        let wrapped = format!(
            "CREATE FUNCTION pgspec_lint_body() RETURNS {returns} AS $pgspec_lint$\n\
             DECLARE new record; old record; tg_op text; tg_name text; tg_when text; tg_level text; \
             tg_table_name text; tg_table_schema text; tg_relname text; tg_relid oid; tg_nargs int; tg_argv text[];\n\
             BEGIN\n{body};\nEND\n$pgspec_lint$ LANGUAGE plpgsql"
        );
        PARSES.with(|n| n.set(n.get() + 1));
        std::panic::catch_unwind(|| pg_query::parse_plpgsql(&wrapped))
            .ok()?
            .ok()
    }) else {
        return Vec::new();
    };
    let mut texts = Vec::new();
    collect_plpgsql_queries(&json, 0, &mut texts);
    texts
        .into_iter()
        .filter_map(|(_, text)| {
            // An assignment's text is `target := expression` (PostgreSQL 14 and later).
            let expression = match text.split_once(":=") {
                Some((_, rhs)) if parse(&text).is_none() => rhs.to_owned(),
                _ => text.clone(),
            };
            parse(&expression).or_else(|| parse(&format!("SELECT {expression}")))
        })
        .collect()
}

/// The `RETURN` statements of a PL/pgSQL body: each one's line (1 = the body's first line)
/// and expression text (`NULL`, `x + 1`; `variable` for a variable such as `NEW`), and
/// whether the body's own
/// block ends with one (the path every row that gets through the body takes). `None` when the
/// body does not compile.
pub fn plpgsql_returns(body: &str) -> Option<PlpgsqlReturns> {
    // Trigger variables declared around the body (see `plpgsql_expressions`), which becomes a
    // nested block: line 4 of the wrapper is the body's first line.
    let trimmed = body.trim_end().trim_end_matches(';');
    let wrapped = format!(
        "CREATE FUNCTION pgspec_lint_body() RETURNS record AS $pgspec_lint$\n\
         DECLARE new record; old record; tg_op text; tg_name text; tg_when text; tg_level text; \
         tg_table_name text; tg_table_schema text; tg_relname text; tg_relid oid; tg_nargs int; tg_argv text[];\n\
         BEGIN\n{trimmed};\nEND\n$pgspec_lint$ LANGUAGE plpgsql"
    );
    PARSES.with(|n| n.set(n.get() + 1));
    let json = std::panic::catch_unwind(|| pg_query::parse_plpgsql(&wrapped))
        .ok()?
        .ok()?;
    let mut all = Vec::new();
    collect_returns(&json, &mut all);
    let body_line = |line: u64| usize::try_from(line).unwrap_or(0).saturating_sub(3);
    let all: Vec<(usize, String)> = all.into_iter().map(|(l, e)| (body_line(l), e)).collect();
    // function → action (the wrapper's block) → its one statement (the body's block).
    let inner = json
        .pointer("/0/PLpgSQL_function/action/PLpgSQL_stmt_block/body/0/PLpgSQL_stmt_block/body")
        .and_then(serde_json::Value::as_array);
    let ends_with = inner
        .and_then(|stmts| stmts.last())
        .and_then(|last| last.get("PLpgSQL_stmt_return"))
        .map(|ret| {
            let (line, expr) = return_of(ret);
            (body_line(line), expr)
        });
    Some(PlpgsqlReturns { all, ends_with })
}

/// What [`plpgsql_returns`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlpgsqlReturns {
    pub all: Vec<(usize, String)>,
    pub ends_with: Option<(usize, String)>,
}

/// A `PLpgSQL_stmt_return`'s line and expression.
fn return_of(ret: &serde_json::Value) -> (u64, String) {
    let line = ret
        .get("lineno")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    // `RETURN NEW` returns a variable, which pg_query's JSON leaves out; a bare `RETURN` does
    // not compile in the record-returning wrapper.
    let expr = ret
        .pointer("/expr/PLpgSQL_expr/query")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| "variable".to_owned(), |q| q.trim().to_owned());
    (line, expr)
}

fn collect_returns(value: &serde_json::Value, out: &mut Vec<(u64, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(obj) => {
            if let Some(ret) = obj.get("PLpgSQL_stmt_return") {
                out.push(return_of(ret));
            }
            for v in obj.values() {
                collect_returns(v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_returns(v, out);
            }
        }
        _ => {}
    }
}

/// Every `PLpgSQL_expr.query` below `value`, with the line number of the PL/pgSQL statement
/// it belongs to.
fn collect_plpgsql_queries(value: &serde_json::Value, line: usize, out: &mut Vec<(usize, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(obj) => {
            let line = obj
                .get("lineno")
                .and_then(Value::as_u64)
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(line);
            if let Some(q) = obj.get("PLpgSQL_expr").and_then(|e| e["query"].as_str()) {
                out.push((line, q.to_owned()));
            }
            for v in obj.values() {
                collect_plpgsql_queries(v, line, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_plpgsql_queries(v, line, out);
            }
        }
        _ => {}
    }
}

/// The `DEFAULT` expression a column definition gives in its constraints (`c int DEFAULT 1`).
pub fn column_default(def: &pb::ColumnDef) -> Option<&pb::Node> {
    def.constraints.iter().find_map(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) if c.contype == pb::ConstrType::ConstrDefault as i32 => {
            c.raw_expr.as_deref()
        }
        _ => None,
    })
}

/// A parsed relation's name as SQL writes it: `schema.name` when the statement qualified it,
/// each part quoted where it needs to be.
pub fn quote_relation(relation: &pb::RangeVar) -> String {
    if relation.schemaname.is_empty() {
        crate::quote::quote_ident(&relation.relname)
    } else {
        format!(
            "{}.{}",
            crate::quote::quote_ident(&relation.schemaname),
            crate::quote::quote_ident(&relation.relname)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_triggers_transition_tables_are_read_from_its_definition() {
        assert_eq!(
            trigger_transition_tables("CREATE TRIGGER t AFTER UPDATE ON public.p REFERENCING OLD TABLE AS before NEW TABLE AS \"Nove\" FOR EACH STATEMENT EXECUTE FUNCTION f()"),
            (Some("before".into()), Some("Nove".into()))
        );
        assert_eq!(
            trigger_transition_tables(
                "CREATE TRIGGER t AFTER INSERT ON p FOR EACH ROW EXECUTE FUNCTION f()"
            ),
            (None, None)
        );
    }

    #[test]
    fn parse_counts_and_returns_the_statements() {
        let before = parse_count();
        let tree = parse("SELECT 1; VACUUM ANALYZE public.t").expect("parses");
        assert_eq!(parse_count(), before + 1);
        let commands: Vec<Command> = top_nodes(&tree).map(command).collect();
        assert_eq!(commands, [Command::Select, Command::Vacuum]);
        assert!(parse("SELEC 1").is_none());
        assert_eq!(parse_count(), before + 2);
    }

    #[test]
    fn plpgsql_returns_and_the_last_one() {
        let body = "\nBEGIN\n  IF NEW.x IS NULL THEN\n    RETURN NEW;\n  END IF;\n  NEW.y := 1;\n  RETURN NULL;\nEND;\n";
        let found = plpgsql_returns(body).expect("compiles");
        assert_eq!(
            found.all,
            [(4, "variable".to_owned()), (7, "NULL".to_owned())]
        );
        assert_eq!(found.ends_with, Some((7, "NULL".to_owned())));
        let found =
            plpgsql_returns("BEGIN IF TG_OP = 'X' THEN RETURN NULL; END IF; RETURN NEW; END")
                .expect("compiles");
        assert_eq!(found.ends_with.map(|(_, e)| e).as_deref(), Some("variable"));
    }

    #[test]
    fn plpgsql_bodies_give_their_statements_not_their_expressions() {
        let body = "DECLARE n int;\nBEGIN\n  IF n > 0 THEN\n    -- tidy\n    delete from t where id = n;\n  END IF;\n  n := 1;\n  PERFORM pg_notify('c', 'x');\nEND";
        let found: Vec<(usize, String)> = plpgsql_queries(body)
            .expect("compiles")
            .into_iter()
            .map(|(line, text, _)| (line, text))
            .collect();
        assert_eq!(
            found,
            [
                (5, "delete from t where id = n".to_owned()),
                (8, "SELECT pg_notify('c', 'x')".to_owned())
            ]
        );
        assert!(plpgsql_queries("BEGIN nonsense END").is_none());
    }

    #[test]
    fn the_walk_reaches_every_node_type() {
        // Calls hide in a policy's expression inside a sublink inside a CASE, in a column
        // default, in a partition bound, in a window definition.
        let tree = parse(
            "CREATE TABLE t (a int DEFAULT f1(), b int CHECK (CASE WHEN a > 0 THEN EXISTS (SELECT f2() OVER (PARTITION BY f3())) ELSE true END));\
             CREATE POLICY p ON t USING (a = ANY (SELECT f4()));\
             CREATE TABLE t1 PARTITION OF t2 FOR VALUES FROM (f5()) TO (MAXVALUE);",
        )
        .expect("parses");
        let mut calls = Vec::new();
        for stmt in top_nodes(&tree) {
            for node in walk(stmt.to_ref()) {
                if let NodeRef::FuncCall(call) = node {
                    calls.extend(function_name(call));
                }
            }
        }
        assert_eq!(calls, ["f1", "f2", "f3", "f4", "f5"]);
    }

    #[test]
    fn maintenance_targets_come_from_the_tree() {
        let target = |sql: &str| {
            let tree = parse(sql).expect("parses");
            first(&tree).and_then(maintenance_target)
        };
        assert_eq!(
            target("REFRESH MATERIALIZED VIEW CONCURRENTLY \"Daily\".stats").as_deref(),
            Some("\"Daily\".stats")
        );
        assert_eq!(target("vacuum (verbose) orders").as_deref(), Some("orders"));
        assert_eq!(target("CALL app.prune(30)").as_deref(), Some("app.prune"));
        assert_eq!(target("VACUUM"), None);
    }

    #[test]
    fn constants_and_names() {
        let tree = parse("SELECT cron.schedule('x'::text, 5)").expect("parses");
        let Some(NodeEnum::SelectStmt(select)) = first(&tree) else {
            panic!("a SELECT");
        };
        let Some(NodeEnum::ResTarget(target)) = select.target_list.first().and_then(node) else {
            panic!("a target");
        };
        let Some(NodeEnum::FuncCall(call)) = target.val.as_deref().and_then(node) else {
            panic!("a call");
        };
        assert_eq!(function_name(call), ["cron", "schedule"]);
        let args: Vec<Option<&str>> = call
            .args
            .iter()
            .map(|a| node(a).and_then(string_constant))
            .collect();
        assert_eq!(args, [Some("x"), None]);
        let consts: Vec<Option<(String, usize)>> = call
            .args
            .iter()
            .map(|a| node(a).and_then(constant))
            .collect();
        assert_eq!(
            consts,
            [Some(("x".to_owned(), 21)), Some(("5".to_owned(), 32))]
        );
    }
}

/// The role a statement gives an object to (`ALTER TABLE … OWNER TO r`, `ALTER FUNCTION … OWNER
/// TO r`, …, as `pg_dump` writes for every object): the named role of its one top-level
/// statement, `None` for another statement or `CURRENT_USER`-like role specifications.
pub fn new_owner(tree: &ParseTree) -> Option<&str> {
    let mut nodes = top_nodes(tree);
    let (Some(node), None) = (nodes.next(), nodes.next()) else {
        return None;
    };
    let spec = match node {
        NodeEnum::AlterOwnerStmt(stmt) => stmt.newowner.as_ref(),
        // `CREATE SCHEMA s AUTHORIZATION app_owner` (GUI exports write it) gives the new
        // schema to a role just as `ALTER SCHEMA s OWNER TO` does.
        NodeEnum::CreateSchemaStmt(stmt) => stmt.authrole.as_ref(),
        NodeEnum::AlterTableStmt(stmt) => stmt.cmds.iter().find_map(|cmd| match &cmd.node {
            Some(NodeEnum::AlterTableCmd(cmd))
                if cmd.subtype == pb::AlterTableType::AtChangeOwner as i32 =>
            {
                cmd.newowner.as_ref()
            }
            _ => None,
        }),
        _ => None,
    }?;
    (spec.roletype == pb::RoleSpecType::RolespecCstring as i32).then_some(spec.rolename.as_str())
}

#[cfg(test)]
mod owner_tests {
    use super::*;

    #[test]
    fn the_new_owner_is_read_from_every_owner_change() {
        let owner = |sql: &str| parse(sql).and_then(|t| new_owner(&t).map(str::to_owned));
        assert_eq!(
            owner("ALTER TABLE public.t OWNER TO app").as_deref(),
            Some("app")
        );
        assert_eq!(
            owner("ALTER TABLE ONLY t OWNER TO \"App\"").as_deref(),
            Some("App")
        );
        assert_eq!(
            owner("ALTER FUNCTION f(int) OWNER TO app").as_deref(),
            Some("app")
        );
        assert_eq!(owner("ALTER SCHEMA s OWNER TO app").as_deref(), Some("app"));
        assert_eq!(owner("ALTER TYPE e OWNER TO app").as_deref(), Some("app"));
        assert_eq!(
            owner("CREATE SCHEMA contract AUTHORIZATION app_owner").as_deref(),
            Some("app_owner")
        );
        assert_eq!(
            owner("CREATE SCHEMA AUTHORIZATION app").as_deref(),
            Some("app")
        );
        assert_eq!(owner("CREATE SCHEMA contract"), None);
        assert_eq!(owner("ALTER TABLE t OWNER TO CURRENT_USER"), None);
        assert_eq!(owner("ALTER TABLE t ADD COLUMN x int"), None);
        assert_eq!(owner("CREATE TABLE t (x int)"), None);
    }
}
