-- The user's views and materialized views: oid, schema, name, materialized, definition
-- (pg_get_viewdef: deparsed, never run), populated, owner, comment, reloptions
-- (check_option, security_barrier, …), the relations and the user's functions its query uses
-- (pg_depend of its rewrite rule, `schema.name` quoted as identifiers). Scope as in schemas.sql;
-- extension members excluded. Tested on PostgreSQL 15.
SELECT c.oid, n.nspname::text, c.relname::text, (c.relkind = 'm'),
       pg_catalog.pg_get_viewdef(c.oid, true), c.relispopulated,
       pg_catalog.pg_get_userbyid(c.relowner)::text, pg_catalog.obj_description(c.oid, 'pg_class'),
       coalesce(c.reloptions, '{}'),
       ARRAY(SELECT DISTINCT pg_catalog.format('%I.%I', dn.nspname, dc.relname)
             FROM pg_catalog.pg_rewrite rw
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                  AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
             JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
             WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid ORDER BY 1),
       ARRAY(SELECT DISTINCT pg_catalog.format('%I.%I(%s)', dn.nspname, dp.proname,
                                               pg_catalog.pg_get_function_identity_arguments(dp.oid))
             FROM pg_catalog.pg_rewrite rw
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                  AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
             JOIN pg_catalog.pg_proc dp ON dp.oid = d.refobjid
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dp.pronamespace
             WHERE rw.ev_class = c.oid AND dn.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1)
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
