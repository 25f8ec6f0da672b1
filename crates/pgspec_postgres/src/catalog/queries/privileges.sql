-- Privileges granted on the user's relations (tables, views, materialized views, sequences,
-- foreign tables) and on their columns, from the ACLs: relation oid, schema, relation, column
-- (NULL for the relation), grantee (PUBLIC for 0), grantor, privilege, WITH GRANT OPTION,
-- whether the grantee owns the relation. Scope as in tables.sql. Tested on PostgreSQL 15.
SELECT c.oid, n.nspname::text, c.relname::text, NULL::text,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END,
       pg_catalog.pg_get_userbyid(g.grantor)::text, g.privilege_type, g.is_grantable,
       (g.grantee = c.relowner)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS g
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
UNION ALL
SELECT c.oid, n.nspname::text, c.relname::text, a.attname::text,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END,
       pg_catalog.pg_get_userbyid(g.grantor)::text, g.privilege_type, g.is_grantable,
       (g.grantee = c.relowner)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) AS g
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
ORDER BY 2, 3, 4 NULLS FIRST, 5, 7
