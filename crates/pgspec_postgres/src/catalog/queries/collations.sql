-- The user's collations: schema, name, provider (c/i/d), LC_COLLATE and LC_CTYPE (or the ICU
-- locale), deterministic. Scope as in schemas.sql; extension members excluded. Tested on
-- PostgreSQL 15.
SELECT n.nspname::text, c.collname::text, c.collprovider::text,
       coalesce(c.colliculocale, c.collcollate, ''), coalesce(c.collctype, ''), c.collisdeterministic
FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.collname
