-- Facts of the user's schemas that the typed catalog does not model yet, one line of text
-- each, for `pgspec diff` to refuse when they differ rather than leave them out silently: rules
-- (not a view's own), privileges on functions (and EXECUTE revoked from PUBLIC), schemas and
-- types (what their owner holds left out), default privileges, comments on indexes,
-- constraints, triggers, policies and sequences, extended statistics, event triggers,
-- publications, non-default column storage, compression and statistics targets, and table
-- access methods other than heap. Scope as in schemas.sql; extension members excluded.
-- Tested on PostgreSQL 15.
WITH user_ns AS (
    SELECT n.oid, n.nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cron')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      AND n.nspname NOT LIKE 'pgspec\_%'
)
SELECT pg_catalog.format('rule %I on %I.%I: %s', r.rulename, r.schemaname, r.tablename, r.definition)
FROM pg_catalog.pg_rules r JOIN user_ns ON user_ns.nspname = r.schemaname
UNION ALL
SELECT pg_catalog.format('privilege %s on function %I.%I(%s) to %s%s', a.privilege_type, ns.nspname,
                         p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
                         CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
                         CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END)
FROM pg_catalog.pg_proc p JOIN user_ns ns ON ns.oid = p.pronamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
WHERE a.grantee <> p.proowner
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT pg_catalog.format('function %I.%I(%s): EXECUTE revoked from PUBLIC', ns.nspname, p.proname,
                         pg_catalog.pg_get_function_identity_arguments(p.oid))
FROM pg_catalog.pg_proc p JOIN user_ns ns ON ns.oid = p.pronamespace
WHERE p.proacl IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) a
                  WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT pg_catalog.format('privilege %s on schema %I to %s%s', a.privilege_type, ns.nspname,
                         CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
                         CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END)
FROM pg_catalog.pg_namespace n JOIN user_ns ns ON ns.oid = n.oid
CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
WHERE a.grantee <> n.nspowner AND NOT (ns.nspname = 'public' AND a.grantee = 0)
UNION ALL
SELECT pg_catalog.format('privilege %s on type %I.%I to %s', a.privilege_type, ns.nspname, t.typname,
                         CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END)
FROM pg_catalog.pg_type t JOIN user_ns ns ON ns.oid = t.typnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(t.typacl) a
WHERE a.grantee <> t.typowner
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT pg_catalog.format('default privileges (%s) in %s: %s', d.defaclobjtype,
                         coalesce((SELECT n.nspname::text FROM pg_catalog.pg_namespace n WHERE n.oid = d.defaclnamespace), 'every schema'),
                         d.defaclacl::text)
FROM pg_catalog.pg_default_acl d
UNION ALL
SELECT pg_catalog.format('comment on %s %I.%I: %s',
                         CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'index' END, ns.nspname, c.relname, dsc.description)
FROM pg_catalog.pg_class c JOIN user_ns ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dsc.objsubid = 0
WHERE c.relkind IN ('i', 'I', 'S')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT pg_catalog.format('comment on constraint %I of %I.%I: %s', k.conname, ns.nspname,
                         coalesce(c.relname::text, t.typname::text), dsc.description)
FROM pg_catalog.pg_constraint k JOIN user_ns ns ON ns.oid = k.connamespace
LEFT JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid
JOIN pg_catalog.pg_description dsc ON dsc.objoid = k.oid AND dsc.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
UNION ALL
SELECT pg_catalog.format('comment on trigger %I of %I.%I: %s', tg.tgname, ns.nspname, c.relname, dsc.description)
FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
JOIN user_ns ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_description dsc ON dsc.objoid = tg.oid AND dsc.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
UNION ALL
SELECT pg_catalog.format('comment on policy %I of %I.%I: %s', po.polname, ns.nspname, c.relname, dsc.description)
FROM pg_catalog.pg_policy po JOIN pg_catalog.pg_class c ON c.oid = po.polrelid
JOIN user_ns ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_description dsc ON dsc.objoid = po.oid AND dsc.classoid = 'pg_catalog.pg_policy'::pg_catalog.regclass
UNION ALL
SELECT pg_catalog.format('extended statistics %I.%I: %s', ns.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid))
FROM pg_catalog.pg_statistic_ext s JOIN user_ns ns ON ns.oid = s.stxnamespace
UNION ALL
SELECT pg_catalog.format('event trigger %I', e.evtname) FROM pg_catalog.pg_event_trigger e
UNION ALL
SELECT pg_catalog.format('publication %I', pb.pubname) FROM pg_catalog.pg_publication pb
UNION ALL
SELECT pg_catalog.format('column %I.%I.%I: storage %s, compression %s, statistics %s', ns.nspname, c.relname, a.attname,
                         a.attstorage, a.attcompression, a.attstattarget)
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN user_ns ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm')
  AND (a.attstorage <> ty.typstorage OR a.attcompression <> '' OR a.attstattarget >= 0)
UNION ALL
SELECT pg_catalog.format('table %I.%I uses access method %I', ns.nspname, c.relname, am.amname)
FROM pg_catalog.pg_class c JOIN user_ns ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r', 'm') AND am.amname <> 'heap'
ORDER BY 1
