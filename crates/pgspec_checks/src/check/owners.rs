//! `ALTER … OWNER TO role`, which `pg_dump` writes after every object: a superuser restoring
//! the dump may give anything to any role. The run's role may not (it must be a member of
//! the new owner, which must be able to create in the object's schema), so for a role this
//! run created pgspec grants what the superuser would not have needed, and applies the
//! statement again. Roles that existed before the run are never touched.

use crate::diagnostics::PgDetails;
use crate::postgres::{ApplySession, ClusterError, Outcome, PrivilegeCheck};
use crate::sql::ast::{self, ParseTree};
use crate::sql::quote::quote_ident;
use crate::sql::safety::PrivilegedOp;

use super::state::{survive_lost_connection, Engine};

impl Engine<'_> {
    /// `outcome` of a statement with tree `tree`, after what an owner change to a role of this
    /// run needs: the run's role joins the new owner (so it may give the object away and
    /// still alter it afterwards, as the superuser would), and the new owner may create in
    /// the schema the server names; `again` applies the statement once more after each.
    pub(super) fn with_owner_of_run(
        &mut self,
        tree: Option<&ParseTree>,
        mut outcome: Outcome,
        again: &dyn Fn(&mut ApplySession) -> Result<Outcome, ClusterError>,
    ) -> Result<Outcome, ClusterError> {
        let Some(role) = tree.and_then(ast::new_owner).map(str::to_owned) else {
            return Ok(outcome);
        };
        for _ in 0..2 {
            let Outcome::Failed { error, .. } = &outcome else {
                break;
            };
            if !self.prepare_owner(&role, error)? {
                break;
            }
            outcome = survive_lost_connection(again(self.session))?;
        }
        Ok(outcome)
    }

    /// Grant what `error` says the owner change to `role` lacks; false when it is something
    /// else, or pgspec may not grant it.
    fn prepare_owner(&mut self, role: &str, error: &PgDetails) -> Result<bool, ClusterError> {
        // pgspec's own roles (`pgspec_…`) are never given anything, even one a fix created.
        if error.sqlstate != "42501" || role.starts_with("pgspec_") {
            return Ok(false);
        }
        if error.message == format!("must be member of role \"{role}\"") {
            let op = PrivilegedOp::Membership {
                grant: true,
                roles: vec![role.to_owned()],
                members: vec![self.session.owner_role().to_owned()],
                admin: false,
            };
            if self.session.privilege_check(&op)? != PrivilegeCheck::Run {
                return Ok(false);
            }
            return Ok(matches!(
                self.apply_privileged(&op)?,
                Outcome::Applied { .. }
            ));
        }
        let Some(schema) = error.message.strip_prefix("permission denied for schema ") else {
            return Ok(false);
        };
        if !self.session.created_role_names().iter().any(|r| r == role) {
            return Ok(false);
        }
        // As the run's role: it grants only on schemas it may grant on.
        let sql = format!(
            "GRANT CREATE ON SCHEMA {} TO {}",
            quote_ident(schema),
            quote_ident(role)
        );
        Ok(matches!(
            survive_lost_connection(self.session.apply(&sql))?,
            Outcome::Applied { .. }
        ))
    }
}
