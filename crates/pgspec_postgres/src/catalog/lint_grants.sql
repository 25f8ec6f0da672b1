-- Table privileges granted to roles other than the owner, on tables with row level security,
-- for `pgspec lint`: table, grantee, privilege (SELECT, INSERT, UPDATE, DELETE, …).
-- Reads pg_class and its ACL through aclexplode. Tested on PostgreSQL 15.
SELECT c.relname, a.grantee::regrole::text, a.privilege_type
FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
WHERE c.relrowsecurity AND a.grantee <> c.relowner AND a.grantee <> 0
