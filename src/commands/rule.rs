//! `pgspec rule`: explain a rule, or list them all.

use std::process::ExitCode;

use anyhow::Result;

use pgspec::lint::Rule;

pub(crate) fn run_rule(rule: Option<&str>) -> Result<ExitCode> {
    let Some(name) = rule else {
        for r in Rule::ALL {
            println!(
                "{:<7} {:<42} {:<8} {:<18} {}",
                r.code(),
                r.name(),
                r.default_severity().as_str(),
                r.category().as_str(),
                r.summary()
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    match Rule::from_code_or_name(name) {
        Some(r) => {
            println!(
                "{}\n\ncode: {}  name: {}  phase: {}  category: {}  default severity: {}  fix: {}",
                r.docs().trim_end(),
                r.code(),
                r.name(),
                r.phase().as_str(),
                r.category().as_str(),
                r.default_severity().as_str(),
                r.fix_availability().as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            anyhow::bail!("no rule `{name}` (run `pgspec rule` to list them)")
        }
    }
}
