//! Which hazards of a plan a person must accept before pgspec runs it on a database that holds
//! rows, and `--allow-hazards`: the kinds (`data-loss`, `locking`), `all`, or single hazards by
//! code or name (`DIF003`, `migration-rewrites-table`). One home for `up` and `migrate down`.

use pgspec_diagnostics::Rule;
use pgspec_diff::Plan;

/// What a hazard risks, as far as accepting it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Values are dropped, or a type may reject or change them.
    DataLoss,
    /// Writes (or reads) wait while the statement runs: a rewrite, a scan under a lock, an
    /// index built inside a transaction.
    Locking,
    /// Shown, never in the way (an index dropped, an untracked dependant).
    Other,
}

impl Kind {
    /// The kind of a hazard `code` on a statement that runs inside a transaction block or not.
    pub fn of(code: Rule, transactional: bool) -> Kind {
        match code {
            Rule::MigrationDropsData | Rule::MigrationNarrowsType => Kind::DataLoss,
            Rule::MigrationRewritesTable | Rule::MigrationValidationScan => Kind::Locking,
            // CONCURRENTLY runs outside a transaction and lets writes go on; a build inside
            // one (a partitioned table, a materialized view) makes them wait.
            Rule::MigrationBuildsIndex if transactional => Kind::Locking,
            _ => Kind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DataLoss => "data-loss",
            Kind::Locking => "locking",
            Kind::Other => "other",
        }
    }

    /// Whether a hazard of this kind must be accepted by `--allow-hazards`.
    pub fn needs_allowing(self) -> bool {
        self != Kind::Other
    }
}

/// What `--allow-hazards` accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowance {
    all: bool,
    kinds: Vec<Kind>,
    codes: Vec<Rule>,
}

impl Allowance {
    /// Every hazard (`--allow-hazards all`).
    pub fn all() -> Allowance {
        Allowance {
            all: true,
            ..Allowance::default()
        }
    }

    /// The values of `--allow-hazards` (already split at commas): `all`, `data-loss`,
    /// `locking`, or a hazard's code or name. The error names the value and what is accepted.
    pub fn parse(values: &[String]) -> Result<Allowance, String> {
        let mut allowance = Allowance::default();
        for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            match value {
                "all" => allowance.all = true,
                "data-loss" => allowance.kinds.push(Kind::DataLoss),
                "locking" => allowance.kinds.push(Kind::Locking),
                other => match Rule::from_code_or_name(other) {
                    Some(rule) if hazard_code(rule) => {
                        allowance.codes.push(rule);
                    }
                    _ => {
                        return Err(format!(
                            "`{other}` is not a hazard: give `all`, a kind (`data-loss`, `locking`) or a hazard's code or name (`DIF001`…`DIF007`, `migration-drops-data`, …)"
                        ))
                    }
                },
            }
        }
        Ok(allowance)
    }

    /// Whether a hazard `code` of `kind` is accepted.
    pub fn allows(&self, code: Rule, kind: Kind) -> bool {
        self.all || self.kinds.contains(&kind) || self.codes.contains(&code)
    }
}

/// The codes a plan's statement can carry as hazards.
fn hazard_code(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::MigrationDropsData
            | Rule::MigrationNarrowsType
            | Rule::MigrationRewritesTable
            | Rule::MigrationBuildsIndex
            | Rule::MigrationDropsIndex
            | Rule::MigrationValidationScan
            | Rule::MigrationUntrackedChange
            | Rule::MigrationNeedsEmptyTable
    )
}

/// A hazard of a plan, with its kind and whether it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Judged {
    /// Index of its statement in the plan.
    pub statement: usize,
    pub code: Rule,
    pub kind: Kind,
    pub message: String,
    pub allowed: bool,
}

/// Every hazard of `plan`, judged against `allowance`: a hazard that needs allowing and is
/// not allowed has `allowed: false`, and the plan must not run.
pub fn judge(plan: &Plan, allowance: &Allowance) -> Vec<Judged> {
    plan.statements
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.hazards.iter().map(move |h| {
                let kind = Kind::of(h.code, s.transactional);
                Judged {
                    statement: i,
                    code: h.code,
                    kind,
                    message: h.message.clone(),
                    allowed: !kind.needs_allowing() || allowance.allows(h.code, kind),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_take_kinds_codes_names_and_all() {
        let parse =
            |v: &[&str]| Allowance::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let data = parse(&["data-loss"]).expect("parses");
        assert!(data.allows(Rule::MigrationDropsData, Kind::DataLoss));
        assert!(!data.allows(Rule::MigrationRewritesTable, Kind::Locking));
        let one = parse(&["DIF003", "migration-validation-scan"]).expect("parses");
        assert!(one.allows(Rule::MigrationRewritesTable, Kind::Locking));
        assert!(one.allows(Rule::MigrationValidationScan, Kind::Locking));
        assert!(!one.allows(Rule::MigrationNarrowsType, Kind::DataLoss));
        assert!(parse(&["all"])
            .expect("parses")
            .allows(Rule::MigrationNarrowsType, Kind::DataLoss));
        assert!(parse(&["PG001"]).is_err());
        assert!(parse(&["everything"]).is_err());
    }

    #[test]
    fn an_index_built_concurrently_does_not_need_allowing() {
        assert_eq!(Kind::of(Rule::MigrationBuildsIndex, false), Kind::Other);
        assert_eq!(Kind::of(Rule::MigrationBuildsIndex, true), Kind::Locking);
        assert_eq!(Kind::of(Rule::MigrationDropsIndex, true), Kind::Other);
        assert_eq!(Kind::of(Rule::MigrationNarrowsType, true), Kind::DataLoss);
    }
}
