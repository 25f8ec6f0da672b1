-- Partitioned tables and their partitions for `pgspec lint`: parent, strategy (r/l/h), type of
-- the first key column, partition name and bound (`DEFAULT`, `FOR VALUES FROM (…) TO (…)`),
-- and the server's current date. Reads pg_partitioned_table, pg_class, pg_namespace,
-- pg_inherits, pg_attribute. Tested on PostgreSQL 15.
SELECT n.nspname, c.relname, pt.partstrat::text,
       coalesce(pg_catalog.format_type(a.atttypid, a.atttypmod), ''),
       coalesce(p.relname, ''),
       coalesce(pg_catalog.pg_get_expr(p.relpartbound, p.oid), ''),
       current_date::text
FROM pg_catalog.pg_partitioned_table pt
JOIN pg_catalog.pg_class c ON c.oid = pt.partrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
LEFT JOIN pg_catalog.pg_inherits i ON i.inhparent = c.oid
LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
WHERE NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
ORDER BY n.nspname, c.relname, p.relname
