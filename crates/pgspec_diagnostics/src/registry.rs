//! The one registry of every code pgspec can print: a declarative table with the stable code
//! (`PG001`, `LNT404`), the kebab name (`statement-rejected`), the phase that reports it, its
//! category, default severity, fix availability and summary. The explanation of each code lives
//! in `docs/rules/<name>.md` (What it does / Why is this bad? / Example / Fix safety / Peers).
//! Codes are never reused; the prefix names the stage that emits them. `pgspec rule`,
//! `pgspec.toml` and `pgspec-ignore` all read this table.

use super::{Category, Severity};

/// Where in the pipeline a code is decided, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Markdown, encodings, fences, ERDs and column tables (no SQL parser, no server).
    Document,
    /// The SQL text of each statement, without a server.
    Syntax,
    /// Server verdicts while the document is applied.
    Apply,
    /// Rules over the catalog the document built (and the statements).
    Catalog,
    /// What the ERDs, column tables and prose claim, against the SQL.
    Claims,
    /// Seeded data and the document's claims checked on it.
    Data,
    /// A migration plan between two schemas (`pgspec diff`).
    Migration,
}

impl Phase {
    /// Lowercase name as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Document => "document",
            Phase::Syntax => "syntax",
            Phase::Apply => "apply",
            Phase::Catalog => "catalog",
            Phase::Claims => "claims",
            Phase::Data => "data",
            Phase::Migration => "migration",
        }
    }
}

/// Whether findings of a code carry a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixAvailability {
    Never,
    Sometimes,
    Always,
}

impl FixAvailability {
    /// Lowercase name as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::Never => "never",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

macro_rules! rules {
    ($($code:literal => $name:literal => $variant:ident, $phase:ident, $category:ident, $severity:ident, $fix:ident, $summary:literal;)*) => {
        /// A code pgspec can print: stable code, kebab name, phase, category, default severity,
        /// fix availability and explanation. The derived order is the table's order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(#[doc = $summary] $variant,)*
        }

        impl Rule {
            /// Every code, in table order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code, e.g. `PG001`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }

            /// The kebab-case name, e.g. `statement-rejected`.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The phase that reports it.
            pub fn phase(self) -> Phase {
                match self { $(Rule::$variant => Phase::$phase,)* }
            }

            /// The category its findings are reported under unless a finding says more
            /// precisely (`PG001` carries the category of the server's error).
            pub fn category(self) -> Category {
                match self { $(Rule::$variant => Category::$category,)* }
            }

            /// Severity unless a diagnostic overrides it.
            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// Whether its findings carry a fix.
            pub fn fix_availability(self) -> FixAvailability {
                match self { $(Rule::$variant => FixAvailability::$fix,)* }
            }

            /// One-line summary of what it reports.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary,)* }
            }

            /// The full explanation (Markdown), as `pgspec rule CODE` prints it.
            pub fn docs(self) -> &'static str {
                match self { $(Rule::$variant => include_str!(concat!("../../../docs/rules/", $name, ".md")),)* }
            }
        }
    };
}

impl Rule {
    /// The stable code, e.g. `PG001` (the same as [`Rule::code`]).
    pub fn as_str(self) -> &'static str {
        self.code()
    }

    /// Whether it is a lint rule (`LNT…`), run by `pgspec lint` over the checked catalog.
    pub fn is_lint(self) -> bool {
        self.code().starts_with("LNT")
    }

    /// Look a code up by its code or its name (case-insensitive, surrounding space ignored).
    pub fn from_code_or_name(s: &str) -> Option<Rule> {
        let s = s.trim();
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.code().eq_ignore_ascii_case(s) || r.name().eq_ignore_ascii_case(s))
    }

    /// Whether `selector` names this code: its code or name (case-insensitive), or a prefix of
    /// its code at least as long as its letters (`PG`, `DRF00`, `LNT4`; not `P`).
    pub fn selected_by(self, selector: &str) -> bool {
        let s = selector.trim();
        let code = self.code();
        let family = code.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        s.eq_ignore_ascii_case(self.name())
            || (s.len() >= family
                && s.len() <= code.len()
                && code[..s.len()].eq_ignore_ascii_case(s))
    }

    /// The same as [`Rule::from_code_or_name`].
    pub fn from_str_or_name(s: &str) -> Option<Rule> {
        Rule::from_code_or_name(s)
    }
}

impl std::str::FromStr for Rule {
    type Err = String;

    /// A code or a name, as [`Rule::from_code_or_name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::from_code_or_name(s).ok_or_else(|| format!("no rule `{s}`"))
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

// The order is part of the output: diagnostics at one position sort by code in this order, so
// the document, syntax, server and drift codes come first and the lint rules last.
rules! {
    // code    name                  variant               phase     category  severity  fix    summary
    "DOC001" => "unclosed-code-fence" => UnclosedCodeFence, Document, Document, Warning, Never, "a code fence that is never closed, or closed by a line that opens another block";
    "DOC002" => "mojibake-repaired" => MojibakeRepaired, Document, Document, Info, Never, "the file's UTF-8 had been mis-decoded (cp1252 / Mac Roman) and was repaired on read";
    "DOC003" => "mojibake-bytes-lost" => MojibakeBytesLost, Document, Document, Warning, Never, "mis-decoded text whose original bytes were partly lost; the repair is a guess";
    "DOC004" => "unreadable-input" => UnreadableInput, Document, Document, Error, Never, "the input is not a text document (binary, not UTF-8, or too large)";
    "DOC005" => "no-sql-found" => NoSqlFound, Document, Document, Warning, Never, "the document contains no SQL statement";
    "DOC006" => "sql-in-other-block" => SqlInOtherBlock, Document, Document, Warning, Never, "a block pgspec does not read (tagged with another language, HTML <pre>) holds SQL";
    "DOC007" => "psql-describe-unread" => PsqlDescribeUnread, Document, Document, Warning, Never, "a line of psql's `\\d table` output pgspec cannot build from (a composite foreign key, a partial index, a generated column)";
    "DOC008" => "rails-schema-unread" => RailsSchemaUnread, Document, Document, Warning, Never, "a line of a Rails `db/schema.rb` pgspec cannot build from (a partial or expression index, a check constraint, an expression default, a composite foreign key)";
    "SQL001" => "not-sql" => NotSql, Syntax, NotSql, Warning, Never, "a SQL block contains something that is not SQL (shell, pseudo-code, elision)";
    "SQL002" => "unterminated-statement" => UnterminatedStatement, Syntax, Syntax, Error, Never, "a string, quoted identifier, comment or dollar quote is never closed";
    "SQL003" => "missing-semicolon" => MissingSemicolon, Syntax, Syntax, Error, Always, "two statements without the `;` between them (pgspec reads them as two)";
    "SQL004" => "statement-across-blocks" => StatementAcrossBlocks, Syntax, Syntax, Warning, Never, "a statement that goes on in the next SQL block, prose between its parts (pgspec reads it as one)";
    "PG001" => "statement-rejected" => StatementRejected, Apply, InvalidDefinition, Error, Sometimes, "PostgreSQL rejected the statement";
    "PG002" => "cascade" => Cascade, Apply, Cascade, Info, Never, "the statement failed only because an earlier statement failed";
    "PG003" => "forward-reference" => ForwardReference, Apply, ForwardReference, Warning, Never, "the statement uses an object defined later in the document; it applied after reordering";
    "PG004" => "example-query-rejected" => ExampleQueryRejected, Apply, ExampleQuery, Warning, Sometimes, "an example query does not prepare against the document's schema";
    "PG005" => "server-notice" => ServerNotice, Apply, InvalidDefinition, Warning, Never, "PostgreSQL raised a warning or notice while applying the statement";
    "PG006" => "unsafe-statement" => UnsafeStatement, Apply, UnsafeStatement, Warning, Never, "a statement pgspec does not run (server programs, server files, network, superuser-only)";
    "PG007" => "function-failed" => FunctionFailed, Apply, InvalidDefinition, Error, Never, "a function the document defines fails when `up` calls it";
    "ERD001" => "erd-syntax" => ErdSyntax, Document, Document, Warning, Never, "a diagram line pgspec cannot read or use: mermaid erDiagram syntax, a DBML `Ref` that makes no foreign key, a PlantUML attribute or key line";
    "ERD002" => "column-table-unreadable" => ColumnTableUnreadable, Document, Document, Warning, Never, "a column table whose rows pgspec cannot read";
    "ERD003" => "type-not-postgres" => TypeNotPostgres, Document, Document, Warning, Never, "a column described outside SQL has no type, or one PostgreSQL does not have (another system's spelling, a typo); pgspec names the type it chose";
    "ERD004" => "table-inferred" => TableInferred, Document, Document, Info, Never, "a table pgspec read from a sentence naming its columns, with types guessed from the names; confirm it";
    "ERD005" => "reference-not-built" => ReferenceNotBuilt, Document, Document, Warning, Never, "a reference the document states outside SQL (column table, diagram, schema dump) that pgspec cannot build as a foreign key: no such table, or the referenced column is not a key";
    "DRF001" => "table-not-in-sql" => TableNotInSql, Claims, Drift, Info, Never, "tables the ERD, column tables or lists describe that no SQL statement creates (pgspec generated them): one note per document";
    "DRF002" => "table-not-in-erd" => TableNotInErd, Claims, Drift, Warning, Never, "a table the SQL creates that the document's ERD or column tables do not describe";
    "DRF003" => "column-not-in-sql" => ColumnNotInSql, Claims, Drift, Warning, Never, "a column the ERD or a column table declares that the SQL table lacks";
    "DRF004" => "column-not-in-erd" => ColumnNotInErd, Claims, Drift, Warning, Never, "a column the SQL creates or uses that the table's ERD entity or column table does not declare";
    "DRF005" => "type-mismatch" => TypeMismatch, Claims, Drift, Warning, Never, "the ERD or column table gives a column another type than the SQL";
    "DRF006" => "relationship-without-foreign-key" => RelationshipWithoutForeignKey, Claims, Drift, Warning, Never, "an ERD relationship with no foreign key between the two tables";
    "DRF007" => "foreign-key-without-relationship" => ForeignKeyWithoutRelationship, Claims, Drift, Warning, Never, "a foreign key between two ERD entities that the ERD does not draw";
    "DRF008" => "cardinality-mismatch" => CardinalityMismatch, Claims, Drift, Warning, Never, "an ERD cardinality that the foreign key's nullability or uniqueness contradicts";
    "DRF009" => "key-mismatch" => KeyMismatch, Claims, Drift, Warning, Never, "PK/UK markers of the ERD or column table disagree with the SQL's keys";
    "DRF010" => "fragment-merged" => FragmentMerged, Claims, Drift, Info, Never, "a CREATE TABLE that is only a fragment was completed from the table's ERD entity or column table";
    "DRF011" => "relationship-to-undefined-entity" => RelationshipToUndefinedEntity, Claims, Drift, Warning, Never, "an ERD relationship to an entity that neither the ERD, a column table nor the SQL defines";
    "DRF012" => "stated-index-not-in-sql" => StatedIndexNotInSql, Claims, Drift, Warning, Never, "a sentence states an index or a unique key (`a unique index on `t (a, b)``) that no index or key of the SQL provides; pgspec built it from the sentence";
    "SEED001" => "constraint-not-satisfied" => ConstraintNotSatisfied, Data, Seed, Warning, Never, "a constraint rejected rows pgspec generated (it could not satisfy it)";
    "SEED002" => "table-not-seeded" => TableNotSeeded, Data, Seed, Warning, Never, "a table received fewer rows than asked (a unique or foreign key limits it, or rows were rejected)";
    "VER001" => "claim-failed" => ClaimFailed, Data, Claim, Error, Never, "a claim of the document does not hold on the seeded database";
    "VER002" => "claim-skipped" => ClaimSkipped, Data, Claim, Info, Never, "a claim of the document could not be checked";
    "DIF001" => "migration-drops-data" => MigrationDropsData, Migration, Migration, Warning, Never, "a migration statement drops a table, column, attribute or extension, and the values it holds";
    "DIF002" => "migration-narrows-type" => MigrationNarrowsType, Migration, Migration, Warning, Never, "a migration changes a column to a type that may reject or change existing values";
    "DIF003" => "migration-rewrites-table" => MigrationRewritesTable, Migration, Migration, Warning, Never, "a migration statement rewrites a table under an ACCESS EXCLUSIVE lock";
    "DIF004" => "migration-builds-index" => MigrationBuildsIndex, Migration, Migration, Warning, Never, "a migration builds an index on a table that already exists";
    "DIF005" => "migration-drops-index" => MigrationDropsIndex, Migration, Migration, Warning, Never, "a migration drops an index that queries may rely on";
    "DIF006" => "migration-validation-scan" => MigrationValidationScan, Migration, Migration, Warning, Never, "a migration statement scans every row to validate a constraint, NOT NULL or partition bound";
    "DIF007" => "migration-untracked-change" => MigrationUntrackedChange, Migration, Migration, Warning, Never, "a migration changes something whose dependants PostgreSQL does not track (a function dropped and created again, an extension update)";
    "DIF008" => "migration-refused" => MigrationRefused, Migration, Migration, Error, Never, "pgspec cannot express a change between the two schemas, so it prints no plan";
    "LNT001" => "unused-suppression" => UnusedSuppression, Document, Suppression, Warning, Never, "a `pgspec-ignore` comment that suppresses nothing";
    "LNT101" => "value-violates-check" => ValueViolatesCheck, Catalog, Constraint, Error, Never, "a value the document writes is outside the CHECK list, enum or length of its column";
    "LNT102" => "uuid-in-short-varchar" => UuidInShortVarchar, Catalog, Constraint, Error, Never, "a uuid (36 characters as text) is written into a varchar shorter than 36";
    "LNT103" => "insert-omits-not-null" => InsertOmitsNotNull, Catalog, Constraint, Error, Never, "an INSERT omits a NOT NULL column that has no default";
    "LNT104" => "check-bypassed-by-null" => CheckBypassedByNull, Catalog, Constraint, Warning, Never, "a CHECK over several columns passes silently when a nullable column is NULL";
    "LNT201" => "rls-enabled-without-policy" => RlsEnabledWithoutPolicy, Catalog, Rls, Warning, Never, "row level security is enabled on a table that has no policy (every row is hidden)";
    "LNT202" => "policy-without-rls" => PolicyWithoutRls, Catalog, Rls, Error, Never, "a table has policies but row level security is not enabled, so they are ignored";
    "LNT203" => "command-without-policy" => CommandWithoutPolicy, Catalog, Rls, Warning, Never, "a table with row level security has policies, but none for one of the commands";
    "LNT204" => "current-setting-without-missing-ok" => CurrentSettingWithoutMissingOk, Catalog, Rls, Warning, Always, "a policy calls `current_setting(name)` without `missing_ok`, which raises when the setting is absent";
    "LNT205" => "policy-compares-different-ids" => PolicyComparesDifferentIds, Catalog, Rls, Error, Never, "a policy compares an id with a column that holds another kind of id (user id vs auth id), as the document's own comparisons and foreign keys show";
    "LNT301" => "plpgsql-check" => PlpgsqlCheck, Catalog, Plpgsql, Error, Never, "plpgsql_check found an error in a PL/pgSQL function body";
    "LNT302" => "trigger-reads-missing-row" => TriggerReadsMissingRow, Syntax, Plpgsql, Error, Never, "a trigger function reads NEW in a DELETE trigger or OLD in an INSERT trigger";
    "LNT303" => "security-definer-without-search-path" => SecurityDefinerWithoutSearchPath, Syntax, Plpgsql, Warning, Never, "a SECURITY DEFINER function without `SET search_path`";
    "LNT401" => "duplicate-index" => DuplicateIndex, Catalog, Hygiene, Warning, Never, "two indexes (or constraints' indexes) on the same columns";
    "LNT402" => "redundant-index" => RedundantIndex, Catalog, Hygiene, Info, Never, "a plain index whose columns are a prefix of another index";
    "LNT403" => "foreign-key-without-index" => ForeignKeyWithoutIndex, Catalog, Hygiene, Warning, Always, "a foreign key whose columns no index starts with";
    "LNT404" => "prefer-timestamptz" => PreferTimestamptz, Catalog, Hygiene, Warning, Always, "a `timestamp without time zone` column";
    "LNT405" => "identifier-too-long" => IdentifierTooLong, Syntax, Hygiene, Warning, Never, "an identifier longer than 63 bytes, which PostgreSQL truncates";
    "LNT406" => "table-without-primary-key" => TableWithoutPrimaryKey, Catalog, Hygiene, Warning, Never, "a table without a primary key";
    "LNT407" => "duplicate-constraint" => DuplicateConstraint, Catalog, Hygiene, Warning, Never, "two constraints with the same definition on the same table";
    "LNT408" => "partition-coverage" => PartitionCoverage, Catalog, Hygiene, Warning, Never, "a range-partitioned table with no partition for today's rows, or no DEFAULT partition";
    "LNT501" => "cron-calls-missing-function" => CronCallsMissingFunction, Catalog, Schedule, Error, Never, "a pg_cron job calls a function that does not exist";
    "LNT502" => "refresh-concurrently-without-unique-index" => RefreshConcurrentlyWithoutUniqueIndex, Catalog, Schedule, Error, Never, "`REFRESH MATERIALIZED VIEW CONCURRENTLY` on a view without a unique index";
    "LNT503" => "matview-never-refreshed" => MatviewNeverRefreshed, Syntax, Schedule, Warning, Never, "a materialized view the document never refreshes (no REFRESH, no cron job)";
    "LNT601" => "redis-del-glob" => RedisDelGlob, Document, Cache, Error, Never, "a Redis DEL is given a glob pattern, which DEL does not expand";
    "PG008" => "platform-provided" => PlatformProvided, Apply, PlatformObject, Info, Never, "objects of a hosted platform (Supabase) that the document uses and does not define, provided by pgspec's layer";
    "LNT304" => "before-trigger-returns-null" => BeforeTriggerReturnsNull, Catalog, Plpgsql, Error, Never, "a BEFORE row trigger on INSERT or UPDATE whose function returns NULL on the path every row takes, so PostgreSQL silently skips the rows";
    "LNT305" => "security-definer-writes-any-row" => SecurityDefinerWritesAnyRow, Catalog, Rls, Error, Never, "a SECURITY DEFINER function every role may call that updates or deletes rows of a table with row level security without tying them to the caller";
    "DIF010" => "migration-needs-empty-table" => MigrationNeedsEmptyTable, Migration, Migration, Warning, Never, "a migration adds a NOT NULL column without a default to a table that already exists, which fails if the table holds a row";
    "LNT105" => "set-null-on-not-null" => SetNullOnNotNull, Catalog, Constraint, Error, Never, "a foreign key sets a NOT NULL column to NULL when its referenced row is deleted or its key changes (`ON DELETE SET NULL`, `SET DEFAULT` without a default), so that delete fails";
    "DIF009" => "migration-hazard-not-allowed" => MigrationHazardNotAllowed, Migration, Migration, Error, Never, "`pgspec up` does not run a migration with a data-loss or locking hazard on a database that holds rows until `--allow-hazards` accepts it";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.code()), "duplicate code {}", rule.code());
            assert!(seen.insert(rule.name()), "duplicate name {}", rule.name());
            assert_eq!(Rule::from_code_or_name(rule.code()), Some(*rule));
            assert_eq!(Rule::from_code_or_name(rule.name()), Some(*rule));
            assert_eq!(
                Rule::from_code_or_name(&rule.code().to_ascii_lowercase()),
                Some(*rule)
            );
        }
        assert_eq!(Rule::from_code_or_name("PG999"), None);
        assert_eq!("table-not-in-erd".parse(), Ok(Rule::TableNotInErd));
        assert!("nope".parse::<Rule>().is_err());
    }

    #[test]
    fn every_code_has_a_docs_page_with_the_sections() {
        for rule in Rule::ALL {
            let docs = rule.docs();
            assert!(
                docs.starts_with(&format!("# {} ({})", rule.name(), rule.code())),
                "{} docs title",
                rule.name()
            );
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Fix safety",
                "## Peers",
            ] {
                assert!(
                    docs.contains(section),
                    "{} docs lack {section}",
                    rule.name()
                );
            }
        }
    }

    #[test]
    fn selectors_are_codes_names_and_family_prefixes() {
        assert!(Rule::StatementRejected.selected_by("PG001"));
        assert!(Rule::StatementRejected.selected_by("statement-rejected"));
        assert!(Rule::StatementRejected.selected_by("pg"));
        assert!(Rule::StatementRejected.selected_by("PG0"));
        assert!(!Rule::StatementRejected.selected_by("P"));
        assert!(!Rule::StatementRejected.selected_by("PG0011"));
        assert!(Rule::TableNotInErd.selected_by("DRF"));
        assert!(Rule::PreferTimestamptz.selected_by("LNT4"));
        assert!(!Rule::PreferTimestamptz.selected_by("LN"));
        assert!(!Rule::PreferTimestamptz.selected_by("LNT2"));
        assert!(!Rule::ClaimFailed.selected_by("SEED"));
    }

    #[test]
    fn serializes_as_the_code() {
        assert_eq!(
            serde_json::to_string(&Rule::StatementRejected).expect("serialize"),
            "\"PG001\""
        );
        assert_eq!(
            serde_json::to_string(&Rule::PreferTimestamptz).expect("serialize"),
            "\"LNT404\""
        );
    }

    #[test]
    fn the_prefix_names_the_phase_family() {
        for rule in Rule::ALL {
            let expected = match rule.code().trim_end_matches(|c: char| c.is_ascii_digit()) {
                "DOC" | "ERD" => Some(Phase::Document),
                "SQL" => Some(Phase::Syntax),
                "PG" => Some(Phase::Apply),
                "DRF" => Some(Phase::Claims),
                "SEED" | "VER" => Some(Phase::Data),
                "DIF" => Some(Phase::Migration),
                _ => None,
            };
            if let Some(phase) = expected {
                assert_eq!(rule.phase(), phase, "{}", rule.code());
            }
            assert_eq!(rule.is_lint(), rule.code().starts_with("LNT"));
        }
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../../../README.md");
        for rule in Rule::ALL {
            assert!(
                readme.contains(&format!("| `{}` | `{}` |", rule.code(), rule.name())),
                "README lacks {} {}",
                rule.code(),
                rule.name()
            );
        }
    }
}
