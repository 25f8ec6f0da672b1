//! Placeholder values for the custom settings a document's code reads and never sets
//! (`current_setting('app.current_user_id')::uuid` in a policy or trigger). An application
//! sets them per session; in the database `up` builds nobody does, so every trigger and
//! function that reads one fails, and `seed` loses the rows. `up` sets a stated placeholder on
//! its own database (`ALTER DATABASE … SET`), typed from the cast the code applies, and says
//! which; the application's own `SET` still overrides it.

use crate::postgres::{ApplySession, ClusterError, Outcome};
use crate::sql::quote::{quote_ident, quote_literal};
use crate::sql::settings::{is_custom_setting_name, unset_settings_read, SettingRead};
use crate::sql::Statement;

use super::{ActionKind, ProvisionAction};

/// The value a setting read as `cast` gets: one every cast accepts and no real row has.
pub fn placeholder_value(cast: Option<&str>) -> &'static str {
    match cast.unwrap_or("text") {
        "uuid" => "00000000-0000-0000-0000-000000000000",
        "int2" | "int4" | "int8" | "smallint" | "integer" | "int" | "bigint" | "numeric"
        | "decimal" | "float4" | "float8" | "real" | "double precision" | "oid" => "0",
        "bool" | "boolean" => "false",
        "date" | "timestamp" | "timestamptz" => "1970-01-01",
        "json" | "jsonb" => "{}",
        _ => "pgspec-placeholder",
    }
}

/// Set a placeholder on `session`'s database for every custom setting `statements` read
/// without setting it, unless the server already gives it a value. The statements run for the
/// next sessions; the document's connection is reset so it sees them too.
pub fn set_placeholders(
    statements: &[Statement],
    session: &mut ApplySession,
) -> Result<Vec<ProvisionAction>, ClusterError> {
    let reads = unset_settings_read(statements);
    let mut actions = Vec::new();
    for read in reads {
        if let Some(action) = set_one(&read, session)? {
            actions.push(action);
        }
    }
    if !actions.is_empty() {
        session.reset_app_session()?;
    }
    Ok(actions)
}

fn set_one(
    read: &SettingRead,
    session: &mut ApplySession,
) -> Result<Option<ProvisionAction>, ClusterError> {
    // The name is spelled from identifier characters only; checked again before it is quoted.
    if !is_custom_setting_name(&read.name) {
        return Ok(None);
    }
    let has_value = session.query_strings(&format!(
        "SELECT pg_catalog.current_setting({}, true) IS NOT NULL",
        quote_literal(&read.name)
    ))?;
    if has_value.first().and_then(|r| r.first()).cloned().flatten() == Some("t".into()) {
        return Ok(None);
    }
    let value = placeholder_value(read.cast.as_deref());
    let name: Vec<String> = read.name.split('.').map(quote_ident).collect();
    // Names the database it runs in, so the same text serves `pgspec sql`'s script.
    let alter = format!(
        "ALTER DATABASE %I SET {} = {}",
        name.join("."),
        quote_literal(value)
    );
    let sql = format!(
        "DO $pgspec$ BEGIN EXECUTE pg_catalog.format({}, pg_catalog.current_database()); END $pgspec$",
        quote_literal(&alter)
    );
    let what = match &read.cast {
        Some(cast) => format!("read as {cast}"),
        None => "read as text".into(),
    };
    let action = match session.apply_as_superuser(&sql)? {
        Outcome::Applied { .. } => ProvisionAction::new(
            ActionKind::SettingPlaceholder,
            read.name.clone(),
            sql,
            format!(
                "{what} by the document's code and set by nobody: placeholder '{value}' for this database; the application's own SET overrides it"
            ),
        ),
        Outcome::Failed { error, .. } => ProvisionAction::skipped(
            read.name.clone(),
            format!("{what}; no placeholder: PostgreSQL refused it: {}", error.message),
        ),
    };
    Ok(Some(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fit_their_casts() {
        assert_eq!(
            placeholder_value(Some("uuid")),
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(placeholder_value(Some("int8")), "0");
        assert_eq!(placeholder_value(Some("bool")), "false");
        assert_eq!(placeholder_value(None), "pgspec-placeholder");
    }
}
