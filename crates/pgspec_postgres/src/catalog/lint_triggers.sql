-- User triggers for `pgspec lint`: table, name, function oid, and the events they fire on
-- (from tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE; 1 = FOR EACH ROW).
-- Reads pg_trigger, pg_class, pg_namespace. Tested on PostgreSQL 15.
SELECT n.nspname, c.relname, t.tgname, t.tgfoid::text,
       (t.tgtype & 1 <> 0)::text, (t.tgtype & 4 <> 0)::text, (t.tgtype & 8 <> 0)::text,
       (t.tgtype & 16 <> 0)::text, c.oid::text
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
ORDER BY n.nspname, c.relname, t.tgname
