CREATE TABLE t (a int, b int);
CREATE UNIQUE INDEX t_i ON t (a, b) INCLUDE (b);
