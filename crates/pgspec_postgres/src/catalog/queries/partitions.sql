-- Every partitioned table with its partition key and its direct partitions, one row per
-- (table, partition); a table without partitions yields one row with NULL partition columns.
--
-- Catalogs: pg_partitioned_table (strategy, key column numbers), pg_class (relations,
-- relispartition, relkind, relpartbound), pg_namespace (schemas), pg_attribute (key column
-- name and type), pg_inherits (table -> partition), pg_partition_ancestors() (the tables a
-- sub-partitioned table belongs to), pg_get_expr(relpartbound) (a partition's bound as text:
-- `FOR VALUES FROM (...) TO (...)`, `FOR VALUES IN (...)`, `DEFAULT`).
--
-- All columns are text (pgspec reads them through the simple protocol).
SELECT
    p.oid::text                                   AS parent_oid,
    pn.nspname::text                              AS parent_schema,
    p.relname::text                               AS parent_name,
    pg_catalog.pg_get_userbyid(p.relowner)::text  AS parent_owner,
    pt.partstrat::text                            AS strategy,
    pt.partnatts::text                            AS key_count,
    ka.attname::text                              AS key_column,   -- NULL for an expression key
    ka.atttypid::text                             AS key_type_oid,
    pg_catalog.format_type(ka.atttypid, ka.atttypmod) AS key_type,
    p.relispartition::text                        AS is_partition,
    -- A sub-partitioned table whose ancestor is range-partitioned on a column of the same
    -- name only holds part of the time line: pgspec leaves it alone.
    EXISTS (
        SELECT 1
        FROM pg_catalog.pg_partition_ancestors(p.oid) AS anc(relid)
        JOIN pg_catalog.pg_partitioned_table apt ON apt.partrelid = anc.relid
        JOIN pg_catalog.pg_attribute aa
          ON aa.attrelid = anc.relid AND aa.attnum = apt.partattrs[0]
        WHERE anc.relid <> p.oid
          AND apt.partstrat = 'r'
          AND aa.attname = ka.attname
    )::text                                       AS ancestor_ranges_key,
    cn.nspname::text                              AS child_schema,
    c.relname::text                               AS child_name,
    pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS child_bound,
    (c.relkind = 'p')::text                       AS child_partitioned
FROM pg_catalog.pg_partitioned_table pt
JOIN pg_catalog.pg_class p ON p.oid = pt.partrelid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
LEFT JOIN pg_catalog.pg_attribute ka
       ON ka.attrelid = p.oid AND ka.attnum = pt.partattrs[0] AND pt.partattrs[0] <> 0
LEFT JOIN pg_catalog.pg_inherits i ON i.inhparent = p.oid
LEFT JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace
WHERE pn.nspname NOT IN ('pg_catalog', 'information_schema')
  AND pn.nspname NOT LIKE 'pg\_toast%'
ORDER BY pn.nspname, p.relname, cn.nspname, c.relname
