//! `pgspec lint`: rules over the real catalog of the scratch database after `check` applied
//! the document, and over the document itself (statements, function bodies, other code
//! blocks). The bugs they find apply cleanly and fail at run time.
//!
//! Rules are registered in the one registry of every code (`crate::diagnostics::registry`);
//! each lives in `rules/<name>.rs`; explanations live in `docs/rules/<name>.md`.

pub mod config;
mod model;
mod rules;
pub mod suppress;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use crate::diagnostics::Diagnostic;
use crate::document::Document;
use crate::postgres::plpgsql_check::{plpgsql_check, PlpgsqlFindings};
use crate::postgres::{ApplySession, ClusterError};
use crate::sql::ast::{self as sql_ast, pb, NodeEnum, ParseTree};
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

pub use crate::diagnostics::Rule;
pub use config::{ConfigError, LintConfig};

use crate::postgres::catalog::Catalog;
use model::Table;

/// A lint diagnostic with the rule's code, category and default severity.
pub(crate) fn diagnostic(rule: Rule, message: impl Into<String>, range: TextRange) -> Diagnostic {
    Diagnostic::new(rule, rule.category(), message, range)
}

/// Run every enabled rule over `doc` and `catalog`, the one catalog of the database `session`
/// holds (after `check`).
/// Diagnostics are sorted by position. Suppressions are applied by the caller, over these and
/// every other finding of the document ([`suppress`]).
pub fn lint(
    doc: &Document,
    statements: &[Statement],
    session: &mut ApplySession,
    catalog: &Catalog,
    config: &LintConfig,
) -> Result<Vec<Diagnostic>, ClusterError> {
    let server = server_findings(session, statements, catalog, config)?;
    Ok(lint_with(doc, statements, catalog, config, server))
}

/// What the rules need from the server beyond the catalog, asked while the database is still
/// there ([`server_findings`]); the rules only read it.
#[derive(Debug, Default)]
pub struct ServerFindings {
    /// plpgsql_check's findings (`None`: not run, switched off, or not available).
    pub plpgsql_check: Option<PlpgsqlFindings>,
    /// `(schema, name)` of the routines, system ones included, named like a function the
    /// document's cron jobs call (LNT501): only those names are asked for.
    pub routine_names: BTreeSet<(String, String)>,
}

/// [`ServerFindings`] of the enabled rules: plpgsql_check runs (in the postgres module), and
/// the routines the cron jobs' commands call are looked up.
pub fn server_findings(
    session: &mut ApplySession,
    statements: &[Statement],
    catalog: &Catalog,
    config: &LintConfig,
) -> Result<ServerFindings, ClusterError> {
    let path = config.document.clone();
    let enabled = |rule: Rule| rule.is_lint() && config.enabled(rule, path.as_deref());
    if !any_lint_rule(config) {
        return Ok(ServerFindings::default());
    }
    let mut found = ServerFindings::default();
    if enabled(Rule::CronCallsMissingFunction) {
        let mut names: Vec<String> = rules::cron_called_routines(statements)
            .into_iter()
            .filter_map(|call| call.parts.last().cloned())
            .collect();
        names.sort();
        names.dedup();
        found.routine_names = crate::postgres::catalog::routine_names(session, &names)?;
    }
    if enabled(Rule::PlpgsqlCheck) {
        found.plpgsql_check = plpgsql_check(session, &rules::plpgsql_check_targets(catalog))?;
    }
    Ok(found)
}

/// Whether any rule but the suppression pass (which reports LNT001 and needs no catalog) is on.
fn any_lint_rule(config: &LintConfig) -> bool {
    let path = config.document.clone();
    Rule::ALL.iter().any(|r| {
        *r != Rule::UnusedSuppression && r.is_lint() && config.enabled(*r, path.as_deref())
    })
}

/// [`lint`] once the server's findings are in: the rules read only the document, the catalog
/// and `plpgsql_check` ([`server_findings`]), so the database may be gone by then.
pub fn lint_with(
    doc: &Document,
    statements: &[Statement],
    catalog: &Catalog,
    config: &LintConfig,
    server: ServerFindings,
) -> Vec<Diagnostic> {
    let path = config.document.clone();
    let enabled = |rule: Rule| rule.is_lint() && config.enabled(rule, path.as_deref());
    if !any_lint_rule(config) {
        return Vec::new();
    }
    let mut ctx = Context::new(doc, statements, catalog);
    ctx.plpgsql_check = server.plpgsql_check;
    ctx.routine_names = server.routine_names;
    for rule in Rule::ALL {
        if enabled(*rule) {
            rules::run(*rule, &mut ctx);
        }
    }
    let found: Vec<Diagnostic> = ctx.out.into_iter().filter(|d| enabled(d.code)).collect();
    // plpgsql_check also sees some bad constants (an enum label); the specific rule says more.
    let specific: HashSet<u32> = found
        .iter()
        .filter(|d| {
            matches!(
                d.code,
                Rule::ValueViolatesCheck | Rule::UuidInShortVarchar | Rule::InsertOmitsNotNull
            )
        })
        .map(|d| doc.line_index.line(d.primary.range.start))
        .collect();
    let mut found: Vec<Diagnostic> = dedup(
        found
            .into_iter()
            .filter(|d| {
                d.code != Rule::PlpgsqlCheck
                    || !specific.contains(&doc.line_index.line(d.primary.range.start))
            })
            .collect(),
    );
    found.sort_by_key(|d| (d.primary.range.start, d.code));
    found
}

/// Drop the rule findings the server already reported: a value or INSERT finding inside a
/// statement `check` ran and PostgreSQL rejected with a data error (class 22 or 23) is the
/// same problem as the `PG001` there.
pub fn drop_server_duplicates(
    findings: Vec<Diagnostic>,
    server: &[Diagnostic],
    statements: &[Statement],
) -> Vec<Diagnostic> {
    let rejected: Vec<TextRange> = server
        .iter()
        .filter(|d| {
            d.postgres
                .as_ref()
                .is_some_and(|p| p.sqlstate.starts_with("22") || p.sqlstate.starts_with("23"))
        })
        .filter_map(|d| statement_of(statements, d).map(|i| statements[i].range))
        .collect();
    findings
        .into_iter()
        .filter(|d| {
            let data_rule = matches!(
                d.code,
                Rule::ValueViolatesCheck | Rule::UuidInShortVarchar | Rule::InsertOmitsNotNull
            );
            !(data_rule
                && rejected
                    .iter()
                    .any(|r| r.start <= d.primary.range.start && d.primary.range.start < r.end))
        })
        .collect()
}

/// The server's verdicts a rule finding says better: a cron job's command that `check` ran
/// and PostgreSQL rejected for a missing function (`42883`, reported as a failed example
/// query) is the job that fails on every run, which `LNT501` says at the same statement.
pub fn superseded_server_findings(
    server: Vec<Diagnostic>,
    findings: &[Diagnostic],
    statements: &[Statement],
) -> Vec<Diagnostic> {
    let cron_calls: Vec<usize> = findings
        .iter()
        .filter(|d| d.code == Rule::CronCallsMissingFunction)
        .filter_map(|d| statement_of(statements, d))
        .collect();
    if cron_calls.is_empty() {
        return server;
    }
    server
        .into_iter()
        .filter(|d| {
            let missing_function = d.postgres.as_ref().is_some_and(|p| p.sqlstate == "42883");
            !(missing_function
                && statement_of(statements, d).is_some_and(|i| cron_calls.contains(&i)))
        })
        .collect()
}

/// The index of the statement a finding starts in (an empty statement counts its start).
fn statement_of(statements: &[Statement], d: &Diagnostic) -> Option<usize> {
    let at = d.primary.range.start;
    statements
        .iter()
        .position(|s| s.range.start <= at && at < s.range.end.max(s.range.start + 1))
}

fn dedup(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    diagnostics
        .into_iter()
        .filter(|d| seen.insert((d.code, d.primary.range, d.message.clone())))
        .collect()
}

/// A function body (or DO block) of the document.
#[derive(Clone, Debug)]
pub(crate) struct Body {
    pub stmt: usize,
    /// Lowercase function name (`""` for DO).
    pub name: String,
    pub language: String,
    /// Byte offset of the body in the statement's text.
    pub offset: usize,
    pub text: String,
}

/// A SQL statement the document runs: a top-level statement or one inside a function body.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub stmt: usize,
    /// Byte offset of the query in the statement's text.
    pub offset: usize,
    /// Its tree (the statement's kept one, or the body query's).
    pub ast: Arc<ParseTree>,
    /// The function it is written in, if any.
    pub function: Option<String>,
}

/// What rules see.
pub(crate) struct Context<'a> {
    pub doc: &'a Document,
    pub statements: &'a [Statement],
    pub catalog: &'a Catalog,
    /// Catalog tables plus the document's tables that are not in the catalog.
    pub tables: Vec<Table>,
    pub bodies: Vec<Body>,
    pub queries: Vec<Query>,
    /// plpgsql_check's findings by function oid (`None`: not run, or not available).
    pub plpgsql_check: Option<PlpgsqlFindings>,
    /// [`ServerFindings::routine_names`].
    pub routine_names: BTreeSet<(String, String)>,
    out: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    fn new(doc: &'a Document, statements: &'a [Statement], catalog: &'a Catalog) -> Self {
        let mut tables = model::catalog_tables(catalog);
        for (_, t) in model::document_tables(statements) {
            if catalog.find_table(&t.name).is_none() && !tables.iter().any(|x| x.name == t.name) {
                tables.push(t);
            }
        }
        let bodies = function_bodies(statements);
        let mut queries = Vec::new();
        for (i, stmt) in statements.iter().enumerate() {
            if let Some(ast) = stmt.shared_ast() {
                queries.push(Query {
                    stmt: i,
                    offset: 0,
                    ast,
                    function: None,
                });
            }
        }
        for body in &bodies {
            queries.extend(body_queries(body));
        }
        Self {
            doc,
            statements,
            catalog,
            tables,
            bodies,
            queries,
            plpgsql_check: None,
            routine_names: BTreeSet::new(),
            out: Vec::new(),
        }
    }

    /// Record a finding. A fix whose edits would land on the source of a statement pgspec
    /// generated (an ERD attribute, a column-table row) is not an edit of SQL: it is dropped,
    /// with a note saying where to make the change.
    pub(crate) fn push(&mut self, mut d: Diagnostic) {
        let generated = d.fix.as_ref().and_then(|fix| {
            self.statements.iter().find_map(|s| {
                let from = s.generated()?;
                let sources = std::iter::once(s.range).chain(from.parts.iter().map(|(_, r)| *r));
                // Inclusive: an insertion right after the source (a statement "after" the
                // generated one) lands in the description too.
                let touched = sources.into_iter().any(|r| {
                    fix.edits
                        .iter()
                        .any(|e| e.range.start <= r.end && r.start <= e.range.end)
                });
                touched.then(|| from.describe())
            })
        });
        if let Some(source) = generated {
            let title = d.fix.take().map(|f| f.title).unwrap_or_default();
            d = d.note(format!(
                "pgspec generated this table from {source}: make the change there ({title})"
            ));
        }
        self.out.push(d);
    }

    /// Document range of `len` bytes at byte `at` of statement `stmt`'s text (a generated
    /// statement: its source, the ERD attribute or column-table row).
    pub(crate) fn range(&self, stmt: usize, at: usize, len: usize) -> TextRange {
        self.statements[stmt].document_range(self.doc, at, len)
    }

    /// The first line of statement `stmt`.
    pub(crate) fn stmt_head(&self, stmt: usize) -> TextRange {
        let text = &self.statements[stmt].text;
        let len = text.find('\n').unwrap_or(text.len());
        self.range(stmt, 0, len)
    }

    /// The statement that creates an object named `name` (lowercase, unqualified) of `kind`;
    /// the last one for functions (CREATE OR REPLACE wins), the first otherwise.
    pub(crate) fn creator(&self, kind: ObjectKind, name: &str) -> Option<usize> {
        let name = unqualified(name);
        let mut found = self.statements.iter().filter(|s| {
            s.facts
                .creates
                .iter()
                .any(|o| o.kind == kind && o.name.eq_ignore_ascii_case(name))
        });
        if kind == ObjectKind::Function {
            found.next_back().map(|s| s.index)
        } else {
            found.next().map(|s| s.index)
        }
    }

    /// Byte offset of `word` (case-insensitive, on identifier boundaries) in statement `stmt`.
    pub(crate) fn find_word(&self, stmt: usize, word: &str) -> Option<usize> {
        find_word(&self.statements[stmt].text, word, 0)
    }

    /// Where the document defines `name` (an index, constraint or column) on `table`: the
    /// statement that names it, at the name; else the table's CREATE statement.
    pub(crate) fn locate(&self, table: &str, name: &str) -> Option<TextRange> {
        let table_stmt = self.creator(ObjectKind::Relation, table);
        let candidates = self
            .creator(ObjectKind::Index, name)
            .into_iter()
            .chain(table_stmt)
            .chain(
                self.statements
                    .iter()
                    .filter(|s| {
                        s.facts
                            .references
                            .iter()
                            .any(|r| r.name.eq_ignore_ascii_case(unqualified(table)))
                    })
                    .map(|s| s.index),
            );
        for stmt in candidates {
            if let Some(at) = self.find_word(stmt, name) {
                return Some(self.range(stmt, at, name.len()));
            }
        }
        table_stmt.map(|s| self.stmt_head(s))
    }
}

/// `public.users` → `users`.
pub(crate) fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim_matches('"')
}

/// Byte offset of `word` in `text` from `from`, case-insensitive, not inside a longer identifier.
pub(crate) fn find_word(text: &str, word: &str, from: usize) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let lower = text.to_lowercase();
    // Lowercasing may change byte lengths for some scripts; only search when it does not.
    let hay = if lower.len() == text.len() {
        lower.as_str()
    } else {
        text
    };
    let needle = word.to_lowercase();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = from;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(&needle)) {
        let at = start + pos;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        if !before.is_some_and(ident) && !after.is_some_and(ident) {
            return Some(at);
        }
        start = at + needle.len().max(1);
    }
    None
}

/// The option `name` of a CREATE FUNCTION / DO statement: a string or the first of a list.
fn def_elem_string(options: &[pb::Node], name: &str) -> Option<String> {
    options.iter().find_map(|opt| {
        let Some(NodeEnum::DefElem(d)) = sql_ast::node(opt) else {
            return None;
        };
        if d.defname != name {
            return None;
        }
        match d.arg.as_deref().and_then(sql_ast::node) {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            Some(NodeEnum::List(l)) => sql_ast::names(&l.items).first().map(|s| (*s).to_owned()),
            _ => None,
        }
    })
}

fn function_bodies(statements: &[Statement]) -> Vec<Body> {
    let mut out = Vec::new();
    for (i, stmt) in statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for top in sql_ast::top_nodes(tree) {
            let (name, options) = match top {
                NodeEnum::CreateFunctionStmt(f) => (
                    sql_ast::last_name(&f.funcname)
                        .unwrap_or_default()
                        .to_lowercase(),
                    &f.options,
                ),
                NodeEnum::DoStmt(d) => (String::new(), &d.args),
                _ => continue,
            };
            let Some(text) = def_elem_string(options, "as") else {
                continue;
            };
            let language = def_elem_string(options, "language")
                .unwrap_or_else(|| "plpgsql".to_owned())
                .to_lowercase();
            // The body is verbatim between its dollar quotes; a body in '…' quotes with doubled
            // quotes is not found and is skipped (positions would be wrong).
            let Some(offset) = stmt.text.find(&text) else {
                continue;
            };
            out.push(Body {
                stmt: i,
                name,
                language,
                offset,
                text,
            });
        }
    }
    out
}

/// The SQL statements inside a function body, with their offsets in the statement's text.
fn body_queries(body: &Body) -> Vec<Query> {
    let function = Some(if body.name.is_empty() {
        "DO block".to_owned()
    } else {
        body.name.clone()
    });
    let mut out = Vec::new();
    match body.language.as_str() {
        "sql" => {
            if let Some(ast) = crate::sql::ast::parse(&body.text) {
                out.push(Query {
                    stmt: body.stmt,
                    offset: body.offset,
                    ast,
                    function,
                });
            }
        }
        "plpgsql" => {
            let Some(queries) = crate::sql::ast::plpgsql_queries(&body.text) else {
                return out;
            };
            let line_starts: Vec<usize> = std::iter::once(0)
                .chain(body.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            for (line, q, ast) in queries {
                // `line` is the body's line (1-based) of the PL/pgSQL statement.
                let from = line
                    .checked_sub(1)
                    .and_then(|l| line_starts.get(l))
                    .copied()
                    .unwrap_or(0);
                let Some(at) = body
                    .text
                    .get(from..)
                    .and_then(|t| t.find(&q))
                    .map(|p| p + from)
                else {
                    continue;
                };
                out.push(Query {
                    stmt: body.stmt,
                    offset: body.offset + at,
                    ast,
                    function: function.clone(),
                });
            }
        }
        _ => {}
    }
    out
}
