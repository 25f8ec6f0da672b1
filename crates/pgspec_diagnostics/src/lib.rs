//! Diagnostics as data: a finding about the user's document, with spans in document
//! coordinates. Rendering (terminal, JSON) lives in [`render`]; nothing here prints.

pub mod fix;
pub mod group;
pub mod registry;
pub mod render;
pub mod stage;
pub mod text;

use serde::Serialize;

pub use registry::{FixAvailability, Phase, Rule};

/// A diagnostic's code: a rule of the one [`registry`] (every code pgspec prints is one).
pub type Code = Rule;

use crate::text::TextRange;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// Lowercase name as shown to users (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! categories {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// Why a statement failed or was flagged: a stable, kebab-case name users can filter on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Category {
            $(#[doc = $doc] $variant,)*
        }

        impl Category {
            /// Every category, in declaration order.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The stable kebab-case name used in JSON output.
            pub fn as_str(self) -> &'static str {
                match self { $(Category::$variant => $name,)* }
            }

            /// One-line explanation of the category.
            pub fn description(self) -> &'static str {
                match self { $(Category::$variant => $doc,)* }
            }
        }
    };
}

categories! {
    PartitionKey => "partition-key", "a PRIMARY KEY or UNIQUE constraint on a partitioned table lacks the partition key";
    NotPartitioned => "not-partitioned", "PARTITION OF (or ATTACH PARTITION) names a table that is not partitioned";
    GeneratedColumn => "generated-column", "a generated column's expression is not allowed (non-IMMUTABLE, or used as a partition key)";
    InlineIndex => "inline-index", "MySQL-style `INDEX name (...)` inside CREATE TABLE";
    NonImmutable => "non-immutable", "a function that is not IMMUTABLE (now(), current_date) in an index expression or predicate";
    MissingExtension => "missing-extension", "an object of an extension that the document never creates (or that is not installed)";
    MissingTsConfig => "missing-ts-config", "a text search configuration that does not exist (e.g. 'korean')";
    PlatformObject => "platform-object", "an object that only a hosted platform provides (Supabase auth.*, net.*, supabase_realtime)";
    UndefinedTable => "undefined-table", "a table or view that no statement of the document creates";
    UndefinedColumn => "undefined-column", "a column that the referenced table does not have";
    UndefinedFunction => "undefined-function", "a function or operator that does not exist for the given argument types";
    UndefinedObject => "undefined-object", "another named object (type, schema, constraint, trigger) that does not exist";
    Cascade => "cascade", "failed only because an earlier statement it depends on failed";
    DuplicateObject => "duplicate-object", "an object the document already created is created again";
    MissingRole => "missing-role", "a role that is never created";
    MissingDatabase => "missing-database", "a database that does not exist";
    NotSql => "not-sql", "pseudo-code, a shell command or an elision inside a SQL block";
    ExampleQuery => "example-query", "an illustrative query with bind parameters or placeholder literals";
    Syntax => "syntax", "invalid SQL syntax or clause order";
    CronJob => "cron-job", "a pg_cron schedule whose timing pg_cron rejects or whose command fails on the document's schema";
    SystemViewColumn => "system-view-column", "a column name that a pg_stat_* / pg_catalog view does not have";
    ForwardReference => "forward-reference", "uses an object that the document defines later";
    ForeignKeyTarget => "foreign-key-target", "a foreign key whose referenced columns have no unique constraint (e.g. the id of a partitioned table)";
    DatatypeMismatch => "datatype-mismatch", "a value or expression of the wrong type";
    InvalidDefinition => "invalid-definition", "a definition PostgreSQL rejects for another reason";
    Permission => "permission", "needs a privilege that the applying role does not have";
    UnsafeStatement => "unsafe-statement", "a statement pgspec refuses to run (server-side programs, files, network)";
    Document => "document", "a problem with the document itself (encoding, fences, size)";
    Drift => "drift", "the ERD, column tables or prose and the SQL disagree about the schema";
    Seed => "seed", "generating or loading synthetic rows";
    Claim => "claim", "a claim of the document checked on the seeded database (query, plan, RLS, function, schedule, partition, constraint)";
    Constraint => "constraint", "a value, INSERT or CHECK that conflicts with a column's constraints at run time";
    Rls => "rls", "row level security: policies, enabling, settings they read";
    Plpgsql => "plpgsql", "a function, procedure or trigger body that fails or misbehaves at run time";
    Hygiene => "hygiene", "schema hygiene: indexes, keys, types, identifiers";
    Schedule => "schedule", "pg_cron jobs and materialized view refreshes";
    Cache => "cache", "a cache (Redis) section of the document";
    Suppression => "suppression", "a `pgspec-ignore` comment";
    Migration => "migration", "a statement of a migration plan (`pgspec diff`): data loss, locks, rewrites, index builds, or a change pgspec cannot express";
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A span with an optional message, in document coordinates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub range: TextRange,
    pub message: Option<String>,
}

impl Label {
    /// A label without a message.
    pub fn new(range: TextRange) -> Self {
        Self {
            range,
            message: None,
        }
    }

    /// A label with a message.
    pub fn with_message(range: TextRange, message: impl Into<String>) -> Self {
        Self {
            range,
            message: Some(message.into()),
        }
    }
}

/// How safe a fix is to apply without review (same meaning as ruff's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Only shown; a human must decide.
    DisplayOnly,
    /// A human must decide; this is the choice pgspec assumes meanwhile (`up` applies it and
    /// says so, `check` checks what depends on it under it, `fix --assume` writes it).
    Assumption,
    /// Changes the schema's behaviour; needs review.
    Unsafe,
    /// Meaning unchanged.
    Safe,
}

/// One replacement of a document range (an empty replacement deletes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: String,
}

/// A suggested change to the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// PostgreSQL's own report of an error, verbatim from the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PgDetails {
    pub sqlstate: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// 1-based character position inside the statement text, as the server reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
}

/// A finding about the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub category: Category,
    /// One line, lowercase start, no trailing period (PostgreSQL's message verbatim for `PG*`).
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub postgres: Option<PgDetails>,
    /// For cascades and forward references: the statement this one depends on.
    pub root: Option<TextRange>,
    pub fix: Option<Fix>,
    /// What findings of one code share when a single decision explains them all (the type
    /// pair of an ERD's type choice): such findings are shown as one, with their lines.
    /// Not part of the JSON contract.
    pub cause: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and no extras.
    pub fn new(
        code: Code,
        category: Category,
        message: impl Into<String>,
        range: TextRange,
    ) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            category,
            message: message.into(),
            primary: Label::new(range),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            postgres: None,
            root: None,
            fix: None,
            cause: None,
        }
    }

    /// Set the severity.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Set the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Add a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Set the primary label's message.
    #[must_use]
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = Some(message.into());
        self
    }

    /// Add a secondary label.
    #[must_use]
    pub fn secondary(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }

    /// Name what this finding shares with others of its code (see [`Diagnostic::cause`]).
    #[must_use]
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Attach a fix.
    #[must_use]
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}
