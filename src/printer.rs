//! The human and JSON output helpers the commands share: the JSON envelope, the colour
//! decision and diagnostics in the JSON contract.

use std::io::IsTerminal;

use pgspec::diagnostics::Diagnostic;

/// The JSON every command prints: the tool, its version and the command, then `fields`.
pub(crate) fn json_envelope(command: &str, fields: serde_json::Value) -> serde_json::Value {
    let mut value = serde_json::json!({
        "tool": "pgspec",
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (value.as_object_mut(), fields) {
        map.extend(extra);
    }
    value
}

/// Colour when standard output is a terminal and NO_COLOR is unset.
pub(crate) fn stdout_is_styled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Diagnostics in the JSON contract (`line`, `column`, `code`, …), positions from `doc`.
pub(crate) fn json_diagnostics<'a>(
    doc: &pgspec::document::Document,
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
) -> Vec<pgspec::check::report::JsonDiagnostic> {
    diagnostics
        .into_iter()
        .map(|d| pgspec::check::report::JsonDiagnostic::new(doc, d))
        .collect()
}

/// The last line of a command's human output: the command to run next, with the document and
/// the `--db`/`--name` the user gave (a URL is not repeated: it may hold a password).
pub(crate) fn next_step(
    command: &str,
    doc: &str,
    db: Option<&str>,
    name: Option<&str>,
    why: &str,
) -> String {
    let mut line = format!("next: pgspec {command}");
    if db.is_some() {
        line.push_str(" --db URL");
    }
    if let Some(name) = name {
        line.push_str(&format!(" --name {name}"));
    }
    line.push_str(&format!(" {doc}"));
    if !why.is_empty() {
        line.push_str(&format!("   ({why})"));
    }
    line
}
