-- Objects the current database holds, by kind, for `pgspec up`'s summary.
-- Reads pg_namespace, pg_class, pg_constraint, pg_proc, pg_trigger, pg_policy, pg_type,
-- pg_extension, pg_depend (extension members are not counted). Tested on PostgreSQL 15.
WITH ns AS (
    SELECT oid FROM pg_catalog.pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
),
ext_member AS (
    SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e'
),
rel AS (
    SELECT c.* FROM pg_catalog.pg_class c
    WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.oid NOT IN (SELECT objid FROM ext_member)
)
SELECT 'tables', pg_catalog.count(*)::text FROM rel WHERE relkind IN ('r', 'p') AND NOT relispartition
UNION ALL SELECT 'partitions', pg_catalog.count(*)::text FROM rel WHERE relkind IN ('r', 'p') AND relispartition
UNION ALL SELECT 'indexes', pg_catalog.count(*)::text FROM rel WHERE relkind IN ('i', 'I')
UNION ALL SELECT 'views', pg_catalog.count(*)::text FROM rel WHERE relkind = 'v'
UNION ALL SELECT 'materialized_views', pg_catalog.count(*)::text FROM rel WHERE relkind = 'm'
UNION ALL SELECT 'sequences', pg_catalog.count(*)::text FROM rel WHERE relkind = 'S'
UNION ALL SELECT 'constraints', pg_catalog.count(*)::text FROM pg_catalog.pg_constraint k
    WHERE k.conrelid IN (SELECT oid FROM rel) AND k.conislocal AND k.contype IN ('p', 'u', 'f', 'c', 'x')
UNION ALL SELECT 'functions', pg_catalog.count(*)::text FROM pg_catalog.pg_proc p
    WHERE p.pronamespace IN (SELECT oid FROM ns) AND p.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'triggers', pg_catalog.count(*)::text FROM pg_catalog.pg_trigger t
    WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT oid FROM rel) AND t.tgparentid = 0
UNION ALL SELECT 'policies', pg_catalog.count(*)::text FROM pg_catalog.pg_policy pol WHERE pol.polrelid IN (SELECT oid FROM rel)
UNION ALL SELECT 'types', pg_catalog.count(*)::text FROM pg_catalog.pg_type t
    WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype IN ('e', 'd', 'r')
      AND t.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'schemas', pg_catalog.count(*)::text FROM pg_catalog.pg_namespace n
    WHERE n.oid IN (SELECT oid FROM ns) AND n.nspname <> 'public'
      AND n.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'extensions', pg_catalog.count(*)::text FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'
