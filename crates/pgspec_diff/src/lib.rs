//! The migration that brings a database in step with a desired schema, computed catalog to
//! catalog: both sides are the one typed [`Catalog`] of pgspec_postgres (read from a live
//! database, or from a scratch database a document was applied to), and the plan is the
//! ordered SQL that turns FROM into TO, each statement with its hazards (codes of the one
//! registry). What it cannot express is refused, with the reason, never left out silently.
//!
//! Order: drops of what changed or went away (views, triggers, policies, foreign keys,
//! constraints, indexes, recreated tables) first; then schemas, extensions, types, sequences,
//! functions, tables and columns, constraints, indexes, foreign keys, views in dependency
//! order, triggers and policies; then the drops of removed functions, sequences, types,
//! extensions and schemas (removed tables go with the first drops, after the removed functions
//! whose signatures use their row type); comments and privileges last.

mod columns;
mod comments;
mod constraints;
mod functions;
mod indexes;
mod names;
mod owners;
mod privileges;
mod relations;
mod renames;
mod sequences;
mod types;
mod views;

use std::collections::{BTreeMap, BTreeSet};

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::Catalog;
use serde::Serialize;

pub use indexes::partition_copies_differ;
pub use names::qualified;
pub use owners::{foreign_owners, owner_changes, Owners};
pub use renames::{renames, Rename, RenameKind};

/// One statement of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Executable SQL, without the closing `;`.
    pub sql: String,
    /// What running it risks (data loss, locks, rewrites, index builds).
    pub hazards: Vec<Hazard>,
    /// `false` for a statement PostgreSQL refuses inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, a new enum label that a later statement uses).
    pub transactional: bool,
}

/// A risk of one statement, as a code of the registry with a message naming the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hazard {
    pub code: Rule,
    pub message: String,
}

/// Something the plan cannot express: the object and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub object: String,
    pub message: String,
}

/// The migration from one catalog to another.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub statements: Vec<Statement>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The plan as a script `psql -v ON_ERROR_STOP=1 -f` runs: each statement after one
    /// comment line per hazard (the text made safe for a one-line comment).
    pub fn script(&self) -> String {
        let mut out = String::new();
        for s in &self.statements {
            for h in &s.hazards {
                out.push_str(&format!(
                    "-- hazard {} {}: {}\n",
                    h.code.code(),
                    h.code.name(),
                    pgspec_sql::quote::comment_text(&h.message)
                ));
            }
            if !s.transactional {
                out.push_str("-- runs outside a transaction block\n");
            }
            let last_line = s.sql.rsplit('\n').next().unwrap_or(&s.sql);
            if last_line.contains("--") {
                out.push_str(&format!("{}\n;\n", s.sql));
            } else {
                out.push_str(&format!("{};\n", s.sql));
            }
        }
        out
    }
}

/// Which schemas a diff looks at (empty `schemas`: every schema of the user's).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    /// Roles whose privileges are not compared: the owners of the original sides when a copy
    /// (owned by another role) stands in for one.
    pub ignore_grantees: Vec<String>,
}

impl Options {
    /// Whether every schema is compared.
    fn includes_all(&self) -> bool {
        self.schemas.is_empty() && self.exclude_schemas.is_empty()
    }

    fn includes(&self, schema: &str) -> bool {
        (self.schemas.is_empty() || self.schemas.iter().any(|s| s == schema))
            && !self.exclude_schemas.iter().any(|s| s == schema)
    }
}

/// The stages of a plan, in the order their statements run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    DropViews,
    DropTriggers,
    DropPolicies,
    DropForeignKeys,
    DropConstraints,
    DropIndexes,
    DropRecreatedTables,
    // A function whose signature uses the row type of a table that goes (`RETURNS SETOF t`).
    DropRowTypeFunctions,
    // Early: a new object may take the name of one that goes (an index, a key).
    DropTables,
    CreateSchemas,
    CreateExtensions,
    Types,
    Sequences,
    Functions,
    // A new domain whose check or default calls a new function.
    FunctionDomains,
    Tables,
    Columns,
    DropColumns,
    // A child's column its parent drops (taking the inherited copy along) that TO declares
    // on the child itself.
    ReAddedColumns,
    Constraints,
    // After the indexes: a foreign key may reference a unique index that is no constraint.
    Indexes,
    ForeignKeys,
    SequenceOwners,
    LateFunctions,
    Views,
    ViewIndexes,
    Triggers,
    Policies,
    RowSecurity,
    // A domain that goes, whose check or default calls a function that goes.
    DropFunctionDomains,
    DropFunctions,
    DropSequences,
    DropTypes,
    DropExtensions,
    DropSchemas,
    Comments,
    Privileges,
}

/// Builds a plan: `from` is a working copy of FROM from which every object the plan drops is
/// removed (so that the later stages see it as absent and create it again when TO has it).
struct Planner<'a> {
    from: Catalog,
    to: &'a Catalog,
    statements: BTreeMap<Phase, Vec<Statement>>,
    refusals: Vec<Refusal>,
    /// Relations (quoted `schema.name`) dropped and created again.
    recreated: BTreeSet<String>,
    /// Relations the plan creates (new or recreated).
    created: BTreeSet<String>,
    /// Columns whose type changes, `(relation, column)`.
    retyped: BTreeSet<(String, String)>,
    /// Enums whose labels are removed or reordered: renamed aside, created again, their
    /// columns converted through text, the old type dropped.
    rebuilt_enums: BTreeSet<String>,
    /// `ALTER TYPE … ADD VALUE` statements with their type and label literal: outside the
    /// transaction only when a later statement may use the label (see [`added_labels_in_transaction`]).
    added_labels: Vec<AddedLabel>,
    ignore_grantees: Vec<String>,
}

/// A label a plan adds to an enum.
struct AddedLabel {
    sql: String,
    /// The enum, qualified as the plan writes it.
    type_name: String,
    /// The label as an SQL literal.
    literal: String,
}

impl Planner<'_> {
    /// The tables of FROM that TO does not have (quoted `schema.name`): dropped, or replaced
    /// by a relation of another kind under the same name.
    fn going_tables(&self) -> BTreeSet<String> {
        self.from
            .tables
            .iter()
            .filter(|t| self.to.table(&t.schema, &t.name).is_none())
            .map(|t| names::qualified(&t.schema, &t.name))
            .collect()
    }

    fn push(&mut self, phase: Phase, sql: impl Into<String>) {
        push_plain(&mut self.statements, phase, sql);
    }

    fn push_hazard(&mut self, phase: Phase, sql: impl Into<String>, hazards: Vec<Hazard>) {
        self.push_with(phase, sql, hazards, true);
    }

    fn push_with(
        &mut self,
        phase: Phase,
        sql: impl Into<String>,
        hazards: Vec<Hazard>,
        transactional: bool,
    ) {
        self.statements.entry(phase).or_default().push(Statement {
            sql: sql.into(),
            hazards,
            transactional,
        });
    }

    fn refuse(&mut self, object: impl Into<String>, message: impl Into<String>) {
        self.refusals.push(Refusal {
            object: object.into(),
            message: message.into(),
        });
    }
}

/// One transactional statement without hazards in `phase`: [`Planner::push`] for a loop that
/// reads FROM's catalog while it pushes (it borrows the statements alone, not the planner).
fn push_plain(
    statements: &mut BTreeMap<Phase, Vec<Statement>>,
    phase: Phase,
    sql: impl Into<String>,
) {
    statements.entry(phase).or_default().push(Statement {
        sql: sql.into(),
        hazards: Vec::new(),
        transactional: true,
    });
}

pub(crate) fn hazard(code: Rule, message: impl Into<String>) -> Hazard {
    Hazard {
        code,
        message: message.into(),
    }
}

/// The plan that turns `from` into `to`, or what it cannot express.
pub fn plan(from: &Catalog, to: &Catalog, options: &Options) -> Result<Plan, Vec<Refusal>> {
    let from = scoped(from, options);
    // TO is only read: a copy only when it is scoped.
    let to = if options.includes_all() {
        std::borrow::Cow::Borrowed(to)
    } else {
        std::borrow::Cow::Owned(scoped(to, options))
    };
    let mut p = Planner {
        from,
        to: &to,
        statements: BTreeMap::new(),
        refusals: Vec::new(),
        recreated: BTreeSet::new(),
        created: BTreeSet::new(),
        retyped: BTreeSet::new(),
        rebuilt_enums: BTreeSet::new(),
        added_labels: Vec::new(),
        ignore_grantees: options.ignore_grantees.clone(),
    };
    // Decisions that remove objects from the working FROM come first: recreated tables,
    // then the views that must be dropped (they depend on what changes).
    relations::recreations(&mut p);
    columns::retyped_columns(&mut p);
    views::drop_changed(&mut p);
    constraints::drops(&mut p);
    indexes::drops(&mut p);
    relations::triggers_and_policies_drops(&mut p);
    relations::schemas_and_extensions(&mut p);
    types::diff(&mut p);
    sequences::diff(&mut p);
    functions::diff(&mut p);
    relations::tables(&mut p);
    constraints::adds(&mut p);
    indexes::adds(&mut p);
    views::creates(&mut p);
    relations::triggers_and_policies_adds(&mut p);
    relations::comments(&mut p);
    comments::diff(&mut p);
    privileges::diff(&mut p);
    unmodelled(&mut p);
    if !p.refusals.is_empty() {
        return Err(p.refusals);
    }
    let mut statements = Vec::new();
    let creates_functions = p.statements.iter().any(|(phase, s)| {
        matches!(phase, Phase::Functions | Phase::LateFunctions) && !s.is_empty()
    });
    if creates_functions {
        // As pg_dump does: function bodies may name objects created later in the plan.
        statements.push(Statement {
            sql: "SET check_function_bodies = false".into(),
            hazards: Vec::new(),
            transactional: true,
        });
    }
    for (_, phase) in p.statements {
        statements.extend(phase);
    }
    added_labels_in_transaction(&mut statements, &p.added_labels);
    Ok(Plan { statements })
}

/// PostgreSQL 12+ runs `ALTER TYPE … ADD VALUE` inside a transaction block, but refuses a use
/// of the new label before the transaction commits. A label stays in the plan's transaction
/// unless a later statement may use it: one that names its literal (a default, a CHECK, a
/// view), or one that converts a column to the enum (its rows may hold the label).
fn added_labels_in_transaction(statements: &mut [Statement], added: &[AddedLabel]) {
    for i in 0..statements.len() {
        let Some(label) = added.iter().find(|a| a.sql == statements[i].sql) else {
            continue;
        };
        let converts_to = format!(" TYPE {}", label.type_name);
        let used_later = statements[i + 1..].iter().any(|s| {
            s.sql.contains(&label.literal)
                || (s.sql.contains(" ALTER COLUMN ") && s.sql.contains(&converts_to))
        });
        statements[i].transactional = !used_later;
    }
}

/// What the catalog does not model must be the same on both sides.
fn unmodelled(p: &mut Planner<'_>) {
    let to = p.to;
    // Roles that own objects on either side: a scratch database and a live one have different
    // owners, and what an owner holds is not a difference.
    let owners: BTreeSet<&str> = p
        .from
        .tables
        .iter()
        .chain(&to.tables)
        .map(|t| t.owner.as_str())
        .chain(
            p.from
                .views
                .iter()
                .chain(&to.views)
                .map(|v| v.owner.as_str()),
        )
        .chain(p.ignore_grantees.iter().map(String::as_str))
        .collect();
    let ignored = |line: &String| {
        owners.iter().any(|g| {
            line.ends_with(&format!(" to {g}"))
                || line.ends_with(&format!(" to {g} with grant option"))
        })
    };
    let facts = |c: &Catalog| -> Vec<String> {
        c.unmodelled
            .iter()
            .map(|l| default_privileges_without_owner_names(l, &owners))
            .collect()
    };
    let (from_facts, to_facts) = (facts(&p.from), facts(to));
    let gone: Vec<&String> = from_facts
        .iter()
        .filter(|l| !to_facts.contains(l) && !ignored(l) && !comments::handled(l))
        .collect();
    let new: Vec<&String> = to_facts
        .iter()
        .filter(|l| !from_facts.contains(l) && !ignored(l) && !comments::handled(l))
        .collect();
    let mut refusals = Vec::new();
    for l in gone {
        refusals.push(format!("only in FROM: {l}"));
    }
    for l in new {
        refusals.push(format!("only in TO: {l}"));
    }
    for r in refusals {
        p.refuse("not compared yet", r);
    }
}

/// A default-privileges fact (`default privileges (r) in public: {anon=arwdDxt/owner,…}`) with
/// each owning role written `(owner)`: the grantor of default privileges is the role whose
/// future objects they cover, and a scratch build's owner is another role than the target's.
/// Other lines are returned as they are.
fn default_privileges_without_owner_names(line: &str, owners: &BTreeSet<&str>) -> String {
    let acl = line
        .strip_prefix("default privileges (")
        .and_then(|_| line.split_once(": {"))
        .and_then(|(head, rest)| Some((head, rest.strip_suffix('}')?)));
    let Some((head, items)) = acl else {
        return line.to_string();
    };
    let role = |name: &str| {
        if owners.contains(name) {
            "(owner)".to_string()
        } else {
            name.to_string()
        }
    };
    let items: Vec<String> = items
        .split(',')
        .map(|item| match item.rsplit_once('/') {
            Some((granted, grantor)) => match granted.rsplit_once('=') {
                Some((grantee, privileges)) => {
                    format!("{}={privileges}/{}", role(grantee), role(grantor))
                }
                None => item.to_string(),
            },
            None => item.to_string(),
        })
        .collect();
    format!("{head}: {{{}}}", items.join(","))
}

/// The catalog without the schemas `options` leaves out.
fn scoped(catalog: &Catalog, options: &Options) -> Catalog {
    let mut c = catalog.clone();
    let keep = |s: &str| options.includes(s);
    c.schemas.retain(|x| keep(&x.name));
    c.collations.retain(|x| keep(&x.schema));
    c.types.retain(|x| keep(&x.schema));
    c.sequences.retain(|x| keep(&x.schema));
    c.tables.retain(|x| keep(&x.schema));
    c.views.retain(|x| keep(&x.schema));
    c.constraints.retain(|x| keep(&x.schema));
    c.indexes.retain(|x| keep(&x.schema));
    c.functions.retain(|x| keep(&x.schema));
    c.triggers.retain(|x| keep(&x.schema));
    c.policies.retain(|x| keep(&x.schema));
    c.privileges.retain(|x| keep(&x.schema));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_privileges_of_two_owners_read_the_same_and_other_roles_keep_their_names() {
        let owners: BTreeSet<&str> = ["pgspec_run_1", "pgspec_owner_2"].into_iter().collect();
        let a = "default privileges (r) in public: {anon=arwdDxt/pgspec_run_1,pgspec_run_1=r/pgspec_run_1}";
        let b = "default privileges (r) in public: {anon=arwdDxt/pgspec_owner_2,pgspec_owner_2=r/pgspec_owner_2}";
        let other = "default privileges (r) in public: {anon=arwdDxt/someone}";
        assert_eq!(
            default_privileges_without_owner_names(a, &owners),
            "default privileges (r) in public: {anon=arwdDxt/(owner),(owner)=r/(owner)}"
        );
        assert_eq!(
            default_privileges_without_owner_names(a, &owners),
            default_privileges_without_owner_names(b, &owners)
        );
        assert_eq!(
            default_privileges_without_owner_names(other, &owners),
            other
        );
        let rule = "rule r on public.t: CREATE RULE …";
        assert_eq!(default_privileges_without_owner_names(rule, &owners), rule);
    }

    #[test]
    fn a_new_label_leaves_the_transaction_only_when_a_later_statement_may_use_it() {
        let statement = |sql: &str, transactional| Statement {
            sql: sql.into(),
            hazards: Vec::new(),
            transactional,
        };
        let add = |label: &str| AddedLabel {
            sql: format!("ALTER TYPE public.mood ADD VALUE IF NOT EXISTS '{label}'"),
            type_name: "public.mood".into(),
            literal: format!("'{label}'"),
        };
        let added = [add("happy"), add("great"), add("meh")];
        let mut statements = vec![
            statement(&added[0].sql, false),
            statement(&added[1].sql, false),
            statement(&added[2].sql, false),
            statement(
                "ALTER TABLE public.p ALTER COLUMN m SET DEFAULT 'great'::public.mood",
                true,
            ),
            statement(
                "ALTER TABLE public.q ALTER COLUMN m TYPE public.mood USING m::text::public.mood",
                true,
            ),
        ];
        added_labels_in_transaction(&mut statements, &added);
        // 'happy' is used by nothing after it … but the column converted to the type may hold
        // any label: every label added before that statement leaves the transaction.
        let flags: Vec<bool> = statements.iter().map(|s| s.transactional).collect();
        assert_eq!(flags, [false, false, false, true, true]);
        statements.pop();
        for s in &mut statements[..3] {
            s.transactional = false;
        }
        added_labels_in_transaction(&mut statements, &added);
        let flags: Vec<bool> = statements.iter().map(|s| s.transactional).collect();
        assert_eq!(flags, [true, false, true, true]);
    }
}
