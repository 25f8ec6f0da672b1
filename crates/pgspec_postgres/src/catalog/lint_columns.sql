-- Columns of the document's tables for `pgspec lint`: type, NOT NULL, default, varchar
-- length, enum labels (unit-separated). Reads pg_class, pg_namespace, pg_attribute, pg_type,
-- pg_enum, pg_depend (extension members are skipped). Tested on PostgreSQL 15.
SELECT n.nspname, c.relname, c.relkind::text, c.relispartition::text, c.relrowsecurity::text,
       a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull::text,
       (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')::text,
       CASE WHEN a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4
            THEN (a.atttypmod - 4)::text END,
       (SELECT pg_catalog.string_agg(e.enumlabel, pg_catalog.chr(31) ORDER BY e.enumsortorder)
          FROM pg_catalog.pg_enum e WHERE e.enumtypid = a.atttypid),
       t.typname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'cron')
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
  AND c.oid NOT IN (SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)
ORDER BY n.nspname, c.relname, a.attnum
