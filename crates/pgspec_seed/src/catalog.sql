-- pgspec seed: the tables to fill (ordinary and partitioned, not partitions themselves) and
-- their columns. Reads pg_class, pg_namespace, pg_attribute, pg_attrdef, pg_inherits.
-- Tested on PostgreSQL 15.
SELECT c.oid::int8 AS table_oid, n.nspname::text, c.relname::text, c.relkind::text,
       c.relforcerowsecurity,
       a.attnum::int4, a.attname::text, a.atttypid::int8, a.atttypmod, a.attnotnull,
       a.atthasdef, a.attidentity::text, a.attgenerated::text,
       pg_catalog.pg_get_serial_sequence(pg_catalog.format('%I.%I', n.nspname, c.relname), a.attname)::text AS seq,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)::text AS default_expr,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'cron')
  AND n.nspname NOT LIKE 'pg_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
ORDER BY c.oid, a.attnum
