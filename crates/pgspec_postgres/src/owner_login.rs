//! Logging in as the role that owns a database `pgspec up` made: the only identity under which
//! pgspec runs a document's code (triggers, defaults, CHECKs, views, functions) during `seed`
//! and `verify`. There is no fallback to an administrator: when the owner is a privileged role,
//! cannot log in, or is a role pgspec did not make, this is an error that says why.

use postgres::{Client, NoTls};

use crate::catalog::probes::role_standing;
use crate::cluster::error_text;
use crate::session::{random_password, up_owner_marker, without_password};
use crate::sql::quote::{quote_ident, quote_literal};
use crate::{ClusterError, Server};

/// A connection to `database` as `owner` (the role `up` recorded as its owner), over that
/// role's own login: the unix socket of the private cluster, or on a URL server a password
/// pgspec sets for this run (only on a role `up` made for this database).
pub fn owner_login(server: &Server, database: &str, owner: &str) -> Result<Client, ClusterError> {
    let refuse = |why: String| {
        ClusterError::Server(format!(
            "{why}; pgspec runs the document's code only as the database's own unprivileged owner role, never as an administrator (run `pgspec up --recreate` to rebuild the database with one)"
        ))
    };
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    let standing =
        role_standing(&mut admin, owner).map_err(|e| ClusterError::Server(error_text(&e)))?;
    let Some(standing) = standing else {
        return Err(refuse(format!("the owner of database {database} is gone")));
    };
    if standing.privileged {
        return Err(refuse(format!(
            "database {database} is owned by {owner}, a role with privileged attributes"
        )));
    }
    if !standing.can_login {
        return Err(refuse(format!(
            "the owner role {owner} of database {database} cannot log in (NOLOGIN)"
        )));
    }
    // Not the administrator's password or startup options.
    let mut config = without_password(&server.app_config(database)?);
    config.user(owner);
    if !server.is_embedded() {
        // Only a role `up` made for this database gets a new password (pgspec never learns
        // other roles' passwords, and never changes them).
        if standing.comment.as_deref() != Some(up_owner_marker(database).as_str()) {
            return Err(refuse(format!(
                "database {database} is owned by {owner}, which pgspec did not make for it"
            )));
        }
        let password = random_password();
        admin
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {}",
                quote_ident(owner),
                quote_literal(&password)
            ))
            .map_err(|e| ClusterError::Server(error_text(&e)))?;
        config.password(password.as_bytes());
    }
    config.connect(NoTls).map_err(|e| {
        refuse(format!(
            "cannot log in to {database} as its owner role {owner}: {}",
            error_text(&e)
        ))
    })
}
