//! The registry of diagnostic codes: one declarative table, stable codes and kebab names.
//! Codes are never reused; the prefix names the pipeline stage that emits them.

use super::Severity;

macro_rules! codes {
    ($($code:literal => $name:literal => $variant:ident, $severity:ident, $summary:literal;)*) => {
        /// A stable diagnostic code (`PG001`) with its kebab-case name (`statement-rejected`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
            /// A lint rule's finding (`LNT###`); the rule registry lives in `crate::lint`.
            Lint(crate::lint::Rule),
        }

        impl Code {
            /// Every code of this table, in table order (lint rules: `crate::lint::Rule::ALL`).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, e.g. `PG001`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* Code::Lint(rule) => rule.code() }
            }

            /// The kebab-case name, e.g. `statement-rejected`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* Code::Lint(rule) => rule.name() }
            }

            /// Severity unless a diagnostic overrides it.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* Code::Lint(rule) => rule.default_severity() }
            }

            /// One-line summary of what the code reports.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* Code::Lint(rule) => rule.summary() }
            }

            /// Look a code up by its code or its name.
            pub fn from_str_or_name(s: &str) -> Option<Code> {
                match s {
                    $($code | $name => Some(Code::$variant),)*
                    _ => crate::lint::Rule::from_code_or_name(s).map(Code::Lint),
                }
            }
        }
    };
}

codes! {
    "DOC001" => "unclosed-code-fence" => UnclosedCodeFence, Warning, "a code fence that is never closed, or closed by a line that opens another block";
    "DOC002" => "mojibake-repaired" => MojibakeRepaired, Info, "the file's UTF-8 had been mis-decoded (cp1252 / Mac Roman) and was repaired on read";
    "DOC003" => "mojibake-bytes-lost" => MojibakeBytesLost, Warning, "mis-decoded text whose original bytes were partly lost; the repair is a guess";
    "DOC004" => "unreadable-input" => UnreadableInput, Error, "the input is not a text document (binary, not UTF-8, or too large)";
    "DOC005" => "no-sql-found" => NoSqlFound, Warning, "the document contains no SQL statement";
    "SQL001" => "not-sql" => NotSql, Warning, "a SQL block contains something that is not SQL (shell, pseudo-code, elision)";
    "SQL002" => "unterminated-statement" => UnterminatedStatement, Error, "a string, quoted identifier, comment or dollar quote is never closed";
    "PG001" => "statement-rejected" => StatementRejected, Error, "PostgreSQL rejected the statement";
    "PG002" => "cascade" => Cascade, Info, "the statement failed only because an earlier statement failed";
    "PG003" => "forward-reference" => ForwardReference, Warning, "the statement uses an object defined later in the document; it applied after reordering";
    "PG004" => "example-query-rejected" => ExampleQueryRejected, Warning, "an example query does not prepare against the document's schema";
    "PG005" => "server-notice" => ServerNotice, Warning, "PostgreSQL raised a warning or notice while applying the statement";
    "PG006" => "unsafe-statement" => UnsafeStatement, Warning, "a statement pgspec does not run (server programs, server files, network, superuser-only)";
    "PG007" => "function-failed" => FunctionFailed, Error, "a function the document defines fails when `up` calls it";
    "ERD001" => "erd-syntax" => ErdSyntax, Warning, "a mermaid erDiagram line pgspec cannot read";
    "ERD002" => "column-table-unreadable" => ColumnTableUnreadable, Warning, "a column table whose rows pgspec cannot read";
    "DRF001" => "table-not-in-sql" => TableNotInSql, Warning, "a table the ERD or a column table describes that no SQL statement creates (pgspec generated it)";
    "DRF002" => "table-not-in-erd" => TableNotInErd, Warning, "a table the SQL creates that the document's ERD or column tables do not describe";
    "DRF003" => "column-not-in-sql" => ColumnNotInSql, Warning, "a column the ERD or a column table declares that the SQL table lacks";
    "DRF004" => "column-not-in-erd" => ColumnNotInErd, Warning, "a column the SQL creates or uses that the table's ERD entity or column table does not declare";
    "DRF005" => "type-mismatch" => TypeMismatch, Warning, "the ERD or column table gives a column another type than the SQL";
    "DRF006" => "relationship-without-foreign-key" => RelationshipWithoutForeignKey, Warning, "an ERD relationship with no foreign key between the two tables";
    "DRF007" => "foreign-key-without-relationship" => ForeignKeyWithoutRelationship, Warning, "a foreign key between two ERD entities that the ERD does not draw";
    "DRF008" => "cardinality-mismatch" => CardinalityMismatch, Warning, "an ERD cardinality that the foreign key's nullability or uniqueness contradicts";
    "DRF009" => "key-mismatch" => KeyMismatch, Warning, "PK/UK markers of the ERD or column table disagree with the SQL's keys";
    "DRF010" => "fragment-merged" => FragmentMerged, Info, "a CREATE TABLE that is only a fragment was completed from the table's ERD entity or column table";
    "DRF011" => "relationship-to-undefined-entity" => RelationshipToUndefinedEntity, Warning, "an ERD relationship to an entity that neither the ERD, a column table nor the SQL defines";
    "SEED001" => "constraint-not-satisfied" => ConstraintNotSatisfied, Warning, "a constraint rejected rows pgspec generated (it could not satisfy it)";
    "SEED002" => "table-not-seeded" => TableNotSeeded, Warning, "a table received fewer rows than asked (a unique or foreign key limits it, or rows were rejected)";
    "VER001" => "claim-failed" => ClaimFailed, Error, "a claim of the document does not hold on the seeded database";
    "VER002" => "claim-skipped" => ClaimSkipped, Info, "a claim of the document could not be checked";
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert!(seen.insert(code.name()), "duplicate name {}", code.name());
            assert_eq!(Code::from_str_or_name(code.as_str()), Some(*code));
            assert_eq!(Code::from_str_or_name(code.name()), Some(*code));
        }
    }
}
