CREATE TABLE t (a int, b text);
CREATE INDEX t_b ON t (lower(b)) WHERE a > 0;
