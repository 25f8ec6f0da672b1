//! `pgspec diff FROM TO`: the SQL that brings FROM's schema in step with TO's. Each side is a
//! database URL or a design document (Markdown, or a `.sql` file read as one SQL block), which
//! is applied to a scratch database as `check` applies it; `pgspec diff DOC` compares the
//! database `pgspec up` made for DOC with DOC. Before printing, the plan is tried on a scratch
//! copy of FROM and the result compared with TO. A table or column that goes while an
//! identical one appears is a rename candidate: refused by name unless `--renames` takes it
//! (or `--no-renames` drops and adds).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::{Rule, Severity};
use pgspec::diff::{self, Plan, Refusal};
use pgspec::document::SourceKind;
use pgspec::pipeline::{self, Applied};
use pgspec::postgres::catalog::{probes, Catalog, CatalogReader};
use pgspec::postgres::{ApplySession, PrivilegeCheck, ScratchDatabase, Server};
use pgspec::sql::quote::quote_ident;
use pgspec::sql::safety::{self, PrivilegedOp, Safety};

use super::{read_input, server_for, ReportFormat, ServerArgs};
use crate::printer::json_envelope;

#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    /// The schema to migrate from: a database URL (`postgres://…`) or a document. Alone, a
    /// document: the database `pgspec up` made for it is FROM and the document is TO.
    #[arg(value_name = "FROM")]
    from: String,
    /// The schema to migrate to: a database URL or a document (`.md`, or `.sql` read as one
    /// SQL block).
    #[arg(value_name = "TO")]
    to: Option<String>,
    /// With one document: the name of the database `pgspec up` made for it (default: the one
    /// `up` derives from the document's path).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Take the rename candidates (a table or column that goes while an identical one
    /// appears) as renames.
    #[arg(long, conflicts_with = "no_renames")]
    renames: bool,
    /// Plan the rename candidates as a drop and an add (their values are lost).
    #[arg(long)]
    no_renames: bool,
    /// Output format: the migration SQL, or one JSON object with its statements and hazards.
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    /// Exit with 1 when there are changes.
    #[arg(long)]
    exit_code: bool,
    /// Do not try the plan on a scratch copy of FROM before printing it.
    #[arg(long)]
    no_validate: bool,
    /// Only these schemas (repeatable).
    #[arg(long, value_name = "NAME")]
    schema: Vec<String>,
    /// Leave these schemas out (repeatable).
    #[arg(long, value_name = "NAME")]
    exclude_schema: Vec<String>,
    /// The server for the scratch databases (documents, validation) instead of the private
    /// cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

fn is_url(side: &str) -> bool {
    side.starts_with("postgres://") || side.starts_with("postgresql://")
}

/// A scratch database and a session on it (dropped in this order: the reader's connections
/// and the session first).
struct Scratch {
    /// Connections kept for reading its catalog (once per step: the document or copy, the
    /// copy read back, the plan tried); opened on first use, or while the document applies.
    reader: Option<CatalogReader>,
    session: ApplySession,
    /// Its owner, and the roles pgspec made in it to stand in for other owners.
    owners: diff::Owners,
    /// Held for its drop, which drops the database.
    _database: ScratchDatabase,
    /// Built in a fresh session from definitions only (no rows, no session settings): it may
    /// become the other side's copy.
    definitions_only: bool,
}

impl Scratch {
    fn new(session: ApplySession, database: ScratchDatabase) -> Scratch {
        Scratch {
            reader: None,
            owners: diff::Owners::new(session.owner_role()),
            session,
            _database: database,
            definitions_only: false,
        }
    }

    /// The database's catalog, read on the reader's kept connections (on the session's when
    /// they cannot be opened or fail).
    fn catalog(&mut self) -> Result<Catalog, String> {
        if self.reader.is_none() {
            self.reader = self.session.catalog_reader()();
        }
        if let Some(reader) = &mut self.reader {
            match reader.read() {
                Ok(catalog) => return Ok(catalog),
                Err(_) => self.reader = None,
            }
        }
        self.session.catalog().map_err(|e| e.to_string())
    }

    /// A role of this run for each of `roles` that has none yet, which the database's owner
    /// is a member of: objects another role owns on the side copied are owned by its stand-in
    /// here, and the plan, run by the owner, may still change them.
    fn stand_ins_for(&mut self, roles: &[String]) -> Result<(), String> {
        for role in roles {
            if self.owners.stand_ins.values().any(|r| r == role) {
                continue;
            }
            let stand_in = format!(
                "{}_as{}",
                self.session.owner_role(),
                self.owners.stand_ins.len() + 1
            );
            let sql = format!(
                "CREATE ROLE {stand_in} NOLOGIN; GRANT {stand_in} TO {owner}",
                stand_in = quote_ident(&stand_in),
                owner = quote_ident(self.session.owner_role())
            );
            let outcome = self
                .session
                .apply_as_superuser(&sql)
                .map_err(|e| e.to_string())?;
            if let Some(e) = outcome.error() {
                return Err(format!(
                    "a role to stand in for {role} cannot be made: {}",
                    e.message
                ));
            }
            self.owners.stand_ins.insert(stand_in, role.clone());
        }
        Ok(())
    }

    /// Run ownership changes pgspec wrote (`ALTER … OWNER TO` a role of this database) on the
    /// superuser connection: the owner may not give objects away, and nothing of the
    /// document's runs in them.
    fn run_owner_changes(&mut self, statements: &[diff::Statement]) -> Result<(), String> {
        for s in statements {
            let outcome = self
                .session
                .apply_as_superuser(&s.sql)
                .map_err(|e| e.to_string())?;
            if let Some(e) = outcome.error() {
                return Err(format!("`{}` failed: {}", s.sql, e.message));
            }
        }
        Ok(())
    }
}

/// A scratch copy of a database side, rebuilt from its catalog, or why it could not be made.
type Copy = Result<Scratch, String>;

/// A side read: its catalog, and the scratch database a document was applied to.
struct Side {
    catalog: Catalog,
    applied: Option<Scratch>,
    /// A scratch copy of a database side, rebuilt from its catalog (for renames, validation).
    copy: Option<Copy>,
    /// TO's scratch database, to be brought back to this side for its copy: the reverse plan
    /// is a fraction of what building the copy from nothing takes.
    base: Option<Base>,
    /// Whether the copy was made from TO's scratch database.
    copied_from_to: bool,
    /// The roles that own the side's tables and views: a copy's objects belong to the scratch
    /// database's owner instead, which is not a difference.
    owners: Vec<String>,
    /// Who owns its objects, relative to its database's owner.
    ownership: diff::Owners,
}

impl Side {
    fn new(catalog: Catalog, applied: Option<Scratch>, ownership: diff::Owners) -> Side {
        let mut owners: Vec<String> = catalog
            .tables
            .iter()
            .map(|t| t.owner.clone())
            .chain(catalog.views.iter().map(|v| v.owner.clone()))
            .collect();
        owners.sort();
        owners.dedup();
        Side {
            catalog,
            applied,
            copy: None,
            base: None,
            copied_from_to: false,
            owners,
            ownership,
        }
    }

    /// Make the scratch copy of a database side now (once), in `fresh` when given (a fresh
    /// scratch database made meanwhile), so that it is ready when a plan is to be tried:
    /// called while the other side is still being read.
    fn prepare_copy(
        &mut self,
        options: &diff::Options,
        servers: &Servers<'_>,
        fresh: Option<Result<Base, String>>,
    ) {
        if self.applied.is_none() && self.copy.is_none() {
            if let Some(base) = self.base.take() {
                // When TO's database cannot be brought back to this side (a refusal, a
                // failure, a difference left), the copy is built from nothing.
                if let Ok(copy) = copy_of(base, &self.catalog, &self.ownership, options, true) {
                    self.copy = Some(Ok(copy));
                    self.copied_from_to = true;
                    return;
                }
            }
            let fresh = fresh.unwrap_or_else(|| fresh_scratch(servers));
            self.copy =
                Some(fresh.and_then(|fresh| {
                    copy_of(fresh, &self.catalog, &self.ownership, options, false)
                }));
        }
    }

    /// A session on a scratch copy of this side: the document's own scratch database, or a
    /// database side rebuilt from its catalog by the same planner (made once).
    fn working_copy(
        &mut self,
        options: &diff::Options,
        servers: &Servers<'_>,
    ) -> Result<&mut Scratch, String> {
        self.prepare_copy(options, servers, None);
        match (&mut self.applied, &mut self.copy) {
            (Some(applied), _) => Ok(applied),
            (None, Some(Ok(copy))) => Ok(copy),
            (None, Some(Err(why))) => Err(why.clone()),
            (None, None) => unreachable!("a copy was made above"),
        }
    }
}

/// A scratch database with its catalog, which the planner turns into a copy of a side: a fresh
/// one (what a database holds before anything is put into it), or TO's.
struct Base {
    scratch: Scratch,
    catalog: Catalog,
}

fn fresh_scratch(servers: &Servers<'_>) -> Result<Base, String> {
    let server = servers.get()?;
    let database = ScratchDatabase::create(server, "pgspec_diff").map_err(|e| e.to_string())?;
    let mut session = database.session().map_err(|e| e.to_string())?;
    let catalog = session.catalog().map_err(|e| e.to_string())?;
    Ok(Base {
        scratch: Scratch::new(session, database),
        catalog,
    })
}

/// `base` made into `catalog` by the same planner, its relations owned as `owners` says
/// (other roles' through stand-ins), checked to read back equal. `brought_back`: the base is
/// another side's database, whose columns and constraints must be declared alike too.
fn copy_of(
    base: Base,
    catalog: &Catalog,
    owners: &diff::Owners,
    options: &diff::Options,
    brought_back: bool,
) -> Copy {
    let Base {
        scratch: mut copy,
        catalog: before,
    } = base;
    let plan = diff::plan(&before, catalog, options)
        .map_err(|r| format!("FROM cannot be copied: {}", describe_refusals(&r)))?;
    run_plan(&mut copy.session, &on_scratch(&plan, &before))
        .map_err(|e| format!("copying FROM: {e}"))?;
    if brought_back {
        restart_sequences(&mut copy, catalog)?;
    }
    let foreign = diff::foreign_owners(catalog, owners, options);
    copy.stand_ins_for(&foreign)?;
    // The plan created every relation as the copy's owner.
    let changes = diff::owner_changes(
        &before,
        &copy.owners,
        catalog,
        owners,
        &copy.owners,
        options,
    );
    copy.run_owner_changes(&changes)
        .map_err(|e| format!("copying FROM's owners: {e}"))?;
    let copied = copy.catalog()?;
    let same_owners = diff::owner_changes(
        &copied,
        &copy.owners,
        catalog,
        owners,
        &copy.owners,
        options,
    )
    .is_empty();
    match diff::plan(&copied, catalog, options) {
        Ok(rest)
            if rest.is_empty()
                && same_owners
                && (!brought_back || declared_alike(&copied, catalog, options)) =>
        {
            Ok(copy)
        }
        _ => Err("the copy of FROM differs from FROM".into()),
    }
}

/// Put every sequence of `catalog` back at its start, as a sequence the plan creates is: a
/// copy brought back from another side keeps that side's position (which no catalog fact
/// shows, and which decides whether a later change of bounds applies).
fn restart_sequences(copy: &mut Scratch, catalog: &Catalog) -> Result<(), String> {
    if catalog.sequences.is_empty() {
        return Ok(());
    }
    let sql = catalog
        .sequences
        .iter()
        .map(|q| {
            format!(
                "ALTER SEQUENCE {}.{} RESTART",
                quote_ident(&q.schema),
                quote_ident(&q.name)
            )
        })
        .collect::<Vec<_>>()
        .join(";\n");
    let outcome = copy.session.apply(&sql).map_err(|e| e.to_string())?;
    match outcome.error() {
        Some(e) => Err(format!("restarting the copy's sequences: {}", e.message)),
        None => Ok(()),
    }
}

/// Whether each table's columns and constraints are declared on the table itself or only
/// inherited alike in both catalogs (within the compared schemas): a state no plan statement
/// sets (a copy brought back from the other side may differ in it), which decides what a
/// later drop or add does.
fn declared_alike(a: &Catalog, b: &Catalog, options: &diff::Options) -> bool {
    type Declared = std::collections::BTreeSet<(String, String, String, bool, bool)>;
    let in_scope = |schema: &str| {
        (options.schemas.is_empty() || options.schemas.iter().any(|s| s == schema))
            && !options.exclude_schemas.iter().any(|s| s == schema)
    };
    let declared = |c: &Catalog| -> Declared {
        let columns = c.tables.iter().flat_map(|t| {
            t.columns.iter().map(|col| {
                (
                    t.schema.clone(),
                    t.name.clone(),
                    col.name.clone(),
                    col.local,
                    false,
                )
            })
        });
        let constraints = c.constraints.iter().map(|k| {
            (
                k.schema.clone(),
                k.table.clone(),
                k.name.clone(),
                k.local,
                k.inherited,
            )
        });
        columns
            .chain(constraints)
            .filter(|(schema, ..)| in_scope(schema))
            .collect()
    };
    declared(a) == declared(b)
}

/// The server for documents and scratch copies: reached (or started) once, on first use, and
/// shared by the threads that read the two sides.
struct Servers<'a> {
    args: &'a DiffArgs,
    server: std::sync::OnceLock<Result<Server, String>>,
}

impl Servers<'_> {
    fn get(&self) -> Result<&Server, String> {
        self.server
            .get_or_init(|| {
                server_for(self.args.db.as_deref(), &self.args.server).map_err(|e| format!("{e:#}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Read one side. `as_up`: a document is built as `pgspec up` builds it (the platform layer it
/// needs, every fix, its partitions), to compare with the database `up` made. `definitions`
/// is told, as soon as the document is read, whether it only defines objects (its scratch
/// database may then become FROM's copy).
fn read_side(
    side: &str,
    servers: &Servers<'_>,
    as_up: bool,
    definitions: Option<std::sync::mpsc::Sender<bool>>,
) -> Result<Side, String> {
    if is_url(side) {
        let server = Server::Url(side.to_string());
        let name = server.maintenance_dbname();
        return read_database(&server, &name)
            .map_err(|e| format!("reading the catalog of {}: {e}", server.describe(&name)));
    }
    let path = PathBuf::from(side);
    let bytes = read_input(&path).map_err(|e| e.to_string())?;
    let server = servers.get()?;
    let extracted = pipeline::extract_as(&bytes, SourceKind::of_path(&path));
    if let Some(definitions) = definitions {
        let _ = definitions.send(!as_up && defines_only(&extracted));
    }
    let applied = if as_up {
        built_as_up(extracted, server).map(|applied| split(applied, side))
    } else {
        match applied_at_once(&extracted, server) {
            Some(scratch) => Ok((Vec::new(), scratch)),
            None => {
                pipeline::apply_in_scratch(extracted, server).map(|applied| split(applied, side))
            }
        }
    };
    let (errors, mut scratch) = applied.map_err(|e| format!("applying {side}: {e}"))?;
    if !errors.is_empty() {
        return Err(format!(
            "{side} does not apply cleanly ({} error{}; `pgspec check {side}` shows them): {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let catalog = scratch
        .catalog()
        .map_err(|e| format!("reading the catalog of {side}: {e}"))?;
    let ownership = scratch.owners.clone();
    Ok(Side::new(catalog, Some(scratch), ownership))
}

/// The errors of a document's application, each with its line, and its scratch database.
fn split(applied: Applied, side: &str) -> (Vec<String>, Scratch) {
    let errors = applied.report.error_lines(&applied.document, side, 0);
    let Applied {
        session, scratch, ..
    } = applied;
    (errors, Scratch::new(session, scratch))
}

/// Whether the statement is a `SET LOCAL`, which lasts to the end of its transaction: alone in
/// one, as the engine runs it, it changes nothing after it; in a batch it would.
fn sets_local(stmt: &pgspec::sql::Statement) -> bool {
    use pgspec::sql::ast::{self, NodeEnum};
    stmt.ast().is_some_and(|tree| {
        ast::top_nodes(tree)
            .any(|node| matches!(node, NodeEnum::VariableSetStmt(set) if set.is_local))
    })
}

/// Whether a statement only defines objects, judged on its parse tree: nothing that may put
/// rows anywhere (DO, CALL, CREATE TABLE AS, DML), no session setting, nothing temporary.
fn only_defines(stmt: &pgspec::sql::Statement) -> bool {
    use pgspec::sql::ast::{self, pb, NodeEnum};
    let temporary = |r: &Option<pb::RangeVar>| r.as_ref().is_some_and(|r| r.relpersistence == "t");
    stmt.ast().is_some_and(|tree| {
        ast::top_nodes(tree).all(|node| match node {
            NodeEnum::DoStmt(_)
            | NodeEnum::CallStmt(_)
            | NodeEnum::CreateTableAsStmt(_)
            | NodeEnum::VariableSetStmt(_)
            | NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::CopyStmt(_) => false,
            NodeEnum::CreateStmt(c) => !temporary(&c.relation),
            NodeEnum::ViewStmt(v) => !temporary(&v.view),
            NodeEnum::CreateSeqStmt(q) => !temporary(&q.sequence),
            _ => true,
        })
    })
}

/// Whether a document is read without error and its statements are all schema statements
/// that only define objects ([`only_defines`]).
fn defines_only(extracted: &pipeline::Extracted) -> bool {
    !extracted.statements.is_empty()
        && !extracted
            .diagnostics
            .iter()
            .any(|d| d.severity >= Severity::Error)
        && extracted.statements.iter().all(|stmt| {
            stmt.kind == pgspec::sql::StatementKind::Schema
                && stmt.facts.parses
                && only_defines(stmt)
        })
}

/// At most this many of a document's statements go to the server in one query string.
const DOCUMENT_BATCH: usize = 500;

/// A document whose statements are all plain schema statements that run as the document's
/// own role, applied in a few query strings instead of one round trip each; `None` when the
/// document needs more than that (privileged operations, examples, transaction control, a
/// statement that does not parse, a reading error) or a batch fails: the check engine then
/// applies it statement by statement on a fresh scratch database (and says what went wrong).
/// Applied in document order, with nothing left out, this is what the engine does with a
/// document that applies cleanly.
fn applied_at_once(extracted: &pipeline::Extracted, server: &Server) -> Option<Scratch> {
    if extracted.statements.is_empty()
        || extracted
            .diagnostics
            .iter()
            .any(|d| d.severity >= Severity::Error)
    {
        return None;
    }
    let database = ScratchDatabase::create(server, "pgspec_diff").ok()?;
    let plain = extracted.statements.iter().all(|stmt| {
        stmt.kind == pgspec::sql::StatementKind::Schema
            && stmt.facts.parses
            && !sets_local(stmt)
            && stmt.safety(Some(&database.name)) == Safety::Document
    });
    if !plain {
        return None;
    }
    let mut session = database.session().ok()?;
    // The connections that will read its catalog are opened meanwhile.
    let reader = std::thread::spawn(session.catalog_reader());
    let applied = extracted.statements.chunks(DOCUMENT_BATCH).all(|chunk| {
        // Each text is one whole statement (the parser split them); a line of its own for the
        // separator, so that a trailing comment cannot swallow it.
        let text = chunk
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n;\n");
        session
            .apply(&text)
            .is_ok_and(|outcome| outcome.is_applied())
    });
    // Joined before the database may go: its connections go first.
    let reader = reader.join().ok().flatten();
    if !applied {
        return None;
    }
    let mut scratch = Scratch::new(session, database);
    scratch.reader = reader;
    scratch.definitions_only = defines_only(extracted);
    Some(scratch)
}

/// The document built on a scratch database as `pgspec up` builds it.
fn built_as_up(
    extracted: pipeline::Extracted,
    server: &Server,
) -> Result<Applied, pgspec::postgres::ClusterError> {
    let kept = pgspec::up::build_kept(&extracted, server, "pgspec_diff")?;
    Ok(Applied {
        document: extracted.document,
        report: kept.built.report,
        session: kept.session,
        scratch: kept.scratch,
    })
}

/// FROM when only a document is given: the database `pgspec up` made for it (with `--name`,
/// that database), on `--db`'s server or the private cluster. Its label, and the side.
fn read_up_database(args: &DiffArgs, servers: &Servers<'_>) -> Result<(String, Side), String> {
    if is_url(&args.from) {
        return Err(format!(
            "{} is a database: with one argument, give a document (FROM is then the database `pgspec up` made for it)",
            DiffArgs::label(&args.from)
        ));
    }
    let server = servers.get()?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| pgspec::up::database_name_for(&args.from));
    let document = super::document_path(Path::new(&args.from));
    let label = server.url(&name);
    match pgspec::up::made_by_up(server, &name, document.as_deref()) {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(format!(
                "there is no database that `pgspec up` made for {doc} (expected {label}): run `pgspec up {doc}` first, or give FROM (`pgspec diff URL {doc}`)",
                doc = args.from
            ))
        }
        Err(e) => return Err(e.to_string()),
    }
    let side =
        read_database(server, &name).map_err(|e| format!("reading the catalog of {label}: {e}"))?;
    Ok((label, side))
}

/// A database side: its catalog and its owner, over one connection.
fn read_database(server: &Server, name: &str) -> Result<Side, pgspec::postgres::ClusterError> {
    let mut client = server.admin_client(name)?;
    let catalog = Catalog::load(&mut client)?;
    let owner = probes::database_owner(&mut client, name)
        .map_err(|e| pgspec::postgres::ClusterError::Server(e.to_string()))?;
    Ok(Side::new(catalog, None, diff::Owners::new(&owner)))
}

/// Why a plan did not run on a scratch copy.
struct Failed {
    message: String,
    /// The server refused a privilege the scratch database's unprivileged owner lacks (an
    /// untrusted extension): says nothing about the plan.
    privilege: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// At most this many statements go to the server in one query string.
const BATCH: usize = 250;

/// Run `plan` on `session`; the first statement that fails, with the server's error. Runs of
/// statements that may share a transaction go as one query string each (one implicit
/// transaction, one round trip); when one fails, nothing of it stays, and its statements run
/// one by one to name the statement that fails. A privileged operation (`CREATE EXTENSION`
/// of an untrusted extension) goes alone, through the gate a document's goes through.
/// The statements come from [`on_scratch`].
fn run_plan(session: &mut ApplySession, statements: &[diff::Statement]) -> Result<(), Failed> {
    let alone: Vec<bool> = statements
        .iter()
        .map(|s| !s.transactional || privileged(session, &s.sql).is_some())
        .collect();
    let mut start = 0;
    while start < statements.len() {
        let end = if alone[start] {
            start + 1
        } else {
            (start..statements.len())
                .take(BATCH)
                .find(|&i| alone[i])
                .unwrap_or_else(|| (start + BATCH).min(statements.len()))
        };
        if end - start > 1 {
            let text = statements[start..end]
                .iter()
                .map(|s| s.sql.as_str())
                .collect::<Vec<_>>()
                .join("\n;\n");
            let outcome = session.apply(&text).map_err(|e| Failed {
                message: e.to_string(),
                privilege: false,
            })?;
            if outcome.is_applied() {
                start = end;
                continue;
            }
        }
        run_one_by_one(session, statements, start..end)?;
        start = end;
    }
    Ok(())
}

/// `plan`'s statements as they run on a scratch database that holds `from`: a `CREATE INDEX
/// CONCURRENTLY` on one of its ordinary tables as a plain `CREATE INDEX`, which may share the
/// batch ([`built_plainly`]).
fn on_scratch(plan: &Plan, from: &Catalog) -> Vec<diff::Statement> {
    plan.statements
        .iter()
        .map(|s| built_plainly(s, from).unwrap_or_else(|| s.clone()))
        .collect()
}

/// `s` as a plain, transactional `CREATE INDEX` when it is a `CREATE INDEX CONCURRENTLY` on an
/// ordinary table of `from` (judged on its parse tree and the catalog). On a scratch database,
/// with no rows and no other session, both build the same index and leave the same catalog;
/// CONCURRENTLY only adds waits for other transactions and its own transaction, so that it
/// must run alone (a round trip each: a hundred at 300 tables). It stays as written where it
/// could fail differently: a partitioned or foreign table, any other statement.
fn built_plainly(s: &diff::Statement, from: &Catalog) -> Option<diff::Statement> {
    use pgspec::postgres::catalog::TableKind;
    use pgspec::sql::ast::{self, NodeEnum};
    if s.transactional {
        return None;
    }
    // The planner writes `CREATE [UNIQUE] INDEX CONCURRENTLY name ON …`: the keyword comes
    // first, so dropping its first occurrence drops the keyword and nothing else.
    let head = [
        "CREATE INDEX CONCURRENTLY ",
        "CREATE UNIQUE INDEX CONCURRENTLY ",
    ];
    if !head.iter().any(|h| s.sql.starts_with(h)) {
        return None;
    }
    let plain = s.sql.replacen("INDEX CONCURRENTLY ", "INDEX ", 1);
    let one_index = |sql: &str| {
        let tree = ast::parse(sql)?;
        let nodes: Vec<&NodeEnum> = ast::top_nodes(&tree).collect();
        match nodes.as_slice() {
            [NodeEnum::IndexStmt(i)] => Some((
                i.concurrent,
                i.idxname.clone(),
                i.relation.as_ref().map(|r| {
                    (
                        r.schemaname.clone(),
                        r.relname.clone(),
                        r.relpersistence.clone(),
                    )
                }),
            )),
            _ => None,
        }
    };
    let (concurrent, name, relation) = one_index(&s.sql)?;
    let (schema, table, persistence) = relation?;
    let ordinary = from
        .table(&schema, &table)
        .is_some_and(|t| t.kind == TableKind::Ordinary);
    if !concurrent || schema.is_empty() || persistence != "p" || !ordinary {
        return None;
    }
    if one_index(&plain)? != (false, name, Some((schema, table, persistence))) {
        return None;
    }
    Some(diff::Statement {
        sql: plain,
        hazards: s.hazards.clone(),
        transactional: true,
    })
}

/// The privileged operation `sql` is, judged on its parse tree as a document's statement is.
fn privileged(session: &ApplySession, sql: &str) -> Option<PrivilegedOp> {
    match safety::assess_in(sql, Some(session.database())) {
        Safety::Privileged { op, .. } => Some(op),
        _ => None,
    }
}

/// Whether `sql` is one `DROP EXTENSION`, judged on its parse tree.
fn drops_extension(sql: &str) -> bool {
    use pgspec::sql::ast::{self, pb, NodeEnum};
    ast::parse(sql).is_some_and(|tree| {
        let nodes: Vec<&NodeEnum> = ast::top_nodes(&tree).collect();
        matches!(nodes.as_slice(), [NodeEnum::DropStmt(d)] if d.remove_type == pb::ObjectType::ObjectExtension as i32)
    })
}

/// Run `statements[range]` one at a time (see [`run_plan`]).
fn run_one_by_one(
    session: &mut ApplySession,
    statements: &[diff::Statement],
    range: std::ops::Range<usize>,
) -> Result<(), Failed> {
    for (i, s) in statements
        .iter()
        .enumerate()
        .take(range.end)
        .skip(range.start)
    {
        let failed = |e: pgspec::postgres::ClusterError| Failed {
            message: e.to_string(),
            privilege: false,
        };
        let outcome = match privileged(session, &s.sql) {
            Some(op) => match session.privilege_check(&op).map_err(failed)? {
                PrivilegeCheck::Run => session.apply_privileged(&op).map_err(failed)?,
                PrivilegeCheck::AlreadyInPlace => continue,
                PrivilegeCheck::Refuse(reason) => {
                    return Err(Failed {
                        privilege: true,
                        message: format!(
                            "statement {} (`{}`): pgspec does not run it on a scratch database: {reason}",
                            i + 1,
                            s.sql.lines().next().unwrap_or("")
                        ),
                    })
                }
            },
            None => {
                let outcome = session.apply(&s.sql).map_err(failed)?;
                match outcome.error() {
                    // An untrusted extension pgspec created on the scratch database belongs to
                    // the superuser; its drop (pgspec's text, naming only the extension) runs
                    // there too.
                    Some(e) if e.sqlstate == "42501" && drops_extension(&s.sql) => {
                        session.apply_as_superuser(&s.sql).map_err(failed)?
                    }
                    _ => outcome,
                }
            }
        };
        if let Some(e) = outcome.error() {
            return Err(Failed {
                privilege: e.sqlstate == "42501",
                message: format!(
                    "statement {} (`{}`) failed: {}",
                    i + 1,
                    s.sql.lines().next().unwrap_or(""),
                    e.message
                ),
            });
        }
    }
    Ok(())
}

/// The objects still different after `plan` ran on a copy of FROM (to which the renames, if
/// any, were already applied), or why that could not be tried. `Ok(None)`: validated.
fn validate(
    from: &mut Side,
    to: &Catalog,
    to_owners: &diff::Owners,
    plan: &Plan,
    options: &diff::Options,
    servers: &Servers<'_>,
) -> Result<Option<Vec<Refusal>>, String> {
    // The ownership changes as the copy has its roles (stand-ins for TO's other owners).
    let names = {
        let copy = from.working_copy(options, servers)?;
        copy.stand_ins_for(&diff::foreign_owners(to, to_owners, options))?;
        copy.owners.clone()
    };
    let owner_changes = diff::owner_changes(
        &from.catalog,
        &from.ownership,
        to,
        to_owners,
        &names,
        options,
    );
    let statements = on_scratch(plan, &from.catalog);
    let copy = from.working_copy(options, servers)?;
    if let Err(e) = run_plan(&mut copy.session, &statements) {
        if e.privilege {
            return Err(format!("the scratch database's owner may not run it: {e}"));
        }
        return Ok(Some(vec![refusal(
            "validation",
            format!("the plan does not apply to a copy of FROM: {e}"),
        )]));
    }
    if let Err(e) = copy.run_owner_changes(&owner_changes) {
        return Ok(Some(vec![refusal(
            "validation",
            format!("the ownership changes do not apply to a copy of FROM: {e}"),
        )]));
    }
    let after = copy.catalog()?;
    let owners_left =
        diff::owner_changes(&after, &copy.owners, to, to_owners, &copy.owners, options);
    // The copy's objects belong to the scratch database's owner: what FROM's owners hold is
    // not a difference.
    let options = diff::Options {
        ignore_grantees: from.owners.clone(),
        ..options.clone()
    };
    let attachments = diff::partition_copies_differ(&after, to, &options);
    if !attachments.is_empty() {
        return Ok(Some(
            attachments
                .into_iter()
                .map(|m| {
                    refusal(
                        "validation",
                        format!("after the plan ran on a copy of FROM: {m}"),
                    )
                })
                .collect(),
        ));
    }
    match diff::plan(&after, to, &options) {
        Ok(rest) if rest.is_empty() && owners_left.is_empty() => Ok(None),
        Ok(rest) => Ok(Some(
            rest.statements
                .iter()
                .chain(&owners_left)
                .map(|s| Refusal {
                    object: "validation".into(),
                    message: format!(
                        "after the plan ran on a copy of FROM, this still differs from TO: {}",
                        s.sql.lines().next().unwrap_or("")
                    ),
                })
                .collect(),
        )),
        Err(r) => Ok(Some(r)),
    }
}

fn describe_refusals(r: &[Refusal]) -> String {
    r.iter()
        .map(|x| format!("{}: {}", x.object, x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn run_diff(args: &DiffArgs) -> Result<ExitCode> {
    let options = diff::Options {
        schemas: args.schema.clone(),
        exclude_schemas: args.exclude_schema.clone(),
        ignore_grantees: Vec::new(),
    };
    let servers = Servers {
        args,
        server: std::sync::OnceLock::new(),
    };
    let from_label = args.to.as_ref().map(|_| DiffArgs::label(&args.from));
    let labels = (
        from_label,
        DiffArgs::label(args.to.as_ref().unwrap_or(&args.from)),
    );
    // The two sides are read at once, each on its own connections: a document's application
    // and a database's catalog (and the copy of it that validation needs) take about as long.
    // A database FROM is copied for the validation meanwhile too, into a scratch database
    // made while its catalog is read; or, when TO is a document that only defines objects
    // and the whole schema is compared, TO's scratch database becomes FROM's copy once
    // both are read (brought back to FROM by the reverse plan, and checked to read back
    // equal): far less to build than FROM from nothing.
    let copy_ahead = !args.no_validate && (args.to.is_none() || is_url(&args.from));
    let may_reuse_to = copy_ahead
        && options.schemas.is_empty()
        && options.exclude_schemas.is_empty()
        && args.to.as_ref().is_some_and(|to| !is_url(to));
    let (definitions, told) = std::sync::mpsc::channel();
    // Shared with the thread that reads FROM (a receiver alone may not be).
    let defines_only_told = std::sync::Mutex::new(told);
    let (from_side, to_side) = std::thread::scope(|scope| {
        let from = scope.spawn(|| {
            let reuse_to = may_reuse_to
                && defines_only_told
                    .lock()
                    .is_ok_and(|told| told.recv().unwrap_or(false));
            let fresh = (copy_ahead && !reuse_to).then(|| scope.spawn(|| fresh_scratch(&servers)));
            let read = match &args.to {
                Some(_) => read_side(&args.from, &servers, false, None)
                    .map(|s| (DiffArgs::label(&args.from), s)),
                None => read_up_database(args, &servers),
            };
            let fresh = fresh.map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            read.map(|(label, mut side)| {
                if let Some(fresh) = fresh {
                    side.prepare_copy(&options, &servers, Some(fresh));
                }
                (label, side)
            })
        });
        let to = match &args.to {
            Some(to) => read_side(to, &servers, false, may_reuse_to.then_some(definitions)),
            None => read_side(&args.from, &servers, true, None),
        };
        // TO's scratch database has given its catalog: it becomes FROM's copy, or it goes
        // now, while FROM is still being copied and the plan tried.
        let (to, kept, dropping) = match to {
            Ok(mut side) => match side.applied.take() {
                Some(scratch) if may_reuse_to && scratch.definitions_only => {
                    (Ok(side), Some(scratch), None)
                }
                scratch => (
                    Ok(side),
                    None,
                    scratch.map(|s| std::thread::spawn(move || drop(s))),
                ),
            },
            Err(e) => (Err(e), None, None),
        };
        let from = from
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (from, (to, kept, dropping))
    });
    let (to_side, kept, dropping) = to_side;
    let dropped = move || {
        if let Some(thread) = dropping {
            let _ = thread.join();
        }
    };
    let sides = match (from_side, to_side) {
        (Err(e), _) => Err(vec![refusal("FROM", e)]),
        (Ok(_), Err(e)) => Err(vec![refusal("TO", e)]),
        (Ok((label, mut from)), Ok(to)) => {
            from.base = kept.map(|scratch| Base {
                scratch,
                catalog: to.catalog.clone(),
            });
            Ok(((label, from), to))
        }
    };
    let ((from_label, mut from), to) = match sides {
        Ok(sides) => sides,
        Err(refusals) => {
            let from_label = labels
                .0
                .unwrap_or_else(|| "the database `pgspec up` made".into());
            let refused = refuse(args, (&from_label, &labels.1), &refusals);
            dropped();
            return refused;
        }
    };
    let labels = (from_label.as_str(), labels.1.as_str());
    let result = plan_and_print(args, &options, labels, &mut from, &to, &servers);
    // Both sides' scratch databases go at once: each drop waits for the server.
    std::thread::scope(|scope| {
        scope.spawn(move || drop(from));
        drop(to);
    });
    dropped();
    result
}

/// Plan FROM → TO (renames first, when taken), validate the plan on a copy of FROM, print it.
fn plan_and_print(
    args: &DiffArgs,
    options: &diff::Options,
    labels: (&str, &str),
    from: &mut Side,
    to: &Side,
    servers: &Servers<'_>,
) -> Result<ExitCode> {
    let mut notes = Vec::new();
    // Renames replace FROM by a renamed copy, whose roles are the copy's.
    let original_ownership = from.ownership.clone();
    let candidates = diff::renames(&from.catalog, &to.catalog, options);
    let mut renames: Vec<diff::Statement> = Vec::new();
    let mut plan_options = options.clone();
    let ambiguous: Vec<&diff::Rename> = candidates.iter().filter(|c| !c.unique).collect();
    if !ambiguous.is_empty() && !args.no_renames {
        let offers: Vec<Refusal> = ambiguous
            .iter()
            .map(|c| {
                refusal(
                    "rename?",
                    format!(
                        "{} may be a rename, but other objects are just as alike: rename it yourself first, or pass `--no-renames` to drop and add (losing its values)",
                        c.describe()
                    ),
                )
            })
            .collect();
        return refuse(args, labels, &offers);
    }
    if !candidates.is_empty() {
        if args.renames {
            match take_renames(from, &candidates, options, servers) {
                Ok(()) => {}
                Err(why) => {
                    return refuse(
                        args,
                        labels,
                        &[refusal(
                            "renames",
                            format!("the renames could not be taken: {why}"),
                        )],
                    )
                }
            }
            // FROM is now the renamed copy, whose objects the scratch owner holds.
            plan_options.ignore_grantees = from.owners.clone();
            renames = candidates
                .iter()
                .flat_map(|c| c.statements.clone())
                .collect();
            notes.push(format!("renamed (--renames): {}", listed(&candidates)));
        } else if args.no_renames {
            notes.push(format!(
                "dropped and added, not renamed (--no-renames): {}",
                listed(&candidates)
            ));
        } else {
            let offers: Vec<Refusal> = candidates
                .iter()
                .map(|c| {
                    refusal(
                        "rename?",
                        format!(
                            "{} looks like a rename (it goes while an identical one appears): `--renames` renames it ({}), `--no-renames` drops it and adds the other, losing its values",
                            c.describe(),
                            c.statements[0].sql
                        ),
                    )
                })
                .collect();
            return refuse(args, labels, &offers);
        }
    }
    let rest = match diff::plan(&from.catalog, &to.catalog, &plan_options) {
        Ok(plan) => plan,
        Err(refusals) => return refuse(args, labels, &refusals),
    };
    // Ownership, relative to each side's database owner, named as FROM has its roles.
    let owner_changes = diff::owner_changes(
        &from.catalog,
        &from.ownership,
        &to.catalog,
        &to.ownership,
        &original_ownership,
        &plan_options,
    );
    let unchanged = rest.is_empty() && owner_changes.is_empty();
    if !renames.is_empty() && unchanged {
        // The renamed copy of FROM already equals TO.
        notes.push(validated(from));
    } else if !args.no_validate && !unchanged {
        match validate(from, &to.catalog, &to.ownership, &rest, options, servers) {
            Ok(None) => notes.push(validated(from)),
            Ok(Some(refusals)) => return refuse(args, labels, &refusals),
            // The promise is a validated plan: one that cannot be tried is not printed.
            Err(why) => {
                return refuse(
                    args,
                    labels,
                    &[refusal(
                        "validation",
                        format!(
                            "the plan could not be tried on a copy of FROM: {why}; `--no-validate` prints it without that"
                        ),
                    )],
                )
            }
        }
    }
    let mut plan = Plan {
        statements: renames,
    };
    plan.statements.extend(rest.statements);
    plan.statements.extend(owner_changes);
    print_plan(args, labels, &plan, &notes)?;
    Ok(if args.exit_code && !plan.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The note of a validated plan.
fn validated(from: &Side) -> String {
    if from.copied_from_to {
        "validated on a scratch copy of FROM, made from TO's by the reverse plan".into()
    } else {
        "validated on a scratch copy of FROM".into()
    }
}

/// The candidates for a one-line note: the first five, then how many more.
fn listed(candidates: &[diff::Rename]) -> String {
    let mut names: Vec<String> = candidates
        .iter()
        .take(5)
        .map(diff::Rename::describe)
        .collect();
    if candidates.len() > 5 {
        names.push(format!("and {} more", candidates.len() - 5));
    }
    names.join(", ")
}

/// Run the renames on a scratch copy of FROM and make that copy's catalog FROM: the rest of
/// the plan is computed from the renamed schema (PostgreSQL itself renames what follows).
fn take_renames(
    from: &mut Side,
    candidates: &[diff::Rename],
    options: &diff::Options,
    servers: &Servers<'_>,
) -> Result<(), String> {
    let statements: Vec<diff::Statement> = candidates
        .iter()
        .flat_map(|c| c.statements.clone())
        .collect();
    let copy = from.working_copy(options, servers)?;
    run_plan(&mut copy.session, &statements).map_err(|e| e.to_string())?;
    let catalog = copy.catalog()?;
    let ownership = copy.owners.clone();
    from.catalog = catalog;
    from.ownership = ownership;
    Ok(())
}

fn refusal(object: &str, message: String) -> Refusal {
    Refusal {
        object: object.into(),
        message,
    }
}

/// A plan's statements with their hazards, as `diff` and `drift` print them in JSON.
pub(crate) fn json_statements(plan: &Plan) -> serde_json::Value {
    plan.statements
        .iter()
        .map(|s| {
            serde_json::json!({
                "sql": s.sql,
                "transactional": s.transactional,
                "hazards": s.hazards.iter().map(|h| serde_json::json!({
                    "code": h.code.code(),
                    "name": h.code.name(),
                    "message": h.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn print_plan(args: &DiffArgs, labels: (&str, &str), plan: &Plan, notes: &[String]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let hazards: usize = plan.statements.iter().map(|s| s.hazards.len()).sum();
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "diff",
            serde_json::json!({
                "status": if plan.is_empty() { "no_changes" } else { "changes" },
                "from": labels.0,
                "to": labels.1,
                "statements": json_statements(plan),
                "notes": notes,
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    write_ignoring_broken_pipe(&mut out, plan.script().as_bytes())?;
    let summary = if plan.is_empty() {
        "no changes".to_string()
    } else {
        format!(
            "{} statement{}, {hazards} hazard{}",
            plan.statements.len(),
            if plan.statements.len() == 1 { "" } else { "s" },
            if hazards == 1 { "" } else { "s" }
        )
    };
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    eprintln!("pgspec diff: {summary}{notes}");
    Ok(())
}

fn write_ignoring_broken_pipe(out: &mut impl Write, bytes: &[u8]) -> Result<()> {
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("writing the plan");
        }
    }
    Ok(())
}

fn refuse(args: &DiffArgs, labels: (&str, &str), refusals: &[Refusal]) -> Result<ExitCode> {
    let code = Rule::MigrationRefused;
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "diff",
            serde_json::json!({
                "status": "refused",
                "from": labels.0,
                "to": labels.1,
                "statements": [],
                "refusals": refusals.iter().map(|r| serde_json::json!({
                    "code": code.code(),
                    "name": code.name(),
                    "object": r.object,
                    "message": r.message,
                })).collect::<Vec<_>>(),
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    for r in refusals {
        eprintln!(
            "pgspec: error[{}]: {}: {}",
            code.code(),
            r.object,
            r.message
        );
    }
    eprintln!("pgspec diff: no plan printed");
    Ok(ExitCode::from(2))
}

impl DiffArgs {
    /// A side as the output names it (a URL without its password).
    fn label(side: &str) -> String {
        if is_url(side) {
            Server::Url(side.to_string()).url(&Server::Url(side.to_string()).maintenance_dbname())
        } else {
            side.to_string()
        }
    }
}
