-- The user's views and materialized views: oid, schema, name, materialized, definition
-- (pg_get_viewdef: deparsed, never run), populated, owner, comment. Scope as in schemas.sql;
-- extension members excluded. Tested on PostgreSQL 15.
SELECT c.oid, n.nspname::text, c.relname::text, (c.relkind = 'm'),
       pg_catalog.pg_get_viewdef(c.oid, true), c.relispopulated,
       pg_catalog.pg_get_userbyid(c.relowner)::text, pg_catalog.obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
