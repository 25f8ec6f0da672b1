-- Every function and procedure a call could name, system and extension ones included: schema
-- and name (for "does the function this job calls exist"). Tested on PostgreSQL 15.
SELECT DISTINCT n.nspname::text, p.proname::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
ORDER BY 1, 2
