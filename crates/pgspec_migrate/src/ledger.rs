//! The ledger `pgspec.sum` beside the migration files: a first line with the hash of all the
//! lines below it, then one line per file with its own hash. Two branches that each add a
//! migration change the first line differently, so git reports a conflict instead of merging
//! two files with the same number or a silent reorder.

use std::path::Path;

use crate::file::{sha256_hex, MigrationFile};
use crate::Error;

pub const FILE_NAME: &str = "pgspec.sum";

/// The ledger's text for these files (in version order).
pub fn render(files: &[MigrationFile]) -> String {
    let body: String = files
        .iter()
        .map(|f| format!("{} h1:{}\n", f.file_name, f.checksum))
        .collect();
    format!("h1:{}\n{body}", sha256_hex(body.as_bytes()))
}

/// Whether the ledger in `dir` matches `files`; the differences when it does not.
pub fn differences(dir: &Path, files: &[MigrationFile]) -> Result<Vec<String>, Error> {
    let path = dir.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if files.is_empty() {
                return Ok(Vec::new());
            }
            return Ok(vec![format!("{} is missing", path.display())]);
        }
        Err(e) => return Err(Error::new(format!("reading {}: {e}", path.display()))),
    };
    if text == render(files) {
        return Ok(Vec::new());
    }
    let mut lines = text.lines();
    let total = lines.next().unwrap_or("");
    let recorded: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(' '))
        .map(|(name, hash)| (name, hash.trim_start_matches("h1:")))
        .collect();
    let mut out = Vec::new();
    for f in files {
        match recorded.iter().find(|(name, _)| *name == f.file_name) {
            None => out.push(format!("{} is not in the ledger", f.file_name)),
            Some((_, hash)) if *hash != f.checksum => {
                out.push(format!(
                    "{} changed since the ledger was written",
                    f.file_name
                ));
            }
            Some(_) => {}
        }
    }
    for (name, _) in &recorded {
        if !files.iter().any(|f| f.file_name == *name) {
            out.push(format!("{name} is in the ledger but not in the directory"));
        }
    }
    if out.is_empty() {
        let body: String = recorded
            .iter()
            .map(|(n, h)| format!("{n} h1:{h}\n"))
            .collect();
        if total.trim_start_matches("h1:") != sha256_hex(body.as_bytes()) {
            out.push("the ledger's first line is not the hash of its other lines (a merge left it stale?)".into());
        } else {
            out.push("the ledger lists the files in another order".into());
        }
    }
    Ok(out)
}

pub fn write(dir: &Path, files: &[MigrationFile]) -> Result<(), Error> {
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, render(files))
        .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> MigrationFile {
        crate::file::parse(name, text.as_bytes()).expect("parses")
    }

    #[test]
    fn an_edited_added_or_missing_file_is_a_difference() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = file("0001_a.sql", "-- pgspec:up\nCREATE TABLE a (x int);\n");
        let b = file("0002_b.sql", "-- pgspec:up\nCREATE TABLE b (x int);\n");
        write(dir.path(), &[a.clone(), b.clone()]).expect("write");
        assert!(differences(dir.path(), &[a.clone(), b.clone()])
            .expect("read")
            .is_empty());
        let edited = file("0002_b.sql", "-- pgspec:up\nCREATE TABLE b (y int);\n");
        let d = differences(dir.path(), &[a.clone(), edited]).expect("read");
        assert_eq!(d, vec!["0002_b.sql changed since the ledger was written"]);
        let d = differences(dir.path(), std::slice::from_ref(&a)).expect("read");
        assert_eq!(
            d,
            vec!["0002_b.sql is in the ledger but not in the directory"]
        );
        let c = file("0003_c.sql", "-- pgspec:up\nCREATE TABLE c (x int);\n");
        let d = differences(dir.path(), &[a, b, c]).expect("read");
        assert_eq!(d, vec!["0003_c.sql is not in the ledger"]);
    }

    #[test]
    fn the_first_line_changes_with_every_file_so_parallel_additions_conflict() {
        let a = file("0001_a.sql", "-- pgspec:up\nCREATE TABLE a (x int);\n");
        let b = file("0002_b.sql", "-- pgspec:up\nCREATE TABLE b (x int);\n");
        let c = file("0002_c.sql", "-- pgspec:up\nCREATE TABLE c (x int);\n");
        let one = render(std::slice::from_ref(&a));
        let with_b = render(&[a.clone(), b]);
        let with_c = render(&[a, c]);
        let first = |s: &str| s.lines().next().unwrap_or("").to_string();
        assert_ne!(first(&one), first(&with_b));
        assert_ne!(first(&with_b), first(&with_c));
    }
}
