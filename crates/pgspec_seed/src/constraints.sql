-- pgspec seed: constraints (CHECK, UNIQUE, PRIMARY KEY, FOREIGN KEY, EXCLUDE) of the tables
-- to fill, and unique indexes that back no constraint (partial and expression ones included).
-- Reads pg_constraint, pg_index, pg_class. Tested on PostgreSQL 15.
SELECT con.conrelid::int8, con.conname::text, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid)::text,
       con.conkey::int2[], con.confrelid::int8, con.confkey::int2[], con.condeferrable,
       NULL::text AS predicate
FROM pg_catalog.pg_constraint con
WHERE con.conrelid = ANY($1) AND con.contype IN ('c', 'u', 'p', 'f', 'x')
UNION ALL
SELECT i.indrelid::int8, ci.relname::text, 'i', pg_catalog.pg_get_indexdef(i.indexrelid)::text,
       i.indkey::int2[], 0::int8, NULL::int2[], false,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid)::text
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid
WHERE i.indrelid = ANY($1) AND i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
ORDER BY 1, 2
