-- Roles the current database grants privileges to or names in policies, other than superusers,
-- built-in roles and pgspec's own. For `pgspec sql`: a script of the system creates them first.
SELECT DISTINCT r.rolname
FROM pg_roles r
WHERE r.oid IN (
        SELECT unnest(polroles) FROM pg_policy
        UNION SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE relacl IS NOT NULL
        UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspacl IS NOT NULL
        UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE proacl IS NOT NULL
        UNION SELECT (aclexplode(typacl)).grantee FROM pg_type WHERE typacl IS NOT NULL
        UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
        UNION SELECT (aclexplode(datacl)).grantee FROM pg_database
            WHERE datname = current_database() AND datacl IS NOT NULL
    )
  AND NOT r.rolsuper
  AND r.rolname !~ '^pg_'
  AND r.rolname !~ '^pgspec'
ORDER BY 1
