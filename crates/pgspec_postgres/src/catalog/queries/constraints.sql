-- Constraints of the user's tables (primary key, unique, foreign key, check, exclusion,
-- constraint trigger): oid, table oid, schema, table, name, contype, definition, key attnums
-- and names in key order, DEFERRABLE, INITIALLY DEFERRED, validated (not NOT VALID), local,
-- inherited from a partitioned parent, on a partition; for foreign keys the referenced table
-- (oid, schema, name), attnums and names, ON UPDATE / ON DELETE actions and MATCH type; for
-- checks the expression; the index it uses. Scope as in tables.sql. Tested on PostgreSQL 15.
SELECT k.oid, k.conrelid, n.nspname::text, c.relname::text, k.conname::text, k.contype::text,
       pg_catalog.pg_get_constraintdef(k.oid),
       coalesce(k.conkey, '{}'),
       -- Each name by one index lookup: OFFSET 0 keeps the planner from hashing all of the
       -- table's columns for every constraint (half of this query's time at 300 tables).
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN LATERAL (SELECT a.attname FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = k.conrelid AND a.attnum = u.attnum OFFSET 0) a ON true
             ORDER BY u.ord),
       k.condeferrable, k.condeferred, k.convalidated, k.conislocal, (k.conparentid <> 0),
       c.relispartition,
       k.confrelid, fn.nspname::text, f.relname::text, coalesce(k.confkey, '{}'),
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN LATERAL (SELECT a.attname FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = k.confrelid AND a.attnum = u.attnum OFFSET 0) a ON true
             ORDER BY u.ord),
       k.confupdtype::text, k.confdeltype::text, k.confmatchtype::text,
       CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_expr(k.conbin, k.conrelid, true) END,
       (SELECT i.relname::text FROM pg_catalog.pg_class i WHERE i.oid = k.conindid)
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
WHERE k.contype IN ('p', 'u', 'f', 'c', 'x', 't')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname, k.conname
