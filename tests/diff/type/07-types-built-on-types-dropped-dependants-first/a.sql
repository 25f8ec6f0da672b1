CREATE TYPE z_color AS ENUM ('red', 'green');
CREATE DOMAIN a_primary AS z_color;
CREATE DOMAIN m_base AS text;
CREATE DOMAIN b_derived AS m_base CHECK (length(VALUE) > 0);
CREATE TYPE z_inner AS (x integer, c a_primary);
CREATE TYPE a_outer AS (i z_inner, d b_derived[]);
CREATE TABLE t (id int PRIMARY KEY, o a_outer);
