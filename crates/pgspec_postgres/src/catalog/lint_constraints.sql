-- Constraints of the document's tables for `pgspec lint`: type, definition, columns (in key
-- order, comma-separated), the referenced table for foreign keys. Reads pg_constraint,
-- pg_class, pg_namespace, pg_attribute. Tested on PostgreSQL 15.
SELECT n.nspname, c.relname, con.conname, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid),
       (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.ord)
          FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
       CASE WHEN con.confrelid <> 0 THEN con.confrelid::regclass::text END,
       c.relispartition::text,
       (con.conparentid <> 0)::text
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'cron')
  AND c.oid NOT IN (SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)
ORDER BY n.nspname, c.relname, con.conname
