//! A compatibility shim for objects that only Supabase provides, so a document written for
//! Supabase applies to a plain PostgreSQL and behaves the same where it matters.
//!
//! What is shimmed, and how (all in [`shim_sql`], idempotent, run as superuser; every object
//! carries a comment starting with `pgspec shim for Supabase:`):
//!
//! - Roles `anon`, `authenticated`, `service_role` (NOLOGIN NOINHERIT), with Supabase's grants
//!   on schema `public` (existing tables, sequences, functions, and default privileges of the
//!   database owner), so `GRANT … TO authenticated` and `CREATE POLICY … TO authenticated`
//!   apply and RLS policies decide what each role sees. **`service_role` does not get
//!   BYPASSRLS**: that attribute is a privilege pgspec does not hand out, so policies apply to
//!   `service_role` here while Supabase skips them.
//! - Schema `auth`: table `auth.users` (the columns documents reference; owner-level
//!   privileges for the database owner, so foreign keys to it and the usual "create a profile
//!   on sign-up" trigger work) and `auth.uid()`, `auth.role()`, `auth.email()`, `auth.jwt()`
//!   reading the claims exactly where PostgREST puts them: `request.jwt.claims` (the claims
//!   JSON, set per transaction) and the older per-claim `request.jwt.claim.<name>` settings.
//!   Unset (or reset to the empty string after a transaction) gives NULL, and `'{}'` for
//!   `auth.jwt()`, never an error.
//! - Schema `extensions` (where Supabase installs extensions), usable by everyone and added to
//!   the database's `search_path` (`"$user", public, extensions`, as on Supabase) for sessions
//!   opened afterwards.
//! - Publication `supabase_realtime`, empty and owned by the database owner so the document's
//!   `ALTER PUBLICATION supabase_realtime ADD TABLE …` works. Nothing subscribes to it.
//! - Schema `net` (pg_net): `net.http_post`, `net.http_get`, `net.http_delete` with pg_net's
//!   signatures and defaults are a working fallback that **never touches the network**: they
//!   record the request in `net.http_request_queue` and return its id, so triggers that call
//!   them succeed and the requests can be inspected. `net._http_response` exists and stays
//!   empty.
//! - Schema `storage` (metadata only): `storage.buckets`, `storage.objects` (RLS enabled, owned
//!   by the database owner so the document can write policies on them) and
//!   `storage.foldername()`, `storage.filename()`, `storage.extension()`.
//!
//! What cannot be shimmed: pgvector's `vector` type is an extension written in C; when the
//! server does not have it installed there is no SQL stand-in with its operators and indexes
//! ([`VECTOR_FALLBACK`] is the advice to give). Realtime delivery, file contents in Storage,
//! Edge Functions, GoTrue's sign-up/sign-in behaviour, Vault and `supabase_functions` webhooks
//! are services outside the database and are not provided.
//!
//! Roles are cluster-wide: the ones the shim creates on a scratch database's server are
//! recorded by [`ApplySession::apply_as_superuser`] and dropped with the scratch database.
//!
//! Only what the document uses and does not define itself is provided ([`sections_for`], from
//! the parse trees of its statements and function bodies): a document that creates its own
//! `auth` schema keeps it, one that never calls `net.http_post` gets no `net` schema. `check`
//! and `up` install the same sections, so both give every statement the same verdict.

use std::collections::BTreeSet;

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::postgres::{ApplySession, ClusterError, Outcome};
use crate::sql::ast::{self, NodeRef};
use crate::sql::{ObjectKind, Statement};

const SHIM_SQL: &str = include_str!("supabase.sql");
/// Starts a section of [`SHIM_SQL`]: `-- pgspec:section <object>: <what it is>`.
const SECTION_MARKER: &str = "-- pgspec:section ";

/// The advice for a `vector(n)` column when the server has no pgvector.
pub const VECTOR_FALLBACK: &str = "pgvector's `vector` type is not installed on this server and cannot be shimmed; to apply the rest of the schema, declare the column as `real[]` (same values, no vector operators or HNSW/IVFFlat indexes), or install pgvector (`apt-get install postgresql-<major>-pgvector`)";

/// Whether the shim is in `catalog`'s database: its schema `auth`, commented as the shim's.
pub fn shim_in(catalog: &crate::postgres::catalog::Catalog) -> bool {
    catalog.schemas.iter().any(|s| {
        s.name == "auth"
            && s.comment
                .as_deref()
                .is_some_and(|c| c.starts_with("pgspec shim for Supabase:"))
    })
}

/// Roles that Supabase gives BYPASSRLS and the shim does not (a privilege pgspec does not hand
/// out): on Supabase no policy stops them, so a finding about what policies deny them is not
/// about the system the document describes.
pub const BYPASSES_RLS: &[&str] = &["service_role"];

/// The whole shim as one SQL script (valid for psql too).
pub fn shim_sql() -> &'static str {
    SHIM_SQL
}

/// One part of the shim, run as one batch and reported as one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// What it provides (`auth.users`, `schema net`).
    pub object: &'static str,
    /// What the user should know about it.
    pub note: &'static str,
    /// Its SQL (pgspec's own, run as superuser).
    pub sql: &'static str,
}

/// A section installed for a document: the statement that first needs it, and PostgreSQL's
/// refusal when it did not install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provided {
    pub section: Section,
    /// Index of the first statement that uses what the section provides.
    pub first_use: usize,
    pub refused: Option<String>,
    /// Warnings the server gave while installing it.
    pub warnings: Vec<String>,
}

/// The sections of [`SHIM_SQL`] in order (the text before the first one is the file's header).
fn sections() -> Vec<Section> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in SHIM_SQL.split_inclusive('\n') {
        if line.starts_with(SECTION_MARKER) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(SHIM_SQL.len());
            let sql = &SHIM_SQL[start..end];
            let header = sql.lines().next().unwrap_or_default();
            let header = header.strip_prefix(SECTION_MARKER).unwrap_or(header);
            let (object, note) = header.split_once(": ").unwrap_or((header, ""));
            Section {
                object: object.trim(),
                note: note.trim(),
                sql,
            }
        })
        .collect()
}

/// Install, as superuser, the sections `statements` need ([`sections_for`]); a section
/// PostgreSQL refuses is returned with the server's message, and the sections after it still
/// run. Running it again changes nothing but returns the same sections.
pub fn install(
    session: &mut ApplySession,
    statements: &[Statement],
) -> Result<Vec<Provided>, ClusterError> {
    install_sections(session, sections_for(statements))
}

/// Install every section (the whole shim), whatever a document uses.
pub fn install_all(session: &mut ApplySession) -> Result<Vec<Provided>, ClusterError> {
    install_sections(session, sections().into_iter().map(|s| (s, 0)).collect())
}

fn install_sections(
    session: &mut ApplySession,
    sections: Vec<(Section, usize)>,
) -> Result<Vec<Provided>, ClusterError> {
    let mut out = Vec::new();
    for (section, first_use) in sections {
        let outcome = session.apply_as_superuser(section.sql)?;
        // CREATE PUBLICATION warns when wal_level is not logical; worth passing on.
        let warnings = outcome
            .notices()
            .iter()
            .filter(|n| n.severity == "WARNING")
            .map(|n| n.message.clone())
            .collect();
        let refused = match outcome {
            Outcome::Applied { .. } => None,
            Outcome::Failed { error, .. } => Some(error.message),
        };
        out.push(Provided {
            section,
            first_use,
            refused,
            warnings,
        });
    }
    if !out.is_empty() {
        // The shim sets the database's search_path; the document's sessions pick it up on
        // reconnect.
        session.reset_app_session()?;
    }
    Ok(out)
}

/// The note that says what the layer provided, at the first statement that uses any of it;
/// `None` when nothing was provided.
pub fn provided_note(statements: &[Statement], provided: &[Provided]) -> Option<Diagnostic> {
    let first = provided.iter().map(|p| p.first_use).min()?;
    let stmt = statements.get(first)?;
    let names: Vec<&str> = provided
        .iter()
        .filter(|p| p.refused.is_none())
        .map(|p| p.section.object)
        .collect();
    let mut note = Diagnostic::new(
        Code::PlatformProvided,
        Category::PlatformObject,
        format!(
            "Supabase's own objects that the document uses and does not define were provided by pgspec's Supabase layer: {}",
            names.join("; ")
        ),
        stmt.range,
    )
    .help("nothing to do on Supabase; on another server create these objects first (`pgspec sql` prints the layer's SQL)");
    for p in provided {
        if let Some(refusal) = &p.refused {
            note = note.note(format!(
                "{} was not provided: PostgreSQL refused it: {refusal}",
                p.section.object
            ));
        }
    }
    Some(note)
}

/// What the document's statements use and define, from their trees and function bodies.
#[derive(Default)]
struct Usage {
    /// `(schema, name)` of relations, functions (`name()`), roles and publications used, each
    /// with the first statement using it.
    used: Vec<(String, usize)>,
    defined: BTreeSet<String>,
}

impl Usage {
    fn of(statements: &[Statement]) -> Usage {
        let mut usage = Usage::default();
        for (i, stmt) in statements.iter().enumerate() {
            for created in &stmt.facts.creates {
                usage
                    .defined
                    .insert(key(created.kind, created.schema.as_deref(), &created.name));
            }
            for referenced in &stmt.facts.references {
                usage.add(
                    key(
                        referenced.kind,
                        referenced.schema.as_deref(),
                        &referenced.name,
                    ),
                    i,
                );
            }
            let Some(tree) = stmt.ast() else { continue };
            let bodies = crate::sql::settings::function_body_trees(tree);
            for tree in std::iter::once(tree).chain(bodies.iter().map(|t| t.as_ref())) {
                for node in ast::all_nodes(tree) {
                    match node {
                        NodeRef::RoleSpec(r) if !r.rolename.is_empty() => {
                            usage.add(format!("role {}", r.rolename.to_lowercase()), i);
                        }
                        NodeRef::AlterPublicationStmt(p) => {
                            usage.add(format!("publication {}", p.pubname.to_lowercase()), i);
                        }
                        NodeRef::RangeVar(rv) if !rv.schemaname.is_empty() => usage.add(
                            key(ObjectKind::Relation, Some(&rv.schemaname), &rv.relname),
                            i,
                        ),
                        NodeRef::FuncCall(call) => {
                            if let [schema, name] = ast::function_name(call).as_slice() {
                                usage.add(key(ObjectKind::Function, Some(schema), name), i);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        usage
    }

    fn add(&mut self, key: String, statement: usize) {
        if !self.used.iter().any(|(k, _)| *k == key) {
            self.used.push((key, statement));
        }
    }

    /// The first statement using any of `keys` (exact) or anything under `prefix`es.
    fn first_use(&self, wanted: impl Fn(&str) -> bool) -> Option<usize> {
        self.used
            .iter()
            .filter(|(k, _)| wanted(k))
            .map(|(_, i)| *i)
            .min()
    }

    fn defines(&self, key: &str) -> bool {
        self.defined.contains(key)
    }
}

/// `relation auth.users`, `function auth.uid`, `schema auth`, `role anon`.
fn key(kind: ObjectKind, schema: Option<&str>, name: &str) -> String {
    let kind = match kind {
        ObjectKind::Relation => "relation",
        ObjectKind::Function => "function",
        ObjectKind::Schema => return format!("schema {}", name.to_lowercase()),
        ObjectKind::Role => return format!("role {}", name.to_lowercase()),
        // CREATE PUBLICATION is the only "other" object this layer asks about.
        ObjectKind::Other => return format!("publication {}", name.to_lowercase()),
        _ => "object",
    };
    match schema.filter(|s| !s.is_empty()) {
        Some(schema) => format!("{kind} {}.{}", schema.to_lowercase(), name.to_lowercase()),
        None => format!("{kind} {}", name.to_lowercase()),
    }
}

const PLATFORM_ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];
const AUTH_FUNCTIONS: [&str; 4] = ["uid", "role", "email", "jwt"];

/// The sections the document uses and does not define itself, in the script's order, each with
/// the first statement that needs it. A schema the document creates (`CREATE SCHEMA auth`) is
/// the document's own: nothing of the platform's is put in it.
pub fn sections_for(statements: &[Statement]) -> Vec<(Section, usize)> {
    let usage = Usage::of(statements);
    let in_schema = |schema: &'static str| {
        move |k: &str| {
            k.strip_prefix("relation ")
                .or_else(|| k.strip_prefix("function "))
                .is_some_and(|name| name.starts_with(&format!("{schema}.")))
        }
    };
    let own_schema = |schema: &str| usage.defines(&format!("schema {schema}"));
    let auth_users = (!own_schema("auth") && !usage.defines("relation auth.users"))
        .then(|| usage.first_use(|k| k == "relation auth.users"))
        .flatten();
    let auth_functions = (!own_schema("auth")
        && !AUTH_FUNCTIONS
            .iter()
            .any(|f| usage.defines(&format!("function auth.{f}"))))
    .then(|| {
        usage.first_use(|k| {
            AUTH_FUNCTIONS
                .iter()
                .any(|f| k == format!("function auth.{f}"))
        })
    })
    .flatten();
    let auth_schema = [auth_users, auth_functions].into_iter().flatten().min();
    let net = (!own_schema("net"))
        .then(|| usage.first_use(in_schema("net")))
        .flatten();
    let storage = (!own_schema("storage"))
        .then(|| usage.first_use(in_schema("storage")))
        .flatten();
    let realtime = (!usage.defines("publication supabase_realtime"))
        .then(|| usage.first_use(|k| k == "publication supabase_realtime"))
        .flatten();
    // The roles: when the document grants to them or writes policies for them, and whenever
    // auth.users or storage (which grant to them) are provided.
    let roles_defined = PLATFORM_ROLES
        .iter()
        .all(|r| usage.defines(&format!("role {r}")));
    let roles = (!roles_defined)
        .then(|| {
            [
                usage.first_use(|k| PLATFORM_ROLES.iter().any(|r| k == format!("role {r}"))),
                auth_users,
                storage,
            ]
            .into_iter()
            .flatten()
            .min()
        })
        .flatten();
    let any = [roles, auth_schema, net, storage, realtime]
        .into_iter()
        .flatten()
        .min();
    // Supabase's search_path includes `extensions`; every Supabase document gets it.
    let extensions = (!own_schema("extensions")).then_some(any).flatten();
    let wanted = |object: &str| match object {
        "anon, authenticated, service_role" | "schema public" => roles,
        "schema extensions" => extensions,
        "schema auth" => auth_schema,
        "auth.users" => auth_users,
        "auth.uid(), auth.role(), auth.email(), auth.jwt()" => auth_functions,
        "publication supabase_realtime" => realtime,
        "schema net" => net,
        "schema storage" => storage,
        _ => None,
    };
    sections()
        .into_iter()
        .filter_map(|section| wanted(section.object).map(|first| (section, first)))
        .collect()
}

/// Whether SQL texts use Supabase-only objects: `auth.uid()` / `auth.users` and the other
/// `auth` functions, `net.http_*`, `supabase_realtime`, `storage.objects` / `storage.buckets`,
/// or grants and policies `TO anon` / `TO authenticated` / `TO service_role`. A heuristic over
/// the text (quotes around identifiers and line breaks do not matter).
pub fn needs_shim<'a>(mut sql_texts: impl Iterator<Item = &'a str>) -> bool {
    sql_texts.any(uses_supabase)
}

/// `(needle, whether the needle must end at a word boundary)`; every needle must start at one.
const MARKERS: &[(&str, bool)] = &[
    ("auth.uid", true),
    ("auth.role", true),
    ("auth.jwt", true),
    ("auth.email", true),
    ("auth.users", true),
    ("net.http_", false),
    ("supabase_realtime", true),
    ("storage.objects", true),
    ("storage.buckets", true),
    ("storage.foldername", true),
    ("to anon", true),
    ("to authenticated", true),
    ("to service_role", true),
];

fn uses_supabase(text: &str) -> bool {
    let normalized = normalize(text);
    MARKERS
        .iter()
        .any(|(needle, boundary_after)| contains_word(&normalized, needle, *boundary_after))
}

/// Lowercase, without double quotes, whitespace runs as one space, no space around `.`.
fn normalize(text: &str) -> String {
    let lowered = text.to_lowercase().replace('"', "");
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && c != '.' && !out.ends_with('.') && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn contains_word(haystack: &str, needle: &str, boundary_after: bool) -> bool {
    haystack.match_indices(needle).any(|(start, _)| {
        let before_ok = !haystack[..start].ends_with(is_word_char);
        let after_ok =
            !boundary_after || !haystack[start + needle.len()..].starts_with(is_word_char);
        before_ok && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_cover_the_script() {
        let sections = sections();
        let objects: Vec<&str> = sections.iter().map(|s| s.object).collect();
        assert_eq!(
            objects,
            vec![
                "anon, authenticated, service_role",
                "schema public",
                "schema extensions",
                "schema auth",
                "auth.users",
                "auth.uid(), auth.role(), auth.email(), auth.jwt()",
                "publication supabase_realtime",
                "schema net",
                "schema storage",
            ]
        );
        assert!(sections.iter().all(|s| !s.note.is_empty()));
        // Only the header comment precedes the first section; the sections are the rest.
        let first = SHIM_SQL
            .find(&format!("\n{SECTION_MARKER}"))
            .map_or(0, |i| i + 1);
        assert!(SHIM_SQL[..first]
            .lines()
            .all(|l| l.trim().is_empty() || l.starts_with("--")));
        let joined: String = sections.iter().map(|s| s.sql).collect();
        assert_eq!(joined, &SHIM_SQL[first..]);
    }

    #[test]
    fn shim_never_grants_bypassrls_and_comments_its_objects() {
        for line in SHIM_SQL.lines() {
            if !line.trim_start().starts_with("--") {
                assert!(!line.to_uppercase().contains("BYPASSRLS"), "{line}");
            }
        }
        let upper = SHIM_SQL.to_uppercase();
        for (created, commented) in [
            ("CREATE SCHEMA IF NOT EXISTS", "COMMENT ON SCHEMA"),
            ("CREATE TABLE IF NOT EXISTS", "COMMENT ON TABLE"),
            ("CREATE OR REPLACE FUNCTION", "COMMENT ON FUNCTION"),
            ("CREATE PUBLICATION", "COMMENT ON PUBLICATION"),
        ] {
            assert_eq!(
                upper.matches(created).count(),
                upper.matches(commented).count(),
                "{created}"
            );
        }
        // No extension (pg_net, http, dblink) that could reach the network.
        assert!(!upper.contains("CREATE EXTENSION"));
    }

    #[test]
    fn detects_supabase_usage() {
        let yes = [
            "CREATE POLICY p ON notes USING (user_id = auth.uid())",
            "create policy p on notes using (user_id = \"auth\".\"uid\"())",
            "ALTER TABLE profiles ADD FOREIGN KEY (id) REFERENCES auth.users (id)",
            "SELECT net.http_post(url := 'https://x', body := '{}')",
            "ALTER PUBLICATION supabase_realtime ADD TABLE messages",
            "GRANT SELECT ON notes TO\n    authenticated",
            "GRANT SELECT ON notes TO anon, authenticated",
            "CREATE POLICY p ON notes FOR SELECT TO authenticated USING (true)",
            "CREATE POLICY p ON storage.objects FOR INSERT WITH CHECK (true)",
            "SELECT (auth.jwt() ->> 'role')",
        ];
        for sql in yes {
            assert!(needs_shim(std::iter::once(sql)), "{sql}");
        }
        let no = [
            "CREATE TABLE oauth.users_tokens (id int)",
            "CREATE TABLE myauth.users (id int)",
            "GRANT SELECT ON notes TO anonymous_readers",
            "GRANT SELECT ON notes TO app_user",
            "CREATE TABLE t (authenticated boolean)",
            "SELECT 1",
        ];
        for sql in no {
            assert!(!needs_shim(std::iter::once(sql)), "{sql}");
        }
        assert!(needs_shim(["SELECT 1", "SELECT auth.uid()"].into_iter()));
        assert!(!needs_shim(std::iter::empty()));
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("A  \n B"), "a b");
        assert_eq!(normalize("auth . uid ()"), "auth.uid ()");
        assert_eq!(normalize("  \"Auth\".\"Users\""), "auth.users");
    }
}
