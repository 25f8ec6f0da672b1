//! The one catalog: what the database holds after the document was applied, read once with
//! the queries in `queries/*.sql` (every relation and function `pg_catalog.`-qualified, so
//! nothing a document created can stand in for them) and typed here. One file per object kind
//! (the idea of postgres-language-server's schema cache); complete enough to compare two
//! databases (schemas, extensions, collations, types, sequences, tables and partitions, columns,
//! constraints, indexes, views and materialized views, functions, triggers, policies,
//! privileges, comments).
//!
//! Scope: the user's objects. Not pg_catalog, information_schema, pg_toast*, pg_temp*, cron
//! (pg_cron's schema), pgspec's own helper schemas (`pgspec_*`), nor anything an extension
//! created (its members in pg_depend). Comments are on the objects they describe
//! (`comment` fields). Every consumer (lint, drift, seed, verify) reads this type; none runs
//! catalog SQL of its own.
//!
//! Reading the catalog runs no document code: the queries call only pg_catalog functions that
//! deparse (`pg_get_expr`, `pg_get_viewdef`, …) and never read a document's view or table.

mod columns;
mod constraints;
mod functions;
mod indexes;
mod policies;
mod privileges;
pub mod probes;
mod schemas;
mod sequences;
mod server;
mod tables;
mod triggers;
mod types;
mod views;

use std::borrow::BorrowMut;
use std::collections::{BTreeMap, HashMap};

use postgres::{Client, Row};
use serde::Serialize;

pub use columns::{Column, Identity};
pub use constraints::{Constraint, ConstraintKind, ForeignKeyAction, References};
pub use functions::{Function, FunctionKind, Volatility};
pub use indexes::Index;
pub use policies::{Policy, PolicyCommand};
pub use privileges::Privilege;
pub use schemas::{Collation, Extension, Schema};
pub use sequences::{OwnedBy, Sequence};
pub use server::{
    database_comment_and_owner, names_in_schema, object_counts, partition_rows,
    partitioned_table_names, role_names, roles_granted_to, routine_names,
};
pub use tables::{PartitionOf, PartitionStrategy, Partitioning, Table, TableKind};
pub use triggers::{Trigger, TriggerEvents, TriggerTiming};
pub use types::{ColumnType, DomainCheck, Type, TypeKind};
pub use views::View;

use super::cluster::error_text;
use super::{ApplySession, ClusterError};

/// Everything pgspec reads from a database's catalog. Loaded once ([`Catalog::load`],
/// [`ApplySession::catalog`]); every field is typed (a flag is a `bool`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub schemas: Vec<Schema>,
    pub extensions: Vec<Extension>,
    pub collations: Vec<Collation>,
    pub types: Vec<Type>,
    pub sequences: Vec<Sequence>,
    /// Ordinary, partitioned and foreign tables, partitions included, each with its columns.
    pub tables: Vec<Table>,
    /// Views and materialized views, each with its columns.
    pub views: Vec<View>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    pub functions: Vec<Function>,
    pub triggers: Vec<Trigger>,
    pub policies: Vec<Policy>,
    pub privileges: Vec<Privilege>,
    /// Every type a column uses, built-in ones included, and the types they go through
    /// (array elements, domain bases, range subtypes), by oid.
    pub column_types: BTreeMap<u32, ColumnType>,
    /// The server's `current_date` when the catalog was read (`YYYY-MM-DD`).
    pub today: String,
    /// Facts this catalog does not model yet (rules, privileges on functions, schemas and
    /// types, default privileges, comments on indexes and constraints, …), one line each,
    /// sorted: what `pgspec diff` refuses to leave out when they differ.
    pub unmodelled: Vec<String>,
}

fn io(e: &postgres::Error) -> ClusterError {
    ClusterError::Server(format!(
        "{} (in pgspec's catalog query)",
        super::cluster::error_text(e)
    ))
}

impl Catalog {
    /// Read the catalog of database `dbname` on `server`, on its administrative connection
    /// (whose search_path is `pg_catalog, pg_temp`, so every name of the user's is printed
    /// schema-qualified).
    pub fn load_database(server: &super::Server, dbname: &str) -> Result<Catalog, ClusterError> {
        let mut client = server.admin_client(dbname)?;
        Self::read_split(&mut client, || server.admin_client(dbname).ok(), true).map_err(|e| io(&e))
    }

    /// Read the catalog of the database `client` is connected to.
    pub fn load(client: &mut Client) -> Result<Catalog, ClusterError> {
        Self::read_split(client, || None, true).map_err(|e| io(&e))
    }

    /// The catalog read on `client`, and meanwhile, when `second` opens another connection
    /// to the same database, half of the queries on that one: the queries spend their time
    /// in the server, one backend each, so two backends take about half as long.
    fn read_split(
        client: &mut Client,
        second: impl FnOnce() -> Option<Client> + Send,
        unmodelled: bool,
    ) -> Result<Catalog, postgres::Error> {
        let (relations, objects) = std::thread::scope(|scope| {
            let other = scope.spawn(|| second().map(|mut c| Objects::load(&mut c)));
            let relations = Relations::load(client, unmodelled);
            let objects = other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (relations, objects)
        });
        let objects = match objects {
            Some(objects) => objects?,
            None => Objects::load(client)?,
        };
        Ok(Self::of(relations?, objects))
    }

    fn of(relations: Relations, objects: Objects) -> Catalog {
        Catalog {
            schemas: relations.schemas,
            extensions: relations.extensions,
            collations: relations.collations,
            types: relations.types,
            sequences: relations.sequences,
            tables: relations.tables,
            views: relations.views,
            constraints: relations.constraints,
            indexes: objects.indexes,
            functions: relations.functions,
            triggers: objects.triggers,
            policies: objects.policies,
            privileges: objects.privileges,
            column_types: objects.column_types,
            today: relations.today,
            unmodelled: relations.unmodelled,
        }
    }
    /// The table `schema.name`.
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        // Read tables come in (schema, name) order (byte order, as `name` sorts): a binary
        // search finds them; a catalog built otherwise is searched in full when it misses.
        let key = (schema, name);
        let at = self
            .tables
            .partition_point(|t| (t.schema.as_str(), t.name.as_str()) < key);
        match self.tables.get(at) {
            Some(t) if t.schema == schema && t.name == name => Some(t),
            _ => self
                .tables
                .iter()
                .find(|t| t.schema == schema && t.name == name),
        }
    }

    /// The table written `name` or `schema.name` (an unqualified name is looked up in
    /// `public`, then in any schema).
    pub fn find_table(&self, written: &str) -> Option<&Table> {
        match written.split_once('.') {
            Some((schema, name)) => self.table(schema, name),
            None => self
                .table("public", written)
                .or_else(|| self.tables.iter().find(|t| t.name == written)),
        }
    }

    /// The foreign keys tables declare themselves: not the clones on a partitioned table's
    /// partitions, nor those inherited from a parent.
    pub fn declared_foreign_keys(&self) -> impl Iterator<Item = &Constraint> {
        self.constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::ForeignKey && !c.on_partition && !c.inherited)
    }

    /// The table with this oid.
    pub fn table_by_oid(&self, oid: u32) -> Option<&Table> {
        self.tables.iter().find(|t| t.oid == oid)
    }

    /// The partitions of the table with this oid (direct children), by name.
    pub fn partitions_of(&self, oid: u32) -> impl Iterator<Item = &Table> {
        self.tables
            .iter()
            .filter(move |t| t.partition_of.as_ref().is_some_and(|p| p.parent_oid == oid))
    }

    /// Constraints of the table with this oid.
    pub fn constraints_of(&self, oid: u32) -> impl Iterator<Item = &Constraint> {
        self.constraints.iter().filter(move |c| c.table_oid == oid)
    }

    /// Indexes of the table with this oid.
    pub fn indexes_of(&self, oid: u32) -> impl Iterator<Item = &Index> {
        self.indexes.iter().filter(move |i| i.table_oid == oid)
    }
}

/// The first half of the catalog's queries (relations with their columns and constraints,
/// schemas, types, functions, and the facts not modelled when asked for), read together on
/// one connection. The halves take about as long at 300 tables (the indexes, whose
/// definitions pg_get_indexdef deparses, are a third of all the time).
struct Relations {
    tables: Vec<Table>,
    constraints: Vec<Constraint>,
    unmodelled: Vec<String>,
    views: Vec<View>,
    schemas: Vec<Schema>,
    extensions: Vec<Extension>,
    collations: Vec<Collation>,
    types: Vec<Type>,
    sequences: Vec<Sequence>,
    functions: Vec<Function>,
    today: String,
}

impl Relations {
    fn load(client: &mut impl Query, unmodelled: bool) -> Result<Self, postgres::Error> {
        let unmodelled = if unmodelled {
            client
                .rows(include_str!("queries/unmodelled.sql"))?
                .iter()
                .map(|r| r.get(0))
                .collect()
        } else {
            Vec::new()
        };
        let mut tables = tables::load(client)?;
        let mut views = views::load(client)?;
        let mut by_relation: BTreeMap<u32, Vec<Column>> = BTreeMap::new();
        for (relation, column) in columns::load(client)? {
            by_relation.entry(relation).or_default().push(column);
        }
        for t in &mut tables {
            t.columns = by_relation.remove(&t.oid).unwrap_or_default();
        }
        let oids: BTreeMap<(String, String), u32> = tables
            .iter()
            .map(|t| ((t.schema.clone(), t.name.clone()), t.oid))
            .collect();
        for t in &mut tables {
            if let Some(p) = &mut t.partition_of {
                let key = (p.parent_schema.clone(), p.parent_name.clone());
                p.parent_oid = oids.get(&key).copied().unwrap_or(0);
            }
        }
        for v in &mut views {
            v.columns = by_relation.remove(&v.oid).unwrap_or_default();
        }
        let today: String = client
            .rows("SELECT CURRENT_DATE::text")?
            .first()
            .map(|r| r.get(0))
            .unwrap_or_default();
        Ok(Relations {
            tables,
            constraints: constraints::load(client)?,
            unmodelled,
            views,
            schemas: schemas::load(client)?,
            extensions: schemas::load_extensions(client)?,
            collations: schemas::load_collations(client)?,
            types: types::load(client)?,
            sequences: sequences::load(client)?,
            functions: functions::load(client)?,
            today,
        })
    }
}

/// The other half (indexes, triggers, policies, privileges, the types columns use).
struct Objects {
    indexes: Vec<Index>,
    triggers: Vec<Trigger>,
    policies: Vec<Policy>,
    privileges: Vec<Privilege>,
    column_types: BTreeMap<u32, ColumnType>,
}

impl Objects {
    fn load(client: &mut impl Query) -> Result<Self, postgres::Error> {
        Ok(Objects {
            indexes: indexes::load(client)?,
            triggers: triggers::load(client)?,
            policies: policies::load(client)?,
            privileges: privileges::load(client)?,
            column_types: types::load_column_types(client)?,
        })
    }
}

impl ApplySession {
    /// The catalog of the scratch database, read on the superuser connection (whose
    /// search_path is `pg_catalog, pg_temp`).
    /// Half of the queries run meanwhile on a second superuser connection of the session's,
    /// or all of them on the background connection when [`Self::warm_catalog`] made it ready.
    pub fn catalog(&mut self) -> Result<Catalog, ClusterError> {
        self.read_catalog(true)
    }

    fn read_catalog(&mut self, unmodelled: bool) -> Result<Catalog, ClusterError> {
        match self.take_warmed_connection() {
            Some((client, Some(statements))) => {
                read_warm(client, statements, unmodelled).map_err(|e| {
                    ClusterError::Server(format!("{} (in pgspec's catalog query)", error_text(&e)))
                })
            }
            Some((client, None)) => self
                .with_admin(|admin| Catalog::read_split(admin, move || Some(client), unmodelled)),
            None => {
                let second = self.admin_opener();
                self.with_admin(|client| Catalog::read_split(client, second, unmodelled))
            }
        }
    }

    /// Opens the two connections of a [`CatalogReader`] for this session's database (on the
    /// thread that calls it: they may be opened while something else runs; the first is the
    /// session's background connection when it still answers); None when they cannot be.
    pub fn catalog_reader(&mut self) -> impl FnOnce() -> Option<CatalogReader> + Send + 'static {
        let (first, second) = (self.admin_opener(), self.admin_opener());
        move || {
            Some(CatalogReader {
                first: Kept::new(first()?),
                second: Kept::new(second()?),
            })
        }
    }

    /// [`Self::catalog`] without the facts it does not model ([`Catalog::unmodelled`] empty):
    /// what drift and lint read. That query alone takes a fifth of a small document's catalog
    /// time to plan, and only `pgspec diff` needs it.
    pub fn modelled_catalog(&mut self) -> Result<Catalog, ClusterError> {
        self.read_catalog(false)
    }
}

/// Runs one of the catalog's queries (none takes parameters).
pub(crate) trait Query {
    fn rows(&mut self, sql: &'static str) -> Result<Vec<Row>, postgres::Error>;
}

impl Query for Client {
    fn rows(&mut self, sql: &'static str) -> Result<Vec<Row>, postgres::Error> {
        self.query(sql, &[])
    }
}

/// A connection kept for several reads, with each query prepared on it once: the server
/// parses and plans it once, not at every read.
struct Kept<C = Client> {
    client: C,
    prepared: HashMap<&'static str, postgres::Statement>,
}

impl<C> Kept<C> {
    fn new(client: C) -> Kept<C> {
        Kept {
            client,
            prepared: HashMap::new(),
        }
    }
}

impl<C: BorrowMut<Client>> Query for Kept<C> {
    fn rows(&mut self, sql: &'static str) -> Result<Vec<Row>, postgres::Error> {
        let client = self.client.borrow_mut();
        let statement = match self.prepared.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = client.prepare(sql)?;
                self.prepared.insert(sql, statement.clone());
                statement
            }
        };
        client.query(&statement, &[])
    }
}

/// The catalog's queries (those [`ApplySession::modelled_catalog`] runs) prepared on `client`
/// and run once, for a connection that reads the catalog later: its backend then has the
/// system catalogs' cache entries and the queries' plans at hand. Run while the document
/// applies on another connection, this takes the larger part of a first read (~55 of ~75 ms
/// of server time after seed 000, measured on this machine) off the run's critical path.
pub(crate) fn warm(client: &mut Client) -> WarmStatements {
    let mut kept = Kept::new(client);
    // Errors are the later read's to report; what was prepared before one is kept.
    let _ = Relations::load(&mut kept, false);
    let _ = Objects::load(&mut kept);
    WarmStatements(kept.prepared)
}

/// The statements [`warm`] prepared, valid on its connection only.
pub(crate) struct WarmStatements(HashMap<&'static str, postgres::Statement>);

/// The catalog read on `client`, whose statements [`warm`] prepared (`warmed`), one query
/// after the other: a warmed backend answers all of them in about the time two fresh ones
/// take for half each, without opening the second.
fn read_warm(
    client: Client,
    warmed: WarmStatements,
    unmodelled: bool,
) -> Result<Catalog, postgres::Error> {
    let mut kept = Kept {
        client,
        prepared: warmed.0,
    };
    let relations = Relations::load(&mut kept, unmodelled)?;
    let objects = Objects::load(&mut kept)?;
    Ok(Catalog::of(relations, objects))
}

/// Two connections to one database kept for reading its catalog several times (a scratch
/// database read before and after a plan runs on it): the connections are opened once, and
/// each backend keeps what it looked up and planned (a third of a read of a new connection
/// at 300 tables). Opened as the session's superuser connection is (search_path
/// `pg_catalog, pg_temp`).
pub struct CatalogReader {
    first: Kept,
    second: Kept,
}

impl CatalogReader {
    /// The catalog, as [`ApplySession::catalog`] reads it (the facts not modelled included).
    pub fn read(&mut self) -> Result<Catalog, ClusterError> {
        let (first, second) = (&mut self.first, &mut self.second);
        let (relations, objects) = std::thread::scope(|scope| {
            let other = scope.spawn(|| Objects::load(second));
            let relations = Relations::load(first, true);
            let objects = other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (relations, objects)
        });
        Ok(Catalog::of(
            relations.map_err(|e| io(&e))?,
            objects.map_err(|e| io(&e))?,
        ))
    }
}

/// `name` when `schema` is `public`, else `schema.name`: how messages name an object.
pub fn display_name(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// The single character of a `"char"` column read as text (`' '` when empty).
fn letter(s: &str) -> char {
    s.chars().next().unwrap_or(' ')
}
