-- Installed extensions: name, schema, version (plpgsql included). Tested on PostgreSQL 15.
SELECT e.extname::text, n.nspname::text, e.extversion
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
ORDER BY e.extname
