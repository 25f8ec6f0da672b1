-- Row level security policies on the user's tables: oid, table oid, schema, table, name,
-- command (r/a/w/d/*), permissive, roles (public for the PUBLIC pseudo-role), USING and
-- WITH CHECK expressions. Scope as in tables.sql. Tested on PostgreSQL 15.
SELECT p.oid, p.polrelid, n.nspname::text, c.relname::text, p.polname::text, p.polcmd::text,
       p.polpermissive,
       ARRAY(SELECT CASE WHEN u.r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(u.r)::text END
             FROM pg_catalog.unnest(p.polroles) AS u(r) ORDER BY 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid, true),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true)
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE true
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
ORDER BY n.nspname, c.relname, p.polname
