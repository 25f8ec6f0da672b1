-- The user's schemas: oid, name, owner, comment. In scope: every schema but pg_catalog,
-- information_schema, pg_toast*, pg_temp*, cron and pgspec's own helper schemas
-- (pgspec_*), and none an extension created. Tested on PostgreSQL 15.
SELECT n.oid, n.nspname::text, pg_catalog.pg_get_userbyid(n.nspowner)::text,
       pg_catalog.obj_description(n.oid, 'pg_namespace')
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
                    AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY n.nspname
