-- User triggers on the user's tables and views (internal ones and clones on partitions
-- excluded): oid, table oid, schema, table, name, function oid, schema and name, tgtype bits
-- (1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate, 64 instead of), enabled
-- (O/D/R/A), definition. Scope as in tables.sql. Tested on PostgreSQL 15.
SELECT t.oid, t.tgrelid, n.nspname::text, c.relname::text, t.tgname::text, t.tgfoid,
       pn.nspname::text, p.proname::text, t.tgtype::int4, t.tgenabled::text,
       pg_catalog.pg_get_triggerdef(t.oid, true)
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
ORDER BY n.nspname, c.relname, t.tgname
