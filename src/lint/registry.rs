//! The lint rule registry: one declarative table, stable codes (`LNT201`) and kebab names
//! (`rls-enabled-without-policy`). Codes are never reused. The explanation of each rule lives
//! in `docs/rules/<name>.md` (What it does / Why is this bad? / Example / Fix safety / Peers).

use crate::diagnostics::{Category, Severity};

macro_rules! rules {
    ($($code:literal => $name:literal => $variant:ident, $category:ident, $severity:ident, $summary:literal;)*) => {
        /// A lint rule: stable code, kebab name, category, default severity and explanation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(#[doc = $summary] $variant,)*
        }

        impl Rule {
            /// Every rule, in table order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code, e.g. `LNT201`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }

            /// The kebab-case name, e.g. `rls-enabled-without-policy`.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The category its findings are reported under.
            pub fn category(self) -> Category {
                match self { $(Rule::$variant => Category::$category,)* }
            }

            /// Severity unless configuration overrides it.
            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// One-line summary.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary,)* }
            }

            /// The full explanation (Markdown), as `pgspec rule CODE` prints it.
            pub fn docs(self) -> &'static str {
                match self { $(Rule::$variant => include_str!(concat!("../../docs/rules/", $name, ".md")),)* }
            }

            /// Look a rule up by code or name (case-insensitive).
            pub fn from_code_or_name(s: &str) -> Option<Rule> {
                let s = s.trim();
                Rule::ALL.iter().copied().find(|r| r.code().eq_ignore_ascii_case(s) || r.name().eq_ignore_ascii_case(s))
            }
        }
    };
}

rules! {
    "LNT001" => "unused-suppression" => UnusedSuppression, Suppression, Warning, "a `pgspec-ignore` comment that suppresses nothing";
    "LNT101" => "value-violates-check" => ValueViolatesCheck, Constraint, Error, "a value the document writes is outside the CHECK list, enum or length of its column";
    "LNT102" => "uuid-in-short-varchar" => UuidInShortVarchar, Constraint, Error, "a uuid (36 characters as text) is written into a varchar shorter than 36";
    "LNT103" => "insert-omits-not-null" => InsertOmitsNotNull, Constraint, Error, "an INSERT omits a NOT NULL column that has no default";
    "LNT104" => "check-bypassed-by-null" => CheckBypassedByNull, Constraint, Warning, "a CHECK over several columns passes silently when a nullable column is NULL";
    "LNT201" => "rls-enabled-without-policy" => RlsEnabledWithoutPolicy, Rls, Warning, "row level security is enabled on a table that has no policy (every row is hidden)";
    "LNT202" => "policy-without-rls" => PolicyWithoutRls, Rls, Error, "a table has policies but row level security is not enabled, so they are ignored";
    "LNT203" => "command-without-policy" => CommandWithoutPolicy, Rls, Warning, "a table with row level security has policies, but none for one of the commands";
    "LNT204" => "current-setting-without-missing-ok" => CurrentSettingWithoutMissingOk, Rls, Warning, "a policy calls `current_setting(name)` without `missing_ok`, which raises when the setting is absent";
    "LNT205" => "policy-compares-different-ids" => PolicyComparesDifferentIds, Rls, Error, "a policy compares an id with a column that holds another kind of id (user id vs auth id), as the document's own comparisons and foreign keys show";
    "LNT301" => "plpgsql-check" => PlpgsqlCheck, Plpgsql, Error, "plpgsql_check found an error in a PL/pgSQL function body";
    "LNT302" => "trigger-reads-missing-row" => TriggerReadsMissingRow, Plpgsql, Error, "a trigger function reads NEW in a DELETE trigger or OLD in an INSERT trigger";
    "LNT303" => "security-definer-without-search-path" => SecurityDefinerWithoutSearchPath, Plpgsql, Warning, "a SECURITY DEFINER function without `SET search_path`";
    "LNT401" => "duplicate-index" => DuplicateIndex, Hygiene, Warning, "two indexes (or constraints' indexes) on the same columns";
    "LNT402" => "redundant-index" => RedundantIndex, Hygiene, Info, "a plain index whose columns are a prefix of another index";
    "LNT403" => "foreign-key-without-index" => ForeignKeyWithoutIndex, Hygiene, Warning, "a foreign key whose columns no index starts with";
    "LNT404" => "prefer-timestamptz" => PreferTimestamptz, Hygiene, Warning, "a `timestamp without time zone` column";
    "LNT405" => "identifier-too-long" => IdentifierTooLong, Hygiene, Warning, "an identifier longer than 63 bytes, which PostgreSQL truncates";
    "LNT406" => "table-without-primary-key" => TableWithoutPrimaryKey, Hygiene, Warning, "a table without a primary key";
    "LNT407" => "duplicate-constraint" => DuplicateConstraint, Hygiene, Warning, "two constraints with the same definition on the same table";
    "LNT408" => "partition-coverage" => PartitionCoverage, Hygiene, Warning, "a range-partitioned table with no partition for today's rows, or no DEFAULT partition";
    "LNT501" => "cron-calls-missing-function" => CronCallsMissingFunction, Schedule, Error, "a pg_cron job calls a function that does not exist";
    "LNT502" => "refresh-concurrently-without-unique-index" => RefreshConcurrentlyWithoutUniqueIndex, Schedule, Error, "`REFRESH MATERIALIZED VIEW CONCURRENTLY` on a view without a unique index";
    "LNT503" => "matview-never-refreshed" => MatviewNeverRefreshed, Schedule, Warning, "a materialized view the document never refreshes (no REFRESH, no cron job)";
    "LNT601" => "redis-del-glob" => RedisDelGlob, Cache, Error, "a Redis DEL is given a glob pattern, which DEL does not expand";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_docs_have_the_sections() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.code()), "duplicate code {}", rule.code());
            assert!(seen.insert(rule.name()), "duplicate name {}", rule.name());
            assert_eq!(Rule::from_code_or_name(rule.code()), Some(*rule));
            assert_eq!(Rule::from_code_or_name(rule.name()), Some(*rule));
            let docs = rule.docs();
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
            assert!(
                docs.starts_with(&format!("# {} ({})", rule.name(), rule.code())),
                "{} docs title",
                rule.name()
            );
        }
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../../README.md");
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
