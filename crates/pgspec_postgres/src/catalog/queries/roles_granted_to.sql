-- Roles the current database grants privileges to or names in policies, other than superusers,
-- built-in roles and pgspec's own. For `pgspec sql`: a script of the system creates them first.
SELECT DISTINCT r.rolname
FROM pg_catalog.pg_roles r
WHERE r.oid IN (
        SELECT pg_catalog.unnest(polroles) FROM pg_catalog.pg_policy
        UNION SELECT (pg_catalog.aclexplode(relacl)).grantee FROM pg_catalog.pg_class WHERE relacl IS NOT NULL
        UNION SELECT (pg_catalog.aclexplode(nspacl)).grantee FROM pg_catalog.pg_namespace WHERE nspacl IS NOT NULL
        UNION SELECT (pg_catalog.aclexplode(proacl)).grantee FROM pg_catalog.pg_proc WHERE proacl IS NOT NULL
        UNION SELECT (pg_catalog.aclexplode(typacl)).grantee FROM pg_catalog.pg_type WHERE typacl IS NOT NULL
        UNION SELECT (pg_catalog.aclexplode(defaclacl)).grantee FROM pg_catalog.pg_default_acl
        UNION SELECT (pg_catalog.aclexplode(datacl)).grantee FROM pg_catalog.pg_database
            WHERE datname = pg_catalog.current_database() AND datacl IS NOT NULL
    )
  AND NOT r.rolsuper
  AND r.rolname !~ '^pg_'
  AND r.rolname !~ '^pgspec'
ORDER BY 1
