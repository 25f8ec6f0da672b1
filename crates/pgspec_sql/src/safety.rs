//! What pgspec may do with a statement, decided on PostgreSQL's own parse tree (pg_query),
//! never on its words: unicode escapes (`U&"\0070g_…"`), quoting and case folding are already
//! resolved there.
//!
//! Three answers ([`Safety`]):
//! - **run as the document**: the statement runs on the connection of the database's
//!   unprivileged owner role, where PostgreSQL itself enforces the document's rights. Dynamic
//!   SQL (`DO`, `EXECUTE`, function bodies) cannot be inspected and only ever runs here.
//! - **refused**: never sent to the server (programs, server files, server configuration,
//!   other databases, pgspec's own or pre-existing roles).
//! - **privileged**: what only a superuser can do for the document — create an installed,
//!   untrusted extension; create, change or drop a role — rebuilt by pgspec from validated parts
//!   ([`PrivilegedOp`]), with an allowlist of role attributes. The document's text never reaches
//!   a privileged connection. Which roles a privileged operation may touch (only those this run
//!   created) is checked against the live run by the caller ([`PrivilegedOp::roles_from_run`]).

use pg_query::protobuf::{self, ObjectType, VariableSetKind};
use pg_query::NodeEnum;

use super::quote::{quote_ident, quote_literal};

mod options;
use options::{
    bool_arg, constant, defelems, role_names, role_options, role_spec, spec_list, string_arg,
};

/// Role attributes only a superuser may give; pgspec creates roles without them.
const SUPERUSER_ATTRIBUTES: [(&str, &str); 5] = [
    ("superuser", "SUPERUSER"),
    ("createdb", "CREATEDB"),
    ("createrole", "CREATEROLE"),
    ("isreplication", "REPLICATION"),
    ("bypassrls", "BYPASSRLS"),
];

/// Extensions pgspec never creates for a document: untrusted languages and server file access.
const REFUSED_EXTENSIONS: [&str; 8] = [
    "adminpack",
    "file_fdw",
    "plperlu",
    "plpython3u",
    "plpythonu",
    "plpython2u",
    "pltclu",
    "old_snapshot",
];

/// Functions that reach outside the database (server files, programs, network) or act on
/// other sessions and the server itself. Matched on the unqualified name from the tree.
const REFUSED_FUNCTIONS: [&str; 30] = [
    "lo_import",
    "lo_export",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "pg_logdir_ls",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_connect_u",
    "http_get",
    "http_post",
];

/// Settings a document may not give its database or its roles: they would break later runs
/// (pgspec's own connections must be able to write) or load code into the server.
const REFUSED_SETTINGS: [&str; 6] = [
    "default_transaction_read_only",
    "transaction_read_only",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
    "session_replication_role",
];

/// What pgspec may do with one statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Safety {
    /// Run it as the document's own (unprivileged) role.
    Document,
    /// Never run it; the reason, for the diagnostic.
    Refused(String),
    /// Transaction control: each statement already runs in its own transaction.
    TransactionControl,
    /// Run this operation, rebuilt by pgspec, on a privileged connection. `dropped` lists what
    /// pgspec left out of the document's statement (superuser-only attributes), for a warning.
    Privileged {
        op: PrivilegedOp,
        dropped: Vec<String>,
    },
}

/// A privileged operation pgspec runs for a document, built from validated parts only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivilegedOp {
    /// `CREATE EXTENSION` of an installed extension that is not trusted.
    CreateExtension {
        name: String,
        schema: Option<String>,
        version: Option<String>,
        cascade: bool,
    },
    /// `CREATE ROLE` with allowlisted options.
    CreateRole { name: String, options: RoleOptions },
    /// `ALTER ROLE` of a role this run created, allowlisted options.
    AlterRole { name: String, options: RoleOptions },
    /// `ALTER ROLE name [IN DATABASE current] SET/RESET setting`.
    AlterRoleSet {
        name: String,
        in_database: bool,
        setting: RoleSetting,
    },
    /// `GRANT`/`REVOKE` role membership between roles this run created.
    Membership {
        grant: bool,
        roles: Vec<String>,
        members: Vec<String>,
        admin: bool,
    },
    /// `DROP ROLE` of roles this run created.
    DropRole { names: Vec<String>, if_exists: bool },
    /// `ALTER ROLE old RENAME TO new` of a role this run created.
    RenameRole { from: String, to: String },
}

/// The allowlisted options of CREATE/ALTER ROLE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleOptions {
    pub login: Option<bool>,
    pub inherit: Option<bool>,
    pub connection_limit: Option<i32>,
    pub valid_until: Option<String>,
    /// `Some(None)`: `PASSWORD NULL`.
    pub password: Option<Option<String>>,
    /// `IN ROLE …`: roles the new role becomes a member of.
    pub in_roles: Vec<String>,
    /// `ROLE …`: roles that become members of the new role.
    pub members: Vec<String>,
    /// `ADMIN …`: members with the admin option.
    pub admins: Vec<String>,
}

/// A setting of `ALTER ROLE … SET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleSetting {
    /// `SET name TO value, …` (values already as SQL literals).
    Set { name: String, values: Vec<String> },
    /// `SET name TO DEFAULT` / `RESET name`.
    Reset { name: String },
    /// `RESET ALL`.
    ResetAll,
}

impl PrivilegedOp {
    /// Roles that must have been created by this run (or be the run's owner role) for the
    /// operation to be allowed: pgspec never changes a role that existed before the run.
    pub fn roles_from_run(&self) -> Vec<&str> {
        match self {
            PrivilegedOp::CreateExtension { .. } => Vec::new(),
            PrivilegedOp::CreateRole { options, .. } => options
                .in_roles
                .iter()
                .chain(&options.members)
                .chain(&options.admins)
                .map(String::as_str)
                .collect(),
            PrivilegedOp::AlterRole { name, options } => std::iter::once(name)
                .chain(&options.in_roles)
                .chain(&options.members)
                .chain(&options.admins)
                .map(String::as_str)
                .collect(),
            PrivilegedOp::AlterRoleSet { name, .. }
            | PrivilegedOp::RenameRole { from: name, .. } => {
                vec![name.as_str()]
            }
            PrivilegedOp::Membership { roles, members, .. } => {
                roles.iter().chain(members).map(String::as_str).collect()
            }
            PrivilegedOp::DropRole { names, .. } => names.iter().map(String::as_str).collect(),
        }
    }

    /// Roles among [`Self::roles_from_run`] that are changed themselves (not only granted to):
    /// these may not be the run's owner role either.
    pub fn roles_changed(&self) -> Vec<&str> {
        match self {
            PrivilegedOp::AlterRole { name, .. }
            | PrivilegedOp::AlterRoleSet { name, .. }
            | PrivilegedOp::RenameRole { from: name, .. } => vec![name.as_str()],
            PrivilegedOp::DropRole { names, .. } => names.iter().map(String::as_str).collect(),
            // Granting a role of this run to the owner changes the owner: it gains that role.
            PrivilegedOp::Membership { roles, .. } => roles.iter().map(String::as_str).collect(),
            PrivilegedOp::CreateExtension { .. } | PrivilegedOp::CreateRole { .. } => Vec::new(),
        }
    }

    /// The role this operation creates, if any.
    pub fn created_role(&self) -> Option<&str> {
        match self {
            PrivilegedOp::CreateRole { name, .. } => Some(name),
            PrivilegedOp::RenameRole { to, .. } => Some(to),
            _ => None,
        }
    }

    /// The SQL pgspec runs, from the validated parts only (every name quoted, every value a
    /// literal). `database` is the run's database (for `IN DATABASE`); `schema` the schema an
    /// extension without `SCHEMA` goes into (the document's current schema).
    pub fn to_sql(&self, database: &str) -> String {
        match self {
            PrivilegedOp::CreateExtension {
                name,
                schema,
                version,
                cascade,
            } => {
                let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
                if let Some(schema) = schema {
                    sql.push_str(&format!(" SCHEMA {}", quote_ident(schema)));
                }
                if let Some(version) = version {
                    sql.push_str(&format!(" VERSION {}", quote_literal(version)));
                }
                if *cascade {
                    sql.push_str(" CASCADE");
                }
                sql
            }
            PrivilegedOp::CreateRole { name, options } => {
                format!("CREATE ROLE {}{}", quote_ident(name), options.to_sql(true))
            }
            PrivilegedOp::AlterRole { name, options } => {
                format!("ALTER ROLE {}{}", quote_ident(name), options.to_sql(false))
            }
            PrivilegedOp::AlterRoleSet {
                name,
                in_database,
                setting,
            } => {
                let mut sql = format!("ALTER ROLE {}", quote_ident(name));
                if *in_database {
                    sql.push_str(&format!(" IN DATABASE {}", quote_ident(database)));
                }
                match setting {
                    RoleSetting::Set { name, values } => sql.push_str(&format!(
                        " SET {} TO {}",
                        quote_ident(name),
                        values.join(", ")
                    )),
                    RoleSetting::Reset { name } => {
                        sql.push_str(&format!(" RESET {}", quote_ident(name)));
                    }
                    RoleSetting::ResetAll => sql.push_str(" RESET ALL"),
                }
                sql
            }
            PrivilegedOp::Membership {
                grant,
                roles,
                members,
                admin,
            } => {
                let roles = quoted_list(roles);
                let members = quoted_list(members);
                if *grant {
                    let admin = if *admin { " WITH ADMIN OPTION" } else { "" };
                    format!("GRANT {roles} TO {members}{admin}")
                } else {
                    let admin = if *admin { "ADMIN OPTION FOR " } else { "" };
                    format!("REVOKE {admin}{roles} FROM {members}")
                }
            }
            PrivilegedOp::DropRole { names, if_exists } => format!(
                "DROP ROLE {}{}",
                if *if_exists { "IF EXISTS " } else { "" },
                quoted_list(names)
            ),
            PrivilegedOp::RenameRole { from, to } => format!(
                "ALTER ROLE {} RENAME TO {}",
                quote_ident(from),
                quote_ident(to)
            ),
        }
    }
}

impl RoleOptions {
    fn to_sql(&self, create: bool) -> String {
        let mut sql = String::new();
        // Stated explicitly, so a role pgspec creates never inherits a default it did not choose.
        if create {
            sql.push_str(" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
        }
        if let Some(login) = self.login {
            sql.push_str(if login { " LOGIN" } else { " NOLOGIN" });
        }
        if let Some(inherit) = self.inherit {
            sql.push_str(if inherit { " INHERIT" } else { " NOINHERIT" });
        }
        if let Some(limit) = self.connection_limit {
            sql.push_str(&format!(" CONNECTION LIMIT {limit}"));
        }
        if let Some(until) = &self.valid_until {
            sql.push_str(&format!(" VALID UNTIL {}", quote_literal(until)));
        }
        match &self.password {
            Some(Some(password)) => {
                sql.push_str(&format!(" PASSWORD {}", quote_literal(password)));
            }
            Some(None) => sql.push_str(" PASSWORD NULL"),
            None => {}
        }
        for (keyword, roles) in [
            ("IN ROLE", &self.in_roles),
            ("ROLE", &self.members),
            ("ADMIN", &self.admins),
        ] {
            if !roles.is_empty() {
                sql.push_str(&format!(" {keyword} {}", quoted_list(roles)));
            }
        }
        sql
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What pgspec may do with `sql` (one statement). A statement that does not parse runs as the
/// document (the server rejects it, with its own message).
pub fn assess(sql: &str) -> Safety {
    assess_in(sql, None)
}

/// [`assess`] for a run in `database`: statements naming another database are refused too.
pub fn assess_in(sql: &str, database: Option<&str>) -> Safety {
    let Ok(stmts) = super::facts::parse_nodes(sql) else {
        return Safety::Document;
    };
    match stmts.as_slice() {
        [] => Safety::Document,
        [one] => assess_node(one, database),
        many => {
            // Several statements in one text: any refusal refuses all; privileged operations
            // are only ever run one at a time.
            for stmt in many {
                match assess_node(stmt, database) {
                    Safety::Document | Safety::TransactionControl => {}
                    Safety::Refused(reason) => return Safety::Refused(reason),
                    Safety::Privileged { .. } => return Safety::Refused(
                        "a role or extension statement combined with others in one statement text"
                            .into(),
                    ),
                }
            }
            Safety::Document
        }
    }
}

fn assess_node(stmt: &NodeEnum, database: Option<&str>) -> Safety {
    if let Some(reason) = refused_anywhere(stmt) {
        return Safety::Refused(reason);
    }
    match stmt {
        NodeEnum::TransactionStmt(_) => Safety::TransactionControl,
        NodeEnum::CopyStmt(copy) => copy_safety(copy),
        NodeEnum::AlterSystemStmt(_) => {
            Safety::Refused("`ALTER SYSTEM` changes the server's configuration".into())
        }
        NodeEnum::LoadStmt(_) => {
            Safety::Refused("`LOAD` loads a shared library into the server".into())
        }
        NodeEnum::DropdbStmt(d) => Safety::Refused(format!(
            "`DROP DATABASE {}`: a document may not drop a database",
            d.dbname
        )),
        NodeEnum::CreatedbStmt(d) => Safety::Refused(format!(
            "`CREATE DATABASE {}`: pgspec makes the document's database itself",
            d.dbname
        )),
        NodeEnum::AlterDatabaseStmt(d) => Safety::Refused(format!(
            "`ALTER DATABASE {}`: pgspec owns the database's properties",
            d.dbname
        )),
        NodeEnum::AlterDatabaseSetStmt(d) => {
            match d.setstmt.as_ref().map(|s| s.name.to_lowercase()) {
                Some(name) if REFUSED_SETTINGS.contains(&name.as_str()) => Safety::Refused(
                    format!("`ALTER DATABASE … SET {name}` would stop later runs from working"),
                ),
                // Its own database it may configure (it owns it); another never.
                _ if database.is_some_and(|db| db != d.dbname) => Safety::Refused(format!(
                    "`ALTER DATABASE {} SET`: a database other than the one pgspec made for this document",
                    d.dbname
                )),
                _ => Safety::Document,
            }
        }
        NodeEnum::CreateExtensionStmt(e) => create_extension(e),
        NodeEnum::CreatePlangStmt(l) => Safety::Refused(format!(
            "`CREATE LANGUAGE {}`: procedural languages come from extensions pgspec creates",
            l.plname
        )),
        NodeEnum::CreateRoleStmt(r) => create_role(r),
        NodeEnum::AlterRoleStmt(r) => alter_role(r),
        NodeEnum::AlterRoleSetStmt(r) => alter_role_set(r),
        NodeEnum::GrantRoleStmt(g) => grant_role(g),
        NodeEnum::DropRoleStmt(d) => match role_names(&d.roles, "DROP ROLE") {
            Ok(names) => privileged(PrivilegedOp::DropRole {
                names,
                if_exists: d.missing_ok,
            }),
            Err(reason) => Safety::Refused(reason),
        },
        NodeEnum::RenameStmt(r) if r.rename_type == ObjectType::ObjectRole as i32 => {
            privileged(PrivilegedOp::RenameRole {
                from: r.subname.clone(),
                to: r.newname.clone(),
            })
        }
        NodeEnum::RenameStmt(r) if r.rename_type == ObjectType::ObjectDatabase as i32 => {
            Safety::Refused(format!(
                "`ALTER DATABASE {} RENAME`: pgspec owns the database's name",
                r.subname
            ))
        }
        NodeEnum::CommentStmt(c) if c.objtype == ObjectType::ObjectDatabase as i32 => {
            Safety::Refused(
                "`COMMENT ON DATABASE`: pgspec keeps its record of the database there".into(),
            )
        }
        NodeEnum::AlterOwnerStmt(o) if o.object_type == ObjectType::ObjectDatabase as i32 => {
            Safety::Refused("`ALTER DATABASE … OWNER TO`: pgspec owns the database".into())
        }
        NodeEnum::VariableSetStmt(s)
            if matches!(s.name.as_str(), "session_authorization" | "role")
                && s.kind == VariableSetKind::VarSetValue as i32 =>
        {
            // SET ROLE only reaches roles the document's role is a member of: harmless.
            Safety::Document
        }
        _ => Safety::Document,
    }
}

fn privileged(op: PrivilegedOp) -> Safety {
    Safety::Privileged {
        op,
        dropped: Vec::new(),
    }
}

/// Function calls anywhere in the tree that reach outside the database. Definitions whose
/// expressions do not run when created (function bodies, defaults, policies, triggers, views)
/// are left to the document's role: PostgreSQL refuses those functions to it when they run.
fn refused_anywhere(stmt: &NodeEnum) -> Option<String> {
    let definition = matches!(
        stmt,
        NodeEnum::CreateFunctionStmt(_)
            | NodeEnum::CreateStmt(_)
            | NodeEnum::AlterTableStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::CreatePolicyStmt(_)
            | NodeEnum::AlterPolicyStmt(_)
            | NodeEnum::CreateTrigStmt(_)
            | NodeEnum::RuleStmt(_)
            | NodeEnum::CreateDomainStmt(_)
            | NodeEnum::CommentStmt(_)
            | NodeEnum::GrantStmt(_)
    );
    if definition {
        return None;
    }
    super::visit::function_calls(stmt)
        .into_iter()
        .find_map(|f| {
            let name = f.name.to_lowercase();
            let schema = f.schema.as_deref().map(str::to_lowercase);
            if REFUSED_FUNCTIONS.contains(&name.as_str()) {
                Some(format!(
                    "it calls `{name}`, which reaches outside the database (server files, programs, network, other sessions)"
                ))
            } else if schema.as_deref() == Some("net") && name.starts_with("http_") {
                Some(format!("it calls `net.{name}` (network)"))
            } else {
                None
            }
        })
}

fn copy_safety(copy: &protobuf::CopyStmt) -> Safety {
    if copy.is_program {
        return Safety::Refused("`COPY … PROGRAM` runs a shell command on the server".into());
    }
    if !copy.filename.is_empty() {
        return Safety::Refused(format!(
            "`COPY` {} the server file `{}`",
            if copy.is_from { "from" } else { "to" },
            copy.filename.escape_debug()
        ));
    }
    Safety::Document
}

fn create_extension(e: &protobuf::CreateExtensionStmt) -> Safety {
    let name = e.extname.clone();
    if REFUSED_EXTENSIONS.contains(&name.as_str()) {
        return Safety::Refused(format!(
            "extension `{name}` gives access to server files or an untrusted language"
        ));
    }
    let mut schema = None;
    let mut version = None;
    let mut cascade = false;
    for option in defelems(&e.options) {
        match option.defname.as_str() {
            "schema" => schema = string_arg(option),
            "new_version" => version = string_arg(option),
            "cascade" => cascade = bool_arg(option).unwrap_or(true),
            _ => {}
        }
    }
    privileged(PrivilegedOp::CreateExtension {
        name,
        schema,
        version,
        cascade,
    })
}

fn create_role(r: &protobuf::CreateRoleStmt) -> Safety {
    let name = r.role.clone();
    if name.starts_with("pg_") {
        return Safety::Refused(format!(
            "role names starting with `pg_` are reserved (`{name}`)"
        ));
    }
    // CREATE USER logs in unless told otherwise; CREATE ROLE/GROUP do not.
    let login_default = r.stmt_type == protobuf::RoleStmtType::RolestmtUser as i32;
    match role_options(&r.options, "CREATE ROLE") {
        Ok((mut options, dropped)) => {
            if options.login.is_none() {
                options.login = Some(login_default);
            }
            Safety::Privileged {
                op: PrivilegedOp::CreateRole { name, options },
                dropped,
            }
        }
        Err(reason) => Safety::Refused(reason),
    }
}

fn alter_role(r: &protobuf::AlterRoleStmt) -> Safety {
    let name = match role_spec(r.role.as_ref(), "ALTER ROLE") {
        Ok(name) => name,
        Err(reason) => return Safety::Refused(reason),
    };
    // ALTER GROUP g ADD/DROP USER u: membership of `u` in `g` (action +1 adds, -1 drops).
    let members: Vec<&protobuf::DefElem> = defelems(&r.options)
        .filter(|d| d.defname == "rolemembers")
        .collect();
    if let [option] = members.as_slice() {
        return match spec_list(option, "ALTER GROUP") {
            Ok(members) => privileged(PrivilegedOp::Membership {
                grant: r.action >= 0,
                roles: vec![name],
                members,
                admin: false,
            }),
            Err(reason) => Safety::Refused(reason),
        };
    }
    match role_options(&r.options, "ALTER ROLE") {
        Ok((options, dropped)) => Safety::Privileged {
            op: PrivilegedOp::AlterRole { name, options },
            dropped,
        },
        Err(reason) => Safety::Refused(reason),
    }
}

fn alter_role_set(r: &protobuf::AlterRoleSetStmt) -> Safety {
    if r.role.is_none() {
        return Safety::Refused(
            "`ALTER ROLE ALL SET` changes every role of the server, including ones pgspec did not create"
                .into(),
        );
    }
    let name = match role_spec(r.role.as_ref(), "ALTER ROLE … SET") {
        Ok(name) => name,
        Err(reason) => return Safety::Refused(reason),
    };
    let Some(set) = &r.setstmt else {
        return Safety::Refused("ALTER ROLE … SET without a setting".into());
    };
    let setting_name = set.name.to_lowercase();
    if REFUSED_SETTINGS.contains(&setting_name.as_str()) {
        return Safety::Refused(format!(
            "`ALTER ROLE … SET {setting_name}` would stop later runs from working or load code into the server"
        ));
    }
    let setting = match VariableSetKind::try_from(set.kind) {
        Ok(VariableSetKind::VarSetValue) => {
            let mut values = Vec::new();
            for arg in &set.args {
                match constant(arg) {
                    Some(v) => values.push(v),
                    None => {
                        return Safety::Refused(
                            "ALTER ROLE … SET with a value pgspec cannot read as a constant".into(),
                        )
                    }
                }
            }
            RoleSetting::Set {
                name: setting_name,
                values,
            }
        }
        Ok(VariableSetKind::VarSetDefault | VariableSetKind::VarReset) => {
            RoleSetting::Reset { name: setting_name }
        }
        Ok(VariableSetKind::VarResetAll) => RoleSetting::ResetAll,
        _ => return Safety::Refused("an ALTER ROLE … SET form pgspec does not run".into()),
    };
    privileged(PrivilegedOp::AlterRoleSet {
        name,
        // A database other than the run's is refused by the caller; naming any database
        // confines the setting to the run's.
        in_database: !r.database.is_empty(),
        setting,
    })
}

fn grant_role(g: &protobuf::GrantRoleStmt) -> Safety {
    let mut roles = Vec::new();
    for node in &g.granted_roles {
        match node.node.as_ref() {
            Some(NodeEnum::AccessPriv(p)) if !p.priv_name.is_empty() => {
                roles.push(p.priv_name.clone());
            }
            _ => return Safety::Refused("a role grant pgspec cannot read".into()),
        }
    }
    let members = match role_names(&g.grantee_roles, "GRANT") {
        Ok(m) => m,
        Err(reason) => return Safety::Refused(reason),
    };
    if let Some(role) = roles.iter().find(|r| r.starts_with("pg_")) {
        return Safety::Refused(format!(
            "membership in the predefined role `{role}` gives the server's own powers (files, programs, other sessions)"
        ));
    }
    let mut admin = false;
    let mut dropped = Vec::new();
    for option in defelems(&g.opt) {
        match option.defname.as_str() {
            "admin" => admin = bool_arg(option).unwrap_or(true),
            other => dropped.push(format!("WITH {} option", other.to_uppercase())),
        }
    }
    if g.grantor.is_some() {
        dropped.push("GRANTED BY".into());
    }
    Safety::Privileged {
        op: PrivilegedOp::Membership {
            grant: g.is_grant,
            roles,
            members,
            admin,
        },
        dropped,
    }
}

#[cfg(test)]
mod tests;
