-- Primary keys and unique indexes (constraints or CREATE UNIQUE INDEX; partial and expression
-- indexes excluded) of the document's tables: table, 'p' or 'u', columns comma-separated in
-- key order. Reads pg_index, pg_class, pg_namespace, pg_attribute. Tested on PostgreSQL 15.
SELECT c.relname, CASE WHEN i.indisprimary THEN 'p' ELSE 'u' END,
       (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.ord)
        FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE k.ord <= i.indnkeyatts)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE (i.indisprimary OR i.indisunique) AND i.indpred IS NULL AND i.indexprs IS NULL
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
