-- The user's tables (ordinary, partitioned, foreign; partitions included): oid, schema,
-- name, relkind, owner, row level security enabled and forced, the parent and bound of a
-- partition, the strategy, key definition and key columns of a partitioned table, comment,
-- replica identity (d/n/f/i), storage options (reloptions), UNLOGGED, the parents it INHERITS
-- from (not a partition's; `schema.name`, quoted as identifiers).
-- Scope as in schemas.sql; extension members excluded. Tested on PostgreSQL 15.
SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text,
       pg_catalog.pg_get_userbyid(c.relowner)::text, c.relrowsecurity, c.relforcerowsecurity,
       c.relispartition, pn.nspname::text, pc.relname::text,
       pg_catalog.pg_get_expr(c.relpartbound, c.oid),
       pt.partstrat::text,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       -- Each name by one index lookup (OFFSET 0: no hash of the table's columns per table).
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(pt.partattrs::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN LATERAL (SELECT a.attname FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attnum = k.attnum OFFSET 0) a ON true
             ORDER BY k.ord),
       ds.description, c.relreplident::text,
       coalesce(c.reloptions, '{}'), (c.relpersistence = 'u'),
       ARRAY(SELECT pg_catalog.format('%I.%I', pn2.nspname, p2.relname)
             FROM pg_catalog.pg_inherits i2
             JOIN pg_catalog.pg_class p2 ON p2.oid = i2.inhparent
             JOIN pg_catalog.pg_namespace pn2 ON pn2.oid = p2.relnamespace
             WHERE i2.inhrelid = c.oid AND NOT c.relispartition ORDER BY i2.inhseqno)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid
LEFT JOIN pg_catalog.pg_inherits ih ON c.relispartition AND ih.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = ih.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
-- What obj_description() answers, joined: the function runs a query of its own per table.
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid AND ds.objsubid = 0
    AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE c.relkind IN ('r', 'p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
