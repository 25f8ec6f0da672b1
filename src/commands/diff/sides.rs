//! The two sides of a diff: a design document built on a scratch database, a database
//! given by URL, or the one `pgspec up` made; each read into a catalog.

use super::*;

pub(super) fn is_url(side: &str) -> bool {
    side.starts_with("postgres://") || side.starts_with("postgresql://")
}

/// A scratch database and a session on it (dropped in this order: the reader's connections
/// and the session first).
pub(super) struct Scratch {
    /// Connections kept for reading its catalog (once per step: the document or copy, the
    /// copy read back, the plan tried); opened on first use, or while the document applies.
    pub(super) reader: Option<CatalogReader>,
    pub(super) session: ApplySession,
    /// Its owner, and the roles pgspec made in it to stand in for other owners.
    pub(super) owners: diff::Owners,
    /// Held for its drop, which drops the database.
    pub(super) _database: ScratchDatabase,
    /// Built in a fresh session from definitions only (no rows, no session settings): it may
    /// become the other side's copy.
    pub(super) definitions_only: bool,
}

impl Scratch {
    pub(super) fn new(session: ApplySession, database: ScratchDatabase) -> Scratch {
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
    pub(super) fn catalog(&mut self) -> Result<Catalog, String> {
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
    pub(super) fn stand_ins_for(&mut self, roles: &[String]) -> Result<(), String> {
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
    pub(super) fn run_owner_changes(
        &mut self,
        statements: &[diff::Statement],
    ) -> Result<(), String> {
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
pub(super) struct Side {
    pub(super) catalog: Catalog,
    pub(super) applied: Option<Scratch>,
    /// A scratch copy of a database side, rebuilt from its catalog (for renames, validation).
    pub(super) copy: Option<Copy>,
    /// TO's scratch database, to be brought back to this side for its copy: the reverse plan
    /// is a fraction of what building the copy from nothing takes.
    pub(super) base: Option<Base>,
    /// Whether the copy was made from TO's scratch database.
    pub(super) copied_from_to: bool,
    /// The roles that own the side's tables and views: a copy's objects belong to the scratch
    /// database's owner instead, which is not a difference.
    pub(super) owners: Vec<String>,
    /// Who owns its objects, relative to its database's owner.
    pub(super) ownership: diff::Owners,
}

impl Side {
    pub(super) fn new(catalog: Catalog, applied: Option<Scratch>, ownership: diff::Owners) -> Side {
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
    pub(super) fn prepare_copy(
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
    pub(super) fn working_copy(
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
pub(super) struct Base {
    pub(super) scratch: Scratch,
    pub(super) catalog: Catalog,
}

pub(super) fn fresh_scratch(servers: &Servers<'_>) -> Result<Base, String> {
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
pub(super) fn copy_of(
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
pub(super) fn restart_sequences(copy: &mut Scratch, catalog: &Catalog) -> Result<(), String> {
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
pub(super) fn declared_alike(a: &Catalog, b: &Catalog, options: &diff::Options) -> bool {
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
pub(super) struct Servers<'a> {
    pub(super) args: &'a DiffArgs,
    pub(super) server: std::sync::OnceLock<Result<Server, String>>,
}

impl Servers<'_> {
    pub(super) fn get(&self) -> Result<&Server, String> {
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
pub(super) fn read_side(
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
pub(super) fn split(applied: Applied, side: &str) -> (Vec<String>, Scratch) {
    let errors = applied.report.error_lines(&applied.document, side, 0);
    let Applied {
        session, scratch, ..
    } = applied;
    (errors, Scratch::new(session, scratch))
}

/// Whether the statement is a `SET LOCAL`, which lasts to the end of its transaction: alone in
/// one, as the engine runs it, it changes nothing after it; in a batch it would.
pub(super) fn sets_local(stmt: &pgspec::sql::Statement) -> bool {
    use pgspec::sql::ast::{self, NodeEnum};
    stmt.ast().is_some_and(|tree| {
        ast::top_nodes(tree)
            .any(|node| matches!(node, NodeEnum::VariableSetStmt(set) if set.is_local))
    })
}

/// Whether a statement only defines objects, judged on its parse tree: nothing that may put
/// rows anywhere (DO, CALL, CREATE TABLE AS, DML), no session setting, nothing temporary.
pub(super) fn only_defines(stmt: &pgspec::sql::Statement) -> bool {
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
pub(super) fn defines_only(extracted: &pipeline::Extracted) -> bool {
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
pub(super) const DOCUMENT_BATCH: usize = 500;

/// A document whose statements are all plain schema statements that run as the document's
/// own role, applied in a few query strings instead of one round trip each; `None` when the
/// document needs more than that (privileged operations, examples, transaction control, a
/// statement that does not parse, a reading error) or a batch fails: the check engine then
/// applies it statement by statement on a fresh scratch database (and says what went wrong).
/// Applied in document order, with nothing left out, this is what the engine does with a
/// document that applies cleanly.
pub(super) fn applied_at_once(extracted: &pipeline::Extracted, server: &Server) -> Option<Scratch> {
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
pub(super) fn built_as_up(
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
pub(super) fn read_up_database(
    args: &DiffArgs,
    servers: &Servers<'_>,
) -> Result<(String, Side), String> {
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
    let document = super::super::document_path(Path::new(&args.from));
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
pub(super) fn read_database(
    server: &Server,
    name: &str,
) -> Result<Side, pgspec::postgres::ClusterError> {
    let mut client = server.admin_client(name)?;
    let catalog = Catalog::load(&mut client)?;
    let owner = probes::database_owner(&mut client, name)
        .map_err(|e| pgspec::postgres::ClusterError::Server(e.to_string()))?;
    Ok(Side::new(catalog, None, diff::Owners::new(&owner)))
}
