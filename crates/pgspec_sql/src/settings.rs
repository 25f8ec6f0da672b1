//! Custom settings (`app.current_user_id`) a document's code reads with
//! `current_setting(name)` — which fails while nobody has set them — and the ones the document
//! sets itself (`SET`, `set_config`, `ALTER DATABASE|ROLE … SET`), found in the parse trees of
//! its statements and of its function bodies.

use std::collections::BTreeMap;

use crate::ast::{self, NodeEnum, ParseTree};
use crate::visit::NodeRef;
use crate::Statement;

/// A custom setting the document's code reads and never sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingRead {
    /// The setting's name, lowercased as PostgreSQL folds it (`app.current_user_id`).
    pub name: String,
    /// The type the code casts the value to (`uuid`, `int4`), when it casts it.
    pub cast: Option<String>,
    /// The index (in the statements given) of the first statement that reads it.
    pub statement: usize,
}

/// The custom settings `statements` read without `missing_ok` and never set, in the order of
/// their first read. Only dotted names (`prefix.name`) count: the server's own settings always
/// have a value.
pub fn unset_settings_read(statements: &[Statement]) -> Vec<SettingRead> {
    let mut reads: BTreeMap<String, SettingRead> = BTreeMap::new();
    let mut order = Vec::new();
    let mut set = Vec::new();
    for (i, stmt) in statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for tree in
            std::iter::once(tree).chain(function_body_trees(tree).iter().map(|t| t.as_ref()))
        {
            scan(tree, &mut |found| match found {
                Found::Read { name, cast } => {
                    if let Some(known) = reads.get_mut(&name) {
                        known.cast = known.cast.take().or(cast);
                    } else {
                        order.push(name.clone());
                        reads.insert(
                            name.clone(),
                            SettingRead {
                                name,
                                cast,
                                statement: i,
                            },
                        );
                    }
                }
                Found::Set(name) => set.push(name),
            });
        }
    }
    order
        .into_iter()
        .filter(|name| !set.contains(name))
        .filter_map(|name| reads.remove(&name))
        .collect()
}

enum Found {
    Read { name: String, cast: Option<String> },
    Set(String),
}

/// Whether `name` is a custom setting name: `prefix.rest`, identifier characters only.
pub fn is_custom_setting_name(name: &str) -> bool {
    let Some((prefix, rest)) = name.split_once('.') else {
        return false;
    };
    let ident = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    ident(prefix) && rest.split('.').all(ident)
}

/// The trees of the function bodies and DO blocks in `tree` (SQL and PL/pgSQL; a PL/pgSQL
/// body's expressions and statements each as its own tree).
pub fn function_body_trees(tree: &ParseTree) -> Vec<std::sync::Arc<ParseTree>> {
    let mut out = Vec::new();
    for top in ast::top_nodes(tree) {
        let options = match top {
            NodeEnum::CreateFunctionStmt(f) => &f.options,
            NodeEnum::DoStmt(d) => &d.args,
            _ => continue,
        };
        let option = |wanted: &str| {
            options.iter().find_map(|o| match ast::node(o)? {
                NodeEnum::DefElem(d) if d.defname == wanted => {
                    match d.arg.as_deref().and_then(ast::node)? {
                        NodeEnum::String(s) => Some(s.sval.clone()),
                        NodeEnum::List(l) => ast::names(&l.items).first().map(|s| (*s).to_owned()),
                        _ => None,
                    }
                }
                _ => None,
            })
        };
        let Some(body) = option("as") else { continue };
        match option("language")
            .unwrap_or_else(|| "plpgsql".into())
            .to_lowercase()
            .as_str()
        {
            "sql" => out.extend(ast::parse(&body)),
            "plpgsql" => out.extend(ast::plpgsql_expressions(&body)),
            _ => {}
        }
    }
    out
}

fn scan(tree: &ParseTree, found: &mut impl FnMut(Found)) {
    // The cast around a call, by the call's location.
    let mut casts: BTreeMap<i32, String> = BTreeMap::new();
    let nodes: Vec<NodeRef<'_>> = ast::all_nodes(tree).collect();
    for node in &nodes {
        if let NodeRef::TypeCast(cast) = node {
            if let (Some(NodeEnum::FuncCall(call)), Some(ty)) = (
                cast.arg.as_deref().and_then(ast::node),
                cast.type_name
                    .as_ref()
                    .and_then(|t| ast::last_name(&t.names)),
            ) {
                casts.insert(call.location, ty.to_lowercase());
            }
        }
    }
    for node in &nodes {
        match node {
            NodeRef::FuncCall(call) => {
                let name = ast::function_name(call);
                let name: Vec<&str> = name.iter().map(String::as_str).collect();
                let first = call.args.first().and_then(ast::node);
                let Some(setting) = first.and_then(ast::string_constant) else {
                    continue;
                };
                let setting = setting.to_lowercase();
                if !is_custom_setting_name(&setting) {
                    continue;
                }
                match name.as_slice() {
                    ["current_setting"] | ["pg_catalog", "current_setting"] => {
                        let missing_ok = call.args.get(1).and_then(ast::node).map(|n| {
                            !matches!(ast::strip_casts(n), NodeEnum::AConst(c)
                                if matches!(c.val, Some(crate::ast::pb::a_const::Val::Boolval(ref b)) if !b.boolval))
                        });
                        if missing_ok != Some(true) {
                            found(Found::Read {
                                name: setting,
                                cast: casts.get(&call.location).cloned(),
                            });
                        }
                    }
                    ["set_config"] | ["pg_catalog", "set_config"] => found(Found::Set(setting)),
                    _ => {}
                }
            }
            NodeRef::VariableSetStmt(set) if is_custom_setting_name(&set.name.to_lowercase()) => {
                found(Found::Set(set.name.to_lowercase()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(sql: &str) -> Vec<(String, Option<String>)> {
        let (doc, _) = pgspec_document::read(format!("# T\n\n```sql\n{sql}\n```\n").as_bytes());
        let (statements, _) = crate::extract(&doc);
        unset_settings_read(&statements)
            .into_iter()
            .map(|r| (r.name, r.cast))
            .collect()
    }

    #[test]
    fn reads_in_policies_and_function_bodies_with_their_casts() {
        let found = reads(
            "CREATE POLICY p ON t USING (owner = current_setting('app.user_id')::uuid);\n\
             CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             DECLARE k text;\nBEGIN\n  k := current_setting('App.Key');\n  NEW.tenant := current_setting('app.tenant')::int;\n  \
             IF current_setting('app.limit')::int > 3 THEN RETURN NULL; END IF;\n  \
             PERFORM current_setting('jwt.claims.role', true);\n  RETURN NEW;\nEND $$;\n\
             CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT current_setting('app.n')::int $$;\n\
             SELECT current_setting('work_mem');",
        );
        assert_eq!(
            found,
            [
                ("app.user_id".into(), Some("uuid".into())),
                ("app.key".into(), None),
                ("app.tenant".into(), Some("int4".into())),
                ("app.limit".into(), Some("int4".into())),
                ("app.n".into(), Some("int4".into())),
            ]
        );
    }

    #[test]
    fn settings_the_document_sets_are_not_reported() {
        let found = reads(
            "ALTER DATABASE current SET app.tenant = '1';\n\
             SET app.mode = 'x';\n\
             CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.user', 'u', true); END $$;\n\
             SELECT current_setting('app.tenant'), current_setting('app.mode'), current_setting('app.user'), current_setting('app.other', false);",
        );
        assert_eq!(found, [("app.other".into(), None)]);
    }

    #[test]
    fn custom_names() {
        assert!(is_custom_setting_name("app.user_id"));
        assert!(is_custom_setting_name("request.jwt.claims"));
        assert!(!is_custom_setting_name("work_mem"));
        assert!(!is_custom_setting_name("app.x'; DROP"));
        assert!(!is_custom_setting_name(".x"));
    }
}
