-- Functions and procedures the document created, for `pgspec lint`: oid, language, SECURITY
-- DEFINER, SET options, body, whether it returns trigger. Reads pg_proc, pg_namespace,
-- pg_language, pg_depend (extension members are skipped). Tested on PostgreSQL 15.
SELECT p.oid::text, n.nspname, p.proname, l.lanname, p.prosecdef::text,
       coalesce(pg_catalog.array_to_string(p.proconfig, pg_catalog.chr(31)), ''),
       p.prosrc, (p.prorettype = 'trigger'::regtype)::text, p.prokind::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND p.oid NOT IN (SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e' AND classid = 'pg_proc'::regclass)
ORDER BY n.nspname, p.proname, p.oid
