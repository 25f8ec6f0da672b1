//! One migration file: `NNNN_slug.sql`, a header of comments, then an up section and a down
//! section. Inside a section, `-- pgspec:no-transaction` starts a step of one statement that
//! runs outside a transaction block (PostgreSQL refuses some statements inside one), and
//! `-- pgspec:transaction` goes back to the transactional steps. The transactional text of a
//! section runs in one transaction with the file's record in the database.

use std::fmt::Write as _;

use pgspec_diff::Plan;
use pgspec_sql::ast::{self, NodeEnum};

use crate::Error;

pub const UP: &str = "-- pgspec:up";
pub const DOWN: &str = "-- pgspec:down";
pub const NO_TRANSACTION: &str = "-- pgspec:no-transaction";
pub const TRANSACTION: &str = "-- pgspec:transaction";

/// A part of a section that runs as one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub sql: String,
    /// `false`: one statement run outside a transaction block.
    pub transactional: bool,
}

/// A migration file as read from the directory.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    pub version: u32,
    /// `NNNN_slug.sql`.
    pub file_name: String,
    /// The SHA-256 of the file's bytes, hex.
    pub checksum: String,
    pub up: Vec<Step>,
    pub down: Vec<Step>,
}

impl MigrationFile {
    /// Whether every up step runs in the file's one transaction.
    pub fn up_is_atomic(&self) -> bool {
        self.up.iter().all(|s| s.transactional)
    }
}

/// The version a file name carries: `0001_slug.sql` → 1. `None` for any other name.
pub fn version_of(file_name: &str) -> Option<u32> {
    let stem = file_name.strip_suffix(".sql")?;
    let (digits, slug) = stem.split_once('_')?;
    let valid_slug = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if digits.len() < 4 || !digits.chars().all(|c| c.is_ascii_digit()) || !valid_slug {
        return None;
    }
    digits.parse().ok()
}

/// A slug for a file name from what the user typed: lowercase letters, digits and `_`.
pub fn slug(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_string();
    let mut s = if s.is_empty() {
        "change".to_string()
    } else {
        s
    };
    s.truncate(60);
    s
}

pub fn parse(file_name: &str, bytes: &[u8]) -> Result<MigrationFile, Error> {
    let version = version_of(file_name).ok_or_else(|| {
        Error::new(format!(
            "{file_name}: a migration file is named NNNN_slug.sql (four or more digits, then letters, digits, `_` or `-`)"
        ))
    })?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::new(format!("{file_name}: not UTF-8 text")))?;
    let bad = |why: String| Error::new(format!("{file_name}: {why}"));
    #[derive(PartialEq)]
    enum Section {
        Header,
        Up,
        Down,
    }
    let mut section = Section::Header;
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut current = Step {
        sql: String::new(),
        transactional: true,
    };
    let finish = |section: &Section, step: Step, up: &mut Vec<Step>, down: &mut Vec<Step>| {
        let target = match section {
            Section::Up => up,
            Section::Down => down,
            Section::Header => return,
        };
        if !step.sql.trim().is_empty() {
            target.push(step);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let marker = line.trim_end();
        let next = match marker {
            UP if section == Section::Header => Some((Section::Up, true)),
            UP => return Err(bad(format!("line {}: a second `{UP}`", i + 1))),
            DOWN if section == Section::Up => Some((Section::Down, true)),
            DOWN => {
                return Err(bad(format!(
                    "line {}: `{DOWN}` comes once, after `{UP}`",
                    i + 1
                )))
            }
            NO_TRANSACTION | TRANSACTION if section == Section::Header => {
                return Err(bad(format!("line {}: `{marker}` before `{UP}`", i + 1)))
            }
            NO_TRANSACTION => Some((Section::Up, false)),
            TRANSACTION => Some((Section::Up, true)),
            _ => None,
        };
        match next {
            Some((new_section, transactional)) => {
                let done = std::mem::replace(
                    &mut current,
                    Step {
                        sql: String::new(),
                        transactional,
                    },
                );
                finish(&section, done, &mut up, &mut down);
                // The step markers stay in their section.
                if marker == UP || marker == DOWN {
                    section = new_section;
                }
            }
            None if section == Section::Header => {
                let t = line.trim();
                if !t.is_empty() && !t.starts_with("--") {
                    return Err(bad(format!(
                        "line {}: SQL before `{UP}` (the header holds comments only)",
                        i + 1
                    )));
                }
            }
            None => {
                current.sql.push_str(line);
                current.sql.push('\n');
            }
        }
    }
    finish(&section, current, &mut up, &mut down);
    if section == Section::Header {
        return Err(bad(format!("no `{UP}` section")));
    }
    for step in up.iter().chain(&down) {
        check_step(step).map_err(bad)?;
    }
    Ok(MigrationFile {
        version,
        file_name: file_name.to_string(),
        checksum: sha256_hex(bytes),
        up,
        down,
    })
}

/// What the parser says of a step: a transactional step holds no transaction statement (it
/// would end the file's transaction early); a step outside a transaction is one statement.
fn check_step(step: &Step) -> Result<(), String> {
    let Some(tree) = ast::parse(&step.sql) else {
        return Err(format!(
            "PostgreSQL's parser rejects this step: {}",
            first_line(&step.sql)
        ));
    };
    let nodes: Vec<&NodeEnum> = ast::top_nodes(&tree).collect();
    if let Some(NodeEnum::TransactionStmt(_)) = nodes
        .iter()
        .find(|n| matches!(n, NodeEnum::TransactionStmt(_)))
    {
        return Err(format!(
            "a transaction statement (BEGIN, COMMIT, …) in a migration: pgspec opens and closes the transactions itself ({})",
            first_line(&step.sql)
        ));
    }
    if !step.transactional && nodes.len() != 1 {
        return Err(format!(
            "`{NO_TRANSACTION}` is followed by one statement, not {} ({})",
            nodes.len(),
            first_line(&step.sql)
        ));
    }
    Ok(())
}

fn first_line(sql: &str) -> &str {
    sql.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("")
}

/// The text of a new migration file from the two plans.
pub fn render(version: u32, slug: &str, document: &str, up: &Plan, down: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- pgspec migration {version:04} {slug}");
    let _ = writeln!(
        out,
        "-- Written by `pgspec migrate new` from {}. Edit it before it is applied, never after",
        pgspec_sql::quote::comment_text(document)
    );
    let _ = writeln!(
        out,
        "-- (run `pgspec migrate hash` after an edit; the database keeps each applied file's checksum)."
    );
    out.push_str(UP);
    out.push('\n');
    section(&mut out, up);
    out.push_str(DOWN);
    out.push('\n');
    section(&mut out, down);
    out
}

/// The text of a first migration: the document's script (its own statements, as `pgspec up`
/// ran them) as the up section, and the plan back to an empty database as the down section.
pub fn render_first(version: u32, slug: &str, document: &str, script: &str, down: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- pgspec migration {version:04} {slug}");
    let _ = writeln!(
        out,
        "-- Written by `pgspec migrate new` from {}: its statements as `pgspec up` runs them.",
        pgspec_sql::quote::comment_text(document)
    );
    let _ = writeln!(
        out,
        "-- Edit it before it is applied, never after (run `pgspec migrate hash` after an edit)."
    );
    out.push_str(UP);
    out.push('\n');
    let script = outside_transaction_marked(script);
    out.push_str(&script);
    if !script.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(DOWN);
    out.push('\n');
    section(&mut out, down);
    out
}

/// `script` with each statement PostgreSQL refuses inside a transaction block (the
/// document's own `CREATE INDEX CONCURRENTLY`) in a no-transaction step of its own: the lines
/// it stands on between the two markers.
fn outside_transaction_marked(script: &str) -> String {
    let extracted =
        pgspec_checks::pipeline::extract_as(script.as_bytes(), pgspec_document::SourceKind::Sql);
    let mut out = String::new();
    let mut at = 0;
    for st in &extracted.statements {
        if !pgspec_sql::transactions::refused_in_transaction_block(st) {
            continue;
        }
        let (start, end) = (st.range.start as usize, st.range.end as usize);
        if start < at || end > script.len() {
            continue;
        }
        let line_start = script[..start].rfind('\n').map_or(0, |i| i + 1).max(at);
        let line_end = script[end..]
            .find('\n')
            .map_or(script.len(), |i| end + i + 1);
        out.push_str(&script[at..line_start]);
        out.push_str(NO_TRANSACTION);
        out.push('\n');
        out.push_str(&script[line_start..line_end]);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(TRANSACTION);
        out.push('\n');
        at = line_end;
    }
    out.push_str(&script[at..]);
    out
}

fn section(out: &mut String, plan: &Plan) {
    let mut in_transaction = true;
    for s in &plan.statements {
        if s.transactional != in_transaction {
            out.push_str(if s.transactional {
                TRANSACTION
            } else {
                NO_TRANSACTION
            });
            out.push('\n');
            in_transaction = s.transactional;
        } else if !s.transactional {
            // One statement per step outside a transaction.
            out.push_str(NO_TRANSACTION);
            out.push('\n');
        }
        let one = Plan {
            statements: vec![pgspec_diff::Statement {
                transactional: true,
                ..s.clone()
            }],
        };
        out.push_str(&one.script());
    }
}

/// SHA-256 of `bytes` in lowercase hex: a file's checksum, in the ledger and in the history.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_well_formed_names_only() {
        assert_eq!(version_of("0001_init.sql"), Some(1));
        assert_eq!(version_of("0012_add-email_2.sql"), Some(12));
        assert_eq!(version_of("1_init.sql"), None);
        assert_eq!(version_of("0001_.sql"), None);
        assert_eq!(version_of("0001_a b.sql"), None);
        assert_eq!(version_of("0001_init.txt"), None);
        assert_eq!(slug("Add e-mail!"), "add_e_mail");
        assert_eq!(slug("--"), "change");
    }

    #[test]
    fn sections_and_steps_are_read_from_the_markers() {
        let text = "-- header\n-- pgspec:up\nCREATE TABLE a (x int);\nALTER TABLE a ADD y int;\n\
                    -- pgspec:no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);\n\
                    -- pgspec:transaction\nCOMMENT ON TABLE a IS 'a';\n\
                    -- pgspec:down\nDROP TABLE a;\n";
        let f = parse("0003_a.sql", text.as_bytes()).expect("parses");
        assert_eq!(f.version, 3);
        assert_eq!(f.up.len(), 3);
        assert!(f.up[0].transactional && f.up[0].sql.contains("ADD y"));
        assert!(!f.up[1].transactional && f.up[1].sql.contains("CONCURRENTLY"));
        assert!(f.up[2].transactional);
        assert!(!f.up_is_atomic());
        assert_eq!(f.down.len(), 1);
        assert_eq!(f.checksum.len(), 64);
    }

    #[test]
    fn a_first_files_concurrent_index_gets_a_step_outside_the_transaction() {
        let script = "CREATE TABLE a (x int);\n-- line 3\nCREATE INDEX CONCURRENTLY a_x ON a (x);\nCOMMENT ON TABLE a IS 'a';\n";
        let text = render_first(1, "init", "doc.md", script, &Plan::default());
        let f = parse("0001_init.sql", text.as_bytes()).expect("parses");
        let kinds: Vec<bool> = f.up.iter().map(|s| s.transactional).collect();
        assert_eq!(kinds, [true, false, true], "{text}");
        assert!(f.up[1].sql.contains("CONCURRENTLY a_x"), "{text}");
    }

    #[test]
    fn malformed_files_are_refused_with_the_reason() {
        let cases = [
            ("CREATE TABLE a (x int);\n-- pgspec:up\n", "SQL before"),
            ("-- pgspec:down\nDROP TABLE a;\n", "comes once, after"),
            ("-- no sections\n", "no `-- pgspec:up`"),
            ("-- pgspec:up\nBEGIN;\nCREATE TABLE a (x int);\n", "transaction statement"),
            (
                "-- pgspec:up\n-- pgspec:no-transaction\nCREATE TABLE a (x int); CREATE TABLE b (x int);\n",
                "one statement, not 2",
            ),
            ("-- pgspec:up\nCREATE TABLE (;\n", "parser rejects"),
        ];
        for (text, why) in cases {
            let e = parse("0001_x.sql", text.as_bytes()).expect_err(text);
            assert!(e.to_string().contains(why), "{text:?}: {e}");
        }
    }
}
