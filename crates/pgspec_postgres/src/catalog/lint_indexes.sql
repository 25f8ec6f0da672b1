-- Indexes of the document's tables for `pgspec lint`: key columns or expressions
-- (unit-separated), uniqueness, predicate, access method, the constraint they back.
-- Reads pg_index, pg_class, pg_namespace, pg_am, pg_constraint. Tested on PostgreSQL 15.
SELECT n.nspname, t.relname, i.relname,
       (SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(x.indexrelid, k, true), pg_catalog.chr(31) ORDER BY k)
          FROM pg_catalog.generate_series(1, x.indnkeyatts) AS k),
       x.indisunique::text, x.indisprimary::text,
       coalesce(pg_catalog.pg_get_expr(x.indpred, x.indrelid, true), ''),
       am.amname,
       coalesce((SELECT con.conname FROM pg_catalog.pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x') LIMIT 1), ''),
       t.relkind::text, t.relispartition::text
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'cron')
  AND t.oid NOT IN (SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)
ORDER BY n.nspname, t.relname, i.relname
