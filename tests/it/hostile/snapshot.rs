//! What a case must leave as it found it: the roles, memberships, settings and databases of a
//! cluster, read before and after.

use super::*;

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

/// What a document must not change outside its own database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Snapshot {
    /// oid → `name attributes password`.
    pub(super) roles: BTreeMap<String, (String, String)>,
    pub(super) superusers: BTreeSet<String>,
    /// (granted role, member, admin option).
    pub(super) members: BTreeSet<(String, String, String)>,
    /// (database or "", role or "", settings).
    pub(super) settings: BTreeSet<(String, String, String)>,
    /// name → `owner, allowconn, connlimit, istemplate`.
    pub(super) databases: BTreeMap<String, String>,
    /// postgresql.auto.conf as the server reads it.
    pub(super) file_settings: BTreeSet<String>,
    /// The rows of the user's database (or why they cannot be read).
    pub(super) user_rows: String,
}

impl Snapshot {
    pub(super) fn take(cluster: &Cluster) -> Snapshot {
        let mut c = admin(cluster, "postgres");
        let roles = text_rows(
            &mut c,
            "SELECT oid::text, rolname, concat_ws(',', rolsuper, rolinherit, rolcreaterole, \
             rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, \
             coalesce(rolpassword, '-'), coalesce(rolvaliduntil::text, '-')) \
             FROM pg_catalog.pg_authid",
        )
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
        .collect();
        let superusers = text_rows(
            &mut c,
            "SELECT rolname FROM pg_catalog.pg_authid WHERE rolsuper",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        let members = text_rows(
            &mut c,
            "SELECT r.rolname, m.rolname, a.admin_option::text FROM pg_catalog.pg_auth_members a \
             JOIN pg_catalog.pg_authid r ON r.oid = a.roleid \
             JOIN pg_catalog.pg_authid m ON m.oid = a.member",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
        let settings = text_rows(
            &mut c,
            "SELECT coalesce(d.datname, ''), coalesce(r.rolname, ''), s.setconfig::text \
             FROM pg_catalog.pg_db_role_setting s \
             LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase \
             LEFT JOIN pg_catalog.pg_authid r ON r.oid = s.setrole",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
        let databases = text_rows(
            &mut c,
            // Spare databases pgspec makes for the next run (its own: the superuser's and closed
            // to connections, so no document reaches them) come and go between snapshots, and so
            // does the template they are copied from (never open while PUBLIC may connect).
            "SELECT datname, concat_ws(',', pg_catalog.pg_get_userbyid(datdba), datallowconn, \
             datconnlimit, datistemplate) FROM pg_catalog.pg_database \
             WHERE NOT ((datname LIKE 'pgspec\\_spare\\_%' AND NOT datallowconn \
             OR datname = 'pgspec_template' \
             AND NOT (datallowconn AND pg_catalog.has_database_privilege('public', oid, 'CONNECT'))) \
             AND datdba = 'postgres'::regrole)",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
        let file_settings = text_rows(
            &mut c,
            "SELECT concat_ws('=', name, setting) FROM pg_catalog.pg_file_settings \
             WHERE sourcefile LIKE '%postgresql.auto.conf'",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        let user_rows = match cluster.config("userdb").connect(postgres::NoTls) {
            Ok(mut db) => match db.simple_query(
                "SELECT coalesce(pg_catalog.string_agg(id::text || ':' || name, ',' ORDER BY id), '') \
                 FROM public.customers",
            ) {
                Ok(msgs) => msgs
                    .into_iter()
                    .find_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                        _ => None,
                    })
                    .unwrap_or_default(),
                Err(e) => format!("unreadable: {}", pg_error(&e)),
            },
            Err(e) => format!("cannot connect: {}", pg_error(&e)),
        };
        Snapshot {
            roles,
            superusers,
            members,
            settings,
            databases,
            file_settings,
            user_rows,
        }
    }

    /// What changed from `self` (the baseline) to `now`. Only what existed in the baseline is
    /// compared, unless `exact` (then anything new that is left behind counts too).
    pub(super) fn changes(&self, now: &Snapshot, exact: bool) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&str> = self.roles.values().map(|(n, _)| n.as_str()).collect();
        for (oid, (name, attrs)) in &self.roles {
            match now.roles.get(oid) {
                None => out.push(format!("role {name} was dropped")),
                Some((n, _)) if n != name => out.push(format!("role {name} was renamed to {n}")),
                Some((_, a)) if a != attrs => {
                    out.push(format!("role {name} changed: {attrs} -> {a}"))
                }
                Some(_) => {}
            }
        }
        if now.superusers != self.superusers {
            out.push(format!(
                "superusers changed: {:?} -> {:?}",
                self.superusers, now.superusers
            ));
        }
        let keep = |m: &&(String, String, String)| exact || names.contains(m.0.as_str());
        let before: BTreeSet<_> = self.members.iter().filter(keep).collect();
        let after: BTreeSet<_> = now.members.iter().filter(keep).collect();
        for m in after.difference(&before) {
            out.push(format!(
                "membership added: {} granted to {} (admin {})",
                m.0, m.1, m.2
            ));
        }
        for m in before.difference(&after) {
            out.push(format!("membership removed: {} from {}", m.0, m.1));
        }
        let keep = |s: &&(String, String, String)| {
            exact
                || ((s.0.is_empty() || self.databases.contains_key(&s.0))
                    && (s.1.is_empty() || names.contains(s.1.as_str())))
        };
        let before: BTreeSet<_> = self.settings.iter().filter(keep).collect();
        let after: BTreeSet<_> = now.settings.iter().filter(keep).collect();
        for s in after.difference(&before) {
            out.push(format!(
                "setting added: database {:?} role {:?}: {}",
                s.0, s.1, s.2
            ));
        }
        for s in before.difference(&after) {
            out.push(format!(
                "setting removed: database {:?} role {:?}: {}",
                s.0, s.1, s.2
            ));
        }
        for (db, row) in &self.databases {
            match now.databases.get(db) {
                None => out.push(format!("database {db} was dropped or renamed")),
                Some(r) if r != row => out.push(format!("database {db} changed: {row} -> {r}")),
                Some(_) => {}
            }
        }
        if exact {
            for (oid, (name, _)) in &now.roles {
                if !self.roles.contains_key(oid) {
                    out.push(format!("role {name} was left behind"));
                }
            }
            for db in now.databases.keys() {
                if !self.databases.contains_key(db) {
                    out.push(format!("database {db} was left behind"));
                }
            }
        }
        if now.file_settings != self.file_settings {
            out.push(format!(
                "server configuration (postgresql.auto.conf) changed: {:?} -> {:?}",
                self.file_settings, now.file_settings
            ));
        }
        if now.user_rows != self.user_rows {
            out.push(format!(
                "the user's rows in userdb changed: {:?} -> {:?}",
                self.user_rows, now.user_rows
            ));
        }
        out
    }
}
