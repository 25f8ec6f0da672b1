//! Small catalog reads pgspec makes on a live connection besides the one [`super::Catalog`]:
//! the state of a moment (inside a verify transaction, after an index was set aside), a
//! lookup by name, a role's standing. Each is a function over any client (connection or
//! transaction), with every catalog object `pg_catalog.`-qualified; callers run them on the
//! connection they use today.

use postgres::GenericClient;

/// The definitions (pg_indexes.indexdef) of the indexes named `names` (lowercase).
pub fn index_definitions(
    client: &mut impl GenericClient,
    names: &[String],
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT indexdef FROM pg_catalog.pg_indexes WHERE pg_catalog.lower(indexname) OPERATOR(pg_catalog.=) ANY($1)",
            &[&names],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The indexes named `names` (lowercase) and those of partitions attached to them, at any
/// depth (an index on a partitioned table is served, in a plan, by its partitions' indexes),
/// by lowercase name.
pub fn indexes_with_partitions(
    client: &mut impl GenericClient,
    names: &[String],
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "WITH RECURSIVE attached(oid) AS ( \
               SELECT c.oid FROM pg_catalog.pg_class c \
               WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{i,I}'::pg_catalog.\"char\"[]) \
               AND pg_catalog.lower(c.relname) OPERATOR(pg_catalog.=) ANY($1) \
               UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i \
               JOIN attached a ON i.inhparent OPERATOR(pg_catalog.=) a.oid) \
             SELECT DISTINCT pg_catalog.lower(c.relname) FROM attached a \
             JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.oid",
            &[&names],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Parameter types (as text) of the prepared statement `name` of this session.
pub fn prepared_parameter_types(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT pg_catalog.unnest(parameter_types)::text FROM pg_catalog.pg_prepared_statements \
             WHERE name OPERATOR(pg_catalog.=) $1",
            &[&name],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// `schema.index` of the indexes on the tables `table_oids` (partitions' aside) that back no
/// constraint and are not named in `keep` (lowercase).
pub fn other_indexes(
    client: &mut impl GenericClient,
    table_oids: &[i64],
    keep: &[String],
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE i.indrelid = ANY($1::int8[]::oid[]) AND NOT c.relispartition \
             AND pg_catalog.lower(c.relname) <> ALL($2) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)",
            &[&table_oids, &keep],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// A partition now: `(schema.parent, bound, parent's key)`.
pub type PartitionLink = (String, Option<String>, Option<String>);

/// Every partition of a partitioned table now.
pub fn partition_bounds(
    client: &mut impl GenericClient,
) -> Result<Vec<PartitionLink>, postgres::Error> {
    Ok(client
        .query(
            "SELECT pg_catalog.format('%I.%I', n.nspname, p.relname), \
             pg_catalog.pg_get_expr(c.relpartbound, c.oid)::text, \
             pg_catalog.pg_get_partkeydef(p.oid)::text \
             FROM pg_catalog.pg_class p JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace \
             JOIN pg_catalog.pg_inherits i ON i.inhparent = p.oid \
             JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid \
             WHERE p.relkind = 'p' AND n.nspname NOT IN ('pg_catalog', 'cron')",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// How many inheritance links (partitions included) the database has now.
pub fn inheritance_count(client: &mut impl GenericClient) -> Result<i64, postgres::Error> {
    Ok(client
        .query_one(
            "SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits",
            &[],
        )?
        .get(0))
}

/// A function or procedure found by name, with what calling it takes.
#[derive(Clone, Debug)]
pub struct RoutineSignature {
    pub oid: i64,
    /// `schema.name`, quoted where needed.
    pub qualified: String,
    /// `prokind`: `f`, `p`, `a`, `w`.
    pub kind: String,
    pub result: Option<String>,
    pub arg_names: Vec<String>,
    /// Input argument types (format_type).
    pub arg_types: Vec<String>,
    pub n_defaults: i32,
    /// `proargmodes` (empty: all IN).
    pub arg_modes: Vec<String>,
}

/// The user's functions and procedures named `name` (in `schema` when given).
pub fn routines_named(
    client: &mut impl GenericClient,
    name: &str,
    schema: Option<&str>,
) -> Result<Vec<RoutineSignature>, postgres::Error> {
    Ok(client
        .query(
            "SELECT p.oid::int8, pg_catalog.format('%I.%I', n.nspname, p.proname), p.prokind::text, \
             pg_catalog.pg_get_function_result(p.oid), COALESCE(p.proargnames, '{}')::text[], \
             ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM pg_catalog.unnest(p.proargtypes::oid[]) t), \
             p.pronargdefaults::int4, COALESCE(p.proargmodes::text[], '{}') \
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.proname = $1 AND ($2::text IS NULL OR n.nspname = $2) \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
            &[&name, &schema],
        )?
        .iter()
        .map(|r| RoutineSignature {
            oid: r.get(0),
            qualified: r.get(1),
            kind: r.get(2),
            result: r.get(3),
            arg_names: r.get(4),
            arg_types: r.get(5),
            n_defaults: r.get(6),
            arg_modes: r.get(7),
        })
        .collect())
}

/// A row level security policy as pg_policies shows it (expressions not pretty-printed).
#[derive(Clone, Debug)]
pub struct PolicyRow {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub roles: Vec<String>,
    pub rls_enabled: bool,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `ALL`.
    pub command: String,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// Every policy of the database, by schema, table and name.
pub fn policies(client: &mut impl GenericClient) -> Result<Vec<PolicyRow>, postgres::Error> {
    Ok(client
        .query(
            "SELECT p.schemaname::text, p.tablename::text, p.policyname::text, p.roles::text[], \
             c.relrowsecurity, p.cmd::text, p.qual, p.with_check \
             FROM pg_catalog.pg_policies p JOIN pg_catalog.pg_class c ON c.relname = p.tablename \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.schemaname \
             ORDER BY 1, 2, 3",
            &[],
        )?
        .iter()
        .map(|r| PolicyRow {
            schema: r.get(0),
            table: r.get(1),
            name: r.get(2),
            roles: r.get(3),
            rls_enabled: r.get(4),
            command: r.get(5),
            using: r.get(6),
            with_check: r.get(7),
        })
        .collect())
}

/// Of `roles`, those that exist, are neither superusers nor bypass RLS, are not predefined,
/// and carry a comment starting with `marker` (roles pgspec made).
pub fn marked_roles(
    client: &mut impl GenericClient,
    roles: &[String],
    marker: &str,
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT r.rolname::text FROM pg_catalog.pg_roles r \
             WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AND NOT r.rolsuper \
             AND NOT r.rolbypassrls AND r.rolname OPERATOR(pg_catalog.!~) '^pg_' \
             AND pg_catalog.starts_with(pg_catalog.shobj_description(r.oid, 'pg_authid'), $2)",
            &[&roles, &marker],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// What pgspec needs to know about a role before running a document's code as it.
#[derive(Clone, Debug)]
pub struct RoleStanding {
    /// Superuser, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS.
    pub privileged: bool,
    pub can_login: bool,
    pub comment: Option<String>,
}

/// The standing of `role` (`None`: no such role).
pub fn role_standing(
    client: &mut impl GenericClient,
    role: &str,
) -> Result<Option<RoleStanding>, postgres::Error> {
    Ok(client
        .query(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls, rolcanlogin, \
             pg_catalog.shobj_description(oid, 'pg_authid') \
             FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1",
            &[&role],
        )?
        .first()
        .map(|row| RoleStanding {
            privileged: row.get(0),
            can_login: row.get(1),
            comment: row.get(2),
        }))
}

/// Whether the database `name` exists.
pub fn database_exists(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<bool, postgres::Error> {
    Ok(!client
        .query(
            "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1",
            &[&name],
        )?
        .is_empty())
}

/// The role owning the database `name`.
pub fn database_owner(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<String, postgres::Error> {
    Ok(client
        .query_one(
            "SELECT pg_catalog.pg_get_userbyid(datdba)::text FROM pg_catalog.pg_database \
             WHERE datname OPERATOR(pg_catalog.=) $1",
            &[&name],
        )?
        .get(0))
}

/// Whether the extension `name` is installed in the connection's database.
pub fn extension_installed(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<bool, postgres::Error> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) $1)",
            &[&name],
        )?
        .get(0))
}

/// The server process that holds the advisory lock `key` (one bigint key) in the connected
/// database, if any.
pub fn advisory_lock_holder(
    client: &mut impl GenericClient,
    key: i64,
) -> Result<Option<i32>, postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT pid FROM pg_catalog.pg_locks WHERE locktype OPERATOR(pg_catalog.=) 'advisory' \
             AND database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database \
             WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) \
             AND granted AND ((classid::bigint OPERATOR(pg_catalog.<<) 32) OPERATOR(pg_catalog.|) objid::bigint) OPERATOR(pg_catalog.=) $1 LIMIT 1",
            &[&key],
        )?
        .map(|r| r.get(0)))
}

/// Whether the default version of extension `name` is marked trusted (a database owner may
/// create it); false when the server does not offer it.
pub fn extension_is_trusted(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<bool, postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT v.trusted FROM pg_catalog.pg_available_extension_versions v \
             JOIN pg_catalog.pg_available_extensions a \
             ON a.name = v.name AND a.default_version = v.version WHERE v.name = $1",
            &[&name],
        )?
        .is_some_and(|r| r.get::<_, bool>(0)))
}

/// Whether index `schema.name` is valid; `None` when there is no such index.
pub fn index_is_valid(
    client: &mut impl GenericClient,
    schema: &str,
    name: &str,
) -> Result<Option<bool>, postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT i.indisvalid FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND n.nspname = $2",
            &[&name, &schema],
        )?
        .map(|r| r.get(0)))
}
