-- The user's functions and procedures: oid, schema, name, kind (f/p/a/w), identity
-- arguments, argument types and names, result, returns trigger, language, volatility (i/s/v),
-- SECURITY DEFINER, STRICT, SET options (proconfig, e.g. search_path=...), body (prosrc),
-- comment, the whole definition (pg_get_functiondef; none for an aggregate), whether the body
-- is SQL-standard (parsed at creation: BEGIN ATOMIC or RETURN), the user's functions it
-- depends on (`schema.name(identity arguments)`, quoted as identifiers) and the relations (a
-- SQL-standard body's tables and views, `schema.name`). Scope as in schemas.sql; extension members
-- and the constructors PostgreSQL makes for a range type (internal dependants) excluded. Tested on PostgreSQL 15.
SELECT p.oid, n.nspname::text, p.proname::text, p.prokind::text,
       pg_catalog.pg_get_function_identity_arguments(p.oid),
       ARRAY(SELECT pg_catalog.format_type(u.t, NULL)
             FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS u(t, ord)
             ORDER BY u.ord),
       coalesce(p.proargnames, '{}')::text[],
       CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END,
       (p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype),
       l.lanname::text, p.provolatile::text, p.prosecdef, p.proisstrict,
       coalesce(p.proconfig, '{}'), p.prosrc, pg_catalog.obj_description(p.oid, 'pg_proc'),
       CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END,
       (p.prosqlbody IS NOT NULL),
       ARRAY(SELECT DISTINCT pg_catalog.format('%I.%I(%s)', dn.nspname, dp.proname,
                                               pg_catalog.pg_get_function_identity_arguments(dp.oid))
             FROM pg_catalog.pg_depend d
             JOIN pg_catalog.pg_proc dp ON dp.oid = d.refobjid
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dp.pronamespace
             WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid <> p.oid
               AND dn.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1),
       ARRAY(SELECT DISTINCT pg_catalog.format('%I.%I', dn.nspname, dc.relname)
             FROM pg_catalog.pg_depend d
             JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
             WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass ORDER BY 1)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE true
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
ORDER BY n.nspname, p.proname, p.oid
