-- Objects the current database holds, by kind, for `pgspec up`'s summary.
-- Reads pg_namespace, pg_class, pg_constraint, pg_proc, pg_trigger, pg_policy, pg_type,
-- pg_extension, pg_depend (extension members are not counted). Tested on PostgreSQL 15.
WITH ns AS (
    SELECT oid FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
),
ext_member AS (
    SELECT objid FROM pg_depend WHERE deptype = 'e'
),
rel AS (
    SELECT c.* FROM pg_class c
    WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.oid NOT IN (SELECT objid FROM ext_member)
)
SELECT 'tables', count(*)::text FROM rel WHERE relkind IN ('r', 'p') AND NOT relispartition
UNION ALL SELECT 'partitions', count(*)::text FROM rel WHERE relkind IN ('r', 'p') AND relispartition
UNION ALL SELECT 'indexes', count(*)::text FROM rel WHERE relkind IN ('i', 'I')
UNION ALL SELECT 'views', count(*)::text FROM rel WHERE relkind = 'v'
UNION ALL SELECT 'materialized_views', count(*)::text FROM rel WHERE relkind = 'm'
UNION ALL SELECT 'sequences', count(*)::text FROM rel WHERE relkind = 'S'
UNION ALL SELECT 'constraints', count(*)::text FROM pg_constraint k
    WHERE k.conrelid IN (SELECT oid FROM rel) AND k.conislocal AND k.contype IN ('p', 'u', 'f', 'c', 'x')
UNION ALL SELECT 'functions', count(*)::text FROM pg_proc p
    WHERE p.pronamespace IN (SELECT oid FROM ns) AND p.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'triggers', count(*)::text FROM pg_trigger t
    WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT oid FROM rel) AND t.tgparentid = 0
UNION ALL SELECT 'policies', count(*)::text FROM pg_policy pol WHERE pol.polrelid IN (SELECT oid FROM rel)
UNION ALL SELECT 'types', count(*)::text FROM pg_type t
    WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype IN ('e', 'd', 'r')
      AND t.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'schemas', count(*)::text FROM pg_namespace n
    WHERE n.oid IN (SELECT oid FROM ns) AND n.nspname <> 'public'
      AND n.oid NOT IN (SELECT objid FROM ext_member)
UNION ALL SELECT 'extensions', count(*)::text FROM pg_extension WHERE extname <> 'plpgsql'
