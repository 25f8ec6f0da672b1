//! `pgspec.toml`: which codes are reported, by `check` and `lint` alike (every code pgspec
//! prints is a rule of the one registry). Selectors are codes (`LNT201`, `PG003`), names
//! (`rls-enabled-without-policy`), code prefixes (`LNT2`, `DRF`) or `ALL`.
//!
//! ```toml
//! [lint]
//! select = ["ALL"]
//! ignore = ["LNT404"]
//! [lint.per-file-ignores]
//! "docs/legacy/*.md" = ["LNT4", "redundant-index"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Rule;

/// The config file pgspec looks for, from the document's directory upwards.
pub const CONFIG_FILE: &str = "pgspec.toml";

/// Rule selection for one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintConfig {
    /// Codes to report (empty = all).
    pub select: Vec<String>,
    /// Codes never to report.
    pub ignore: Vec<String>,
    /// `(glob, selectors)`: rules ignored for documents whose path matches the glob.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    /// Where the config came from (globs are relative to its directory).
    pub origin: Option<PathBuf>,
    /// The document being linted, for `per-file-ignores` (set with [`LintConfig::for_document`]).
    pub document: Option<PathBuf>,
}

/// A config file pgspec cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Section {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    per_file_ignores: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    lint: Option<Section>,
}

impl LintConfig {
    /// Parse a config file's text. Unknown selectors are errors, so a typo never silently
    /// disables nothing.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let section = file.lint.unwrap_or_default();
        let config = Self {
            select: section.select,
            ignore: section.ignore,
            per_file_ignores: section.per_file_ignores.into_iter().collect(),
            origin: Some(path.to_path_buf()),
            document: None,
        };
        for selector in config
            .select
            .iter()
            .chain(&config.ignore)
            .chain(config.per_file_ignores.iter().flat_map(|(_, s)| s))
        {
            if !is_valid_selector(selector) {
                return Err(invalid(format!(
                    "unknown rule selector `{selector}` (use a code like LNT201 or PG003, a prefix like LNT2 or DRF, a rule name, or ALL; `pgspec rule` lists them)"
                )));
            }
        }
        Ok(config)
    }

    /// Read `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The nearest `pgspec.toml` in `start` or its ancestors, if any.
    pub fn discover(start: &Path) -> Result<Option<Self>, ConfigError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(CONFIG_FILE);
            if candidate.is_file() {
                return Self::load(&candidate).map(Some);
            }
            dir = d.parent();
        }
        Ok(None)
    }

    /// This config for the document at `path` (as given on the command line).
    #[must_use]
    pub fn for_document(&self, path: &Path) -> Self {
        Self {
            document: Some(path.to_path_buf()),
            ..self.clone()
        }
    }

    /// Whether `rule` runs (and its findings are reported) on the document at `path` (as given
    /// on the command line).
    pub fn enabled(&self, rule: Rule, path: Option<&Path>) -> bool {
        let selected = self.select.is_empty() || self.select.iter().any(|s| matches(s, rule));
        if !selected || self.ignore.iter().any(|s| matches(s, rule)) {
            return false;
        }
        let Some(path) = path else { return true };
        let base = self.origin.as_deref().and_then(Path::parent);
        !self.per_file_ignores.iter().any(|(glob, selectors)| {
            path_matches(glob, path, base) && selectors.iter().any(|s| matches(s, rule))
        })
    }
}

fn is_valid_selector(selector: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL") || Rule::ALL.iter().any(|r| matches(selector, *r))
}

/// Whether a selector names `rule`: `ALL`, its code, its name, or a prefix of its code.
fn matches(selector: &str, rule: Rule) -> bool {
    selector.trim().eq_ignore_ascii_case("ALL") || rule.selected_by(selector)
}

/// `glob` against `path` as given and relative to the config's directory.
fn path_matches(glob: &str, path: &Path, base: Option<&Path>) -> bool {
    let given = path.to_string_lossy().replace('\\', "/");
    let given = given.trim_start_matches("./");
    if glob_match(glob, given) {
        return true;
    }
    let absolute = std::fs::canonicalize(path).ok();
    let base = base.and_then(|b| {
        std::fs::canonicalize(if b.as_os_str().is_empty() {
            Path::new(".")
        } else {
            b
        })
        .ok()
    });
    match (absolute, base) {
        (Some(a), Some(b)) => a
            .strip_prefix(&b)
            .is_ok_and(|rel| glob_match(glob, &rel.to_string_lossy().replace('\\', "/"))),
        _ => false,
    }
}

/// Minimal glob: `*` matches within a path segment, `**` across segments, `?` one character.
fn glob_match(glob: &str, text: &str) -> bool {
    fn go(g: &[u8], t: &[u8]) -> bool {
        match g.first() {
            None => t.is_empty(),
            Some(b'*') if g.get(1) == Some(&b'*') => {
                let rest = g[2..].strip_prefix(b"/").unwrap_or(&g[2..]);
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(&g[1..], &t[i..])),
            Some(b'?') => !t.is_empty() && t[0] != b'/' && go(&g[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&g[1..], &t[1..]),
        }
    }
    go(glob.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_code_prefix_name_and_per_file() {
        let config = LintConfig::parse(
            "[lint]\nselect = [\"LNT2\", \"prefer-timestamptz\"]\nignore = [\"LNT203\"]\n[lint.per-file-ignores]\n\"legacy/**/*.md\" = [\"LNT201\"]\n",
            Path::new("pgspec.toml"),
        )
        .expect("valid");
        assert!(config.enabled(Rule::PolicyWithoutRls, None));
        assert!(config.enabled(Rule::PreferTimestamptz, None));
        assert!(!config.enabled(Rule::CommandWithoutPolicy, None));
        assert!(!config.enabled(Rule::DuplicateIndex, None));
        assert!(config.enabled(Rule::RlsEnabledWithoutPolicy, Some(Path::new("docs/a.md"))));
        assert!(!config.enabled(
            Rule::RlsEnabledWithoutPolicy,
            Some(Path::new("legacy/x/a.md"))
        ));
    }

    #[test]
    fn selects_every_code_not_only_lint_rules() {
        let config = LintConfig::parse(
            "[lint]\nignore = [\"PG003\", \"DRF\", \"unclosed-code-fence\"]\n",
            Path::new("pgspec.toml"),
        )
        .expect("valid");
        assert!(!config.enabled(Rule::ForwardReference, None));
        assert!(!config.enabled(Rule::TableNotInErd, None));
        assert!(!config.enabled(Rule::UnclosedCodeFence, None));
        assert!(config.enabled(Rule::StatementRejected, None));
        assert!(config.enabled(Rule::PreferTimestamptz, None));
        let only =
            LintConfig::parse("[lint]\nselect = [\"SEED\"]\n", Path::new("p")).expect("valid");
        assert!(only.enabled(Rule::TableNotSeeded, None));
        assert!(!only.enabled(Rule::ClaimFailed, None));
    }

    #[test]
    fn unknown_selectors_and_keys_are_errors() {
        assert!(LintConfig::parse("[lint]\nignore = [\"LNT999\"]\n", Path::new("p")).is_err());
        assert!(LintConfig::parse("[lint]\nignored = []\n", Path::new("p")).is_err());
        assert!(LintConfig::parse("[lint\n", Path::new("p")).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.md", "a.md"));
        assert!(!glob_match("*.md", "d/a.md"));
        assert!(glob_match("**/*.md", "d/e/a.md"));
        assert!(glob_match("docs/*", "docs/x"));
    }
}
