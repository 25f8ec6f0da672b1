-- Every type a column of the user's relations uses, and the types those go through (array
-- elements, domain bases, range subtypes, composite attributes), built-in ones included: oid,
-- name, schema, typtype, category, element, base type and typmod, range subtype, format_type,
-- enum labels, domain CHECK definitions and their names (in the same order), a composite's
-- attribute types and their typmods (`char(5)`: 9) in order, and whether a domain is NOT NULL. What a generator needs to resolve a column to something it can
-- produce.
-- Tested on PostgreSQL 15.
WITH RECURSIVE used(oid) AS (
    SELECT a.atttypid
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      AND n.nspname NOT LIKE 'pgspec\_%'
    UNION
    SELECT v.next
    FROM used u
    JOIN pg_catalog.pg_type t ON t.oid = u.oid
    CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype),
        ((SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid))
        UNION ALL
        SELECT a.atttypid FROM pg_catalog.pg_attribute a
        WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0
          AND NOT a.attisdropped) AS v(next)
    WHERE v.next IS NOT NULL AND v.next <> 0
)
SELECT t.oid, t.typname::text, n.nspname::text, t.typtype::text, t.typcategory::text,
       t.typelem, t.typbasetype, t.typtypmod, coalesce(r.rngsubtype, 0),
       pg_catalog.format_type(t.oid, NULL),
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k
             WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname),
       ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k
             WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname),
       ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a
             WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0
               AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT a.atttypmod FROM pg_catalog.pg_attribute a
             WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0
               AND NOT a.attisdropped ORDER BY a.attnum),
       t.typnotnull
FROM used u
JOIN pg_catalog.pg_type t ON t.oid = u.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
ORDER BY t.oid
