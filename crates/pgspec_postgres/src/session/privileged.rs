//! What pgspec runs for the document with more rights than its role: the checks that say
//! whether it may (roles of this run only, extensions the server offers and trusts), and the
//! run itself on the superuser connection.

use super::*;

impl ApplySession {
    /// Whether pgspec may run `op` for the document in this run: every role it touches must
    /// have been created by this run (the run's owner role may only receive a membership).
    /// A membership that is already in place between roles that existed before is nothing to do.
    /// `CREATE EXTENSION pg_cron` where the server's pg_cron already serves this database from
    /// its cron database (the private cluster preloads it; jobs run here through
    /// `cron.schedule_in_database`) is in place: the extension can exist only in that database.
    pub fn privilege_check(&mut self, op: &PrivilegedOp) -> Result<PrivilegeCheck, ClusterError> {
        if let PrivilegedOp::CreateExtension { name, .. } = op {
            if name == "pg_cron" && self.cron_database()?.is_some_and(|db| db != self.database) {
                return Ok(PrivilegeCheck::AlreadyInPlace);
            }
        }
        let created = lock(&self.created_roles).clone();
        let changed = op.roles_changed();
        let mut foreign = Vec::new();
        for role in op.roles_from_run() {
            let ours = created.iter().any(|(_, c)| c == role);
            let owner = role == self.owner && !changed.contains(&role);
            if !ours && !owner {
                foreign.push(role);
            }
        }
        if foreign.is_empty() {
            return Ok(PrivilegeCheck::Run);
        }
        if let PrivilegedOp::Membership {
            grant: true,
            roles,
            members,
            ..
        } = op
        {
            if self.memberships_exist(roles, members)? {
                return Ok(PrivilegeCheck::AlreadyInPlace);
            }
        }
        let list = foreign
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let owner_note = if foreign.iter().any(|r| *r == self.owner) {
            format!(
                " ({} is the role pgspec runs this database's document as)",
                self.owner
            )
        } else {
            String::new()
        };
        Ok(PrivilegeCheck::Refuse(format!(
            "it changes {list}{owner_note}, which this run did not create; pgspec changes only roles the document created in this run"
        )))
    }

    /// Run a privileged operation pgspec built for the document (see [`crate::sql::safety`]),
    /// after [`Self::privilege_check`] allowed it. Installed *trusted* extensions are created
    /// as the document's own role; everything else on the administrative connection, whose
    /// `search_path` the document cannot influence. Roles it creates, renames or drops are
    /// tracked, so the run's cleanup drops exactly the roles it made.
    pub fn apply_privileged(&mut self, op: &PrivilegedOp) -> Result<Outcome, ClusterError> {
        if let PrivilegeCheck::Refuse(reason) = self.privilege_check(op)? {
            return Err(ClusterError::Server(format!(
                "pgspec refused a privileged operation: {reason}"
            )));
        }
        let sql = match op {
            PrivilegedOp::CreateExtension { name, schema, .. } => {
                let (trusted, fixed_schema) = self.extension_control(name)?;
                let mut op = op.clone();
                if schema.is_none() && !fixed_schema {
                    // Where the document's own CREATE EXTENSION would have put it (the
                    // administrative connection's own search_path is pg_catalog, pg_temp).
                    let current = self.app_creation_schema();
                    if let PrivilegedOp::CreateExtension { schema, .. } = &mut op {
                        *schema = Some(current);
                    }
                }
                let sql = op.to_sql(&self.database);
                if trusted {
                    return self.run_settling(false, &sql, Mode::Execute, false);
                }
                sql
            }
            _ => op.to_sql(&self.database),
        };
        // One statement of pgspec's, which leaves no transaction block open (an extension's
        // script may not end its transaction).
        let outcome = self.run_settling(true, &sql, Mode::Execute, false)?;
        if outcome.is_applied() {
            // Recorded by OID: cleanup drops the role this run made whatever its name then.
            let oid = match op {
                PrivilegedOp::CreateRole { name, .. } => self.role_oid(name)?,
                _ => None,
            };
            let mut created = lock(&self.created_roles);
            match op {
                PrivilegedOp::CreateRole { name, .. } => {
                    if let Some(oid) = oid {
                        created.push((oid, name.clone()));
                    }
                }
                PrivilegedOp::RenameRole { from, to } => {
                    for (_, role) in created.iter_mut().filter(|(_, r)| r == from) {
                        role.clone_from(to);
                    }
                }
                PrivilegedOp::DropRole { names, .. } => {
                    created.retain(|(_, r)| !names.contains(r));
                }
                _ => {}
            }
            drop(created);
            if let Some(role) = op.created_role() {
                let marker = format!("{ROLE_MARKER} (database {})", self.database);
                let _ = self.admin.client.batch_execute(&format!(
                    "COMMENT ON ROLE {} IS {}",
                    quote_ident(role),
                    quote_literal(&marker)
                ));
                self.admin.take_notices();
            }
        }
        Ok(outcome)
    }

    /// The extensions pgspec expects to create for the document (its `CREATE EXTENSION`
    /// statements, the fixes of statements that use an extension's objects): what creating
    /// them needs to know ([`Self::apply_privileged`]) is read now in the background, while
    /// the statements before them run, instead of when each is created (from their control
    /// files: a round trip or two).
    pub fn expect_extensions(&mut self, names: Vec<String>) {
        if let (Some(background), false) = (&self.background, names.is_empty()) {
            let asked = names.clone();
            let answer =
                background.ask(move |client| background::read_extension_controls(client, &asked));
            self.extension_controls = ExtensionControls::Asked(answer);
        }
        self.start_warming_catalog();
    }

    /// Whether an installed extension is trusted (its owner role may create it) and whether
    /// its control file fixes its schema.
    pub fn extension_control(
        &mut self,
        name: &str,
    ) -> Result<background::ExtensionControl, ClusterError> {
        if let ExtensionControls::Asked(answer) =
            std::mem::replace(&mut self.extension_controls, ExtensionControls::Unknown)
        {
            if let Ok(Some(known)) = answer.recv() {
                self.extension_controls = ExtensionControls::Known(known);
            }
        }
        if let ExtensionControls::Known(known) = &self.extension_controls {
            if let Some(control) = known.get(name) {
                return Ok(*control);
            }
        }
        let names = [name.to_owned()];
        let known = background::read_extension_controls(&mut self.admin.client, &names);
        self.admin.take_notices();
        known
            .and_then(|known| known.get(name).copied())
            .ok_or_else(|| {
                ClusterError::Server(format!(
                    "cannot read what the server knows of extension {name}"
                ))
            })
    }

    fn role_oid(&mut self, name: &str) -> Result<Option<u32>, ClusterError> {
        Ok(self
            .query_strings(&format!(
                "SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}",
                quote_literal(name)
            ))?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten())
            .and_then(|v| v.parse().ok()))
    }

    /// The database pg_cron keeps its jobs in, when the server has pg_cron loaded.
    fn cron_database(&mut self) -> Result<Option<String>, ClusterError> {
        let rows =
            self.query_strings("SELECT pg_catalog.current_setting('cron.database_name', true)")?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    fn memberships_exist(
        &mut self,
        roles: &[String],
        members: &[String],
    ) -> Result<bool, ClusterError> {
        for role in roles {
            for member in members {
                let rows = self.query_strings(&format!(
                    "SELECT 1 FROM pg_catalog.pg_auth_members m \
                     JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
                     JOIN pg_catalog.pg_roles u ON u.oid = m.member \
                     WHERE r.rolname = {} AND u.rolname = {}",
                    quote_literal(role),
                    quote_literal(member)
                ))?;
                if rows.is_empty() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}
