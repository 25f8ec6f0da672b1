CREATE TABLE t (a int DEFAULT 1, b int DEFAULT 2, c int);
