//! The catalog queries the later stages run, as text (one `.sql` file each in `catalog/`).
//! Every catalog object is `pg_catalog.`-qualified (`catalog_audit` holds that).

pub const DRIFT_COLUMNS: &str = include_str!("catalog/drift_columns.sql");
pub const DRIFT_FOREIGN_KEYS: &str = include_str!("catalog/drift_foreign_keys.sql");
pub const DRIFT_KEYS: &str = include_str!("catalog/drift_keys.sql");
pub const LINT_COLUMNS: &str = include_str!("catalog/lint_columns.sql");
pub const LINT_CONSTRAINTS: &str = include_str!("catalog/lint_constraints.sql");
pub const LINT_FUNCTIONS: &str = include_str!("catalog/lint_functions.sql");
pub const LINT_GRANTS: &str = include_str!("catalog/lint_grants.sql");
pub const LINT_INDEXES: &str = include_str!("catalog/lint_indexes.sql");
pub const LINT_PARTITIONS: &str = include_str!("catalog/lint_partitions.sql");
pub const LINT_POLICIES: &str = include_str!("catalog/lint_policies.sql");
pub const LINT_TRIGGERS: &str = include_str!("catalog/lint_triggers.sql");
pub const OBJECT_COUNTS: &str = include_str!("catalog/object_counts.sql");
pub const ROLES_GRANTED_TO: &str = include_str!("catalog/roles_granted_to.sql");
