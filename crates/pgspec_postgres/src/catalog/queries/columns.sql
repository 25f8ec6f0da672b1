-- Columns of the user's tables, views and materialized views: relation oid, attnum, name,
-- type oid and typmod, type as format_type prints it, NOT NULL, default expression, generated
-- (s) and identity (a/d) markers, a collation other than the type's, the owned sequence
-- (serial or identity), comment, defined on the relation itself (not only inherited).
-- Scope as in tables.sql. Tested on PostgreSQL 15.
SELECT a.attrelid, a.attnum, a.attname::text, a.atttypid, a.atttypmod,
       pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated::text, a.attidentity::text,
       (SELECT co.collname::text FROM pg_catalog.pg_collation co
        WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation),
       -- What pg_get_serial_sequence() answers, through pg_depend's index instead of parsing
       -- a name per column (a third of this query's time on a 500-table schema).
       CASE WHEN c.relkind IN ('r', 'p') THEN (
           SELECT pg_catalog.format('%I.%I', sn.nspname, s.relname)
           FROM pg_catalog.pg_depend sd
           JOIN pg_catalog.pg_class s ON s.oid = sd.objid AND s.relkind = 'S'
           JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
           WHERE sd.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
             AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum
             AND sd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
             AND sd.deptype IN ('a', 'i')
           LIMIT 1) END,
       ds.description, a.attislocal
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
-- What col_description() answers, joined: the function runs a query of its own per column.
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = a.attrelid AND ds.objsubid = a.attnum
    AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND n.nspname NOT LIKE 'pgspec\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY a.attrelid, a.attnum
