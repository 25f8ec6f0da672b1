CREATE TABLE t (a int, b int, PRIMARY KEY (a, b));
