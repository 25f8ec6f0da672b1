-- Foreign keys of the document's tables: table, columns, referenced table, referenced columns
-- (comma-separated, in key order). Reads pg_constraint, pg_class, pg_namespace, pg_attribute.
-- Tested on PostgreSQL 15.
SELECT c.relname,
       (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.ord)
        FROM pg_catalog.unnest(r.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = r.conrelid AND a.attnum = k.attnum),
       f.relname,
       (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.ord)
        FROM pg_catalog.unnest(r.confkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = r.confrelid AND a.attnum = k.attnum)
FROM pg_catalog.pg_constraint r
JOIN pg_catalog.pg_class c ON c.oid = r.conrelid
JOIN pg_catalog.pg_class f ON f.oid = r.confrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.contype = 'f' AND NOT c.relispartition AND r.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
