//! What `CREATE EXTENSION` needs to know of an installed extension, read from its control
//! files instead of the `pg_available_extension_versions` view.
//!
//! The view works out every version of every installed extension, and each extension's
//! versions come from a scan of the whole extension directory: with PostGIS installed that
//! is ~60 control files times ~850 directory entries, 15–36 ms of the server's CPU in every
//! run that creates an extension. Reading the one or two control files of each extension the
//! document creates (`pg_read_file`, as the superuser) answers the same two questions.
//! Anything this reader does not understand leaves the answer to the view.

use std::collections::HashMap;

/// What `CREATE EXTENSION` of an installed extension needs to know: whether it is trusted
/// (the database's owner may create it) and whether its control file fixes its schema.
pub(super) type ExtensionControl = (bool, bool);

/// The settings of one control file that matter here (absent: not set).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Control {
    pub default_version: Option<String>,
    pub trusted: Option<bool>,
    pub schema: Option<String>,
    /// Scripts and secondary control files live elsewhere: not followed here.
    pub directory: bool,
}

/// Whether `name` is a name PostgreSQL accepts for an extension or a version, and one that
/// stays a single file name inside the extension directory.
pub(super) fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("--")
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.')
}

/// Parse a control file (`name = value` lines, `#` comments, values bare or in single quotes
/// with `''` for a quote). None when a line is not of that form or a setting that matters
/// here has a value this reader would have to guess at.
pub(super) fn parse(text: &str) -> Option<Control> {
    let mut control = Control::default();
    for line in text.lines() {
        let Some((name, value)) = setting(line)? else {
            continue;
        };
        match name.to_ascii_lowercase().as_str() {
            "default_version" => control.default_version = Some(value),
            "trusted" => control.trusted = Some(boolean(&value)?),
            "schema" => control.schema = Some(value),
            "directory" => control.directory = true,
            _ => {}
        }
    }
    Some(control)
}

/// One line's setting: Some(None) for a blank or comment line, None when unreadable.
fn setting(line: &str) -> Option<Option<(String, String)>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Some(None);
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(line.len());
    if end == 0 {
        return None;
    }
    let (name, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    let value = if let Some(quoted) = rest.strip_prefix('\'') {
        let mut value = String::new();
        let mut chars = quoted.chars().peekable();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    value.push('\'');
                }
                '\'' => break,
                // Escapes the server would decode: not guessed at.
                '\\' => return None,
                c => value.push(c),
            }
        }
        let tail = chars.collect::<String>();
        let tail = tail.trim();
        if !(tail.is_empty() || tail.starts_with('#')) {
            return None;
        }
        value
    } else {
        let bare = rest.split('#').next().unwrap_or("").trim();
        if bare.is_empty() || bare.contains(char::is_whitespace) {
            return None;
        }
        bare.to_string()
    };
    Some(Some((name.to_string(), value)))
}

/// A boolean as the server reads one, in the spellings control files use.
fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The answer for one extension from its primary control file and, when it has one, the
/// secondary control file of its default version (which overrides it). (false, false) when
/// the extension is not installed or has no default version, as the view says by having no
/// row for it.
pub(super) fn extension_control(
    primary: Option<&Control>,
    secondary: Option<&Control>,
) -> ExtensionControl {
    let Some(primary) = primary.filter(|p| p.default_version.is_some()) else {
        return (false, false);
    };
    let trusted = secondary
        .and_then(|s| s.trusted)
        .or(primary.trusted)
        .unwrap_or(false);
    let schema = secondary
        .and_then(|s| s.schema.as_ref())
        .or(primary.schema.as_ref())
        .is_some();
    (trusted, schema)
}

/// Read [`ExtensionControl`] of each of `names` from control files through `read` (a
/// file name inside the extension directory → its text, None when there is no such file;
/// Err when it cannot be read at all). None when any of them needs the view.
pub(super) fn read_all<E>(
    names: &[String],
    mut read: impl FnMut(&[String]) -> Result<Vec<Option<String>>, E>,
) -> Option<HashMap<String, ExtensionControl>> {
    if !names.iter().all(|n| plain_name(n)) {
        return None;
    }
    let files: Vec<String> = names.iter().map(|n| format!("{n}.control")).collect();
    let texts = read(&files).ok()?;
    let mut primaries = Vec::with_capacity(names.len());
    for text in texts {
        let control = match text {
            Some(text) => Some(parse(&text)?),
            None => None,
        };
        if control.as_ref().is_some_and(|c| c.directory) {
            return None;
        }
        primaries.push(control);
    }
    if primaries.len() != names.len() {
        return None;
    }
    // The secondary control files of the default versions, where they exist.
    let mut wanted = Vec::new();
    for (name, control) in names.iter().zip(&primaries) {
        if let Some(version) = control.as_ref().and_then(|c| c.default_version.as_deref()) {
            if !plain_name(version) {
                return None;
            }
            wanted.push(format!("{name}--{version}.control"));
        }
    }
    let mut secondaries: HashMap<String, Control> = HashMap::new();
    if !wanted.is_empty() {
        let texts = read(&wanted).ok()?;
        if texts.len() != wanted.len() {
            return None;
        }
        for (file, text) in wanted.into_iter().zip(texts) {
            if let Some(text) = text {
                secondaries.insert(file, parse(&text)?);
            }
        }
    }
    Some(
        names
            .iter()
            .zip(&primaries)
            .map(|(name, primary)| {
                let secondary = primary
                    .as_ref()
                    .and_then(|p| p.default_version.as_deref())
                    .and_then(|v| secondaries.get(&format!("{name}--{v}.control")));
                (name.clone(), extension_control(primary.as_ref(), secondary))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_settings_that_matter_in_the_spellings_control_files_use() {
        let control = parse(
            "# a comment\n\
             comment = 'it''s an extension'   # trailing\n\
             default_version = '1.4'\n\
             module_pathname = '$libdir/thing'\n\
             relocatable = true\n\
             trusted true\n\
             schema=pg_catalog\n",
        )
        .expect("parses");
        assert_eq!(
            control,
            Control {
                default_version: Some("1.4".into()),
                trusted: Some(true),
                schema: Some("pg_catalog".into()),
                directory: false,
            }
        );
        assert_eq!(parse("trusted = off").expect("parses").trusted, Some(false));
        assert!(parse("directory = 'elsewhere'").expect("parses").directory);
    }

    #[test]
    fn what_it_would_have_to_guess_at_is_left_to_the_view() {
        assert_eq!(parse("trusted = maybe"), None);
        assert_eq!(parse("comment = 'unterminated"), None);
        assert_eq!(parse("comment = 'a\\tb'"), None);
        assert_eq!(parse("= 'no name'"), None);
        assert_eq!(parse("comment = two words"), None);
    }

    /// Every control file of the PostgreSQL installed here (PostGIS, pg_cron, contrib, …) is
    /// one this reader understands, so the view is the exception, not the rule.
    #[test]
    fn the_installed_control_files_are_understood() {
        let dirs: Vec<_> = std::fs::read_dir("/usr/share/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path().join("extension"))
            .filter(|d| d.is_dir())
            .collect();
        let mut seen = 0;
        for dir in dirs {
            for file in std::fs::read_dir(&dir)
                .expect("read the directory")
                .flatten()
            {
                let path = file.path();
                if path.extension().is_some_and(|e| e == "control") {
                    let text = std::fs::read_to_string(&path).expect("read");
                    let control = parse(&text).unwrap_or_else(|| panic!("{}", path.display()));
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    if !stem.contains("--") {
                        assert!(control.default_version.is_some(), "{}", path.display());
                    }
                    seen += 1;
                }
            }
        }
        if std::path::Path::new("/usr/share/postgresql").exists() {
            assert!(seen > 0, "no control file found");
        }
    }

    #[test]
    fn names_stay_inside_the_extension_directory() {
        assert!(plain_name("uuid-ossp"));
        assert!(plain_name("postgis_topology"));
        assert!(plain_name("3.3.2"));
        for bad in ["", "../x", "a/b", "a--b", "-a", "a-", ".hidden", "a b", "é"] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_default_versions_secondary_file_overrides_the_primary() {
        let files: HashMap<&str, &str> = [
            ("plain.control", "default_version = '1.0'\n"),
            ("kind.control", "default_version = '2.0'\ntrusted = true\n"),
            (
                "fixed.control",
                "default_version = '1.1'\nschema = 'pg_catalog'\n",
            ),
            ("fixed--1.1.control", "trusted = true\n"),
            ("moved.control", "default_version = '3'\ntrusted = true\n"),
            ("moved--3.control", "trusted = false\nschema = x\n"),
            ("noversion.control", "trusted = true\n"),
        ]
        .into_iter()
        .collect();
        let names: Vec<String> = ["plain", "kind", "fixed", "moved", "noversion", "missing"]
            .into_iter()
            .map(String::from)
            .collect();
        let mut reads = 0;
        let controls = read_all::<()>(&names, |wanted| {
            reads += 1;
            Ok(wanted
                .iter()
                .map(|f| files.get(f.as_str()).map(|t| t.to_string()))
                .collect())
        })
        .expect("read");
        assert_eq!(reads, 2, "primaries in one read, secondaries in another");
        assert_eq!(controls["plain"], (false, false));
        assert_eq!(controls["kind"], (true, false));
        assert_eq!(controls["fixed"], (true, true));
        assert_eq!(controls["moved"], (false, true));
        assert_eq!(controls["noversion"], (false, false));
        assert_eq!(controls["missing"], (false, false));
    }

    #[test]
    fn a_strange_name_or_file_leaves_every_answer_to_the_view() {
        let never = |_: &[String]| -> Result<Vec<Option<String>>, ()> { panic!("not read") };
        assert_eq!(read_all(&["../../etc/passwd".to_string()], never), None);
        let elsewhere = read_all::<()>(&["x".to_string()], |_| {
            Ok(vec![Some(
                "directory = 'other'\ndefault_version = '1'".into(),
            )])
        });
        assert_eq!(elsewhere, None);
        let unreadable = read_all::<()>(&["x".to_string()], |_| Err(()));
        assert_eq!(unreadable, None);
    }
}
