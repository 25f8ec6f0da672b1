-- Row level security policies for `pgspec lint`: table, name, command (r/a/w/d/*), roles,
-- USING and WITH CHECK expressions. Reads pg_policy, pg_class, pg_namespace, pg_roles.
-- Tested on PostgreSQL 15.
SELECT n.nspname, c.relname, p.polname, p.polcmd::text,
       CASE WHEN p.polroles = '{0}' THEN 'public'
            ELSE (SELECT pg_catalog.string_agg(r.rolname, ',') FROM pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles)) END,
       coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid, true), ''),
       coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true), ''),
       c.relrowsecurity::text
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
ORDER BY n.nspname, c.relname, p.polname
