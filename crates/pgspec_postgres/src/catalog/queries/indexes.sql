-- Indexes of the user's tables and materialized views: oid, table oid, schema, table, name,
-- definition (pg_get_indexdef), unique, primary, access method, key columns or expressions
-- in order, key attnums (0 for an expression), INCLUDE columns, partial predicate, the
-- constraint it backs, whether its table is a partition, valid, the table's replica identity, the
-- partitioned index it is attached to (`schema.name`, quoted as needed). Scope as in tables.sql.
-- Tested on PostgreSQL 15.
SELECT x.indexrelid, x.indrelid, n.nspname::text, t.relname::text, i.relname::text,
       pg_catalog.pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary, am.amname::text,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k, true)
             FROM pg_catalog.generate_series(1, x.indnkeyatts) AS k ORDER BY k),
       ARRAY(SELECT x.indkey[k] FROM pg_catalog.generate_series(0, x.indnkeyatts - 1) AS k ORDER BY k),
       ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k, true)
             FROM pg_catalog.generate_series(x.indnkeyatts + 1, x.indnatts) AS k ORDER BY k),
       pg_catalog.pg_get_expr(x.indpred, x.indrelid, true),
       (SELECT k.conname::text FROM pg_catalog.pg_constraint k
        WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')
        LIMIT 1),
       t.relispartition, x.indisvalid, x.indisreplident,
       (SELECT pg_catalog.format('%I.%I', pn.nspname, pc.relname) FROM pg_catalog.pg_inherits ih
        JOIN pg_catalog.pg_class pc ON pc.oid = ih.inhparent
        JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE ih.inhrelid = x.indexrelid)
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE t.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY n.nspname, t.relname, i.relname
