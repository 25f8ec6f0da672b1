//! pg_cron schedules a document declares: `SELECT cron.schedule([name,] schedule, command)` and
//! `cron.schedule_in_database(name, schedule, command, database)`, read from the parse tree.

use crate::ast::{self, NodeEnum, ParseTree};

/// One `cron.schedule(...)` call with constant arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    /// The job name, when the call gives one (the three-argument form).
    pub name: Option<String>,
    /// The schedule: five cron fields, `N seconds`, or `@daily`-style.
    pub schedule: String,
    /// The SQL the job runs.
    pub command: String,
    /// The database named by `schedule_in_database`.
    pub database: Option<String>,
}

/// The schedule a text declares, if it is a `cron.schedule` call with constant text
/// arguments. For text that is not a statement of the document (those keep their tree: use
/// [`crate::Statement::cron_schedule`]). Never panics.
pub fn schedule_of(sql: &str) -> Option<CronSchedule> {
    schedule_in(&*ast::parse(sql)?)
}

/// When `sql` is a schedule ([`schedule_of`]), the text of its `cron.schedule(…)` call: the
/// SELECT's target, from the tree's position for it (comments and casing before it do not
/// matter). For running the call as `PERFORM …` in PL/pgSQL.
pub fn scheduled_call(sql: &str) -> Option<&str> {
    let tree = ast::parse(sql)?;
    schedule_in(&tree)?;
    let NodeEnum::SelectStmt(select) = ast::first(&tree)? else {
        return None;
    };
    let NodeEnum::ResTarget(target) = ast::node(select.target_list.first()?)? else {
        return None;
    };
    sql.get(ast::offset(target.location)?..).map(str::trim)
}

/// The schedule the (first) statement of a tree declares: a `SELECT` whose one target is a
/// call of `cron.schedule` or `cron.schedule_in_database` with constant text arguments,
/// however the call is spelled (`CRON.Schedule`, `"cron"."schedule"`, comments inside).
pub fn schedule_in(tree: &ParseTree) -> Option<CronSchedule> {
    let NodeEnum::SelectStmt(select) = ast::first(tree)? else {
        return None;
    };
    let target = select.target_list.first()?;
    let NodeEnum::ResTarget(res) = target.node.as_ref()? else {
        return None;
    };
    let NodeEnum::FuncCall(call) = res.val.as_ref()?.node.as_ref()? else {
        return None;
    };
    let names: Vec<String> = call
        .funcname
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::String(s) => Some(s.sval.to_lowercase()),
            _ => None,
        })
        .collect();
    let function = match names.as_slice() {
        [schema, f] if schema == "cron" => f.as_str(),
        _ => return None,
    };
    let args: Vec<Option<String>> = call
        .args
        .iter()
        .map(|a| string_constant(a.node.as_ref()))
        .collect();
    let text = |i: usize| args.get(i).cloned().flatten();
    match (function, args.len()) {
        ("schedule", 2) => Some(CronSchedule {
            name: None,
            schedule: text(0)?,
            command: text(1)?,
            database: None,
        }),
        ("schedule", 3) => Some(CronSchedule {
            name: text(0),
            schedule: text(1)?,
            command: text(2)?,
            database: None,
        }),
        ("schedule_in_database", n) if n >= 4 => Some(CronSchedule {
            name: text(0),
            schedule: text(1)?,
            command: text(2)?,
            database: text(3),
        }),
        _ => None,
    }
}

/// A (possibly cast: `'…'::text`) string constant.
fn string_constant(node: Option<&NodeEnum>) -> Option<String> {
    ast::string_constant(node?).map(str::to_owned)
}

/// Whether pg_cron accepts `schedule`: five fields of numbers, ranges, lists, steps and names,
/// `N seconds` (1–59), or a `@` shorthand. Returns what is wrong otherwise.
pub fn validate_schedule(schedule: &str) -> Result<(), String> {
    let s = schedule.trim().to_ascii_lowercase();
    if let Some(n) = s
        .strip_suffix("seconds")
        .or_else(|| s.strip_suffix("second"))
    {
        return match n.trim().parse::<u32>() {
            Ok(1..=59) => Ok(()),
            _ => Err(format!("`{schedule}`: pg_cron accepts 1 to 59 seconds")),
        };
    }
    if s.starts_with('@') {
        return match s.as_str() {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" | "@reboot" => Ok(()),
            _ => Err(format!(
                "`{schedule}` is not a cron shorthand pg_cron knows"
            )),
        };
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "`{schedule}` has {} fields; pg_cron takes five (minute hour day-of-month month day-of-week)",
            fields.len()
        ));
    }
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let limits: [(u32, u32, &[&str]); 5] = [
        (0, 59, &[]),
        (0, 23, &[]),
        (1, 31, &[]),
        (1, 12, MONTHS),
        (0, 7, DAYS),
    ];
    let labels = ["minute", "hour", "day of month", "month", "day of week"];
    for (i, field) in fields.iter().enumerate() {
        let (lo, hi, names) = limits[i];
        let value_ok = |v: &str| {
            (i == 2 && v == "$")
                || names.contains(&v)
                || v.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n))
        };
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, st)) => (r, Some(st)),
                None => (part, None),
            };
            let range_ok = range == "*"
                || match range.split_once('-') {
                    Some((a, b)) => value_ok(a) && value_ok(b),
                    None => value_ok(range),
                };
            let step_ok = step.is_none_or(|st| st.parse::<u32>().is_ok_and(|n| n > 0));
            if !range_ok || !step_ok {
                return Err(format!(
                    "`{schedule}`: `{part}` is not a valid {} ({lo}–{hi})",
                    labels[i]
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_read_in_every_form() {
        assert_eq!(
            schedule_of("SELECT cron.schedule('cleanup', '0 2 * * *', 'SELECT f()')"),
            Some(CronSchedule {
                name: Some("cleanup".into()),
                schedule: "0 2 * * *".into(),
                command: "SELECT f()".into(),
                database: None
            })
        );
        let s = schedule_of("SELECT cron.schedule('0 0 1 * *', $$\n  SELECT g();\n$$);")
            .expect("two args");
        assert_eq!(s.name, None);
        assert_eq!(s.command.trim(), "SELECT g();");
        let s = schedule_of("select cron.schedule_in_database('j', '5 seconds', 'VACUUM', 'app')")
            .expect("in db");
        assert_eq!(s.database.as_deref(), Some("app"));
        assert_eq!(schedule_of("SELECT cron.unschedule('j')"), None);
        assert_eq!(
            schedule_of("SELECT cron.schedule(name, '* * * * *', 'x')").map(|s| s.name),
            Some(None)
        );
        assert_eq!(schedule_of("SELECT cron.schedule("), None);
    }

    #[test]
    fn schedules_are_read_from_the_tree_however_spelled() {
        // Words would miss these: quoted and mixed-case names, a comment between the parts.
        for sql in [
            "SELECT \"cron\".\"schedule\"('j', '@daily', 'VACUUM t')",
            "SeLeCt CRON.Schedule('j', '@daily', 'VACUUM t')",
            "SELECT cron /* the extension */ . schedule('j', '@daily', 'VACUUM t')",
            "-- nightly\nSELECT cron.schedule('j', '@daily', E'VACUUM t')",
        ] {
            let job = schedule_of(sql).unwrap_or_else(|| panic!("a schedule: {sql}"));
            assert_eq!(job.command, "VACUUM t", "{sql}");
        }
        assert_eq!(
            scheduled_call("/* nightly */ select CRON.schedule('j', '@daily', 'VACUUM t')"),
            Some("CRON.schedule('j', '@daily', 'VACUUM t')")
        );
        assert_eq!(scheduled_call("SELECT 1"), None);
        // Words would find these: a string mentioning it, another schema's function.
        assert_eq!(schedule_of("SELECT 'cron.schedule(1, 2)'"), None);
        assert_eq!(schedule_of("SELECT app.schedule('j', '@daily', 'x')"), None);
    }

    #[test]
    fn schedules_are_validated_like_pg_cron() {
        for ok in [
            "0 2 * * *",
            "*/30 * * * *",
            "0 0 1 * *",
            "0 9-17 * * mon-fri",
            "30 seconds",
            "@daily",
            "0 0 $ * *",
            "0,30 * * jan,jul 0",
        ] {
            assert_eq!(validate_schedule(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0 2 * *",
            "61 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "90 seconds",
            "@sometimes",
            "every day",
        ] {
            assert!(validate_schedule(bad).is_err(), "{bad}");
        }
    }
}
